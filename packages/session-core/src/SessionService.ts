/**
 * The use cases: record what customers send, answer what the window is, decide and send with a template
 * fallback, and apply delivery reports. Effects over the ports (`SessionStore`, `MessageSender`, `Ids`) and
 * Effect's `Clock`; adapters provide them, apps wire them.
 *
 * @since 0.1.0
 */
import * as Arr from "effect/Array"
import * as Context from "effect/Context"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as ClockSkew from "./ClockSkew.js"
import * as Decision from "./Decision.js"
import type { DecisionError } from "./Errors.js"
import { Ids } from "./Ids.js"
import * as Ingest from "./Ingest.js"
import { MessageSender, ProviderError } from "./MessageSender.js"
import * as Outbound from "./Outbound.js"
import type { Pair, PhoneNumber } from "./PhoneNumber.js"
import * as Pacing from "./Pacing.js"
import * as SendJobs from "./SendJobs.js"
import {
  type HistoryPage,
  type InvalidCursor,
  type Pruned,
  type RecoveredSends,
  SessionStore,
  type StorageError
} from "./SessionStore.js"
import * as SessionWindow from "./SessionWindow.js"
import * as WindowEvents from "./WindowEvents.js"

/**
 * Settings of the use cases.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionSettings {
  /** Close windows this long before their true expiry. */
  readonly safetyMargin: Duration.Duration
  /** How far a provider timestamp may be ahead of the receive time (clock-skew guard). */
  readonly skewTolerance: Duration.Duration
  /** Decide and store, send nothing. */
  readonly dryRun: boolean
  /** How long before a window stops being open `window.expiring` is due (zero: never). Since 0.2.0. */
  readonly expiringLead: Duration.Duration
  /** The provider's account limit that sends are paced under (default `Pacing.defaultPolicy`). Since 0.2.0. */
  readonly sendPacing?: Pacing.Policy | undefined
  /**
   * How long a send the provider did not take (unavailable, rate-limited) is tried again before it fails (default
   * `SEND_RETRY_FOR`, an hour; zero: it fails at once). Since 0.2.0.
   */
  readonly sendRetryFor?: Duration.Duration | undefined
}

/**
 * @since 0.1.0
 * @category tags
 */
export class SessionConfig extends Context.Tag("@wa-session/session-core/SessionConfig")<
  SessionConfig,
  SessionSettings
>() {}

/**
 * The defaults: no safety margin, 5 minutes of skew tolerance, real sends, `window.expiring` an hour ahead.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultSettings: SessionSettings = {
  safetyMargin: Duration.zero,
  skewTolerance: ClockSkew.DEFAULT_TOLERANCE,
  dryRun: false,
  expiringLead: WindowEvents.DEFAULT_EXPIRING_LEAD,
  sendPacing: Pacing.defaultPolicy
}

/**
 * The window-event policy of the settings.
 *
 * @since 0.2.0
 * @category getters
 */
export const policyOf = (settings: SessionSettings): WindowEvents.Policy => ({
  safetyMargin: settings.safetyMargin,
  expiringLead: settings.expiringLead
})

/**
 * @example
 * ```ts
 * import { SessionService } from "@wa-session/session-core"
 * import { Duration, Effect, Option } from "effect"
 * declare const pair: { business: PhoneNumber; customer: PhoneNumber }
 * // provide SessionStore, MessageSender and Ids from the adapters, and the settings:
 * const program = SessionService.windowStatus(pair).pipe(
 *   Effect.provide(SessionService.layerConfig({ safetyMargin: Duration.minutes(5) }))
 * )
 * ```
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (settings: Partial<SessionSettings> = {}): Layer.Layer<SessionConfig> =>
  Layer.succeed(SessionConfig, { ...defaultSettings, ...settings })

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
    const { items: results } = yield* store.ingest({
      now,
      policy: policyOf(settings),
      items: prepared,
      resolves: options.resolves ?? [],
      resend: { retryFor: settings.sendRetryFor ?? SEND_RETRY_FOR }
    })
    return { results, counts: Ingest.counts(results), prepared }
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

const loadWindow = (pair: Pair) =>
  Effect.flatMap(SessionStore, (store) => store.getWindow(pair)).pipe(
    Effect.map((window) => SessionWindow.fromOption(pair, window))
  )

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
 * A request to send `content` from a business number to a customer.
 *
 * @since 0.1.0
 * @category models
 */
