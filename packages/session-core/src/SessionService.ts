/**
 * The use cases: record what customers send, answer what the window is, decide and send with a template
 * fallback, and apply delivery reports. Effects over the ports (`SessionStore`, `MessageSender`, `Ids`) and
 * Effect's `Clock`; adapters provide them, apps wire them.
 *
 * @since 0.1.0
 */
import * as Arr from "effect/Array"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { DecisionError } from "./Errors.js"
import type { Ids } from "./Ids.js"
import * as Ingest from "./Ingest.js"
import { dispatch, naming } from "./internal/serviceDispatch.js"
import { ingest } from "./internal/serviceInbound.js"
import { loadWindow, reload, reloadQuarantine } from "./internal/serviceReads.js"
import { policyOf, SessionConfig } from "./internal/serviceSettings.js"
import { type IdempotencyKeyReused, type SendInput, type SendResult, submit } from "./internal/serviceSubmit.js"
import type { MessageSender, ProviderError } from "./MessageSender.js"
import * as Outbound from "./Outbound.js"
import type { Pair, PhoneNumber } from "./PhoneNumber.js"
import {
  type CancelResult,
  type HistoryPage,
  type InvalidCursor,
  type Pruned,
  type RecoveredSends,
  SessionStore,
  type StorageError
} from "./SessionStore.js"
import * as SessionWindow from "./SessionWindow.js"

export { dispatch, type Dispatched, retryAt, sendQueued, type SendRound } from "./internal/serviceDispatch.js"
export {
  type InboundInput,
  type InboundResult,
  ingest,
  type IngestOutcome,
  type PreparedInbound,
  prepareInbound,
  recordInbound
} from "./internal/serviceInbound.js"
export {
  defaultSettings,
  layerConfig,
  policyOf,
  SEND_RETRY_FOR,
  SessionConfig,
  type SessionSettings
} from "./internal/serviceSettings.js"
export { IdempotencyKeyReused, type SendInput, type SendResult, submit } from "./internal/serviceSubmit.js"

/**
 * The window of a pair now.
 *
 * @example
 * ```ts
 * import { PhoneNumber, SessionService } from "@wa-session/session-core"
 * import { Effect } from "effect"
 * const state = SessionService.windowStatus(new PhoneNumber.Pair({
 *   business: PhoneNumber.unsafeMake("+919876500001"),
 *   customer: PhoneNumber.unsafeMake("+919876543210")
 * })).pipe(Effect.map((status) => status.state)) // "none" | "open" | "expired"
 * ```
 * @since 0.1.0
 * @category use cases
 */
export const windowStatus = (
  pair: Pair
): Effect.Effect<SessionWindow.WindowStatus, StorageError, SessionStore | SessionConfig> =>
  Effect.gen(function*() {
    const settings = yield* SessionConfig
    const window = yield* loadWindow(pair)
    return SessionWindow.statusAt(window, yield* DateTime.now, settings)
  })

/**
 * Why the window of a pair is what it is now.
 *
 * @example
 * ```ts
 * import { SessionService } from "@wa-session/session-core"
 * import { Effect } from "effect"
 * declare const pair: PhoneNumber.Pair
 * const why = SessionService.explainWindow(pair).pipe(Effect.map((e) => e.summary))
 * ```
 * @since 0.1.0
 * @category use cases
 */
export const explainWindow = (
  pair: Pair
): Effect.Effect<SessionWindow.Explanation, StorageError, SessionStore | SessionConfig> =>
  Effect.gen(function*() {
    const settings = yield* SessionConfig
    const window = yield* loadWindow(pair)
    return SessionWindow.explain(window, yield* DateTime.now, settings)
  })

/**
 * @since 0.1.0
 * @category models
 */
export interface ExpiringInput {
  readonly within: Duration.Duration
  readonly business: Option.Option<PhoneNumber>
  readonly limit: number
  readonly cursor: Option.Option<string>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ExpiringResult {
  readonly items: ReadonlyArray<SessionWindow.WindowStatus>
  readonly nextCursor: Option.Option<string>
}

/**
 * Open windows that close within `within`, soonest first: the follow-ups to plan.
 *
 * @example
 * ```ts
 * import { SessionService } from "@wa-session/session-core"
 * import { Duration, Option } from "effect"
 * const soon = SessionService.listExpiring({
 *   within: Duration.hours(2),
 *   business: Option.none(),
 *   limit: 50,
 *   cursor: Option.none()
 * })
 * ```
 * @since 0.1.0
 * @category use cases
 */
export const listExpiring = (
  input: ExpiringInput
): Effect.Effect<ExpiringResult, StorageError | InvalidCursor, SessionStore | SessionConfig> =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const settings = yield* SessionConfig
    const now = yield* DateTime.now
    const page = yield* store.listExpiring({
      now,
      horizon: input.within,
      safetyMargin: settings.safetyMargin,
      business: input.business,
      limit: input.limit,
      cursor: input.cursor
    })
    return {
      items: page.items.map((window) => SessionWindow.statusAt(window, now, settings)),
      nextCursor: page.nextCursor
    }
  })

