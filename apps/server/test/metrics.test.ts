import { assert, describe, it } from "@effect/vitest"
import { Effect, Metric } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Metrics from "../src/Metrics.js"
import {
  auth,
  BUSINESS,
  CUSTOMER,
  customerWrites,
  eventuallyEffect,
  postBatch,
  rawGet,
  SECRET,
  TestEnv,
  TestServer
} from "./support.js"

/** The process and Node.js metrics every scrape ends with (help and type lines; their values vary). */
const PROCESS_METRICS = [
  "# HELP process_cpu_user_seconds_total User CPU time spent in seconds.",
  "# TYPE process_cpu_user_seconds_total counter",
  "# HELP process_cpu_system_seconds_total System CPU time spent in seconds.",
  "# TYPE process_cpu_system_seconds_total counter",
  "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.",
  "# TYPE process_cpu_seconds_total counter",
  "# HELP process_resident_memory_bytes Resident memory size in bytes.",
  "# TYPE process_resident_memory_bytes gauge",
  "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.",
  "# TYPE process_start_time_seconds gauge",
  "# HELP process_uptime_seconds Seconds since the process started.",
  "# TYPE process_uptime_seconds gauge",
  "# HELP nodejs_heap_size_total_bytes Process heap size from Node.js in bytes.",
  "# TYPE nodejs_heap_size_total_bytes gauge",
  "# HELP nodejs_heap_size_used_bytes Process heap size used from Node.js in bytes.",
  "# TYPE nodejs_heap_size_used_bytes gauge",
  "# HELP nodejs_external_memory_bytes Node.js external memory size (buffers) in bytes.",
  "# TYPE nodejs_external_memory_bytes gauge",
  "# HELP nodejs_eventloop_lag_mean_seconds The mean of the event loop delays since the previous scrape.",
  "# TYPE nodejs_eventloop_lag_mean_seconds gauge",
  "# HELP nodejs_eventloop_lag_p50_seconds The 50th percentile of the event loop delays since the previous scrape.",
  "# TYPE nodejs_eventloop_lag_p50_seconds gauge",
  "# HELP nodejs_eventloop_lag_p99_seconds The 99th percentile of the event loop delays since the previous scrape.",
  "# TYPE nodejs_eventloop_lag_p99_seconds gauge",
  "# HELP nodejs_eventloop_lag_max_seconds The longest event loop delay since the previous scrape.",
  "# TYPE nodejs_eventloop_lag_max_seconds gauge",
  "# HELP nodejs_gc_duration_seconds Garbage collection pauses by kind (major, minor, incremental, weakcb).",
  "# TYPE nodejs_gc_duration_seconds histogram"
]

