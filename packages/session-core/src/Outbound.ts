/**
 * Outbound messages: what was decided and sent, and how its delivery status moves.
 *
 * @since 0.1.0
 */
import type * as DateTime from "effect/DateTime"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { hash128 } from "./internal/hash.js"
import { MessageContent } from "./MessageContent.js"
import { PhoneNumber } from "./PhoneNumber.js"
import { WindowState } from "./SessionWindow.js"

/**
 * How a message goes out: as a free-form session message or as a template.
 *
 * @since 0.1.0
 * @category models
 */
export const DecisionKind = Schema.Literal("session", "template")

/**
 * @since 0.1.0
 * @category models
 */
export type DecisionKind = typeof DecisionKind.Type

/**
 * Why a session message went out as its fallback template.
 *
 * @since 0.1.0
 * @category models
 */
export const FallbackReason = Schema.Literal("SESSION_EXPIRED", "NO_ACTIVE_SESSION")

/**
 * @since 0.1.0
 * @category models
 */
export type FallbackReason = typeof FallbackReason.Type

/**
 * The delivery status of an outbound message. `queued`: stored as a send job, not yet answered by the provider (since
 * 0.2.0); `pending`: a dry-run message (and, before 0.2.0, any message before the provider answered); `unknown`: the
 * request may have reached the provider and its answer was lost, so it is never sent again and waits for the
 * delivery report that settles it (since 0.2.0); `accepted` once the provider took the message, then `sent` <
 * `delivered` < `read`; `failed` is terminal. A message parked for a closed window (`"whenClosed": "park"`, since
 * 0.2.0) is `parked` until the customer's next message releases it (then `queued`), or ends `expired` (its time to
 * live ran out) or `cancelled` (the business cancelled it); neither was ever sent.
 *
 * @since 0.1.0
 * @category models
 */
export const OutboundStatus = Schema.Literal(
  "parked",
  "queued",
  "pending",
  "unknown",
  "accepted",
  "sent",
  "delivered",
  "read",
  "failed",
  "expired",
  "cancelled"
)

/**
 * @since 0.1.0
 * @category models
 */
export type OutboundStatus = typeof OutboundStatus.Type

// parked ranks below 0 and the two ends of a parked message above failed, so that the ranks stored before 0.2.0's
// parking kept their meaning (no migration rewrote them)
const RANK: Record<OutboundStatus, number> = {
  parked: -1,
  queued: 0,
  pending: 1,
  unknown: 2,
  accepted: 3,
  sent: 4,
  delivered: 5,
  read: 6,
  failed: 7,
  expired: 8,
  cancelled: 9
}

/**
 * The order of statuses: a status replaces another only when its rank is higher, so the final status does not
 * depend on the order callbacks arrive in, and `failed` (the highest) is terminal. `unknown` ranks below `accepted`
 * and the reported statuses, so whatever the provider reports settles it. The ranks are stored with the rows: they
 * changed in 0.2.0 (a migration rewrote them).
 *
 * @example
 * ```ts
 * import { Outbound } from "@wa-session/session-core"
 * Outbound.rank("read") > Outbound.rank("delivered") // true
 * Outbound.advances("failed", "read") // false: failed is terminal
 * ```
 * @since 0.1.0
 * @category getters
 */
export const rank = (status: OutboundStatus): number => RANK[status]

/**
 * Whether a report of `next` moves a message now in `current` forward.
 *
 * @since 0.1.0
 * @category predicates
 */
export const advances = (current: OutboundStatus, next: OutboundStatus): boolean => RANK[next] > RANK[current]

/**
 * A status history as a store keeps it: each status once (the first report of it wins), in rank order.
 *
 * @since 0.2.0
 * @category combinators
 */
export const normalizeHistory = (history: ReadonlyArray<StatusEvent>): ReadonlyArray<StatusEvent> => {
  const seen = new Set<OutboundStatus>()
  return history.filter((event) => {
    if (seen.has(event.status)) return false
    seen.add(event.status)
    return true
  }).sort((a, b) => RANK[a.status] - RANK[b.status])
}

/**
 * One status a message reached, with the provider's code and description when it gave them.
 *
 * @since 0.1.0
 * @category models
 */
export class StatusEvent extends Schema.Class<StatusEvent>("@wa-session/session-core/StatusEvent")({
  status: OutboundStatus,
  at: Schema.DateTimeUtc,
  code: Schema.OptionFromNullOr(Schema.String),
  detail: Schema.OptionFromNullOr(Schema.String)
}) {}

/**
 * An outbound message as stored. `windowState` and `windowExpiresAt` are the window at decision time. `content` is
 * what was (or would have been, in dry-run) sent; `fallback` the
 * template to send if the provider later reports the window closed; `fallbackMessageId` the id of that template
 * message once it was sent (at most once). `requestFingerprint` (since 0.2.0) is the `requestFingerprint` of the send
 * request that created the message: what a later request with the same idempotency key is compared with. It is
 * `None` for messages stored before 0.2.0 and for messages no send request created (fallback templates); it is
 * optional in the constructor and in the encoded form. `parkedUntil` (since 0.2.0, optional the same way): for a message
 * parked for a closed window, the end of its time to live.
 *
 * @since 0.1.0
 * @category models
 */
