import { SessionService, SessionStore } from "@wa-session/session-core"
import {
  Context,
  DateTime,
  Effect,
  Layer,
  Metric,
  MetricBoundaries,
  type MetricHook,
  MetricKey,
  type MetricKeyType,
  MetricLabel,
  type MetricPair,
  MetricRegistry,
  MetricState,
  Option,
  Predicate,
  type Scope
} from "effect"
import * as PerfHooks from "node:perf_hooks"

export type WebhookItemKind = "inbound" | "report" | "malformed"
export type WebhookItemOutcome = "accepted" | "duplicate" | "unknown" | "rejected"
export type SendDecision = "session" | "template" | "parked" | "none"
export type SendResult =
  | "sent"
  | "queued"
  | "parked"
  | "unknown"
  | "dry_run"
  | "replayed"
  | "refused"
  | "invalid"
  | "key_reused"
  | "provider_error"
  | "storage_error"
export type ExotelOutcome = "ok" | "error"
export type SendJobOutcome = "accepted" | "failed" | "unknown" | "deferred" | "requeued" | "abandoned"
export type ParkingEvent = "parked" | "reengaged" | "released" | "expired" | "cancelled"
export type DeliveryOutcome = "delivered" | "retry" | "failed" | "gone"

/**
 * The server's metrics, as Effect `Metric`s: callers record with `Metric.increment`, `Metric.incrementBy`,
 * `Metric.update` and `Metric.set`. Their state lives in the server's own `MetricRegistry` (not Effect's global one,
 * so that two servers in one process, as in the tests, count apart), which `scrape` renders as Prometheus text.
 */
export interface MetricsShape {
  readonly registry: MetricRegistry.MetricRegistry
  /** Exotel webhook requests, by the HTTP status of the answer. */
  readonly webhookRequests: (status: number) => Metric.Metric.Counter<number>
  readonly webhookItems: (kind: WebhookItemKind, outcome: WebhookItemOutcome) => Metric.Metric.Counter<number>
  /** `POST /v1/messages`, one per request. */
  readonly sends: (decision: SendDecision, result: SendResult) => Metric.Metric.Counter<number>
  readonly fallbacks: (result: "queued") => Metric.Metric.Counter<number>
  /** Parked messages: parked, re-engagement templates queued, released, expired, cancelled. */
  readonly parking: (event: ParkingEvent) => Metric.Metric.Counter<number>
  /** Send jobs the worker and the send requests finished, by outcome; and jobs given back or settled by recovery. */
  readonly sendJobs: (outcome: SendJobOutcome) => Metric.Metric.Counter<number>
  /** Delivery attempts to the business's endpoints, by verdict. */
  readonly deliveries: (outcome: DeliveryOutcome) => Metric.Metric.Counter<number>
  /** Window events the scheduler recorded. */
  readonly scheduledEvents: Metric.Metric.Counter<number>
  /** Seconds of one send to Exotel, retries included. */
  readonly exotelRequestDuration: (outcome: ExotelOutcome) => Metric.Metric.Histogram<number>
  /** Seconds from a request's arrival to the end of its answer, by method, route template and status. */
  readonly httpRequestDuration: (method: string, route: string, status: number) => Metric.Metric.Histogram<number>
  /**
   * The same, recorded synchronously (for node:http's `finish` event, outside any fiber). `method` is one of
   * `HTTP_METHODS` or `other`; `route` must be a template (bounded), never a raw path.
   */
  readonly observeRequest: (method: string, route: string, status: number, seconds: number) => void
  /** Measured at scrape time. */
  readonly openWindows: Metric.Metric.Gauge<number>
  readonly up: Metric.Metric.Gauge<number>
  /** Sets the process gauges (memory, CPU, uptime, event loop lag since the previous call); run at scrape time. */
  readonly sampleProcess: Effect.Effect<void>
}

export class Metrics extends Context.Tag("@wa-session/server/Metrics")<Metrics, MetricsShape>() {}

/** Seconds; Exotel answers in tens to hundreds of milliseconds, retries push it to seconds. */
export const EXOTEL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const

/**
 * Seconds; most answers take a millisecond or a few (a webhook's commit, a read), a send up to
 * `WA_SESSION_SEND_WAIT` (5 s), a store that does not answer `WA_SESSION_STORE_TIMEOUT` (4 s).
 */
export const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const

/** Seconds of one garbage collection pause (as prom-client's `nodejs_gc_duration_seconds`). */
export const GC_BUCKETS = [0.001, 0.01, 0.1, 1, 2, 5] as const

