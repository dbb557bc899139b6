/**
 * The webhook, from body text to acknowledgement: the Exotel adapter decodes (one envelope decoder, with its depth
 * guard), the core's `SessionService.ingest` prepares and records the whole batch in one store transaction (grouped
 * with concurrent requests' batches by storage's `GroupCommit`), and this module only logs and counts. What cannot be
 * decoded, down to a body that is not JSON, is kept in the quarantine, never dropped.
 */
import { Webhook } from "@wa-session/exotel"
import type { WebhookAck } from "@wa-session/http-api"
import { type Ingest as ExotelIngest, SessionService, type SessionStore } from "@wa-session/session-core"
import { Context, Effect, Layer, Metric, Option } from "effect"
import { ServerConfig } from "./Config.js"
import * as Metrics from "./Metrics.js"

/** What a webhook body got: an acknowledgement, or (not a batch at all) the quarantine entry it was kept as. */
export type IngestAnswer =
  | { readonly _tag: "Ack"; readonly ack: WebhookAck }
  | { readonly _tag: "NotABatch"; readonly reason: string; readonly quarantineId: string }

export interface IngestShape {
  /** Records everything a body brought; succeeds once it is durably stored. */
  readonly ingest: (text: string) => Effect.Effect<IngestAnswer, SessionStore.StorageError>
  /** Whether webhooks are being ingested now (one in flight, or the last less than `BUSY_FOR` ago). */
  readonly busy: Effect.Effect<boolean>
}

/** How long after its last webhook the ingest still counts as busy. */
export const BUSY_FOR_MILLIS = 250

export class Ingest extends Context.Tag("@wa-session/server/Ingest")<Ingest, IngestShape>() {}

/**
 * A decoding failure as it may be logged: the reasons of the Exotel decoder quote the values they saw (numbers,
 * ids, even text), so quoted strings and long digit runs are masked.
 */
export const redactReason = (reason: string): string => {
  const masked = reason.replace(/"(?:[^"\\]|\\.)*"/g, "\"…\"").replace(/\d{4,}/g, "…")
  return masked.length > 200 ? `${masked.slice(0, 200)}…` : masked
}

/** How many examples (quarantine ids, reasons, fallback ids) the one log line of a batch names. */
const LOGGED_EXAMPLES = 3

/** Why a batch of more items than allowed is kept whole, as one quarantine entry, instead of item by item. */
const overLimitReason = (count: number, limit: number) =>
  `a batch of ${count} items, over the limit of ${limit} (WA_SESSION_MAX_BATCH_ITEMS)`