export class OutboundMessage extends Schema.Class<OutboundMessage>("@wa-session/session-core/OutboundMessage")({
  id: Schema.NonEmptyString,
  business: PhoneNumber,
  customer: PhoneNumber,
  idempotencyKey: Schema.OptionFromNullOr(Schema.String),
  decision: DecisionKind,
  reason: Schema.OptionFromNullOr(FallbackReason),
  windowState: WindowState,
  windowExpiresAt: Schema.OptionFromNullOr(Schema.DateTimeUtc),
  content: MessageContent,
  fallback: Schema.OptionFromNullOr(MessageContent),
  providerMessageId: Schema.OptionFromNullOr(Schema.String),
  status: OutboundStatus,
  history: Schema.Array(StatusEvent),
  createdAt: Schema.DateTimeUtc,
  dryRun: Schema.Boolean,
  fallbackMessageId: Schema.OptionFromNullOr(Schema.String),
  requestFingerprint: Schema.optionalWith(Schema.String, { as: "Option", nullable: true }).pipe(
    Schema.withConstructorDefault(() => Option.none<string>())
  ),
  parkedUntil: Schema.optionalWith(Schema.DateTimeUtc, { as: "Option", nullable: true }).pipe(
    Schema.withConstructorDefault(() => Option.none<DateTime.Utc>())
  )
}) {}

/**
 * Whether a message is waiting for its pair's window (`parked`).
 *
 * @since 0.2.0
 * @category predicates
 */
export const isParked = (message: OutboundMessage): boolean => message.status === "parked"

/**
 * A parked message moved to `status` at `at`, with the move appended to its history: `expired` (its time to live ran
 * out), `cancelled`, or what `release` gives.
 *
 * @since 0.2.0
 * @category constructors
 */
export const moveTo = (
  message: OutboundMessage,
  status: OutboundStatus,
  at: DateTime.Utc
): { readonly message: OutboundMessage; readonly event: StatusEvent } => {
  const event = new StatusEvent({ status, at, code: Option.none(), detail: Option.none() })
  return { message: new OutboundMessage({ ...message, status, history: [...message.history, event] }), event }
}

/**
 * A parked message released at `at`: `queued`, to be sent as a session message (`pending` in a dry run: decided,
 * never sent).
 *
 * @since 0.2.0
 * @category constructors
 */
export const release = (
  message: OutboundMessage,
  at: DateTime.Utc
): { readonly message: OutboundMessage; readonly event: StatusEvent } =>
  moveTo(message, message.dryRun ? "pending" : "queued", at)

/**
 * When a message was last queued to be sent: its release for a message that was parked, else its creation. A send
 * job's retry period counts from here.
 *
 * @since 0.2.0
 * @category getters
 */
export const queuedAt = (message: OutboundMessage): DateTime.Utc =>
  message.history.find((event) => event.status === "queued")?.at ?? message.createdAt

/**
 * What a send request asked for, as `requestFingerprint` reads it (`SessionService.SendInput` is one): the numbers,
 * the content and the fallback as the caller gave them (JSON values), and whether the caller asked for a dry run.
 *
 * @since 0.2.0
 * @category models
 */
export interface FingerprintInput {
  readonly from: string
  readonly to: string
  readonly content: unknown
  readonly fallback?: unknown
  readonly dryRun?: boolean | undefined
  /** `"park"`: park the message when the window is not open (since 0.2.0) */
  readonly whenClosed?: "park" | "fallback" | undefined
  /** the time to live of a parked message, in seconds, as requested (since 0.2.0) */
  readonly ttlSeconds?: number | undefined
}

/** JSON with every object's keys sorted, recursively; a bigint as its decimal string. */
const canonical = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(canonical)
  if (typeof value === "bigint") return value.toString()
  if (typeof value !== "object" || value === null) return value
  // fromEntries defines own properties, so even a "__proto__" key stays a key
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical(Reflect.get(value, key))]))
}

/**
 * The fingerprint of a send request: a stable 128-bit hash (32 hex digits) of the canonical JSON of `from`, `to`,
 * `content`, `fallback` (absent is `null`) and the `dryRun` flag (absent is `false`), and for a request that parks
 * (`whenClosed: "park"`) that and its `ttl`. Canonical means every object's
 * keys sorted, recursively, so the order of the fields in the client's JSON does not matter; an absent field and
 * one that is `undefined` are the same. The numbers are compared as given (the use case passes them normalized).
 * It is stored with the message (`OutboundMessage.requestFingerprint`): a request with the same idempotency key and
 * another fingerprint is another request, refused with `IDEMPOTENCY_KEY_REUSED`. Changing what it covers would
 * refuse retries of messages stored before the change: it is part of the stored contract.
 *
 * @example
 * ```ts
 * import { Outbound } from "@wa-session/session-core"
 * const a = Outbound.requestFingerprint({
 *   from: "+919876500001",
 *   to: "+919876543210",
 *   content: { type: "text", text: { body: "Hi", preview_url: false } }
 * })
 * const b = Outbound.requestFingerprint({
 *   from: "+919876500001",
 *   to: "+919876543210",
 *   content: { text: { preview_url: false, body: "Hi" }, type: "text" },
 *   dryRun: false
 * })
 * a === b // true: same request, fields in another order
 * ```
 * @since 0.2.0
 * @category constructors
 */
