// The event schemas: every kind of event, its data and its envelope, as recorded and delivered (see `Event`).
import * as Arr from "effect/Array"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { DecisionKind } from "../Outbound.js"
import { PhoneNumber } from "../PhoneNumber.js"
import * as SessionWindow from "../SessionWindow.js"

/**
 * The kinds of event, as the `type` field and the `events` filter of an endpoint spell them.
 *
 * @since 0.2.0
 * @category models
 */
export const EventType = Schema.Literal(
  "message.received",
  "message.status",
  "message.released",
  "message.expired",
  "window.opened",
  "window.expiring",
  "window.closed",
  "webhook.quarantined"
)

/**
 * @since 0.2.0
 * @category models
 */
export type EventType = typeof EventType.Type

/**
 * Every event type, in the order the documentation lists them.
 *
 * @since 0.2.0
 * @category constants
 */
export const EVENT_TYPES: ReadonlyArray<EventType> = EventType.literals

/**
 * @since 0.2.0
 * @category predicates
 */
export const isEventType = (value: string): value is EventType => (EVENT_TYPES as ReadonlyArray<string>).includes(value)

/**
 * Reads a comma-separated list of event types (`message.received,window.expiring`), as the HTTP API's `type`
 * parameter and the CLI's `--type` take it; the message names what is unknown, and every type.
 *
 * @since 0.2.0
 * @category constructors
 */
export const parseTypes = (list: string): Either.Either<ReadonlyArray<EventType>, string> => {
  const types = list.split(",").map((type) => type.trim()).filter((type) => type !== "")
  const [unknown, known] = Arr.partition(types, isEventType)
  return types.length === 0 || unknown.length > 0
    ? Either.left(
      `type: ${unknown.length > 0 ? `unknown ${unknown.join(", ")}` : "empty"}; the types are ${EVENT_TYPES.join(", ")}`
    )
    : Either.right(known)
}

/**
 * A window as an event reports it: its state at the event's `createdAt`, when the latest customer message was sent,
 * when the window ends (`expiresAt`) and until when session messages may go out (`sendableUntil`, the expiry minus
 * the safety margin).
 *
 * @since 0.2.0
 * @category schemas
 */
export const WindowSnapshot = Schema.Struct({
  state: SessionWindow.WindowState,
  lastInboundAt: Schema.NullOr(Schema.DateTimeUtc),
  expiresAt: Schema.NullOr(Schema.DateTimeUtc),
  sendableUntil: Schema.NullOr(Schema.DateTimeUtc),
  closedByProvider: Schema.Boolean
}).annotations({ identifier: "WindowSnapshot" })

/**
 * @since 0.2.0
 * @category models
 */
export type WindowSnapshot = typeof WindowSnapshot.Type

/**
 * A JSON object passed through as it is: decoding and encoding keep the very object, every own key included. (A
 * `Schema.Record` rebuilds the object key by key, and an own `__proto__` key, which `JSON.parse` makes, would become
 * the new object's prototype: the key and its value would be lost.)
 *
 * @since 0.2.0
 * @category schemas
 */
export const JsonObject: Schema.Schema<Readonly<Record<string, unknown>>> = Schema.declare(
  (input: unknown): input is Readonly<Record<string, unknown>> =>
    typeof input === "object" && input !== null && !Array.isArray(input),
  { identifier: "JsonObject", description: "a JSON object", jsonSchema: { type: "object" } }
)

/**
 * `message.received`: a customer's message. `messageId` is the provider's id (Exotel's `sid`); `content` is the
 * content object as the provider sent it (`type`, the object named by it, `context` when the customer replied to a
 * message, `referral` for ad clicks); `sentAt` the instant the window counts from (the provider's timestamp after
 * the clock-skew guard, see `timestampAdjustment`); `window` the window after the message.
 *
 * @since 0.2.0
 * @category schemas
 */