/** The exposition as the hand-written registry before it rendered it, for the same updates: the format is pinned. */
const EXPECTED = [
  "# HELP wa_session_webhook_requests_total Exotel webhook requests by HTTP status.",
  "# TYPE wa_session_webhook_requests_total counter",
  "wa_session_webhook_requests_total{status=\"200\"} 2",
  "wa_session_webhook_requests_total{status=\"404\"} 1",
  "wa_session_webhook_requests_total{status=\"413\"} 1",
  "# HELP wa_session_webhook_items_total Exotel webhook items by kind (inbound, report, malformed) and outcome (accepted, duplicate, unknown, rejected).",
  "# TYPE wa_session_webhook_items_total counter",
  "wa_session_webhook_items_total{kind=\"inbound\",outcome=\"accepted\"} 3",
  "wa_session_webhook_items_total{kind=\"inbound\",outcome=\"duplicate\"} 1",
  "wa_session_webhook_items_total{kind=\"report\",outcome=\"unknown\"} 1",
  "# HELP wa_session_sends_total POST /v1/messages by decision (session, template, parked, none) and result.",
  "# TYPE wa_session_sends_total counter",
  "wa_session_sends_total{decision=\"session\",result=\"sent\"} 2",
  "wa_session_sends_total{decision=\"none\",result=\"key_reused\"} 1",
  "# HELP wa_session_parking_total Parked messages by event: parked, reengaged (a re-engagement template queued), released, expired, cancelled.",
  "# TYPE wa_session_parking_total counter",
  "# HELP wa_session_fallbacks_total Fallback templates a delivery report's re-engagement failure (Exotel 30018) queued (result=queued); what became of them is in wa_session_send_jobs_total.",
  "# TYPE wa_session_fallbacks_total counter",
  "wa_session_fallbacks_total{result=\"queued\"} 1",
  "# HELP wa_session_send_jobs_total Send jobs by outcome: accepted, failed, unknown (the provider's answer was lost), deferred (Exotel unavailable or rate-limiting: queued again for later), requeued (a claim given back after its server died), abandoned (in flight when its server died: now unknown).",
  "# TYPE wa_session_send_jobs_total counter",
  "wa_session_send_jobs_total{outcome=\"accepted\"} 2",
  "wa_session_send_jobs_total{outcome=\"requeued\"} 1",
  "# HELP wa_session_event_deliveries_total Delivery attempts of events to the business's endpoints, by outcome (delivered, retry, failed, gone).",
  "# TYPE wa_session_event_deliveries_total counter",
  "wa_session_event_deliveries_total{outcome=\"delivered\"} 1",
  "# HELP wa_session_scheduled_events_total window.expiring and window.closed events the expiry scheduler recorded.",
  "# TYPE wa_session_scheduled_events_total counter",
  "wa_session_scheduled_events_total 4",
  "# HELP wa_session_exotel_request_duration_seconds Time of one send to Exotel, retries included, by outcome.",
  "# TYPE wa_session_exotel_request_duration_seconds histogram",
  "wa_session_exotel_request_duration_seconds_bucket{outcome=\"ok\",le=\"0.005\"} 1",
  "wa_session_exotel_request_duration_seconds_bucket{outcome=\"ok\",le=\"0.01\"} 1",
  "wa_session_exotel_request_duration_seconds_bucket{outcome=\"ok\",le=\"0.025\"} 1",
  "wa_session_exotel_request_duration_seconds_bucket{outcome=\"ok\",le=\"0.05\"} 1",
  "wa_session_exotel_request_duration_seconds_bucket{outcome=\"ok\",le=\"0.1\"} 1",
  "wa_session_exotel_request_duration_seconds_bucket{outcome=\"ok\",le=\"0.25\"} 1",
  "wa_session_exotel_request_duration_seconds_bucket{outcome=\"ok\",le=\"0.5\"} 2",
  "wa_session_exotel_request_duration_seconds_bucket{outcome=\"ok\",le=\"1\"} 3",
  "wa_session_exotel_request_duration_seconds_bucket{outcome=\"ok\",le=\"2.5\"} 3",
  "wa_session_exotel_request_duration_seconds_bucket{outcome=\"ok\",le=\"5\"} 3",
  "wa_session_exotel_request_duration_seconds_bucket{outcome=\"ok\",le=\"10\"} 3",
  "wa_session_exotel_request_duration_seconds_bucket{outcome=\"ok\",le=\"30\"} 3",
  "wa_session_exotel_request_duration_seconds_bucket{outcome=\"ok\",le=\"+Inf\"} 3",
  "wa_session_exotel_request_duration_seconds_sum{outcome=\"ok\"} 1.305",
  "wa_session_exotel_request_duration_seconds_count{outcome=\"ok\"} 3",
  "wa_session_exotel_request_duration_seconds_bucket{outcome=\"error\",le=\"0.005\"} 0",
  "wa_session_exotel_request_duration_seconds_bucket{outcome=\"error\",le=\"0.01\"} 0",
  "wa_session_exotel_request_duration_seconds_bucket{outcome=\"error\",le=\"0.025\"} 0",
  "wa_session_exotel_request_duration_seconds_bucket{outcome=\"error\",le=\"0.05\"} 0",
  "wa_session_exotel_request_duration_seconds_bucket{outcome=\"error\",le=\"0.1\"} 0",
  "wa_session_exotel_request_duration_seconds_bucket{outcome=\"error\",le=\"0.25\"} 0",
  "wa_session_exotel_request_duration_seconds_bucket{outcome=\"error\",le=\"0.5\"} 0",
  "wa_session_exotel_request_duration_seconds_bucket{outcome=\"error\",le=\"1\"} 0",
  "wa_session_exotel_request_duration_seconds_bucket{outcome=\"error\",le=\"2.5\"} 0",
  "wa_session_exotel_request_duration_seconds_bucket{outcome=\"error\",le=\"5\"} 0",
  "wa_session_exotel_request_duration_seconds_bucket{outcome=\"error\",le=\"10\"} 0",
  "wa_session_exotel_request_duration_seconds_bucket{outcome=\"error\",le=\"30\"} 0",
  "wa_session_exotel_request_duration_seconds_bucket{outcome=\"error\",le=\"+Inf\"} 1",
  "wa_session_exotel_request_duration_seconds_sum{outcome=\"error\"} 42",
  "wa_session_exotel_request_duration_seconds_count{outcome=\"error\"} 1",
  "# HELP wa_session_http_request_duration_seconds Time from a request's arrival to the end of its answer, by method, route template (unmatched: no route) and HTTP status.",
  "# TYPE wa_session_http_request_duration_seconds histogram",
  "wa_session_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/messages/{id}\",status=\"200\",le=\"0.001\"} 0",
  "wa_session_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/messages/{id}\",status=\"200\",le=\"0.0025\"} 0",
  "wa_session_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/messages/{id}\",status=\"200\",le=\"0.005\"} 1",
  "wa_session_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/messages/{id}\",status=\"200\",le=\"0.01\"} 1",
  "wa_session_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/messages/{id}\",status=\"200\",le=\"0.025\"} 1",
  "wa_session_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/messages/{id}\",status=\"200\",le=\"0.05\"} 1",
  "wa_session_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/messages/{id}\",status=\"200\",le=\"0.1\"} 1",
  "wa_session_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/messages/{id}\",status=\"200\",le=\"0.25\"} 1",
  "wa_session_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/messages/{id}\",status=\"200\",le=\"0.5\"} 1",
  "wa_session_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/messages/{id}\",status=\"200\",le=\"1\"} 1",
  "wa_session_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/messages/{id}\",status=\"200\",le=\"2.5\"} 1",
  "wa_session_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/messages/{id}\",status=\"200\",le=\"5\"} 1",
  "wa_session_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/messages/{id}\",status=\"200\",le=\"10\"} 1",
  "wa_session_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/messages/{id}\",status=\"200\",le=\"30\"} 1",
  "wa_session_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/messages/{id}\",status=\"200\",le=\"+Inf\"} 1",
  "wa_session_http_request_duration_seconds_sum{method=\"GET\",route=\"/v1/messages/{id}\",status=\"200\"} 0.003",
  "wa_session_http_request_duration_seconds_count{method=\"GET\",route=\"/v1/messages/{id}\",status=\"200\"} 1",
  "# HELP wa_session_open_windows Customer-service windows open now (after the safety margin).",
  "# TYPE wa_session_open_windows gauge",
  "wa_session_open_windows 7",
  "# HELP wa_session_up 1 while the process serves requests.",
  "# TYPE wa_session_up gauge",
  "wa_session_up 1",
  ...PROCESS_METRICS
].join("\n") + "\n"

