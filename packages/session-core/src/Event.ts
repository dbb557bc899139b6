/**
 * The events wa-session records and forwards to the business: what customers sent, how outbound messages fared,
 * and how windows opened, are about to close and closed. Each event is recorded in the same transaction as the
 * change it describes, and its id is derived from what it describes (its `key`), so the same change recorded
 * twice, by two servers or by a retry, is one event.
 *
 * @since 0.2.0
 */
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { hash128 } from "./internal/hash.js"
import { DecisionKind, type OutboundMessage, type StatusEvent } from "./Outbound.js"
import { PhoneNumber } from "./PhoneNumber.js"
import * as SessionWindow from "./SessionWindow.js"

/**
 * The kinds of event, as the `type` field and the `events` filter of an endpoint spell them.
 *
 * @since 0.2.0
 * @category models
 */
export const EventType = Schema.Literal(
  "message.received",
  "message.status",
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
  const unknown = types.filter((type) => !isEventType(type))
  return types.length === 0 || unknown.length > 0
    ? Either.left(
      `type: ${unknown.length > 0 ? `unknown ${unknown.join(", ")}` : "empty"}; the types are ${EVENT_TYPES.join(", ")}`
    )
    : Either.right(types as ReadonlyArray<EventType>)
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

/**
 * The `id` of the event with this key: `evt_` and 32 hex digits derived from the key alone.
 *
 * @example
 * ```ts
 * import { Event } from "@wa-session/session-core"
 * Event.idOf("message.received|+919876500001|wamid.1") // "evt_…", the same everywhere
 * ```
 * @since 0.2.0
 * @category constructors
 */
export const idOf = (key: string): string => `evt_${hash128(key)}`

/**
 * An event about to be recorded, with the key its id derives from.
 *
 * @since 0.2.0
 * @category models
 */
export interface Draft {
  readonly key: string
  readonly event: Event
}

const draft = (key: string, make: (id: string) => Event): Draft => ({ key, event: make(idOf(key)) })

const pairKey = (window: { readonly business: string; readonly customer: string }) =>
  `${window.business}|${window.customer}`

/**
 * The window of `window` at `now` as events report it.
 *
 * @since 0.2.0
 * @category constructors
 */
export const snapshot = (
  window: SessionWindow.Window,
  now: DateTime.Utc,
  safetyMargin: Duration.Duration
): WindowSnapshot => {
  const status = SessionWindow.statusAt(window, now, { safetyMargin })
  return {
    state: status.state,
    lastInboundAt: Option.getOrNull(status.lastInboundAt),
    expiresAt: Option.getOrNull(status.expiresAt),
    sendableUntil: Option.getOrNull(
      Option.map(status.expiresAt, (expiresAt) => DateTime.subtractDuration(expiresAt, safetyMargin))
    ),
    closedByProvider: status.closedByProvider
  }
}

/**
 * A customer's message as `message.received` reports it.
 *
 * @since 0.2.0
 * @category models
 */
export interface ReceivedMessage {
  readonly message: SessionWindow.InboundMessage
  readonly contentType: string
  readonly content: Readonly<Record<string, unknown>>
  readonly profileName: Option.Option<string>
  readonly providerTimestamp: Option.Option<DateTime.Utc>
  readonly timestampAdjustment: "none" | "missing" | "future"
}

/**
 * `message.received` for a customer's message, with the window after it.
 *
 * @since 0.2.0
 * @category constructors
 */
export const messageReceived = (
  received: ReceivedMessage,
  windowAfter: SessionWindow.Window,
  safetyMargin: Duration.Duration
): Draft => {
  const { message } = received
  return draft(`message.received|${message.business}|${message.messageId}`, (id) => ({
    id,
    type: "message.received",
    createdAt: message.receivedAt,
    business: message.business,
    customer: message.customer,
    data: {
      messageId: message.messageId,
      contentType: received.contentType,
      content: received.content,
      profileName: Option.getOrNull(received.profileName),
      sentAt: message.sentAt,
      providerTimestamp: Option.getOrNull(received.providerTimestamp),
      timestampAdjustment: received.timestampAdjustment,
      receivedAt: message.receivedAt,
      window: snapshot(windowAfter, message.receivedAt, safetyMargin)
    }
  }))
}

const isReported = (status: string): status is ReportedStatus => ReportedStatus.literals.some((s) => s === status)

/**
 * `message.status` for a status an outbound message reached, or `None` for the statuses that are not reported
 * (`queued`, `pending`, `accepted`). `message` is the message after the status was recorded; `recordedAt` is now.
 *
 * @since 0.2.0
 * @category constructors
 */
export const messageStatus = (
  message: OutboundMessage,
  status: StatusEvent,
  recordedAt: DateTime.Utc
): Option.Option<Draft> => {
  const reported = status.status
  if (!isReported(reported)) return Option.none()
  return Option.some(draft(`message.status|${message.id}|${reported}`, (id) => ({
    id,
    type: "message.status",
    createdAt: recordedAt,
    business: message.business,
    customer: message.customer,
    data: {
      messageId: message.id,
      providerMessageId: Option.getOrNull(message.providerMessageId),
      idempotencyKey: Option.getOrNull(message.idempotencyKey),
      decision: message.decision,
      status: reported,
      at: status.at,
      code: Option.getOrNull(status.code),
      detail: Option.getOrNull(status.detail)
    }
  })))
}

/**
 * `window.opened` for a window open at `now`, which was `previous` before.
 *
 * @since 0.2.0
 * @category constructors
 */
export const windowOpened = (
  window: SessionWindow.SessionWindow,
  previous: PreviousState,
  now: DateTime.Utc,
  safetyMargin: Duration.Duration
): Draft => {
  const expiresAt = SessionWindow.expiresAt(window)
  return draft(`window.opened|${pairKey(window)}|${window.basisMessageId}`, (id) => ({
    id,
    type: "window.opened",
    createdAt: now,
    business: window.business,
    customer: window.customer,
    data: {
      previousState: previous,
      basisMessageId: window.basisMessageId,
      lastInboundAt: window.lastInboundAt,
      expiresAt,
      sendableUntil: DateTime.subtractDuration(expiresAt, safetyMargin)
    }
  }))
}

/**
 * `window.expiring` for a window that stops being open within `lead` of `now`: one per (pair, expiry).
 *
 * @since 0.2.0
 * @category constructors
 */
export const windowExpiring = (
  window: SessionWindow.SessionWindow,
  now: DateTime.Utc,
  safetyMargin: Duration.Duration,
  lead: Duration.Duration
): Draft => {
  const expiresAt = SessionWindow.expiresAt(window)
  const sendableUntil = DateTime.subtractDuration(expiresAt, safetyMargin)
  return draft(`window.expiring|${pairKey(window)}|${expiresAt.epochMillis}`, (id) => ({
    id,
    type: "window.expiring",
    createdAt: now,
    business: window.business,
    customer: window.customer,
    data: {
      lastInboundAt: window.lastInboundAt,
      expiresAt,
      sendableUntil,
      remainingSeconds: Math.max(0, Math.floor((sendableUntil.epochMillis - now.epochMillis) / 1000)),
      leadSeconds: Math.floor(Duration.toMillis(lead) / 1000)
    }
  }))
}

/**
 * `window.closed` for a window that stopped being open at `closedAt`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const windowClosed = (
  window: SessionWindow.SessionWindow,
  reason: ClosedReason,
  closedAt: DateTime.Utc,
  now: DateTime.Utc
): Draft => {
  const expiresAt = SessionWindow.expiresAt(window)
  const which = reason === "expired" ? expiresAt.epochMillis : closedAt.epochMillis
  return draft(`window.closed|${pairKey(window)}|${reason}|${which}`, (id) => ({
    id,
    type: "window.closed",
    createdAt: now,
    business: window.business,
    customer: window.customer,
    data: { reason, closedAt, lastInboundAt: window.lastInboundAt, expiresAt }
  }))
}

/**
 * What is kept in the quarantine, as `webhook.quarantined` reports it.
 *
 * @since 0.2.0
 * @category models
 */
export interface QuarantinedItem {
  readonly id: string
  readonly kind: "item" | "body" | "unknown_message"
  readonly reason: string
  readonly receivedAt: DateTime.Utc
  readonly item: unknown
}

/**
 * `webhook.quarantined` for an item put in the quarantine.
 *
 * @since 0.2.0
 * @category constructors
 */
export const webhookQuarantined = (quarantined: QuarantinedItem): Draft =>
  draft(`webhook.quarantined|${quarantined.id}`, (id) => ({
    id,
    type: "webhook.quarantined",
    createdAt: quarantined.receivedAt,
    business: null,
    customer: null,
    data: {
      quarantineId: quarantined.id,
      kind: quarantined.kind,
      reason: quarantined.reason,
      receivedAt: quarantined.receivedAt,
      item: quarantined.item
    }
  }))

/**
 * The key that orders an event's deliveries: events of one (business, customer) pair are delivered in the order
 * they were recorded; `None` for events of no pair, which wait for nothing.
 *
 * @since 0.2.0
 * @category getters
 */
export const orderingKey = (event: Event): Option.Option<string> =>
  event.business === null || event.customer === null
    ? Option.none()
    : Option.some(`${event.business}|${event.customer}`)

const iso = (at: DateTime.Utc): string => new Date(at.epochMillis).toISOString()
const isoOrNull = (at: DateTime.Utc | null): string | null => at === null ? null : iso(at)

const encodeWindow = (window: WindowSnapshot): typeof WindowSnapshot.Encoded => ({
  state: window.state,
  lastInboundAt: isoOrNull(window.lastInboundAt),
  expiresAt: isoOrNull(window.expiresAt),
  sendableUntil: isoOrNull(window.sendableUntil),
  closedByProvider: window.closedByProvider
})

/**
 * The JSON form of an event, as stored and delivered. Written by hand for the hot path (every recorded message has
 * one); it is the `Event` schema's encoding, which a test checks over every event type.
 *
 * @since 0.2.0
 * @category constructors
 */
export const encode = (event: Event): Encoded => {
  // the schema's field order (id, type, createdAt, …), so that the JSON text is the same too
  const envelope = <D>(data: D) => ({
    id: event.id,
    type: event.type,
    createdAt: iso(event.createdAt),
    business: event.business,
    customer: event.customer,
    data
  })
  switch (event.type) {
    case "message.received": {
      const data = event.data
      return envelope({
        messageId: data.messageId,
        contentType: data.contentType,
        content: data.content,
        profileName: data.profileName,
        sentAt: iso(data.sentAt),
        providerTimestamp: isoOrNull(data.providerTimestamp),
        timestampAdjustment: data.timestampAdjustment,
        receivedAt: iso(data.receivedAt),
        window: encodeWindow(data.window)
      }) as Encoded
    }
    case "message.status":
      return envelope({ ...event.data, at: iso(event.data.at) }) as Encoded
    case "window.opened":
    case "window.expiring":
      return envelope({
        ...event.data,
        lastInboundAt: iso(event.data.lastInboundAt),
        expiresAt: iso(event.data.expiresAt),
        sendableUntil: iso(event.data.sendableUntil)
      }) as Encoded
    case "window.closed":
      return envelope({
        ...event.data,
        closedAt: iso(event.data.closedAt),
        lastInboundAt: iso(event.data.lastInboundAt),
        expiresAt: iso(event.data.expiresAt)
      }) as Encoded
    case "webhook.quarantined":
      return envelope({ ...event.data, receivedAt: iso(event.data.receivedAt) }) as Encoded
  }
}

/**
 * An event ready to deliver: its id, type and pair, and `body`, its JSON text (`JSON.stringify(encode(event))`),
 * the bytes a delivery posts and signs.
 *
 * @since 0.2.0
 * @category models
 */
export interface Payload {
  readonly id: string
  readonly type: EventType
  readonly business: string | null
  readonly customer: string | null
  readonly body: string
}

/**
 * @since 0.2.0
 * @category constructors
 */
export const payloadOf = (event: Event): Payload => ({
  id: event.id,
  type: event.type,
  business: event.business,
  customer: event.customer,
  body: JSON.stringify(encode(event))
})

/**
 * Decodes an event as stored; a stored event that does not decode is a defect of the store.
 *
 * @since 0.2.0
 * @category constructors
 */
export const decode: (encoded: unknown) => Event = Schema.decodeUnknownSync(Event)