export interface SendInput {
  readonly from: PhoneNumber
  readonly to: PhoneNumber
  readonly content: unknown
  readonly fallback?: unknown
  readonly idempotencyKey: Option.Option<string>
  /** Decide and store but send nothing (also forced by the `dryRun` setting). */
  readonly dryRun?: boolean
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SendResult {
  readonly message: Outbound.OutboundMessage
  /** true when the idempotency key was seen before: the first result, nothing sent again */
  readonly replayed: boolean
}

/**
 * The idempotency key was already used by the business for another request (another recipient, content, fallback or
 * dry-run flag: another `Outbound.requestFingerprint`). Nothing was stored or sent; `messageId` is the message the
 * key belongs to. A new message needs a new key.
 *
 * @since 0.2.0
 * @category errors
 */
export class IdempotencyKeyReused
  extends Schema.TaggedError<IdempotencyKeyReused>("@wa-session/session-core/IdempotencyKeyReused")(
    "IdempotencyKeyReused",
    { business: Schema.String, idempotencyKey: Schema.String, messageId: Schema.String }
  )
{
  /** @since 0.2.0 */
  readonly code = "IDEMPOTENCY_KEY_REUSED" as const
  /** @since 0.2.0 */
  override get message(): string {
    return `idempotency key "${this.idempotencyKey}" was already used for message ${this.messageId} with another ` +
      "request (recipient, content, fallback or dryRun); use a new key for a new message"
  }
}

/**
 * The stored message of a key seen before, as the answer to `fingerprint`: a replay when it is the same request (or
 * the message predates fingerprints), `IdempotencyKeyReused` when it is another one.
 */
const replay = (
  stored: Outbound.OutboundMessage,
  fingerprint: string,
  idempotencyKey: string
): Effect.Effect<SendResult, IdempotencyKeyReused> =>
  Option.isSome(stored.requestFingerprint) && stored.requestFingerprint.value !== fingerprint
    ? Effect.fail(new IdempotencyKeyReused({ business: stored.business, idempotencyKey, messageId: stored.id }))
    : Effect.succeed({ message: stored, replayed: true })

const createOutbound = (fields: {
  readonly id: string
  readonly pair: Pair
  readonly decision: Decision.Decision
  readonly idempotencyKey: Option.Option<string>
  readonly now: DateTime.Utc
  readonly dryRun: boolean
  readonly requestFingerprint: string
}) => {
  const status: Outbound.OutboundStatus = fields.dryRun ? "pending" : "queued"
  return new Outbound.OutboundMessage({
    id: fields.id,
    business: fields.pair.business,
    customer: fields.pair.customer,
    idempotencyKey: fields.idempotencyKey,
    decision: fields.decision.kind,
    reason: fields.decision.reason,
    windowState: fields.decision.window.state,
    windowExpiresAt: fields.decision.window.expiresAt,
    content: fields.decision.content,
    fallback: fields.decision.fallback,
    providerMessageId: Option.none(),
    status,
    history: [statusEvent(status, fields.now)],
    createdAt: fields.now,
    dryRun: fields.dryRun,
    fallbackMessageId: Option.none(),
    requestFingerprint: Option.some(fields.requestFingerprint)
  })
}

const statusEvent = (
  status: Outbound.OutboundStatus,
  at: DateTime.Utc,
  code: Option.Option<string> = Option.none(),
  detail: Option.Option<string> = Option.none()
) => new Outbound.StatusEvent({ status, at, code, detail })

const reload = (id: string) =>
  Effect.flatMap(SessionStore, (store) => store.findOutbound(id)).pipe(
    Effect.flatMap(Option.match({
      onNone: () => Effect.dieMessage(`outbound message ${id} vanished from the store`),
      onSome: Effect.succeed
    }))
  )

/** The provider error, naming the outbound message the caller's send stored (callers report it with the error). */
const naming = (error: ProviderError, outboundId: string): ProviderError =>
  new ProviderError({
    reason: error.reason,
    providerCode: error.providerCode,
    httpStatus: error.httpStatus,
    detail: error.detail,
    reengagement: error.reengagement,
    outboundId: Option.some(outboundId)
  })

const record = (id: string, event: Outbound.StatusEvent) =>
  Effect.flatMap(SessionStore, (store) => store.recordStatus({ _tag: "ById", id }, event, event.at))

const INTERRUPTED = "the send was stopped while its request was in flight (the server shut down): it may have " +
  "reached the provider, whose delivery report settles it"

const recordOutcome = (id: string, outcome: Either.Either<{ readonly providerMessageId: string }, ProviderError>) =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const at = yield* DateTime.now
    if (Either.isRight(outcome)) {
      yield* store.setProviderMessageId(id, outcome.right.providerMessageId)
      yield* record(id, statusEvent("accepted", at))
    } else if (outcome.left.reason === "Ambiguous") {
      yield* record(id, statusEvent("unknown", at, Option.none(), Option.some(outcome.left.detail)))
    } else {
      yield* record(id, statusEvent("failed", at, outcome.left.providerCode, Option.some(outcome.left.detail)))
    }
    yield* store.finishSend(id)
    const after = yield* reload(id)
    const result: Either.Either<Outbound.OutboundMessage, ProviderError> =
      Either.isLeft(outcome) && outcome.left.reason !== "Ambiguous" ? Either.left(outcome.left) : Either.right(after)
    return result
  })