const EMPTY = [
  "# HELP wa_session_webhook_requests_total Exotel webhook requests by HTTP status.",
  "# TYPE wa_session_webhook_requests_total counter",
  "# HELP wa_session_webhook_items_total Exotel webhook items by kind (inbound, report, malformed) and outcome (accepted, duplicate, unknown, rejected).",
  "# TYPE wa_session_webhook_items_total counter",
  "# HELP wa_session_sends_total POST /v1/messages by decision (session, template, parked, none) and result.",
  "# TYPE wa_session_sends_total counter",
  "# HELP wa_session_parking_total Parked messages by event: parked, reengaged (a re-engagement template queued), released, expired, cancelled.",
  "# TYPE wa_session_parking_total counter",
  "# HELP wa_session_fallbacks_total Fallback templates a delivery report's re-engagement failure (Exotel 30018) queued (result=queued); what became of them is in wa_session_send_jobs_total.",
  "# TYPE wa_session_fallbacks_total counter",
  "# HELP wa_session_send_jobs_total Send jobs by outcome: accepted, failed, unknown (the provider's answer was lost), deferred (Exotel unavailable or rate-limiting: queued again for later), requeued (a claim given back after its server died), abandoned (in flight when its server died: now unknown).",
  "# TYPE wa_session_send_jobs_total counter",
  "# HELP wa_session_event_deliveries_total Delivery attempts of events to the business's endpoints, by outcome (delivered, retry, failed, gone).",
  "# TYPE wa_session_event_deliveries_total counter",
  "# HELP wa_session_scheduled_events_total window.expiring and window.closed events the expiry scheduler recorded.",
  "# TYPE wa_session_scheduled_events_total counter",
  "# HELP wa_session_exotel_request_duration_seconds Time of one send to Exotel, retries included, by outcome.",
  "# TYPE wa_session_exotel_request_duration_seconds histogram",
  "# HELP wa_session_http_request_duration_seconds Time from a request's arrival to the end of its answer, by method, route template (unmatched: no route) and HTTP status.",
  "# TYPE wa_session_http_request_duration_seconds histogram",
  "# HELP wa_session_open_windows Customer-service windows open now (after the safety margin).",
  "# TYPE wa_session_open_windows gauge",
  "# HELP wa_session_up 1 while the process serves requests.",
  "# TYPE wa_session_up gauge",
  "wa_session_up 1",
  ...PROCESS_METRICS
].join("\n") + "\n"

