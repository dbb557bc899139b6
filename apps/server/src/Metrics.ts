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
  Option
} from "effect"

export type WebhookItemKind = "inbound" | "report" | "malformed"
export type WebhookItemOutcome = "accepted" | "duplicate" | "unknown" | "rejected"
export type SendDecision = "session" | "template" | "none"
export type SendResult =
  | "sent"
  | "queued"
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
  /** Send jobs the worker and the send requests finished, by outcome; and jobs given back or settled by recovery. */
  readonly sendJobs: (outcome: SendJobOutcome) => Metric.Metric.Counter<number>
  /** Delivery attempts to the business's endpoints, by verdict. */
  readonly deliveries: (outcome: DeliveryOutcome) => Metric.Metric.Counter<number>
  /** Window events the scheduler recorded. */
  readonly scheduledEvents: Metric.Metric.Counter<number>
  /** Seconds of one send to Exotel, retries included. */
  readonly exotelRequestDuration: (outcome: ExotelOutcome) => Metric.Metric.Histogram<number>
  /** Measured at scrape time. */
  readonly openWindows: Metric.Metric.Gauge<number>
  readonly up: Metric.Metric.Gauge<number>
}

export class Metrics extends Context.Tag("@wa-session/server/Metrics")<Metrics, MetricsShape>() {}

/** Seconds; Exotel answers in tens to hundreds of milliseconds, retries push it to seconds. */
export const EXOTEL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const

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
    "POST /v1/messages by decision (session, template, none) and result."
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
  openWindows: family(
    "wa_session_open_windows",
    "gauge",
    [],
    "Customer-service windows open now (after the safety margin)."
  ),
  up: family("wa_session_up", "gauge", [], "1 while the process serves requests.")
} as const

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

export const make: Effect.Effect<MetricsShape> = Effect.gen(function*() {
  const registry = MetricRegistry.make()
  const counters = (f: Family) => labelled(registry, counterKey(f), f.labels)
  const webhookRequests = counters(FAMILIES.webhookRequests)
  const metrics: MetricsShape = {
    registry,
    webhookRequests: (status) => webhookRequests(String(status)),
    webhookItems: counters(FAMILIES.webhookItems),
    sends: counters(FAMILIES.sends),
    fallbacks: counters(FAMILIES.fallbacks),
    sendJobs: counters(FAMILIES.sendJobs),
    deliveries: counters(FAMILIES.deliveries),
    scheduledEvents: inRegistry(registry, counterKey(FAMILIES.scheduledEvents)),
    exotelRequestDuration: labelled(
      registry,
      MetricKey.histogram(
        FAMILIES.exotelRequestDuration.name,
        MetricBoundaries.fromIterable(EXOTEL_BUCKETS),
        FAMILIES.exotelRequestDuration.help
      ),
      FAMILIES.exotelRequestDuration.labels
    ),
    openWindows: inRegistry(registry, gaugeKey(FAMILIES.openWindows)),
    up: inRegistry(registry, gaugeKey(FAMILIES.up))
  }
  yield* Metric.set(metrics.up, 1)
  return metrics
})

export const layer: Layer.Layer<Metrics> = Layer.effect(Metrics, make)

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
