/**
 * `Event.encode` is written by hand for the hot path: it must be exactly the `Event` schema's encoding, for every
 * event type and any instants, and decode back to the same event.
 */
import { assert, describe, it } from "@effect/vitest"
import { DateTime, Duration, Option, Schema } from "effect"
import * as fc from "effect/FastCheck"
import { Event, Outbound, PhoneNumber, SessionWindow } from "../src/index.js"

const business = PhoneNumber.unsafeMake("+919876500001")
const customer = PhoneNumber.unsafeMake("+919876543210")
const schemaEncode = Schema.encodeSync(Event.Event)
const decode = Schema.decodeUnknownSync(Event.Event)

const eventsAt = (t: number, margin: number, withProfile: boolean): ReadonlyArray<Event.Event> => {
  const at = DateTime.unsafeMake(t)
  const message = new SessionWindow.InboundMessage({ business, customer, messageId: "m1", sentAt: at, receivedAt: at })
  const window = SessionWindow.record(SessionWindow.empty({ business, customer }), message)
  const closed = SessionWindow.closeByProvider(window, DateTime.unsafeMake(t + 1000)) as SessionWindow.SessionWindow
  const outbound = Schema.decodeUnknownSync(Outbound.OutboundMessage)({
    id: "msg_1",
    business,
    customer,
    idempotencyKey: withProfile ? "k" : null,
    decision: "session",
    reason: null,
    windowState: "open",
    windowExpiresAt: null,
    content: { type: "text", text: { body: "hi" } },
    fallback: null,
    providerMessageId: withProfile ? "sid-1" : null,
    status: "delivered",
    history: [],
    createdAt: new Date(t).toISOString(),
    dryRun: false,
    fallbackMessageId: null
  })
  const margin_ = Duration.millis(margin)
  return [
    Event.messageReceived(
      {
        message,
        contentType: "text",
        content: { type: "text", text: { body: "Hi" }, context: { id: "x" } },
        profileName: withProfile ? Option.some("Asha") : Option.none(),
        providerTimestamp: withProfile ? Option.some(at) : Option.none(),
        timestampAdjustment: withProfile ? "none" : "missing"
      },
      window,
      margin_
    ).event,
    Event.messageReceived(
      {
        message,
        contentType: "text",
        content: {},
        profileName: Option.none(),
        providerTimestamp: Option.none(),
        timestampAdjustment: "future"
      },
      SessionWindow.empty({ business, customer }),
      margin_
    ).event,
    Option.getOrThrow(
      Event.messageStatus(
        outbound,
        new Outbound.StatusEvent({
          status: "failed",
          at,
          code: withProfile ? Option.some("30018") : Option.none(),
          detail: Option.none()
        }),
        at
      )
    ).event,
    Event.windowOpened(window, withProfile ? "closed" : "none", at, margin_).event,
    Event.windowExpiring(window, at, margin_, Duration.hours(1)).event,
    Event.windowClosed(closed, "provider", DateTime.unsafeMake(t + 1000), at).event,
    Event.windowClosed(window, "expired", DateTime.unsafeMake(t + 86_400_000 - margin), at).event,
    Event.webhookQuarantined({
      id: "q_1",
      kind: "body",
      reason: "not JSON",
      receivedAt: at,
      item: withProfile ? { nested: [1, "two"] } : null
    }).event
  ]
}

describe("Event.encode", () => {
  it.prop("is the schema's encoding for every type, and decodes back", [
    fc.integer({ min: 0, max: 4_000_000_000_000 }),
    fc.integer({ min: 0, max: 7_200_000 }),
    fc.boolean()
  ], ([t, margin, withProfile]) => {
    for (const event of eventsAt(t, margin, withProfile)) {
      const encoded = Event.encode(event)
      assert.deepStrictEqual(encoded, schemaEncode(event), event.type)
      assert.strictEqual(JSON.stringify(encoded), JSON.stringify(schemaEncode(event)), event.type)
      assert.deepStrictEqual(decode(JSON.parse(JSON.stringify(encoded))), event)
    }
  }, { fastCheck: { numRuns: 200 } })
})