describe("metrics exposition", () => {
  it.effect("Effect metrics render as the Prometheus text the server always wrote", () =>
    Effect.gen(function*() {
      const metrics = yield* Metrics.make
      const add = Metrics.incrementBy
      for (const status of [200, 200, 404, 413]) yield* Metric.increment(metrics.webhookRequests(status))
      yield* add(metrics.webhookItems("inbound", "accepted"), 3)
      yield* Metric.increment(metrics.webhookItems("inbound", "duplicate"))
      yield* Metric.increment(metrics.webhookItems("report", "unknown"))
      yield* add(metrics.webhookItems("malformed", "rejected"), 0)
      yield* Metric.increment(metrics.sends("session", "sent"))
      yield* Metric.increment(metrics.sends("none", "key_reused"))
      yield* Metric.increment(metrics.sends("session", "sent"))
      yield* Metric.increment(metrics.fallbacks("queued"))
      yield* add(metrics.sendJobs("accepted"), 2)
      yield* add(metrics.sendJobs("failed"), 0)
      yield* add(metrics.sendJobs("requeued"), 1)
      yield* add(metrics.deliveries("delivered"), 1)
      yield* add(metrics.deliveries("gone"), 0)
      yield* add(metrics.scheduledEvents, 0)
      yield* add(metrics.scheduledEvents, 4)
      yield* Metric.update(metrics.exotelRequestDuration("ok"), 0.005)
      yield* Metric.update(metrics.exotelRequestDuration("ok"), 0.3)
      yield* Metric.update(metrics.exotelRequestDuration("error"), 42)
      yield* Metric.update(metrics.exotelRequestDuration("ok"), 1)
      yield* Metric.set(metrics.openWindows, 7)
      metrics.observeRequest("GET", "/v1/messages/{id}", 200, 0.003)
      assert.strictEqual(Metrics.render(metrics.registry), EXPECTED)
    }))

  it.effect("a fresh registry shows every family, no samples but wa_session_up; two registries count apart", () =>
    Effect.gen(function*() {
      const one = yield* Metrics.make
      const other = yield* Metrics.make
      assert.strictEqual(Metrics.render(one.registry), EMPTY)
      yield* Metric.increment(other.webhookRequests(200))
      yield* Metric.set(other.openWindows, 1)
      assert.strictEqual(Metrics.render(one.registry), EMPTY)
      assert.include(Metrics.render(other.registry), "wa_session_open_windows 1\n")
      assert.notInclude(
        Metrics.render(other.registry, new Set(["wa_session_open_windows"])),
        "wa_session_open_windows 1"
      )
    }))
})