export const make = Effect.gen(function*() {
  const metrics = yield* Metrics.Metrics
  const { maxBatchItems } = (yield* ServerConfig).edge
  const context = yield* Effect.context<SessionStore.SessionStore | SessionService.SessionConfig>()

  /**
   * Counts the batch's items in the metrics; logs one line per batch: at info or warning level when something in it
   * needs a look, else at debug level.
   */
  const report = (outcome: SessionService.IngestOutcome) => {
    const summary = { quarantined: 0, unknownReports: 0, futureTimestamps: 0, fallbacksQueued: 0 }
    const reasons: Array<string> = []
    const quarantineIds: Array<string> = []
    const fallbackIds: Array<string> = []
    const items = new Map<Metric.Metric.Counter<number>, number>()
    const countItem = (kind: Metrics.WebhookItemKind, outcome: Metrics.WebhookItemOutcome) => {
      const counter = metrics.webhookItems(kind, outcome)
      items.set(counter, (items.get(counter) ?? 0) + 1)
    }
    for (const [i, result] of outcome.results.entries()) {
      const prepared = outcome.prepared[i]!
      switch (result._tag) {
        case "Inbound":
        case "InboundWithoutWindow":
          countItem("inbound", result.duplicate ? "duplicate" : "accepted")
          if (prepared._tag === "Inbound" && prepared.timestampAdjustment === "future" && !result.duplicate) {
            summary.futureTimestamps++
          }
          break
        case "Status":
          countItem("report", result.outcome === "applied" ? "accepted" : result.outcome)
          if (result.outcome === "unknown") summary.unknownReports++
          if (Option.isSome(result.fallback)) {
            summary.fallbacksQueued++
            if (fallbackIds.length < LOGGED_EXAMPLES) fallbackIds.push(result.fallback.value.id)
          }
          break
        case "Quarantined":
          countItem("malformed", "rejected")
          summary.quarantined++
          if (quarantineIds.length < LOGGED_EXAMPLES) quarantineIds.push(result.id)
          if (prepared._tag === "Quarantine" && reasons.length < LOGGED_EXAMPLES) {
            const reason = redactReason(prepared.reason)
            if (!reasons.includes(reason)) reasons.push(reason)
          }
          break
        case "Window":
      }
    }
    // chained by hand: Effect.forEach costs several times more, per webhook
    let counted = Effect.zipRight(
      Metrics.incrementBy(metrics.fallbacks("queued"), summary.fallbacksQueued),
      Metrics.incrementBy(metrics.parking("released"), outcome.released)
    )
    for (const [counter, count] of items) counted = Effect.zipRight(counted, Metric.incrementBy(counter, count))
    const notable = summary.quarantined + summary.unknownReports + summary.futureTimestamps + summary.fallbacksQueued
    // an ordinary batch: a debug line with its counts (no ids, no content)
    if (notable === 0) {
      return Effect.zipRight(
        counted,
        Effect.whenLogLevel(
          Effect.suspend(() =>
            Effect.logDebug("webhook batch recorded").pipe(
              Effect.annotateLogs({ items: outcome.results.length, ...outcome.counts })
            )
          ),
          "Debug"
        )
      )
    }
    const log = summary.quarantined + summary.unknownReports + summary.futureTimestamps > 0
      ? Effect.logWarning
      : Effect.logInfo
    return Effect.zipRight(counted, log("webhook batch recorded with items to look at")).pipe(
      Effect.annotateLogs({
        items: outcome.results.length,
        ...outcome.counts,
        ...summary,
        ...(quarantineIds.length > 0 ? { quarantineIds: quarantineIds.join(",") } : {}),
        ...(reasons.length > 0 ? { reasons: reasons.join(" | ") } : {}),
        ...(fallbackIds.length > 0 ? { fallbackIds: fallbackIds.join(",") } : {})
      })
    )
  }

  let inFlight = 0
  let lastDone = Number.NEGATIVE_INFINITY
  const busy = Effect.sync(() => inFlight > 0 || performance.now() - lastDone < BUSY_FOR_MILLIS)
  const tracked = <A, E>(effect: Effect.Effect<A, E>) =>
    Effect.suspend(() => {
      inFlight++
      return Effect.ensuring(
        effect,
        Effect.sync(() => {
          inFlight--
          lastDone = performance.now()
        })
      )
    })

  const ingest = (text: string): Effect.Effect<IngestAnswer, SessionStore.StorageError> =>
    Effect.gen(function*() {
      const decoded = Webhook.fromBodyText(text)
      const overLimit = decoded.items.length > maxBatchItems
        ? Option.some(overLimitReason(decoded.items.length, maxBatchItems))
        : Option.none()
      const items: ReadonlyArray<ExotelIngest.Item> = Option.match(overLimit, {
        onNone: () => decoded.items,
        onSome: (reason) => [{ _tag: "Undecodable", kind: "body", reason, raw: text }]
      })
      const notABatch = Option.orElse(overLimit, () => decoded.notABatch)
      const outcome = yield* SessionService.ingest(items)
      yield* report(outcome)
      const first = outcome.results[0]
      if (Option.isSome(notABatch) && first?._tag === "Quarantined") {
        return { _tag: "NotABatch", reason: notABatch.value, quarantineId: first.id } as const
      }
      return { _tag: "Ack", ack: outcome.counts } as const
    }).pipe(Effect.provide(context), tracked)

  return { ingest, busy }
})

export const layer = Layer.effect(Ingest, make)