/**
 * `submit`, then `dispatch` of what it queued: the message as it left (`accepted`, or `unknown` when the provider's
 * answer was lost), or still `queued` when it was not next in its pair's line (the send worker sends it). A provider
 * failure is recorded on the message (status `failed`) and returned, naming the message; a re-engagement refusal
 * closes the window and answers with the fallback template when there is one.
 *
 * @example
 * ```ts
 * import { PhoneNumber, SessionService } from "@wa-session/session-core"
 * import { Option } from "effect"
 * const result = SessionService.send({
 *   from: PhoneNumber.unsafeMake("+919876500001"),
 *   to: PhoneNumber.unsafeMake("+919876543210"),
 *   content: { type: "text", text: { body: "Your order is arriving tomorrow!" } },
 *   fallback: { type: "template", template: { name: "follow_up", language: { code: "en" } } },
 *   idempotencyKey: Option.some("order-12345-update")
 * }) // fails with SessionExpired / NoActiveSession only when there is no fallback
 * ```
 * @since 0.1.0
 * @category use cases
 */
export const send = (
  input: SendInput
): Effect.Effect<
  SendResult,
  DecisionError | IdempotencyKeyReused | ProviderError | StorageError,
  SessionStore | SessionConfig | MessageSender | Ids
> =>
  Effect.gen(function*() {
    const submitted = yield* submit(input)
    if (submitted.replayed || submitted.message.dryRun) return submitted
    if (Outbound.isParked(submitted.message)) {
      // the re-engagement template's outcome is its own (a failure does not fail the parking)
      const reengagement = Option.flatten(Option.fromNullable(submitted.reengagement))
      yield* Effect.forEach(Option.toArray(reengagement), (template) => dispatch(template.id), { discard: true })
      return submitted
    }
    const dispatched = yield* dispatch(submitted.message.id)
    switch (dispatched._tag) {
      case "Sent":
        return { message: dispatched.message, replayed: false }
      case "NotClaimed":
        return { message: yield* reload(submitted.message.id), replayed: false }
      case "Deferred":
        return { message: dispatched.message, replayed: false }
      case "Failed":
        return yield* Effect.fail(naming(dispatched.error, submitted.message.id))
    }
  })

/**
 * How long a claimed or started send job may stay so before `recoverSends` takes it as abandoned (its holder died):
 * well above a pacing wait plus the provider's overall send deadline plus a shutdown.
 *
 * @since 0.2.0
 * @category constants
 */
export const SEND_LEASE: Duration.Duration = Duration.minutes(2)

/**
 * Settles the send jobs whose holder died (`SessionStore.recoverSends`): claims older than `lease` go back to the
 * queue, sends started before that become `unknown`.
 *
 * @since 0.2.0
 * @category use cases
 */
export const recoverSends = (
  lease: Duration.Duration = SEND_LEASE
): Effect.Effect<RecoveredSends, StorageError, SessionStore> =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const now = yield* DateTime.now
    return yield* store.recoverSends(DateTime.subtractDuration(now, lease), now)
  })

/**
 * Records the window events that are due now (`window.expiring`, and `window.closed` for windows that ran out), at
 * most `limit` windows' worth; the number of events recorded. A scheduler calls it every few seconds.
 *
 * @since 0.2.0
 * @category use cases
 */
export const emitDueWindowEvents = (
  limit: number
): Effect.Effect<number, StorageError, SessionStore | SessionConfig> =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const settings = yield* SessionConfig
    return yield* store.emitDueWindowEvents(yield* DateTime.now, policyOf(settings), limit)
  })

/**
 * Cancels a parked message now (`SessionStore.cancelParked`): `None` when there is no such message; `cancelled:
 * false` with the message as it is when it already left the parking (released, expired, cancelled) or never parked.
 *
 * @since 0.2.0
 * @category use cases
 */
export const cancelParked = (
  id: string
): Effect.Effect<Option.Option<CancelResult>, StorageError, SessionStore> =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    return yield* store.cancelParked(id, yield* DateTime.now)
  })

/**
 * Ends the parked messages whose time to live is over now (`expired`, each with its `message.expired` event), at
 * most `limit`; how many. A scheduler calls it every few seconds.
 *
 * @since 0.2.0
 * @category use cases
 */