/**
 * What `dispatch` did with a queued message: `Sent` (the provider accepted it, or its outcome is `unknown`: either
 * way it is not sent again), `Failed` (the provider refused it; `message` is the message that carries the outcome,
 * the fallback template's after a re-engagement refusal), `Deferred` (the provider is known not to have taken it
 * and was unavailable or rate-limiting: the job is queued again for later, see `sendRetryFor`; `message` is still
 * `queued`), or `NotClaimed` (it was not this caller's to send: not queued any more, not yet due, or not yet next in
 * its pair's line).
 *
 * @since 0.2.0
 * @category models
 */
export type Dispatched =
  | { readonly _tag: "Sent"; readonly message: Outbound.OutboundMessage }
  | { readonly _tag: "Failed"; readonly message: Outbound.OutboundMessage; readonly error: ProviderError }
  | { readonly _tag: "Deferred"; readonly message: Outbound.OutboundMessage; readonly error: ProviderError }
  | { readonly _tag: "NotClaimed" }

/**
 * How long a send job whose sends failed before the provider took it (unavailable, rate-limited) is tried again:
 * an hour, unless `SessionSettings.sendRetryFor` says otherwise.
 *
 * @since 0.2.0
 * @category constants
 */
export const SEND_RETRY_FOR: Duration.Duration = Duration.hours(1)

/**
 * When a job that failed before the provider took it is tried again, or `None` when its retry period is over or
 * the failure is not one to retry (only `Unavailable` and `RateLimited` are): `SendJobs.retryAt`.
 *
 * @example
 * ```ts
 * import { SessionService } from "@wa-session/session-core"
 * import { DateTime, Duration, Option } from "effect"
 * const created = DateTime.unsafeMake("2026-01-20T10:00:00Z")
 * SessionService.retryAt(created, DateTime.unsafeMake("2026-01-20T10:01:00Z"), "Unavailable", Duration.hours(1))
 * // Option.some(10:01:30): half of its minute of age
 * ```
 * @since 0.2.0
 * @category getters
 */
export const retryAt = (
  createdAt: DateTime.Utc,
  now: DateTime.Utc,
  reason: ProviderError["reason"],
  retryFor: Duration.Duration
): Option.Option<DateTime.Utc> =>
  reason === "Unavailable" || reason === "RateLimited" ? SendJobs.retryAt(createdAt, now, retryFor) : Option.none()

/**
 * Waits for a pacing slot, then starts and sends a claimed job, recording the outcome (`recordOutcome`). Only the wait
 * and the provider's request can be interrupted: during the wait the claim goes back to the queue (nothing was sent);
 * during the request the message becomes `unknown` (it may have reached the provider). Everything between is not
 * interruptible, so a job never ends started without its request, nor sent without its outcome recorded.
 */
