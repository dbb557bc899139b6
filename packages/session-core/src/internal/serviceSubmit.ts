// Deciding and storing a send request (`submit`), once per idempotency key.
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Decision from "../Decision.js"
import { type DecisionError, InvalidMessage, Violation } from "../Errors.js"
import { Ids } from "../Ids.js"
import * as Outbound from "../Outbound.js"
import * as Parking from "../Parking.js"
import type { Pair, PhoneNumber } from "../PhoneNumber.js"
import { SessionStore, type StorageError } from "../SessionStore.js"
import { statusEvent } from "./serviceDispatch.js"
import { loadWindow } from "./serviceReads.js"
import { SessionConfig } from "./serviceSettings.js"

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
  /**
   * `"park"`: a session message for a window that is not open waits for the customer's next message, and the
   * fallback becomes the re-engagement template (see `Parking`). Since 0.2.0.
   */
  readonly whenClosed?: "park" | "fallback" | undefined
  /** How long a parked message waits (default `Parking.DEFAULT_TTL`, at most `Parking.MAX_TTL`). Since 0.2.0. */
  readonly ttl?: Duration.Duration | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SendResult {
  readonly message: Outbound.OutboundMessage
  /** true when the idempotency key was seen before: the first result, nothing sent again */
  readonly replayed: boolean
  /** the re-engagement template this request queued for a parked message (since 0.2.0) */
  readonly reengagement?: Option.Option<Outbound.OutboundMessage> | undefined
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
  readonly parkedUntil: Option.Option<DateTime.Utc>
}) => {
  const status: Outbound.OutboundStatus = Option.isSome(fields.parkedUntil)
    ? "parked"
    : fields.dryRun
    ? "pending"
    : "queued"
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
    requestFingerprint: Option.some(fields.requestFingerprint),
    parkedUntil: fields.parkedUntil
  })
}

/** A `ttl` out of bounds is bad input like the content's: one violation naming the field, the limit and the value. */
const invalidTtl = (error: Parking.InvalidTtl): InvalidMessage =>
  new InvalidMessage({
    violations: [
      new Violation({
        path: error.field,
        message: `${error.seconds} seconds: a parked message waits over 0 and at most ${error.limit} seconds (30 days)`,
        limit: error.limit,
        actual: error.seconds
      })
    ]
  })

/**
 * The suffix of a re-engagement template's id: the parked message's id and this.
 *
 * @since 0.2.0
 * @category constants
 */
export const REENGAGE_SUFFIX = "-reengage"

/** The re-engagement template of a parked message: its fallback, as a queued template message of the pair. */
const reengagementOf = (parked: Outbound.OutboundMessage, now: DateTime.Utc): Option.Option<Outbound.OutboundMessage> =>
  Option.map(parked.fallback, (template) =>
    new Outbound.OutboundMessage({
      ...parked,
      id: `${parked.id}${REENGAGE_SUFFIX}`,
      idempotencyKey: Option.none(),
      decision: "template",
      content: template,
      fallback: Option.none(),
      status: parked.dryRun ? "pending" : "queued",
      history: [statusEvent(parked.dryRun ? "pending" : "queued", now)],
      createdAt: now,
      requestFingerprint: Option.none(),
      parkedUntil: Option.none()
    }))

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
): Effect.Effect<
  SendResult,
  DecisionError | IdempotencyKeyReused | StorageError,
  SessionStore | SessionConfig | Ids
> =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const settings = yield* SessionConfig
    const pair = { business: input.from, customer: input.to }
    const ttl = input.whenClosed === "park"
      ? yield* Either.mapLeft(Parking.ttl(Option.fromNullable(input.ttl)), invalidTtl)
      : Parking.DEFAULT_TTL
    const fingerprint = Outbound.requestFingerprint({
      ...input,
      ttlSeconds: input.ttl === undefined ? undefined : Duration.toSeconds(input.ttl)
    })
    if (Option.isSome(input.idempotencyKey)) {
      const previous = yield* store.findOutboundByIdempotencyKey(input.from, input.idempotencyKey.value)
      if (Option.isSome(previous)) return yield* replay(previous.value, fingerprint, input.idempotencyKey.value)
    }
    const now = yield* DateTime.now
    const window = yield* loadWindow(pair)
    const decision = yield* Decision.decide(window, input.content, now, {
      safetyMargin: settings.safetyMargin,
      fallback: input.fallback,
      whenClosed: input.whenClosed
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
      requestFingerprint: fingerprint,
      parkedUntil: decision.parked ? Option.some(DateTime.addDuration(now, ttl)) : Option.none()
    })
    if (decision.parked) {
      const parked = yield* store.park({
        message: outbound,
        reengagement: reengagementOf(outbound, now),
        now,
        safetyMargin: settings.safetyMargin,
        policy: { reengageInterval: settings.reengageInterval ?? Parking.defaultPolicy.reengageInterval }
      })
      // the customer wrote meanwhile: the window is open now, so the message goes as a session message
      if (parked._tag === "WindowOpen") return yield* submit(input)
      if (!parked.inserted) return yield* answerTaken(parked.message, input.idempotencyKey, fingerprint)
      return { message: parked.message, replayed: false, reengagement: parked.reengagement }
    }
    const inserted = yield* store.insertOutbound(outbound, { queued: !dryRun })
    // a request with the same key was stored meanwhile
    if (!inserted.inserted) return yield* answerTaken(inserted.message, input.idempotencyKey, fingerprint)
    return { message: inserted.message, replayed: false }
  })

/**
 * The answer when the insert found the key (or, without a key, the id) taken meanwhile: the same rule as a key seen
 * before (without a key only an id clash answers this, and the stored message is returned, as it always was).
 */
const answerTaken = (
  stored: Outbound.OutboundMessage,
  idempotencyKey: Option.Option<string>,
  fingerprint: string
): Effect.Effect<SendResult, IdempotencyKeyReused> =>
  Option.match(idempotencyKey, {
    onNone: () => Effect.succeed({ message: stored, replayed: true }),
    onSome: (key) => replay(stored, fingerprint, key)
  })
