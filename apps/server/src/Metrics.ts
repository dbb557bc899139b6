import { SessionService, SessionStore } from "@wa-session/session-core"
import { Context, DateTime, Effect, Layer } from "effect"

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

export interface MetricsShape {
  readonly webhookRequest: (status: number) => void
  readonly webhookItems: (kind: WebhookItemKind, outcome: WebhookItemOutcome, count?: number) => void
  readonly send: (decision: SendDecision, result: SendResult) => void
  readonly fallback: (result: "queued") => void
  /** Send jobs the worker and the send requests finished, by outcome; and jobs given back or settled by recovery. */
  readonly sendJobs: (outcome: SendJobOutcome, count: number) => void
  /** Delivery attempts to the business's endpoints, by verdict. */
  readonly deliveries: (outcome: "delivered" | "retry" | "failed" | "gone", count: number) => void
  /** Window events the scheduler recorded. */
  readonly scheduledEvents: (count: number) => void
  readonly exotelRequest: (seconds: number, outcome: ExotelOutcome) => void
  /** The Prometheus text exposition; `openWindows` is measured at scrape time. */
  readonly render: (openWindows: number | undefined) => string
}

export class Metrics extends Context.Tag("@wa-session/server/Metrics")<Metrics, MetricsShape>() {}

/** Seconds; Exotel answers in tens to hundreds of milliseconds, retries push it to seconds. */
export const EXOTEL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const

const escape = (value: string) => value.replace(/\\/g, "\\\\").replace(/"/g, "\\\"").replace(/\n/g, "\\n")

const labelText = (labels: ReadonlyArray<readonly [string, string]>) =>
  labels.length === 0 ? "" : `{${labels.map(([k, v]) => `${k}="${escape(v)}"`).join(",")}}`

class Counter {
  readonly values = new Map<string, number>()
  constructor(readonly name: string, readonly help: string, readonly labelNames: ReadonlyArray<string>) {}
  inc(labelValues: ReadonlyArray<string>, by = 1) {
    const key = labelValues.join("\u0000")
    this.values.set(key, (this.values.get(key) ?? 0) + by)
  }
  render(lines: Array<string>) {
    lines.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`)
    for (const [key, value] of this.values) {
      const labels = this.labelNames.length === 0
        ? []
        : key.split("\u0000").map((v, i) => [this.labelNames[i]!, v] as const)
      lines.push(`${this.name}${labelText(labels)} ${value}`)
    }
  }
}

class Histogram {
  readonly series = new Map<string, { buckets: Array<number>; sum: number; count: number }>()
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelName: string,
    readonly bounds: ReadonlyArray<number>
  ) {}
  observe(labelValue: string, value: number) {
    let series = this.series.get(labelValue)
    if (series === undefined) {
      series = { buckets: this.bounds.map(() => 0), sum: 0, count: 0 }
      this.series.set(labelValue, series)
    }
    for (let i = 0; i < this.bounds.length; i++) if (value <= this.bounds[i]!) series.buckets[i]!++
    series.sum += value
    series.count++
  }
  render(lines: Array<string>) {
    lines.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`)
    for (const [labelValue, series] of this.series) {
      this.bounds.forEach((bound, i) =>
        lines.push(
          `${this.name}_bucket${labelText([[this.labelName, labelValue], ["le", String(bound)]])} ${series.buckets[i]}`
        )
      )
      lines.push(`${this.name}_bucket${labelText([[this.labelName, labelValue], ["le", "+Inf"]])} ${series.count}`)
      lines.push(`${this.name}_sum${labelText([[this.labelName, labelValue]])} ${series.sum}`)
      lines.push(`${this.name}_count${labelText([[this.labelName, labelValue]])} ${series.count}`)
    }
  }
}

/** Plain counters: the webhook hot path increments a Map entry, nothing more. */
export const make = (): MetricsShape => {
  const webhookRequests = new Counter(
    "wa_session_webhook_requests_total",
    "Exotel webhook requests by HTTP status.",
    ["status"]
  )
  const webhookItems = new Counter(
    "wa_session_webhook_items_total",
    "Exotel webhook items by kind (inbound, report, malformed) and outcome (accepted, duplicate, unknown, rejected).",
    ["kind", "outcome"]
  )
  const sends = new Counter(
    "wa_session_sends_total",
    "POST /v1/messages by decision (session, template, none) and result.",
    ["decision", "result"]
  )
  const fallbacks = new Counter(
    "wa_session_fallbacks_total",
    "Fallback templates a delivery report's re-engagement failure (Exotel 30018) queued (result=queued); what " +
      "became of them is in wa_session_send_jobs_total.",
    ["result"]
  )
  const sendJobs = new Counter(
    "wa_session_send_jobs_total",
    "Send jobs by outcome: accepted, failed, unknown (the provider's answer was lost), deferred (Exotel unavailable " +
      "or rate-limiting: queued again for later), requeued (a claim given back " +
      "after its server died), abandoned (in flight when its server died: now unknown).",
    ["outcome"]
  )
  const deliveries = new Counter(
    "wa_session_event_deliveries_total",
    "Delivery attempts of events to the business's endpoints, by outcome (delivered, retry, failed, gone).",
    ["outcome"]
  )
  const scheduled = new Counter(
    "wa_session_scheduled_events_total",
    "window.expiring and window.closed events the expiry scheduler recorded.",
    []
  )
  const exotel = new Histogram(
    "wa_session_exotel_request_duration_seconds",
    "Time of one send to Exotel, retries included, by outcome.",
    "outcome",
    EXOTEL_BUCKETS
  )
  return {
    webhookRequest: (status) => webhookRequests.inc([String(status)]),
    webhookItems: (kind, outcome, count = 1) => {
      if (count > 0) webhookItems.inc([kind, outcome], count)
    },
    send: (decision, result) => sends.inc([decision, result]),
    fallback: (result) => fallbacks.inc([result]),
    sendJobs: (outcome, count) => {
      if (count > 0) sendJobs.inc([outcome], count)
    },
    deliveries: (outcome, count) => {
      if (count > 0) deliveries.inc([outcome], count)
    },
    scheduledEvents: (count) => {
      if (count > 0) scheduled.inc([], count)
    },
    exotelRequest: (seconds, outcome) => exotel.observe(outcome, seconds),
    render: (openWindows) => {
      const lines: Array<string> = []
      webhookRequests.render(lines)
      webhookItems.render(lines)
      sends.render(lines)
      fallbacks.render(lines)
      sendJobs.render(lines)
      deliveries.render(lines)
      scheduled.render(lines)
      exotel.render(lines)
      lines.push(
        "# HELP wa_session_open_windows Customer-service windows open now (after the safety margin).",
        "# TYPE wa_session_open_windows gauge"
      )
      if (openWindows !== undefined) lines.push(`wa_session_open_windows ${openWindows}`)
      lines.push(
        "# HELP wa_session_up 1 while the process serves requests.",
        "# TYPE wa_session_up gauge",
        "wa_session_up 1"
      )
      return lines.join("\n") + "\n"
    }
  }
}

export const layer: Layer.Layer<Metrics> = Layer.sync(Metrics, make)

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
    Effect.tapError((error) => Effect.logWarning("metrics: open windows not measured").pipe(
        Effect.annotateLogs({ operation: error.operation, detail: error.detail })
      )),
    Effect.option
  )
  return metrics.render(open._tag === "Some" ? open.value : undefined)
})