const sendClaimed = (message: Outbound.OutboundMessage) =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const store = yield* SessionStore
      const settings = yield* SessionConfig
      const sender = yield* MessageSender
      const now = yield* DateTime.now
      const slot = yield* store.reserveSendSlot(now, settings.sendPacing ?? Pacing.defaultPolicy)
      const waited = yield* Effect.exit(restore(Effect.sleep(Duration.millis(Math.max(0, DateTime.distance(now, slot))))))
      if (Exit.isFailure(waited)) {
        yield* Effect.ignore(store.releaseSend(message.id))
        return yield* Effect.interrupt
      }
      if (!(yield* store.startSend(message.id, yield* DateTime.now))) return { _tag: "NotClaimed" } as const
      const sent = yield* Effect.exit(Effect.either(restore(sender.send({
        outboundId: message.id,
        idempotencyKey: message.idempotencyKey,
        from: message.business,
        to: message.customer,
        content: message.content
      }))))
      // stopped (or died) while the request was out: it may have reached the provider
      if (Exit.isFailure(sent)) {
        const at = yield* DateTime.now
        yield* Effect.ignore(record(message.id, statusEvent("unknown", at, Option.none(), Option.some(INTERRUPTED))))
        yield* Effect.ignore(store.finishSend(message.id))
        return yield* Effect.failCause(sent.cause)
      }
      if (Either.isLeft(sent.value)) {
        const error = sent.value.left
        const later = retryAt(message.createdAt, yield* DateTime.now, error.reason, settings.sendRetryFor ?? SEND_RETRY_FOR)
        if (Option.isSome(later)) {
          yield* store.retrySend(message.id, later.value)
          return { _tag: "Deferred", message: yield* reload(message.id), error } as const
        }
      }
      const outcome = yield* recordOutcome(message.id, sent.value)
      return yield* Either.match(outcome, {
        onRight: (done) => Effect.succeed<Dispatched>({ _tag: "Sent", message: done }),
        onLeft: (error) => restore(afterFailure(message, error))
      })
    })
  )

/** A definite failure: a re-engagement refusal closes the window and sends the fallback template, once. */
const afterFailure = (
  message: Outbound.OutboundMessage,
  error: ProviderError
): Effect.Effect<Dispatched, StorageError, SessionStore | SessionConfig | MessageSender> =>
  Effect.gen(function*() {
    const failed = yield* reload(message.id)
    if (!error.reengagement) return { _tag: "Failed", message: failed, error } as const
    const at = yield* DateTime.now
    const fallback = yield* afterReengagement(failed, at)
    return Option.match(fallback, {
      onNone: (): Dispatched => ({ _tag: "Failed", message: failed, error }),
      onSome: (dispatched) => dispatched._tag === "NotClaimed" ? { _tag: "Failed", message: failed, error } : dispatched
    })
  })

/**
 * Sends a queued message now, if it is this caller's to send: claims it (only when it is still queued and next in its
 * pair's line), waits for a slot under the pacing policy (shared by every server on the store), sends it and records
 * the outcome (see `Dispatched`). A re-engagement refusal closes the window and sends the message's fallback
 * template in the same way, once.
 *
 * @since 0.2.0
 * @category use cases
 */
export const dispatch = (
  id: string
): Effect.Effect<Dispatched, StorageError, SessionStore | SessionConfig | MessageSender> =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const [claimed] = yield* store.claimSends({ now: yield* DateTime.now, limit: 1, id })
    if (claimed === undefined) return { _tag: "NotClaimed" } as const
    return yield* sendClaimed(claimed)
  })

/**
 * Decides how to send (session message, fallback template, or refusal) from the window now and stores the outbound
 * message with the request's fingerprint, as a send job (`queued`) unless in dry-run (`pending`, never sent). The
 * same idempotency key with the same request (`Outbound.requestFingerprint`: from, to, content, fallback, dryRun;
 * field order does not matter) returns the first message (`replayed`) and stores nothing; with another request it
 * fails with `IdempotencyKeyReused` and stores nothing (a message stored before fingerprints existed replays).
 * `dispatch` (or the send worker, `sendQueued`) sends what it queued.
 *
 * @since 0.2.0
 * @category use cases
 */
