/**
 * The contract's models built from the core's values: one mapping per model, used by the server's handlers and by
 * the CLI's local commands, so that both answer in exactly the same shapes.
 *
 * @since 0.2.0
 */
import { Delivery, type Ingest, type Outbound, type SessionService, type SessionStore } from "@wa-session/session-core"
import * as Option from "effect/Option"
import type { DeliveryView, EndpointView, InboundEntry, MessageView, OutboundEntry, QuarantineView } from "./Models.js"

/**
 * How a message goes out, as the API says it: `parked` while a parked message waits (or once it ended unsent);
 * released, it is a session message.
 *
 * @since 0.2.0
 * @category views
 */
export const decisionOf = (message: Outbound.OutboundMessage): "session" | "template" | "parked" =>
  message.status === "parked" || message.status === "expired" || message.status === "cancelled"
    ? "parked"
    : message.decision

const outboundSummary = (message: Outbound.OutboundMessage) => ({
  id: message.id,
  decision: decisionOf(message),
  reason: Option.getOrNull(message.reason),
  window: { state: message.windowState, expiresAt: Option.getOrNull(message.windowExpiresAt) },
  providerMessageId: Option.getOrNull(message.providerMessageId),
  status: message.status,
  dryRun: message.dryRun,
  parkedUntil: Option.getOrNull(message.parkedUntil)
})

/**
 * The answer to a send (`POST /v1/messages`).
 *
 * @since 0.2.0
 * @category views
 */
export const sendResponse = (result: SessionService.SendResult) => ({
  ...outboundSummary(result.message),
  replayed: result.replayed,
  reengagementMessageId: Option.getOrNull(Option.map(result.reengagement ?? Option.none(), (message) => message.id))
})

/**
 * An outbound message with its status history (`GET /v1/messages/{id}`).
 *
 * @since 0.2.0
 * @category views
 */
export const messageView = (message: Outbound.OutboundMessage): typeof MessageView.Type => ({
  ...outboundSummary(message),
  business: message.business,
  customer: message.customer,
  idempotencyKey: Option.getOrNull(message.idempotencyKey),
  content: message.content,
  fallback: Option.getOrNull(message.fallback),
  createdAt: message.createdAt,
  fallbackMessageId: Option.getOrNull(message.fallbackMessageId),
  history: message.history.map((event) => ({
    status: event.status,
    at: event.at,
    code: Option.getOrNull(event.code),
    detail: Option.getOrNull(event.detail)
  }))
})

/**
 * One message of a pair's history.
 *
 * @since 0.2.0
 * @category views
 */
export const historyEntry = (
  item: SessionStore.HistoryItem
): typeof InboundEntry.Type | typeof OutboundEntry.Type =>
  item._tag === "Outbound"
    ? { direction: "outbound", ...messageView(item.message) }
    : {
      direction: "inbound",
      id: item.message.messageId,
      business: item.message.business,
      customer: item.message.customer,
      contentType: item.contentType,
      content: item.content,
      profileName: Option.getOrNull(item.profileName),
      sentAt: item.message.sentAt,
      receivedAt: item.message.receivedAt
    }

/**
 * The message of a `cursor` this API did not hand out, or of an `after` that names no kept event: the same from the
 * server and the CLI.
 *
 * @since 0.2.0
 * @category mappings
 */
export const invalidCursorMessage = (path: "cursor" | "after"): string =>
  path === "after" ? "after: no event with this id is kept" : "cursor is not a nextCursor of this API"

/**
 * An endpoint, without its secret.
 *
 * @since 0.2.0
 * @category views
 */
export const endpointView = (endpoint: Delivery.Endpoint): typeof EndpointView.Type => ({
  id: endpoint.id,
  url: endpoint.url,
  events: Option.getOrNull(endpoint.events),
  state: endpoint.state,
  disabledReason: Option.getOrNull(endpoint.disabledReason),
  configured: endpoint.id === Delivery.CONFIGURED_ENDPOINT_ID,
  createdAt: endpoint.createdAt
})

/**
 * @since 0.2.0
 * @category views
 */
export const deliveryView = (delivery: Delivery.Delivery): typeof DeliveryView.Type => ({
  endpointId: delivery.endpointId,
  eventId: delivery.eventId,
  eventType: delivery.eventType,
  business: delivery.business,
  customer: delivery.customer,
  state: delivery.state,
  attempts: delivery.attempts,
  createdAt: delivery.createdAt,
  nextAttemptAt: Option.getOrNull(delivery.nextAttemptAt),
  lastAttemptAt: Option.getOrNull(delivery.lastAttemptAt),
  lastStatus: Option.getOrNull(delivery.lastStatus),
  lastError: Option.getOrNull(delivery.lastError),
  deliveredAt: Option.getOrNull(delivery.deliveredAt)
})

/**
 * @since 0.2.0
 * @category views
 */
export const quarantineView = (entry: Ingest.QuarantineEntry): typeof QuarantineView.Type => ({
  id: entry.id,
  kind: entry.kind,
  reason: entry.reason,
  receivedAt: entry.receivedAt,
  raw: entry.raw,
  state: entry.state,
  resolvedAt: Option.getOrNull(entry.resolvedAt),
  retries: entry.retries
})