export const requestFingerprint = (input: FingerprintInput): string =>
  hash128(JSON.stringify(canonical({
    from: input.from,
    to: input.to,
    content: input.content,
    fallback: input.fallback ?? null,
    dryRun: input.dryRun === true,
    // only when asked for, so that the fingerprints of requests that do not park stay what they were
    ...(input.whenClosed === "park" ? { whenClosed: "park", ttl: input.ttlSeconds ?? null } : {})
  })))

/**
 * The fallback template to send for `original` after the provider refused it because the window is over: for a
 * session message with a fallback template that was really sent (not dry-run), a template message of the same pair
 * with the id `<original id>-fallback` (one per original, wherever it is created), created at `now`. `None` when
 * there is nothing to send.
 *
 * @example
 * ```ts
 * import { Outbound } from "@wa-session/session-core"
 * import { DateTime } from "effect"
 * declare const refused: Outbound.OutboundMessage // Exotel answered 30018
 * Outbound.fallbackFor(refused, DateTime.unsafeMake("2026-01-21T11:30:05+05:30"))
 * ```
 * @since 0.2.0
 * @category constructors
 */
export const fallbackFor = (original: OutboundMessage, now: DateTime.Utc): Option.Option<OutboundMessage> => {
  if (original.decision !== "session" || original.dryRun || Option.isNone(original.fallback)) return Option.none()
  return Option.some(
    new OutboundMessage({
      ...original,
      id: `${original.id}${FALLBACK_SUFFIX}`,
      idempotencyKey: Option.none(),
      decision: "template",
      reason: Option.some("SESSION_EXPIRED"),
      windowState: "expired",
      content: original.fallback.value,
      fallback: Option.none(),
      providerMessageId: Option.none(),
      status: "queued",
      history: [new StatusEvent({ status: "queued", at: now, code: Option.none(), detail: Option.none() })],
      createdAt: now,
      fallbackMessageId: Option.none(),
      requestFingerprint: Option.none()
    })
  )
}

/**
 * What follows the provider's refusal of `original` because the window is over (Exotel 30018), sent after `now`: a
 * message that was parked and released parks again, once (`repark`); any other session message sends its fallback
 * template (`fallbackFor`). `None` when nothing follows (the message fails with the code).
 *
 * @since 0.2.0
 * @category constructors
 */
export const afterRefusal = (original: OutboundMessage, now: DateTime.Utc): Option.Option<OutboundMessage> =>
  Option.isSome(original.parkedUntil) ? repark(original, now) : fallbackFor(original, now)

/**
 * A released parked message the provider refused (30018) parks again, once: a copy with the id
 * `<original id>-repark`, `parked` at `now`, keeping the original's place in its pair's line (its creation time),
 * content and time to live, released by the customer's next message like any parked message. `None` for a copy
 * refused again (it fails with the code) and for dry runs.
 *
 * @since 0.2.0
 * @category constructors
 */
export const repark = (original: OutboundMessage, now: DateTime.Utc): Option.Option<OutboundMessage> =>
  original.dryRun || original.id.endsWith(REPARK_SUFFIX)
    ? Option.none()
    : Option.some(
      new OutboundMessage({
        ...original,
        id: `${original.id}${REPARK_SUFFIX}`,
        idempotencyKey: Option.none(),
        providerMessageId: Option.none(),
        status: "parked",
        history: [new StatusEvent({ status: "parked", at: now, code: Option.none(), detail: Option.none() })],
        fallbackMessageId: Option.none(),
        requestFingerprint: Option.none()
      })
    )

/**
 * The suffix of the id of a released message parked again after a 30018 refusal (`repark`).
 *
 * @since 0.2.0
 * @category constants
 */
export const REPARK_SUFFIX = "-repark"

/**
 * The status of a send whose holder stopped after starting its request and before recording the provider's answer
 * (a crash): `unknown` at `at`, never sent again; the provider's delivery report settles it.
 *
 * @since 0.2.0
 * @category constructors
 */
export const abandonedSend = (at: DateTime.Utc): StatusEvent =>
  new StatusEvent({
    status: "unknown",
    at,
    code: Option.none(),
    detail: Option.some(
      "the server sending it stopped before recording the provider's answer: it may have been sent, so it is not " +
        "sent again; its delivery report settles it"
    )
  })

/**
 * The suffix of a fallback template message's id.
 *
 * @since 0.2.0
 * @category constants
 */
export const FALLBACK_SUFFIX = "-fallback"

/**
 * Which outbound message a status report is about: our id (echoed back by the provider in `custom_data`) or the
 * provider's message id.
 *
 * @since 0.2.0
 * @category models
 */
export type OutboundRef =
  | { readonly _tag: "ById"; readonly id: string }
  | { readonly _tag: "ByProviderId"; readonly providerMessageId: string }