export const submit = (
  input: SendInput
): Effect.Effect<SendResult, DecisionError | IdempotencyKeyReused | StorageError, SessionStore | SessionConfig | Ids> =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const settings = yield* SessionConfig
    const pair = { business: input.from, customer: input.to } as Pair
    const fingerprint = Outbound.requestFingerprint(input)
    if (Option.isSome(input.idempotencyKey)) {
      const previous = yield* store.findOutboundByIdempotencyKey(input.from, input.idempotencyKey.value)
      if (Option.isSome(previous)) return yield* replay(previous.value, fingerprint, input.idempotencyKey.value)
    }
    const now = yield* DateTime.now
    const window = yield* loadWindow(pair)
    const decision = yield* Decision.decide(window, input.content, now, {
      safetyMargin: settings.safetyMargin,
      fallback: input.fallback
    })
    const dryRun = settings.dryRun || input.dryRun === true
    const id = yield* Effect.flatMap(Ids, (ids) => ids.next)
    const outbound = createOutbound({
      id,
      pair,
      decision,
      idempotencyKey: input.idempotencyKey,
      now,
      dryRun,
      requestFingerprint: fingerprint
    })
    const inserted = yield* store.insertOutbound(outbound, { queued: !dryRun })
    // a request with the same key was stored meanwhile: the same rule as above (without a key only an id clash
    // answers this, and the stored message is returned, as it always was)
    if (!inserted.inserted) {
      return yield* Option.match(input.idempotencyKey, {
        onNone: () => Effect.succeed({ message: inserted.message, replayed: true }),
        onSome: (key) => replay(inserted.message, fingerprint, key)
      })
    }
    return { message: inserted.message, replayed: false }
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
 * The provider said the window is over: close it (provider truth) and, for a session message with a fallback
 * template, send that template once. `None` when there is nothing to send (or it was already sent).
 */
const afterReengagement = (
  message: Outbound.OutboundMessage,
  at: DateTime.Utc
): Effect.Effect<Option.Option<Dispatched>, StorageError, SessionStore | SessionConfig | MessageSender> =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const settings = yield* SessionConfig
    const pair = { business: message.business, customer: message.customer } as Pair
    yield* store.closeByProvider(pair, at, yield* DateTime.now, policyOf(settings))
    const fallback = Outbound.fallbackFor(message, yield* DateTime.now)
    if (Option.isNone(fallback)) return Option.none()
    if (!(yield* store.claimFallback(message.id, fallback.value.id))) return Option.none()
    // a report of the same failure may have queued it meanwhile (same id): then the send worker sends it, once
    if (!(yield* store.insertOutbound(fallback.value, { queued: true })).inserted) return Option.none()
    return Option.some(yield* dispatch(fallback.value.id))
  })

/**
 * What a round of queued sends did: accepted by the provider, failed, sent with an `unknown` outcome, and deferred.
 *
 * @since 0.2.0
 * @category models
 */
export interface SendRound {
  readonly sent: number
  readonly failed: number
  readonly unknown: number
  /** queued again for later: the provider was unavailable or rate-limiting (since 0.2.0) */
  readonly deferred: number
}

/**
 * Sends up to `limit` queued messages, one after the other, each claimed when it is next in its pair's line and
 * paced like `dispatch`; outcomes are recorded on the messages (with their `message.status` events).
 *
 * @since 0.2.0
 * @category use cases
 */
export const sendQueued = (
  limit: number
): Effect.Effect<SendRound, StorageError, SessionStore | SessionConfig | MessageSender> =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const round = { sent: 0, failed: 0, unknown: 0, deferred: 0 }
    for (let i = 0; i < limit; i++) {
      const [claimed] = yield* store.claimSends({ now: yield* DateTime.now, limit: 1 })
      if (claimed === undefined) break
      const outcome = yield* sendClaimed(claimed)
      if (outcome._tag === "Failed") round.failed++
      else if (outcome._tag === "Deferred") round.deferred++
      else if (outcome._tag === "Sent" && outcome.message.status === "unknown") round.unknown++
      else if (outcome._tag === "Sent") round.sent++
    }
    return round
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

const reloadQuarantine = (id: string) =>
  Effect.flatMap(SessionStore, (store) => store.findQuarantine(id)).pipe(
    Effect.flatMap(Option.match({
      onNone: () => Effect.dieMessage(`quarantine entry ${id} vanished from the store`),
      onSome: Effect.succeed
    }))
  )