/** The methods the request histogram names; any other is `other`, so a client cannot add series at will. */
export const HTTP_METHODS: ReadonlySet<string> = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "OPTIONS"
])

interface Family {
  readonly name: string
  readonly help: string
  readonly type: "counter" | "gauge" | "histogram"
  readonly labels: ReadonlyArray<string>
}

const family = (name: string, type: Family["type"], labels: ReadonlyArray<string>, help: string): Family => ({
  name,
  type,
  labels,
  help
})

/** Every family, in the order of the exposition. */
const FAMILIES = {
  webhookRequests: family(
    "wa_session_webhook_requests_total",
    "counter",
    ["status"],
    "Exotel webhook requests by HTTP status."
  ),
  webhookItems: family(
    "wa_session_webhook_items_total",
    "counter",
    ["kind", "outcome"],
    "Exotel webhook items by kind (inbound, report, malformed) and outcome (accepted, duplicate, unknown, rejected)."
  ),
  sends: family(
    "wa_session_sends_total",
    "counter",
    ["decision", "result"],
    "POST /v1/messages by decision (session, template, parked, none) and result."
  ),
  parking: family(
    "wa_session_parking_total",
    "counter",
    ["event"],
    "Parked messages by event: parked, reengaged (a re-engagement template queued), released, expired, cancelled."
  ),
  fallbacks: family(
    "wa_session_fallbacks_total",
    "counter",
    ["result"],
    "Fallback templates a delivery report's re-engagement failure (Exotel 30018) queued (result=queued); what " +
      "became of them is in wa_session_send_jobs_total."
  ),
  sendJobs: family(
    "wa_session_send_jobs_total",
    "counter",
    ["outcome"],
    "Send jobs by outcome: accepted, failed, unknown (the provider's answer was lost), deferred (Exotel unavailable " +
      "or rate-limiting: queued again for later), requeued (a claim given back " +
      "after its server died), abandoned (in flight when its server died: now unknown)."
  ),
  deliveries: family(
    "wa_session_event_deliveries_total",
    "counter",
    ["outcome"],
    "Delivery attempts of events to the business's endpoints, by outcome (delivered, retry, failed, gone)."
  ),
  scheduledEvents: family(
    "wa_session_scheduled_events_total",
    "counter",
    [],
    "window.expiring and window.closed events the expiry scheduler recorded."
  ),
  exotelRequestDuration: family(
    "wa_session_exotel_request_duration_seconds",
    "histogram",
    ["outcome"],
    "Time of one send to Exotel, retries included, by outcome."
  ),
  httpRequestDuration: family(
    "wa_session_http_request_duration_seconds",
    "histogram",
    ["method", "route", "status"],
    "Time from a request's arrival to the end of its answer, by method, route template (unmatched: no route) and " +
      "HTTP status."
  ),
  openWindows: family(
    "wa_session_open_windows",
    "gauge",
    [],
    "Customer-service windows open now (after the safety margin)."
  ),
  up: family("wa_session_up", "gauge", [], "1 while the process serves requests."),
  // the usual process metrics, under the names of the Prometheus client libraries (prom-client)
  cpuUser: family("process_cpu_user_seconds_total", "counter", [], "User CPU time spent in seconds."),
  cpuSystem: family("process_cpu_system_seconds_total", "counter", [], "System CPU time spent in seconds."),
  cpu: family("process_cpu_seconds_total", "counter", [], "Total user and system CPU time spent in seconds."),
  residentMemory: family("process_resident_memory_bytes", "gauge", [], "Resident memory size in bytes."),
  startTime: family(
    "process_start_time_seconds",
    "gauge",
    [],
    "Start time of the process since unix epoch in seconds."
  ),
  uptime: family("process_uptime_seconds", "gauge", [], "Seconds since the process started."),
  heapTotal: family("nodejs_heap_size_total_bytes", "gauge", [], "Process heap size from Node.js in bytes."),
  heapUsed: family("nodejs_heap_size_used_bytes", "gauge", [], "Process heap size used from Node.js in bytes."),
  external: family(
    "nodejs_external_memory_bytes",
    "gauge",
    [],
    "Node.js external memory size (buffers) in bytes."
  ),
  lagMean: family(
    "nodejs_eventloop_lag_mean_seconds",
    "gauge",
    [],
    "The mean of the event loop delays since the previous scrape."
  ),
  lagP50: family(
    "nodejs_eventloop_lag_p50_seconds",
    "gauge",
    [],
    "The 50th percentile of the event loop delays since the previous scrape."
  ),
  lagP99: family(
    "nodejs_eventloop_lag_p99_seconds",
    "gauge",
    [],
    "The 99th percentile of the event loop delays since the previous scrape."
  ),
  lagMax: family(
    "nodejs_eventloop_lag_max_seconds",
    "gauge",
    [],
    "The longest event loop delay since the previous scrape."
  ),
  gcDuration: family(
    "nodejs_gc_duration_seconds",
    "histogram",
    ["kind"],
    "Garbage collection pauses by kind (major, minor, incremental, weakcb)."
  )
} as const

