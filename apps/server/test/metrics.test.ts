import { assert, describe, it } from "@effect/vitest"
import { Effect, Metric } from "effect"
import * as Metrics from "../src/Metrics.js"

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
  "# HELP wa_session_sends_total POST /v1/messages by decision (session, template, none) and result.",
  "# TYPE wa_session_sends_total counter",
  "wa_session_sends_total{decision=\"session\",result=\"sent\"} 2",
  "wa_session_sends_total{decision=\"none\",result=\"key_reused\"} 1",
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
  "# HELP wa_session_open_windows Customer-service windows open now (after the safety margin).",
  "# TYPE wa_session_open_windows gauge",
  "wa_session_open_windows 7",
  "# HELP wa_session_up 1 while the process serves requests.",
  "# TYPE wa_session_up gauge",
  "wa_session_up 1"
].join("\n") + "\n"

const EMPTY = [
  "# HELP wa_session_webhook_requests_total Exotel webhook requests by HTTP status.",
  "# TYPE wa_session_webhook_requests_total counter",
  "# HELP wa_session_webhook_items_total Exotel webhook items by kind (inbound, report, malformed) and outcome (accepted, duplicate, unknown, rejected).",
  "# TYPE wa_session_webhook_items_total counter",
  "# HELP wa_session_sends_total POST /v1/messages by decision (session, template, none) and result.",
  "# TYPE wa_session_sends_total counter",
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
  "# HELP wa_session_open_windows Customer-service windows open now (after the safety margin).",
  "# TYPE wa_session_open_windows gauge",
  "# HELP wa_session_up 1 while the process serves requests.",
  "# TYPE wa_session_up gauge",
  "wa_session_up 1"
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
