// How an event is written: the JSON form it is stored and delivered in (`encode`, `decode`) and its delivery payload.
import type * as DateTime from "effect/DateTime"
import * as Schema from "effect/Schema"
import { type Encoded, Event, type EventType, type WindowSnapshot } from "./eventSchema.js"

const iso = (at: DateTime.Utc): string => new Date(at.epochMillis).toISOString()
const isoOrNull = (at: DateTime.Utc | null): string | null => at === null ? null : iso(at)

const encodeWindow = (window: WindowSnapshot): typeof WindowSnapshot.Encoded => ({
  state: window.state,
  lastInboundAt: isoOrNull(window.lastInboundAt),
  expiresAt: isoOrNull(window.expiresAt),
  sendableUntil: isoOrNull(window.sendableUntil),
  closedByProvider: window.closedByProvider
})

const windowTimes = (
  data: { readonly lastInboundAt: DateTime.Utc; readonly expiresAt: DateTime.Utc; readonly sendableUntil: DateTime.Utc }
) => ({
  lastInboundAt: iso(data.lastInboundAt),
  expiresAt: iso(data.expiresAt),
  sendableUntil: iso(data.sendableUntil)
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
  const envelope = <T extends EventType, D>(type: T, data: D) => ({
    id: event.id,
    type,
    createdAt: iso(event.createdAt),
    business: event.business,
    customer: event.customer,
    data
  })
  switch (event.type) {
    case "message.received": {
      const data = event.data
      return envelope(event.type, {
        messageId: data.messageId,
        contentType: data.contentType,
        content: data.content,
        profileName: data.profileName,
        sentAt: iso(data.sentAt),
        providerTimestamp: isoOrNull(data.providerTimestamp),
        timestampAdjustment: data.timestampAdjustment,
        receivedAt: iso(data.receivedAt),
        window: encodeWindow(data.window)
      })
    }
    case "message.status":
      return envelope(event.type, { ...event.data, at: iso(event.data.at) })
    case "message.released":
      return envelope(event.type, {
        ...event.data,
        parkedAt: iso(event.data.parkedAt),
        releasedAt: iso(event.data.releasedAt)
      })
    case "message.expired":
      return envelope(event.type, {
        ...event.data,
        parkedAt: iso(event.data.parkedAt),
        parkedUntil: iso(event.data.parkedUntil)
      })
    case "window.opened":
      return envelope(event.type, { ...event.data, ...windowTimes(event.data) })
    case "window.expiring":
      return envelope(event.type, { ...event.data, ...windowTimes(event.data) })
    case "window.closed":
      return envelope(event.type, {
        ...event.data,
        closedAt: iso(event.data.closedAt),
        lastInboundAt: iso(event.data.lastInboundAt),
        expiresAt: iso(event.data.expiresAt)
      })
    case "webhook.quarantined":
      return envelope(event.type, { ...event.data, receivedAt: iso(event.data.receivedAt) })
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