/** Every metric name the server exposes (documented in docs/operations.md). */
export const METRIC_NAMES: ReadonlyArray<string> = Object.values(FAMILIES).map((f) => f.name)

type Bound<Type extends MetricKeyType.MetricKeyType<any, any>> = Metric.Metric<
  Type,
  MetricKeyType.MetricKeyType.InType<Type>,
  MetricKeyType.MetricKeyType.OutType<Type>
>

type Hook<Type extends MetricKeyType.MetricKeyType<any, any>> = MetricHook.MetricHook<
  MetricKeyType.MetricKeyType.InType<Type>,
  MetricKeyType.MetricKeyType.OutType<Type>
>

/** The metric of `key` with its state in `registry` (as `Metric.fromMetricKey` does with the global registry). */
const inRegistry = <Type extends MetricKeyType.MetricKeyType<any, any>>(
  registry: MetricRegistry.MetricRegistry,
  key: MetricKey.MetricKey<Type>
): Bound<Type> => {
  let untagged: Hook<Type> | undefined
  const hook = (extraTags: ReadonlyArray<MetricLabel.MetricLabel>) =>
    extraTags.length === 0
      ? (untagged ??= registry.get(key))
      : registry.get(MetricKey.taggedWithLabels(key, extraTags))
  return Metric.make(
    key.keyType,
    (input: MetricKeyType.MetricKeyType.InType<Type>, extraTags) => hook(extraTags).update(input),
    (extraTags) => hook(extraTags).get(),
    (input: MetricKeyType.MetricKeyType.InType<Type>, extraTags) => hook(extraTags).modify(input)
  )
}

/** One metric per combination of label values (in `family.labels` order), made once and kept. */
const labelled = <Type extends MetricKeyType.MetricKeyType<any, any>>(
  registry: MetricRegistry.MetricRegistry,
  key: MetricKey.MetricKey<Type>,
  labels: ReadonlyArray<string>
) => {
  const made = new Map<string, Bound<Type>>()
  return (...values: ReadonlyArray<string>): Bound<Type> => {
    const id = values.join("\u0000")
    let metric = made.get(id)
    if (metric === undefined) {
      const tags = labels.map((label, i) => MetricLabel.make(label, values[i] ?? ""))
      metric = inRegistry(registry, MetricKey.taggedWithLabels(key, tags))
      made.set(id, metric)
    }
    return metric
  }
}

const counterKey = (f: Family) => MetricKey.counter(f.name, { description: f.help })
const gaugeKey = (f: Family) => MetricKey.gauge(f.name, { description: f.help })

const histogramKey = (f: Family, buckets: ReadonlyArray<number>) =>
  MetricKey.histogram(f.name, MetricBoundaries.fromIterable(buckets), f.help)

/** The gauges `sampleProcess` sets. */
const processGauges = (registry: MetricRegistry.MetricRegistry) => {
  const gauge = (f: Family) => inRegistry(registry, gaugeKey(f))
  return {
    cpuUser: gauge(FAMILIES.cpuUser),
    cpuSystem: gauge(FAMILIES.cpuSystem),
    cpu: gauge(FAMILIES.cpu),
    residentMemory: gauge(FAMILIES.residentMemory),
    startTime: gauge(FAMILIES.startTime),
    uptime: gauge(FAMILIES.uptime),
    heapTotal: gauge(FAMILIES.heapTotal),
    heapUsed: gauge(FAMILIES.heapUsed),
    external: gauge(FAMILIES.external),
    lagMean: gauge(FAMILIES.lagMean),
    lagP50: gauge(FAMILIES.lagP50),
    lagP99: gauge(FAMILIES.lagP99),
    lagMax: gauge(FAMILIES.lagMax)
  }
}

type ProcessGauges = ReturnType<typeof processGauges>

