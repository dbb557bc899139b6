// The inbound use cases: a webhook's batch (`ingest`) and a single customer message (`recordInbound`).
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as ClockSkew from "../ClockSkew.js"
import * as Ingest from "../Ingest.js"
import type { PhoneNumber } from "../PhoneNumber.js"
import { SessionStore, type StorageError } from "../SessionStore.js"
import * as SessionWindow from "../SessionWindow.js"
import { defaultSettings, policyOf, SEND_RETRY_FOR, SessionConfig, type SessionSettings } from "./serviceSettings.js"

/**
 * A customer's message as a webhook (or an operator) reports it.
 *
 * @since 0.1.0
 * @category models
 */
export interface InboundInput {
  readonly business: PhoneNumber
  readonly customer: PhoneNumber
  readonly messageId: string
  readonly providerTimestamp: Option.Option<DateTime.Utc>
  /** What the customer sent, when known (since 0.2.0; default `{ "type": "unknown" }`). */
  readonly content?: Readonly<Record<string, unknown>> | undefined
  /** The customer's WhatsApp profile name, when known (since 0.2.0). */
  readonly profileName?: Option.Option<string> | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface InboundResult {
  readonly duplicate: boolean
  /** the window after it: empty when the message opened none on a pair that never had one (since 0.2.0) */
  readonly window: SessionWindow.Window
  readonly adjustment: ClockSkew.Adjustment
}

/**
 * An inbound message ready for the store, and what the clock-skew guard did to its timestamp.
 *
 * @since 0.2.0
 * @category models
 */
export interface PreparedInbound {
  readonly message: SessionWindow.InboundMessage
  readonly adjustment: ClockSkew.Adjustment
}

/**
 * An inbound message received at `receivedAt` as the store records it: its provider timestamp through the
 * clock-skew guard. Pure; `recordInbound` calls it with the clock's now, and a webhook that stores many messages
 * in one write calls it for each. `validated: true` skips the constructor's checks, for fields a decoder has
 * already validated.
 *
 * @example
 * ```ts
 * import { PhoneNumber, SessionService } from "@wa-session/session-core"
 * import { DateTime, Option } from "effect"
 * const prepared = SessionService.prepareInbound(
 *   {
 *     business: PhoneNumber.unsafeMake("+919876500001"),
 *     customer: PhoneNumber.unsafeMake("+919876543210"),
 *     messageId: "wamid.1",
 *     providerTimestamp: Option.some(DateTime.unsafeMake("2026-01-20T11:00:00Z"))
 *   },
 *   DateTime.unsafeMake("2026-01-20T10:00:00Z")
 * )
 * prepared.adjustment // "future": an hour ahead of the receive time, so the window counts from 10:00
 * ```
 * @since 0.2.0
 * @category constructors
 */
export const prepareInbound = (
  input: InboundInput,
  receivedAt: DateTime.Utc,
  settings: Pick<SessionSettings, "skewTolerance"> = defaultSettings,
  options: { readonly validated?: boolean } = {}
): PreparedInbound => {
  const guarded = ClockSkew.guard(input.providerTimestamp, receivedAt, settings.skewTolerance)
  return {
    message: new SessionWindow.InboundMessage({
      business: input.business,
      customer: input.customer,
      messageId: input.messageId,
      sentAt: guarded.sentAt,
      receivedAt
    }, options.validated === true),
    adjustment: guarded.adjustment
  }
}

/**
 * What `ingest` did with a batch: each item's result (in order), the webhook counts, and what the clock-skew guard
 * did to each customer message's timestamp.
 *
 * @since 0.2.0
 * @category models
 */
export interface IngestOutcome {
  readonly results: ReadonlyArray<Ingest.ItemResult>
  readonly counts: Ingest.Counts
  readonly prepared: ReadonlyArray<Ingest.Prepared>
  /** Parked messages the batch's customer messages released (since 0.2.0). */
  readonly released: number
}

/**
 * Records what a webhook brought, received now, in one store transaction: customers' messages (with their content;
 * windows extended), delivery reports (a re-engagement failure closes the window and queues the fallback template,
 * sent by `sendQueued`, so nothing slow happens inside the webhook), what could not be decoded (kept in the
 * quarantine), and the events of all of it. `resolves` names quarantine entries this batch is a retry of.
 *
 * @example
 * ```ts
 * import { Ingest, SessionService } from "@wa-session/session-core"
 * declare const items: ReadonlyArray<Ingest.Item> // decoded by a provider adapter
 * const outcome = SessionService.ingest(items) // Effect<IngestOutcome, StorageError, SessionStore | SessionConfig>
 * ```
 * @since 0.2.0
 * @category use cases
 */
export const ingest = (
  items: ReadonlyArray<Ingest.Item>,
  options: { readonly resolves?: ReadonlyArray<string> } = {}
): Effect.Effect<IngestOutcome, StorageError, SessionStore | SessionConfig> =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const settings = yield* SessionConfig
    const now = yield* DateTime.now
    const prepared = Ingest.prepare(items, now, settings.skewTolerance)
    const { items: results, released } = yield* store.ingest({
      now,
      policy: policyOf(settings),
      items: prepared,
      resolves: options.resolves ?? [],
      resend: { retryFor: settings.sendRetryFor ?? SEND_RETRY_FOR }
    })
    return { results, counts: Ingest.counts(results), prepared, released: released ?? 0 }
  })