export const MessageReceivedData = Schema.Struct({
  messageId: Schema.String,
  contentType: Schema.String,
  content: JsonObject,
  profileName: Schema.NullOr(Schema.String),
  sentAt: Schema.DateTimeUtc,
  providerTimestamp: Schema.NullOr(Schema.DateTimeUtc),
  timestampAdjustment: Schema.Literal("none", "missing", "future"),
  receivedAt: Schema.DateTimeUtc,
  window: WindowSnapshot
}).annotations({ identifier: "MessageReceivedData" })

/**
 * The statuses `message.status` reports: the provider's delivery progress, failure, and `unknown` (a send whose
 * outcome was lost: the provider's report settles it later).
 *
 * @since 0.2.0
 * @category models
 */
export const ReportedStatus = Schema.Literal("unknown", "sent", "delivered", "read", "failed")

/**
 * @since 0.2.0
 * @category models
 */
export type ReportedStatus = typeof ReportedStatus.Type

/**
 * `message.status`: an outbound message reached `status` at `at`. `messageId` is wa-session's id, `providerMessageId`
 * the provider's (null before it accepted the message); `code` and `detail` are the provider's (Exotel's
 * `exo_status_code` and description).
 *
 * @since 0.2.0
 * @category schemas
 */
export const MessageStatusData = Schema.Struct({
  messageId: Schema.String,
  providerMessageId: Schema.NullOr(Schema.String),
  idempotencyKey: Schema.NullOr(Schema.String),
  decision: DecisionKind,
  status: ReportedStatus,
  at: Schema.DateTimeUtc,
  code: Schema.NullOr(Schema.String),
  detail: Schema.NullOr(Schema.String)
}).annotations({ identifier: "MessageStatusData" })

/**
 * `message.released`: a message parked while the pair's window was not open (`"whenClosed": "park"`) was released
 * when the customer's message `basisMessageId` opened the window: it is queued as a session message, sent before any
 * message the business sends after it, and its `message.status` events follow.
 *
 * @since 0.2.0
 * @category schemas
 */
export const MessageReleasedData = Schema.Struct({
  messageId: Schema.String,
  idempotencyKey: Schema.NullOr(Schema.String),
  parkedAt: Schema.DateTimeUtc,
  releasedAt: Schema.DateTimeUtc,
  basisMessageId: Schema.NullOr(Schema.String)
}).annotations({ identifier: "MessageReleasedData" })

/**
 * `message.expired`: a parked message was not released within its time to live (`parkedUntil`): it is never sent.
 *
 * @since 0.2.0
 * @category schemas
 */
export const MessageExpiredData = Schema.Struct({
  messageId: Schema.String,
  idempotencyKey: Schema.NullOr(Schema.String),
  parkedAt: Schema.DateTimeUtc,
  parkedUntil: Schema.DateTimeUtc
}).annotations({ identifier: "MessageExpiredData" })

/**
 * What a window was before it opened: never opened, expired, or closed by the provider.
 *
 * @since 0.2.0
 * @category models
 */
export const PreviousState = Schema.Literal("none", "expired", "closed")

/**
 * @since 0.2.0
 * @category models
 */
export type PreviousState = typeof PreviousState.Type

/**
 * `window.opened`: the pair's window became open; `basisMessageId` is the customer message that opened it.
 *
 * @since 0.2.0
 * @category schemas
 */
export const WindowOpenedData = Schema.Struct({
  previousState: PreviousState,
  basisMessageId: Schema.String,
  lastInboundAt: Schema.DateTimeUtc,
  expiresAt: Schema.DateTimeUtc,
  sendableUntil: Schema.DateTimeUtc
}).annotations({ identifier: "WindowOpenedData" })

/**
 * `window.expiring`: the window stops being open at `sendableUntil`, within the lead time. `remainingSeconds` is
 * counted from the event's `createdAt` (0 when it comes late, after the server was down at the time it was due).
 *
 * @since 0.2.0
 * @category schemas
 */
export const WindowExpiringData = Schema.Struct({
  lastInboundAt: Schema.DateTimeUtc,
  expiresAt: Schema.DateTimeUtc,
  sendableUntil: Schema.DateTimeUtc,
  remainingSeconds: Schema.Number,
  leadSeconds: Schema.Number
}).annotations({ identifier: "WindowExpiringData" })