/** The samples of one family in an exposition, by their label text. */
const samples = (text: string, name: string): Map<string, number> =>
  new Map(
    text.split("\n").filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `)).map((line) => {
      const at = line.lastIndexOf(" ")
      return [line.slice(name.length, at), Number(line.slice(at + 1))] as const
    })
  )

const scrape = Effect.map(rawGet("/metrics"), (response) => response.text)

describe("GET /metrics on a running server", () => {
  it.live("request durations by method, route template and status; never a raw path", () =>
    Effect.gen(function*() {
      const env = yield* TestEnv
      const pair = `/v1/sessions/${encodeURIComponent(BUSINESS)}/${encodeURIComponent(CUSTOMER)}`
      assert.strictEqual((yield* customerWrites()).status, 200)
      const item = env.fake.inboundItem({ from: CUSTOMER, to: BUSINESS })
      assert.strictEqual((yield* postBatch([item], `${env.baseUrl}/webhooks/exotel/not-the-secret`)).status, 404)
      assert.strictEqual((yield* rawGet(pair, auth)).status, 200)
      assert.strictEqual((yield* rawGet(`${pair}?at=2026-01-20T05:00:00Z`, auth)).status, 200)
      assert.strictEqual((yield* rawGet(`${pair}/messages`, auth)).status, 200)
      assert.strictEqual((yield* rawGet(pair)).status, 401)
      assert.strictEqual((yield* rawGet("/v1/nothing-here", auth)).status, 404)
      assert.strictEqual((yield* rawGet("/v1/deliveries/replay", auth)).status, 405)
      assert.strictEqual((yield* rawGet("/healthz")).status, 200)
      // an answer's duration is recorded once it is written: the next request sees it
      yield* eventuallyEffect(
        Effect.map(scrape, (text) => text.includes("route=\"/healthz\",status=\"200\"")),
        "the /healthz answer in the histogram"
      )
      const text = yield* scrape
      const name = "wa_session_http_request_duration_seconds"
      assert.include(text, `# TYPE ${name} histogram\n`)
      const counts = samples(text, `${name}_count`)
      const count = (method: string, route: string, status: number) =>
        counts.get(`{method="${method}",route="${route}",status="${status}"}`)
      assert.strictEqual(count("POST", "/webhooks/exotel/{secret}", 200), 1)
      assert.strictEqual(count("POST", "/webhooks/exotel/{secret}", 404), 1)
      assert.strictEqual(count("GET", "/v1/sessions/{business}/{customer}", 200), 2)
      assert.strictEqual(count("GET", "/v1/sessions/{business}/{customer}", 401), 1)
      assert.strictEqual(count("GET", "/v1/sessions/{business}/{customer}/messages", 200), 1)
      assert.strictEqual(count("GET", "unmatched", 404), 1)
      assert.strictEqual(count("GET", "/v1/deliveries/replay", 405), 1)
      assert.strictEqual(count("GET", "/healthz", 200), 1)
      // buckets are cumulative and end with +Inf = count
      const buckets = samples(text, `${name}_bucket`)
      const label = `method="GET",route="/v1/sessions/{business}/{customer}",status="200"`
      assert.strictEqual(buckets.get(`{${label},le="+Inf"}`), 2)
      assert.strictEqual(
        Metrics.HTTP_BUCKETS.length + 1,
        [...buckets.keys()].filter((k) => k.startsWith(`{${label},`)).length
      )
      const histogram = text.split("\n").filter((line) => line.startsWith(name))
      for (const secret of [SECRET, "not-the-secret", "919876543210", "919876500001", "nothing-here"]) {
        assert.isFalse(histogram.some((line) => line.includes(secret)), secret)
      }
    }).pipe(Effect.provide(TestServer())))

  it.live("process metrics: memory, CPU, start time, uptime, event loop lag, garbage collection", () =>
    Effect.gen(function*() {
      const first = yield* scrape
      for (
        const name of [
          "process_resident_memory_bytes",
          "nodejs_heap_size_total_bytes",
          "nodejs_heap_size_used_bytes",
          "nodejs_external_memory_bytes"
        ]
      ) {
        assert.isAbove(samples(first, name).get("") ?? 0, 0, name)
      }
      const start = samples(first, "process_start_time_seconds").get("") ?? 0
      assert.isAtMost(Math.abs(start - (Date.now() / 1000 - process.uptime())), 2)
      assert.isAbove(samples(first, "process_uptime_seconds").get("") ?? 0, 0)
      const cpu = samples(first, "process_cpu_seconds_total").get("") ?? 0
      assert.isAbove(cpu, 0)
      assert.isAtMost(
        (samples(first, "process_cpu_user_seconds_total").get("") ?? 0) +
          (samples(first, "process_cpu_system_seconds_total").get("") ?? 0),
        cpu + 1e-6
      )
      // the event loop is sampled every 10 ms: some scrape has measured it
      yield* eventuallyEffect(
        Effect.map(scrape, (text) => samples(text, "nodejs_eventloop_lag_p99_seconds").has("")),
        "an event loop lag measure"
      )
      const lag = yield* scrape
      for (const quantile of ["mean", "p50", "p99", "max"]) {
        assert.isAtLeast(samples(lag, `nodejs_eventloop_lag_${quantile}_seconds`).get("") ?? -1, 0, quantile)
      }
      // garbage: some collection happens, and is timed by kind
      let garbage: Array<Array<number>> = []
      yield* eventuallyEffect(
        Effect.suspend(() => {
          for (let i = 0; i < 2_000; i++) garbage.push(Array.from({ length: 100 }, (_, j) => j))
          garbage = []
          return Effect.map(scrape, (text) => samples(text, "nodejs_gc_duration_seconds_count").size > 0)
        }),
        "a garbage collection"
      )
      const gc = samples(yield* scrape, "nodejs_gc_duration_seconds_count")
      for (const key of gc.keys()) assert.match(key, /^\{kind="(major|minor|incremental|weakcb|other)"\}$/)
    }).pipe(Effect.provide(TestServer())))

  it("every metric name is documented in docs/operations.md and in the /metrics table of docs/api-http.md", () => {
    const docs = Path.resolve(import.meta.dirname, "../../../docs")
    const operations = Fs.readFileSync(Path.join(docs, "operations.md"), "utf8")
    const api = Fs.readFileSync(Path.join(docs, "api-http.md"), "utf8")
    assert.deepStrictEqual(Metrics.METRIC_NAMES.filter((name) => !operations.includes(`\`${name}\``)), [])
    assert.deepStrictEqual(Metrics.METRIC_NAMES.filter((name) => !api.includes(`\`${name}\``)), [])
  })
})