/** Memory, CPU and uptime now. */
const sampleMemoryAndCpu = (gauges: ProcessGauges) =>
  Effect.sync(() => {
    const memory = process.memoryUsage()
    const cpu = process.cpuUsage()
    const uptime = process.uptime()
    gauges.cpuUser.unsafeUpdate(cpu.user / 1e6, [])
    gauges.cpuSystem.unsafeUpdate(cpu.system / 1e6, [])
    gauges.cpu.unsafeUpdate((cpu.user + cpu.system) / 1e6, [])
    gauges.residentMemory.unsafeUpdate(memory.rss, [])
    gauges.heapTotal.unsafeUpdate(memory.heapTotal, [])
    gauges.heapUsed.unsafeUpdate(memory.heapUsed, [])
    gauges.external.unsafeUpdate(memory.external, [])
    gauges.uptime.unsafeUpdate(uptime, [])
    gauges.startTime.unsafeUpdate(Math.round(Date.now() / 1000 - uptime), [])
  })

/**
 * The metrics without the process's event loop and garbage collection (those need watching: `layer` adds them).
 * `sampleProcess` sets memory, CPU and uptime.
 */
export const make: Effect.Effect<MetricsShape> = Effect.gen(function*() {
  const registry = MetricRegistry.make()
  const counters = (f: Family) => labelled(registry, counterKey(f), f.labels)
  const webhookRequests = counters(FAMILIES.webhookRequests)
  const httpRequestDuration = labelled(
    registry,
    histogramKey(FAMILIES.httpRequestDuration, HTTP_BUCKETS),
    FAMILIES.httpRequestDuration.labels
  )
  const gauges = processGauges(registry)
  const metrics: MetricsShape = {
    registry,
    webhookRequests: (status) => webhookRequests(String(status)),
    webhookItems: counters(FAMILIES.webhookItems),
    sends: counters(FAMILIES.sends),
    fallbacks: counters(FAMILIES.fallbacks),
    parking: counters(FAMILIES.parking),
    sendJobs: counters(FAMILIES.sendJobs),
    deliveries: counters(FAMILIES.deliveries),
    scheduledEvents: inRegistry(registry, counterKey(FAMILIES.scheduledEvents)),
    exotelRequestDuration: labelled(
      registry,
      histogramKey(FAMILIES.exotelRequestDuration, EXOTEL_BUCKETS),
      FAMILIES.exotelRequestDuration.labels
    ),
    httpRequestDuration: (method, route, status) => httpRequestDuration(method, route, String(status)),
    observeRequest: (method, route, status, seconds) =>
      httpRequestDuration(method, route, String(status)).unsafeUpdate(seconds, []),
    openWindows: inRegistry(registry, gaugeKey(FAMILIES.openWindows)),
    up: inRegistry(registry, gaugeKey(FAMILIES.up)),
    sampleProcess: sampleMemoryAndCpu(gauges)
  }
  yield* Metric.set(metrics.up, 1)
  return metrics
})

const GC_KINDS: Record<number, string> = {
  [PerfHooks.constants.NODE_PERFORMANCE_GC_MAJOR]: "major",
  [PerfHooks.constants.NODE_PERFORMANCE_GC_MINOR]: "minor",
  [PerfHooks.constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental",
  [PerfHooks.constants.NODE_PERFORMANCE_GC_WEAKCB]: "weakcb"
}

/**
 * `make`, and while the scope lasts: the event loop's delays (`monitorEventLoopDelay`, read and reset at each
 * scrape) and garbage collection pauses (a `PerformanceObserver` of `gc` entries).
 */
export const makeWatching: Effect.Effect<MetricsShape, never, Scope.Scope> = Effect.gen(function*() {
  const metrics = yield* make
  const gauges = processGauges(metrics.registry)
  const gcDuration = labelled(
    metrics.registry,
    histogramKey(FAMILIES.gcDuration, GC_BUCKETS),
    FAMILIES.gcDuration.labels
  )
  const delays = yield* Effect.acquireRelease(
    Effect.sync(() => {
      const histogram = PerfHooks.monitorEventLoopDelay({ resolution: 10 })
      histogram.enable()
      return histogram
    }),
    (histogram) => Effect.sync(() => histogram.disable())
  )
  yield* Effect.acquireRelease(
    Effect.sync(() => {
      const observer = new PerfHooks.PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          const detail: unknown = "detail" in entry ? entry.detail : undefined
          const kind = Predicate.hasProperty(detail, "kind") && typeof detail.kind === "number"
            ? GC_KINDS[detail.kind] ?? "other"
            : "other"
          gcDuration(kind).unsafeUpdate(entry.duration / 1000, [])
        }
      })
      observer.observe({ entryTypes: ["gc"] })
      return observer
    }),
    (observer) => Effect.sync(() => observer.disconnect())
  )
  const sampleLag = Effect.sync(() => {
    // nothing measured yet (no 10 ms tick since the previous scrape): leave the previous values
    if (delays.count === 0) return
    gauges.lagMean.unsafeUpdate(delays.mean / 1e9, [])
    gauges.lagP50.unsafeUpdate(delays.percentile(50) / 1e9, [])
    gauges.lagP99.unsafeUpdate(delays.percentile(99) / 1e9, [])
    gauges.lagMax.unsafeUpdate(delays.max / 1e9, [])
    delays.reset()
  })
  return { ...metrics, sampleProcess: Effect.zipRight(metrics.sampleProcess, sampleLag) }
})