/**
 * Why a window stopped being open: it ran out (`expired`, at `sendableUntil`), or the provider refused a session
 * message because the window is over (`provider`, Exotel 30018).
 *
 * @since 0.2.0
 * @category models
 */
export const ClosedReason = Schema.Literal("expired", "provider")

/**
 * @since 0.2.0
 * @category models
 */
export type ClosedReason = typeof ClosedReason.Type

/**
 * `window.closed`: the window stopped being open at `closedAt`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const WindowClosedData = Schema.Struct({
  reason: ClosedReason,
  closedAt: Schema.DateTimeUtc,
  lastInboundAt: Schema.DateTimeUtc,
  expiresAt: Schema.DateTimeUtc
}).annotations({ identifier: "WindowClosedData" })

/**
 * `webhook.quarantined`: something the provider posted could not be used and is kept in the quarantine
 * (`GET /v1/quarantine`): an item that could not be decoded, a body that is not a webhook batch, or a delivery
 * report about a message wa-session does not know. `item` is what was received (null when it was not JSON).
 *
 * @since 0.2.0
 * @category schemas
 */
export const WebhookQuarantinedData = Schema.Struct({
  quarantineId: Schema.String,
  kind: Schema.Literal("item", "body", "unknown_message"),
  reason: Schema.String,
  receivedAt: Schema.DateTimeUtc,
  item: Schema.Unknown
}).annotations({ identifier: "WebhookQuarantinedData" })

const envelope = <T extends EventType, D extends Schema.Schema.Any>(type: T, data: D, identifier: string) =>
  Schema.Struct({
    id: Schema.String,
    type: Schema.Literal(type),
    createdAt: Schema.DateTimeUtc,
    business: Schema.NullOr(PhoneNumber),
    customer: Schema.NullOr(PhoneNumber),
    data
  }).annotations({ identifier })

/**
 * @since 0.2.0
 * @category schemas
 */
export const MessageReceived = envelope("message.received", MessageReceivedData, "MessageReceivedEvent")

/**
 * @since 0.2.0
 * @category schemas
 */
export const MessageStatus = envelope("message.status", MessageStatusData, "MessageStatusEvent")

/**
 * @since 0.2.0
 * @category schemas
 */
export const MessageReleased = envelope("message.released", MessageReleasedData, "MessageReleasedEvent")

/**
 * @since 0.2.0
 * @category schemas
 */
export const MessageExpired = envelope("message.expired", MessageExpiredData, "MessageExpiredEvent")

/**
 * @since 0.2.0
 * @category schemas
 */
export const WindowOpened = envelope("window.opened", WindowOpenedData, "WindowOpenedEvent")

/**
 * @since 0.2.0
 * @category schemas
 */
export const WindowExpiring = envelope("window.expiring", WindowExpiringData, "WindowExpiringEvent")

/**
 * @since 0.2.0
 * @category schemas
 */
export const WindowClosed = envelope("window.closed", WindowClosedData, "WindowClosedEvent")

/**
 * @since 0.2.0
 * @category schemas
 */
export const WebhookQuarantined = envelope("webhook.quarantined", WebhookQuarantinedData, "WebhookQuarantinedEvent")

/**
 * An event as recorded and as delivered (the body of a delivery is its JSON encoding):
 * `{ "id", "type", "createdAt", "business", "customer", "data" }`. `business` and `customer` are null only for
 * `webhook.quarantined`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const Event = Schema.Union(
  MessageReceived,
  MessageStatus,
  MessageReleased,
  MessageExpired,
  WindowOpened,
  WindowExpiring,
  WindowClosed,
  WebhookQuarantined
).annotations({ identifier: "Event" })

/**
 * @since 0.2.0
 * @category models
 */
export type Event = typeof Event.Type

/**
 * The encoded form of an event: what is stored and what a delivery's body carries.
 *
 * @since 0.2.0
 * @category models
 */
export type Encoded = typeof Event.Encoded
