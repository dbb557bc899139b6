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
import * as Option from "effect/Option"
import {
  type ClosedReason,
  type Event,
  type PreviousState,
  ReportedStatus,
  type WindowSnapshot
} from "./internal/eventSchema.js"
import { hash128 } from "./internal/hash.js"
import type { OutboundMessage, StatusEvent } from "./Outbound.js"
import * as SessionWindow from "./SessionWindow.js"

export { decode, encode, type Payload, payloadOf } from "./internal/eventEncoding.js"
export {
  ClosedReason,
  type Encoded,
  Event,
  EVENT_TYPES,
  EventType,
  isEventType,
  JsonObject,
  MessageExpired,
  MessageExpiredData,
  MessageReceived,
  MessageReceivedData,
  MessageReleased,
  MessageReleasedData,
  MessageStatus,
  MessageStatusData,
  parseTypes,
  PreviousState,
  ReportedStatus,
  WebhookQuarantined,
  WebhookQuarantinedData,
  WindowClosed,
  WindowClosedData,
  WindowExpiring,
  WindowExpiringData,
  WindowOpened,
  WindowOpenedData,
  WindowSnapshot
} from "./internal/eventSchema.js"

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
 * `message.released` for a parked message released at `releasedAt`, when the customer's message `basisMessageId`
 * opened the window.
 *
 * @since 0.2.0
 * @category constructors
 */
export const messageReleased = (
  message: OutboundMessage,
  releasedAt: DateTime.Utc,
  basisMessageId: Option.Option<string>
): Draft =>
  draft(`message.released|${message.id}`, (id) => ({
    id,
    type: "message.released",
    createdAt: releasedAt,
    business: message.business,
    customer: message.customer,
    data: {
      messageId: message.id,
      idempotencyKey: Option.getOrNull(message.idempotencyKey),
      parkedAt: message.createdAt,
      releasedAt,
      basisMessageId: Option.getOrNull(basisMessageId)
    }
  }))

/**
 * `message.expired` for a parked message whose time to live ran out, recorded at `recordedAt`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const messageExpired = (
  message: OutboundMessage,
  parkedUntil: DateTime.Utc,
  recordedAt: DateTime.Utc
): Draft =>
  draft(`message.expired|${message.id}`, (id) => ({
    id,
    type: "message.expired",
    createdAt: recordedAt,
    business: message.business,
    customer: message.customer,
    data: {
      messageId: message.id,
      idempotencyKey: Option.getOrNull(message.idempotencyKey),
      parkedAt: message.createdAt,
      parkedUntil
    }
  }))

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