export const layer: Layer.Layer<Metrics> = Layer.scoped(Metrics, makeWatching)

/** Adds `count` to a counter; nothing (no series at zero) when it is 0. */
export const incrementBy = (metric: Metric.Metric.Counter<number>, count: number): Effect.Effect<void> =>
  count > 0 ? Metric.incrementBy(metric, count) : Effect.void

const escape = (value: string) => value.replace(/\\/g, "\\\\").replace(/"/g, "\\\"").replace(/\n/g, "\\n")

const labelText = (labels: ReadonlyArray<readonly [string, string]>) =>
  labels.length === 0 ? "" : `{${labels.map(([k, v]) => `${k}="${escape(v)}"`).join(",")}}`

const sampleLines = (pair: MetricPair.MetricPair.Untyped, lines: Array<string>) => {
  const name = pair.metricKey.name
  const labels = pair.metricKey.tags.map((tag) => [tag.key, tag.value] as const)
  const state = pair.metricState
  if (MetricState.isCounterState(state)) lines.push(`${name}${labelText(labels)} ${state.count}`)
  else if (MetricState.isGaugeState(state)) lines.push(`${name}${labelText(labels)} ${state.value}`)
  else if (MetricState.isHistogramState(state)) {
    for (const [bound, count] of state.buckets) {
      const le = bound === Number.POSITIVE_INFINITY ? "+Inf" : String(bound)
      lines.push(`${name}_bucket${labelText([...labels, ["le", le]])} ${count}`)
    }
    lines.push(`${name}_sum${labelText(labels)} ${state.sum}`)
    lines.push(`${name}_count${labelText(labels)} ${state.count}`)
  }
}

/**
 * The Prometheus text exposition of a registry's metrics: every family with its HELP and TYPE (in `FAMILIES` order),
 * then its series in the order they first appeared; `leaveOut` names families whose samples are not shown.
 */
export const render = (
  registry: MetricRegistry.MetricRegistry,
  leaveOut: ReadonlySet<string> = new Set()
): string => {
  const byName = new Map<string, Array<MetricPair.MetricPair.Untyped>>()
  for (const pair of registry.snapshot()) {
    const pairs = byName.get(pair.metricKey.name)
    if (pairs === undefined) byName.set(pair.metricKey.name, [pair])
    else pairs.push(pair)
  }
  const lines: Array<string> = []
  for (const f of Object.values(FAMILIES)) {
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`)
    if (!leaveOut.has(f.name)) { for (const pair of byName.get(f.name) ?? []) sampleLines(pair, lines) }
  }
  return lines.join("\n") + "\n"
}

/** The exposition with the open-windows gauge measured now; a store failure leaves the gauge out. */
export const scrape: Effect.Effect<
  string,
  never,
  Metrics | SessionStore.SessionStore | SessionService.SessionConfig
> = Effect.gen(function*() {
  const metrics = yield* Metrics
  const store = yield* SessionStore.SessionStore
  const settings = yield* SessionService.SessionConfig
  yield* metrics.sampleProcess
  const open = yield* store.countOpen(yield* DateTime.now, settings.safetyMargin).pipe(
    Effect.tap((count) => Metric.set(metrics.openWindows, count)),
    Effect.tapError((error) =>
      Effect.logWarning("metrics: open windows not measured").pipe(
        Effect.annotateLogs({ operation: error.operation, detail: error.detail })
      )
    ),
    Effect.option
  )
  return render(metrics.registry, Option.isSome(open) ? new Set() : new Set([FAMILIES.openWindows.name]))
})
