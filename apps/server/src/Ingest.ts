/**
 * The webhook, from body text to acknowledgement: the Exotel adapter decodes (one envelope decoder, with its depth
 * guard), the core's `SessionService.ingest` prepares and records the whole batch in one store transaction (grouped
 * with concurrent requests' batches by storage's `GroupCommit`), and this module only logs and counts. What cannot be
 * decoded, down to a body that is not JSON, is kept in the quarantine, never dropped.
 */
import { Webhook } from "@wa-session/exotel"
import type { WebhookAck } from "@wa-session/http-api"
import { SessionService, type SessionStore } from "@wa-session/session-core"
import { Context, Effect, Layer, Option } from "effect"
import { Metrics } from "./Metrics.js"

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

export const make = Effect.gen(function*() {
  const metrics = yield* Metrics
  const context = yield* Effect.context<SessionStore.SessionStore | SessionService.SessionConfig>()

  const report = (outcome: SessionService.IngestOutcome) =>
    Effect.gen(function*() {
      for (const [i, result] of outcome.results.entries()) {
        const prepared = outcome.prepared[i]!
        switch (result._tag) {
          case "Inbound":
            metrics.webhookItems("inbound", result.duplicate ? "duplicate" : "accepted")
            if (prepared._tag === "Inbound" && prepared.timestampAdjustment === "future" && !result.duplicate) {
              yield* Effect.logWarning("inbound timestamp ahead of our clock; using the receive time").pipe(
                Effect.annotateLogs({ messageId: prepared.message.messageId })
              )
            }
            break
          case "Status":
            metrics.webhookItems("report", result.outcome === "applied" ? "accepted" : result.outcome)
            if (result.outcome === "unknown") {
              yield* Effect.logWarning("delivery report for a message we did not send; kept in the quarantine")
            }
            if (Option.isSome(result.fallback)) {
              metrics.fallback("queued")
              yield* Effect.logInfo("fallback template queued after a re-engagement failure").pipe(
                Effect.annotateLogs({ id: result.fallback.value.id })
              )
            }
            break
          case "Quarantined":
            metrics.webhookItems("malformed", "rejected")
            if (prepared._tag === "Quarantine") {
              yield* Effect.logWarning("webhook item kept in the quarantine").pipe(
                Effect.annotateLogs({ id: result.id, reason: redactReason(prepared.reason) })
              )
            }
            break
          case "Window":
        }
      }
    })

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
      const { items, notABatch } = Webhook.fromBodyText(text)
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