const UNKNOWN_CONTENT: Readonly<Record<string, unknown>> = { type: "unknown" }

/**
 * Records an inbound message received now (an operator's backfill, or a library user's own webhook): the
 * clock-skew guard fixes its timestamp, the store dedups it, extends the window and records its events.
 *
 * @example
 * ```ts
 * import { PhoneNumber, SessionService } from "@wa-session/session-core"
 * import { DateTime, Option } from "effect"
 * const recorded = SessionService.recordInbound({
 *   business: PhoneNumber.unsafeMake("+919876500001"),
 *   customer: PhoneNumber.unsafeMake("+919876543210"),
 *   messageId: "wamid.1",
 *   providerTimestamp: Option.some(DateTime.unsafeMake("2026-01-20T10:00:00+05:30"))
 * }) // Effect<InboundResult, StorageError, SessionStore | SessionConfig>
 * ```
 * @since 0.1.0
 * @category use cases
 */
export const recordInbound = (
  input: InboundInput
): Effect.Effect<InboundResult, StorageError, SessionStore | SessionConfig> =>
  Effect.gen(function*() {
    const content = input.content ?? UNKNOWN_CONTENT
    const item: Ingest.InboundItem = {
      _tag: "Inbound",
      business: input.business,
      customer: input.customer,
      messageId: input.messageId,
      providerTimestamp: input.providerTimestamp,
      contentType: typeof content.type === "string" && content.type !== "" ? content.type : "unknown",
      content,
      profileName: input.profileName ?? Option.none(),
      raw: {
        messageId: input.messageId,
        sentAt: Option.getOrNull(Option.map(input.providerTimestamp, DateTime.formatIso)),
        content
      }
    }
    const outcome = yield* ingest([item])
    const result = outcome.results[0]
    const prepared = outcome.prepared[0]
    if ((result?._tag !== "Inbound" && result?._tag !== "InboundWithoutWindow") || prepared?._tag !== "Inbound") {
      return yield* Effect.dieMessage("the store answered an inbound message with another kind of result")
    }
    // a message that opens no window (a system notice, say) on a pair that never had one: the empty window
    const window = result._tag === "Inbound" ? result.window : SessionWindow.empty({
      business: input.business,
      customer: input.customer
    })
    return { duplicate: result.duplicate, window, adjustment: prepared.timestampAdjustment }
  })