export const expireParked = (limit: number): Effect.Effect<number, StorageError, SessionStore> =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    return yield* store.expireParked(yield* DateTime.now, limit)
  })

/**
 * Removes personal data older than `retention`, at most `limit` rows of each kind (call again while `isPartial`
 * says so): messages' content and dedup ids, delivered events, quarantine entries. Windows are kept.
 *
 * @since 0.2.0
 * @category use cases
 */
export const prune = (
  retention: Duration.Duration,
  limit: number
): Effect.Effect<Pruned, StorageError, SessionStore> =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    return yield* store.prune(DateTime.subtractDuration(yield* DateTime.now, retention), limit)
  })

/**
 * True when a run of `prune` with this `limit` may have left rows behind (a count reached the limit).
 *
 * @since 0.2.0
 * @category use cases
 */
export const isPartial = (pruned: Pruned, limit: number): boolean =>
  Math.max(pruned.inbound, pruned.outbound, pruned.deliveries, pruned.events, pruned.quarantine) >= limit

/**
 * A pair's messages, inbound and outbound, newest first.
 *
 * @since 0.2.0
 * @category use cases
 */
export const history = (
  pair: Pair,
  limit: number,
  cursor: Option.Option<string>
): Effect.Effect<HistoryPage, StorageError | InvalidCursor, SessionStore> =>
  Effect.flatMap(SessionStore, (store) => store.listMessages(pair, limit, cursor))

/**
 * No quarantine entry has this id.
 *
 * @since 0.2.0
 * @category errors
 */
export class QuarantineNotFound
  extends Schema.TaggedError<QuarantineNotFound>("@wa-session/session-core/QuarantineNotFound")(
    "QuarantineNotFound",
    { id: Schema.String }
  )
{
  /** @since 0.2.0 */
  readonly code = "QUARANTINE_NOT_FOUND" as const
  /** @since 0.2.0 */
  override get message(): string {
    return `no quarantine entry ${this.id}`
  }
}

/**
 * What a retry did: the entry is `resolved` (its items were recorded, `results`) or still `quarantined` with the
 * `reason` the decoder gives now.
 *
 * @since 0.2.0
 * @category models
 */
export interface RetryOutcome {
  readonly entry: Ingest.QuarantineEntry
  readonly results: ReadonlyArray<Ingest.ItemResult>
}

/**
 * How many items a quarantine retry records per transaction.
 *
 * @since 0.2.0
 * @category constants
 */
export const RETRY_BATCH_ITEMS = 1000

/**
 * Tries a quarantine entry again with today's decoder (`decode`: the provider adapter's, for the entry's raw text):
 * when it now decodes, its items are recorded as a webhook's would be and the entry is resolved in the same
 * transaction; when it does not, it stays quarantined with the new reason. A resolved entry is left as it is.
 *
 * @since 0.2.0
 * @category use cases
 */
export const retryQuarantined = (
  id: string,
  decode: (entry: Ingest.QuarantineEntry) => ReadonlyArray<Ingest.Item>
): Effect.Effect<RetryOutcome, QuarantineNotFound | StorageError, SessionStore | SessionConfig> =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const found = yield* store.findQuarantine(id)
    if (Option.isNone(found)) return yield* new QuarantineNotFound({ id })
    const entry = found.value
    if (entry.state === "resolved") return { entry, results: [] }
    const items = decode(entry)
    const [only] = items
    if (items.length === 1 && only?._tag === "Undecodable" && Ingest.rawText(only.raw) === entry.raw) {
      yield* store.requarantine(id, only.reason)
      return { entry: yield* reloadQuarantine(id), results: [] }
    }
    // a whole body can hold many items: recorded in batches of a webhook's usual size, the entry settled with the
    // last one (a batch that fails leaves it quarantined; a later retry finds the earlier ones as duplicates)
    const batches = Arr.chunksOf(items, RETRY_BATCH_ITEMS)
    const results: Array<Ingest.ItemResult> = []
    for (const [index, batch] of (batches.length === 0 ? [[]] : batches).entries()) {
      const last = index >= batches.length - 1
      results.push(...(yield* ingest(batch, { resolves: last ? [id] : [] })).results)
    }
    const outcome = { results }
    const after = yield* reloadQuarantine(id)
    // recorded, but this entry came out quarantined again (a report whose message is still unknown): one more retry
    if (after.state === "quarantined") {
      yield* store.requarantine(id, after.reason)
      return { entry: yield* reloadQuarantine(id), results: outcome.results }
    }
    return { entry: after, results: outcome.results }
  })
