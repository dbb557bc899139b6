import { assert, describe, it } from "@effect/vitest"
import { DateTime, Duration, Either, Option, Schema } from "effect"
import * as fc from "effect/FastCheck"
import { Event, Outbound, SessionWindow } from "../src/index.js"
import { at, business, customer, inbound, pair } from "./fixtures.js"

const NOW = at("2026-01-20T10:00:00Z")
const hours = (h: number): DateTime.Utc => DateTime.unsafeMake(NOW.epochMillis + h * 3_600_000)
const MARGIN = Duration.minutes(30)
const empty = SessionWindow.empty(pair)
const window = SessionWindow.record(empty, inbound("wamid.1", hours(-2), hours(-1)))

const decodeOutbound = Schema.decodeUnknownSync(Outbound.OutboundMessage)
const sent = decodeOutbound({
  id: "msg_1",
  business,
  customer,
  idempotencyKey: "order-1",
  decision: "session",
  reason: null,
  windowState: "open",
  windowExpiresAt: DateTime.formatIso(hours(22)),
  content: { type: "text", text: { body: "hello" } },
  fallback: null,
  providerMessageId: "sid-1",
  status: "accepted",
  history: [
    { status: "pending", at: DateTime.formatIso(hours(-1)), code: null, detail: null },
    { status: "accepted", at: DateTime.formatIso(hours(-1)), code: null, detail: null }
  ],
  createdAt: DateTime.formatIso(hours(-1)),
  dryRun: false,
  fallbackMessageId: null
})
const statusEvent = (status: Outbound.OutboundStatus, code: string | null = null, detail: string | null = null) =>
  new Outbound.StatusEvent({
    status,
    at: hours(-0.5),
    code: Option.fromNullable(code),
    detail: Option.fromNullable(detail)
  })

/** What a store keeps and a delivery carries: the encoded event as JSON text. */
const roundTrip = (event: Event.Event): Event.Event => Event.decode(JSON.parse(JSON.stringify(Event.encode(event))))

const received = (content: Record<string, unknown> = { type: "text", text: { body: "hi" } }) =>
  Event.messageReceived(
    {
      message: inbound("wamid.1", hours(-2), hours(-1)),
      contentType: "text",
      content,
      profileName: Option.some("Asha"),
      providerTimestamp: Option.some(hours(-2)),
      timestampAdjustment: "none"
    },
    window,
    MARGIN
  )

const allDrafts = (): ReadonlyArray<Event.Draft> => [
  received(),
  Option.getOrThrow(Event.messageStatus(sent, statusEvent("failed", "30018", "EX_REENGAGEMENT_ERROR"), NOW)),
  Event.messageReleased(sent, NOW, Option.some("wamid.1")),
  Event.messageExpired(sent, hours(1), hours(2)),
  Event.windowOpened(window, "none", NOW, MARGIN),
  Event.windowExpiring(window, NOW, MARGIN, Duration.hours(1)),
  Event.windowClosed(window, "expired", hours(21.5), hours(23)),
  Event.webhookQuarantined({ id: "q_1", kind: "item", reason: "missing sid", receivedAt: NOW, item: { a: [1, null] } })
]

describe("Event", () => {
  it("every constructor's event round-trips through encode / JSON / decode, with its id derived from its key", () => {
    const drafts = allDrafts()
    assert.deepStrictEqual(drafts.map((d) => d.event.type), [...Event.EVENT_TYPES])
    for (const { event, key } of drafts) {
      assert.strictEqual(event.id, Event.idOf(key))
      assert.match(event.id, /^evt_[0-9a-f]{32}$/)
      const back = roundTrip(event)
      assert.deepStrictEqual(Event.encode(back), Event.encode(event))
      assert.strictEqual(back.createdAt.epochMillis, event.createdAt.epochMillis)
      assert.strictEqual(back.type, event.type)
    }
    assert.throws(() => Event.decode({ ...Event.encode(drafts[0]!.event), type: "window.reopened" }))
  })

  it("message.released and message.expired: the parked message, when it was parked, released or due", () => {
    const released = Event.messageReleased(sent, NOW, Option.some("wamid.1"))
    assert.strictEqual(released.key, `message.released|${sent.id}`)
    assert.deepStrictEqual(Event.encode(released.event).data, {
      messageId: sent.id,
      idempotencyKey: Option.getOrNull(sent.idempotencyKey),
      parkedAt: DateTime.formatIso(sent.createdAt),
      releasedAt: DateTime.formatIso(NOW),
      basisMessageId: "wamid.1"
    })
    const expired = Event.messageExpired(sent, hours(1), hours(2))
    assert.strictEqual(expired.key, `message.expired|${sent.id}`)
    assert.deepStrictEqual(expired.event.createdAt, hours(2))
    assert.deepStrictEqual(Event.encode(expired.event).data, {
      messageId: sent.id,
      idempotencyKey: Option.getOrNull(sent.idempotencyKey),
      parkedAt: DateTime.formatIso(sent.createdAt),
      parkedUntil: DateTime.formatIso(hours(1))
    })
    const unknownBasis = Event.messageReleased(sent, NOW, Option.none()).event
    assert.isTrue(unknownBasis.type === "message.released" && unknownBasis.data.basisMessageId === null)
  })

  it("message.received: the message, its content as sent, and the window after it", () => {
    const { event, key } = received()
    assert.strictEqual(key, `message.received|${business}|wamid.1`)
    assert.isTrue(event.type === "message.received")
    if (event.type !== "message.received") return
    assert.deepStrictEqual(event.createdAt, hours(-1))
    assert.strictEqual(event.business, business)
    assert.strictEqual(event.customer, customer)
    assert.deepStrictEqual(event.data.content, { type: "text", text: { body: "hi" } })
    assert.strictEqual(event.data.profileName, "Asha")
    assert.deepStrictEqual(event.data.sentAt, hours(-2))
    assert.deepStrictEqual(event.data.providerTimestamp, hours(-2))
    assert.deepStrictEqual(event.data.window, Event.snapshot(window, hours(-1), MARGIN))
    const anonymous = Event.messageReceived(
      {
        message: inbound("wamid.2", hours(-1)),
        contentType: "unknown",
        content: { type: "unknown" },
        profileName: Option.none(),
        providerTimestamp: Option.none(),
        timestampAdjustment: "missing"
      },
      window,
      MARGIN
    ).event
    assert.isTrue(anonymous.type === "message.received" && anonymous.data.profileName === null)
    assert.isTrue(anonymous.type === "message.received" && anonymous.data.providerTimestamp === null)
  })

  it("message.status: None for pending and accepted, else the status with the provider's code and detail", () => {
    assert.isTrue(Option.isNone(Event.messageStatus(sent, statusEvent("pending"), NOW)))
    assert.isTrue(Option.isNone(Event.messageStatus(sent, statusEvent("accepted"), NOW)))
    for (const status of ["sent", "delivered", "read", "failed"] as const) {
      const draft = Option.getOrThrow(Event.messageStatus(sent, statusEvent(status), NOW))
      assert.strictEqual(draft.key, `message.status|msg_1|${status}`)
      const { event } = draft
      assert.isTrue(event.type === "message.status")
      if (event.type !== "message.status") return
      assert.deepStrictEqual(event.data, {
        messageId: "msg_1",
        providerMessageId: "sid-1",
        idempotencyKey: "order-1",
        decision: "session",
        status,
        at: hours(-0.5),
        code: null,
        detail: null
      })
      assert.deepStrictEqual(event.createdAt, NOW)
    }
    const anonymous = new Outbound.OutboundMessage({
      ...sent,
      providerMessageId: Option.none(),
      idempotencyKey: Option.none()
    })
    const failed =
      Option.getOrThrow(Event.messageStatus(anonymous, statusEvent("failed", "30018", "window over"), NOW)).event
    assert.isTrue(failed.type === "message.status" && failed.data.providerMessageId === null)
    assert.isTrue(failed.type === "message.status" && failed.data.idempotencyKey === null)
    assert.isTrue(
      failed.type === "message.status" && failed.data.code === "30018" && failed.data.detail === "window over"
    )
  })

  it("window events: opened by its basis, expiring per expiry, closed per reason and expiry or closure time", () => {
    const opened = Event.windowOpened(window, "closed", NOW, MARGIN)
    assert.strictEqual(opened.key, `window.opened|${business}|${customer}|wamid.1`)
    assert.isTrue(opened.event.type === "window.opened" && opened.event.data.previousState === "closed")
    assert.deepStrictEqual(opened.event.type === "window.opened" && opened.event.data.sendableUntil, hours(21.5))

    const expiry = SessionWindow.expiresAt(window)
    const expiring = Event.windowExpiring(window, hours(21), MARGIN, Duration.millis(5_400_500))
    assert.strictEqual(expiring.key, `window.expiring|${business}|${customer}|${expiry.epochMillis}`)
    assert.isTrue(expiring.event.type === "window.expiring" && expiring.event.data.remainingSeconds === 1800)
    assert.isTrue(expiring.event.type === "window.expiring" && expiring.event.data.leadSeconds === 5400)
    const late = Event.windowExpiring(window, hours(30), MARGIN, Duration.hours(1)).event
    assert.isTrue(late.type === "window.expiring" && late.data.remainingSeconds === 0)
    assert.strictEqual(late.id, expiring.event.id, "one window.expiring per (pair, expiry)")

    const expired = Event.windowClosed(window, "expired", hours(21.5), hours(21.5))
    assert.strictEqual(expired.key, `window.closed|${business}|${customer}|expired|${expiry.epochMillis}`)
    const provider = Event.windowClosed(window, "provider", hours(3), hours(4))
    assert.strictEqual(provider.key, `window.closed|${business}|${customer}|provider|${hours(3).epochMillis}`)
    assert.isTrue(provider.event.type === "window.closed" && provider.event.data.reason === "provider")
    assert.deepStrictEqual(provider.event.type === "window.closed" && provider.event.data.closedAt, hours(3))
    assert.deepStrictEqual(provider.event.createdAt, hours(4))
  })

  it("ids derive from the key alone: the same change recorded twice is one event", () => {
    const first = received({ type: "text", text: { body: "hi" } })
    const again = received({ type: "text", text: { body: "something else entirely" } })
    assert.strictEqual(first.event.id, again.event.id)
    // pinned: an event recorded before an upgrade keeps its id after it
    assert.strictEqual(Event.idOf("message.received|+919876500001|wamid.1"), "evt_261bb7d337e02e8b6d068da436f5e5d9")
  })

  it.prop("ids: evt_ and 32 hex digits, one per key, the same wherever computed", [
    fc.uniqueArray(fc.string(), { minLength: 2, maxLength: 50 })
  ], ([keys]) => {
    const ids = keys.map(Event.idOf)
    assert.strictEqual(new Set(ids).size, keys.length)
    assert.deepStrictEqual(keys.map(Event.idOf), ids)
    for (const id of ids) assert.match(id, /^evt_[0-9a-f]{32}$/)
  }, { fastCheck: { numRuns: 200 } })

  it("orderingKey: the pair for every event of a pair, None for webhook.quarantined", () => {
    for (const { event } of allDrafts()) {
      assert.deepStrictEqual(
        Event.orderingKey(event),
        event.type === "webhook.quarantined" ? Option.none() : Option.some(`${business}|${customer}`)
      )
    }
    const quarantined =
      Event.webhookQuarantined({ id: "q", kind: "body", reason: "r", receivedAt: NOW, item: null }).event
    assert.strictEqual(quarantined.business, null)
    assert.deepStrictEqual(Event.orderingKey({ ...quarantined, business }), Option.none())
  })

  it("isEventType knows exactly the eight types, in the documented order", () => {
    assert.deepStrictEqual(Event.EVENT_TYPES, [
      "message.received",
      "message.status",
      "message.released",
      "message.expired",
      "window.opened",
      "window.expiring",
      "window.closed",
      "webhook.quarantined"
    ])
    for (const type of Event.EVENT_TYPES) assert.isTrue(Event.isEventType(type))
    for (const value of ["", "window", "window.*", "MESSAGE.RECEIVED", " message.status"]) {
      assert.isFalse(Event.isEventType(value))
    }
  })

  it.prop("isEventType: true exactly for the eight types", [fc.string()], ([value]) => {
    assert.strictEqual(Event.isEventType(value), (Event.EVENT_TYPES as ReadonlyArray<string>).includes(value))
  }, { fastCheck: { numRuns: 200 } })

  it("snapshot: none, open, expired and provider-closed windows, with sendableUntil = expiry - margin", () => {
    assert.deepStrictEqual(Event.snapshot(empty, NOW, MARGIN), {
      state: "none",
      lastInboundAt: null,
      expiresAt: null,
      sendableUntil: null,
      closedByProvider: false
    })
    assert.deepStrictEqual(Event.snapshot(window, NOW, MARGIN), {
      state: "open",
      lastInboundAt: hours(-2),
      expiresAt: hours(22),
      sendableUntil: hours(21.5),
      closedByProvider: false
    })
    assert.deepStrictEqual(Event.snapshot(window, hours(21.5), MARGIN).state, "expired")
    assert.deepStrictEqual(Event.snapshot(window, hours(21.5), Duration.zero).state, "open")
    assert.deepStrictEqual(Event.snapshot(SessionWindow.closeByProvider(window, hours(1)), hours(2), MARGIN), {
      state: "expired",
      lastInboundAt: hours(-2),
      expiresAt: hours(22),
      sendableUntil: hours(21.5),
      closedByProvider: true
    })
  })

  it("content with an own __proto__ key (as JSON.parse makes it) keeps it through encode and decode", () => {
    const content = JSON.parse("{\"__proto__\":{\"x\":1},\"type\":\"text\"}") as Record<string, unknown>
    const message = new SessionWindow.InboundMessage({
      business,
      customer,
      messageId: "m",
      sentAt: hours(0),
      receivedAt: hours(0)
    })
    const { event } = Event.messageReceived(
      {
        message,
        contentType: "text",
        content,
        profileName: Option.none(),
        providerTimestamp: Option.none(),
        timestampAdjustment: "none"
      },
      SessionWindow.record(window, message),
      MARGIN
    )
    const encoded = JSON.parse(JSON.stringify(Event.encode(event))) as { data: { content: object } }
    assert.deepStrictEqual(Object.keys(encoded.data.content), ["__proto__", "type"])
    const again = JSON.parse(JSON.stringify(Event.encode(Event.decode(encoded)))) as { data: { content: object } }
    assert.deepStrictEqual(Object.keys(again.data.content), ["__proto__", "type"])
    assert.deepStrictEqual(Object.getOwnPropertyDescriptor(again.data.content, "__proto__")?.value, { x: 1 })
  })

  const json = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown)
  it.prop("random events round-trip, whatever content and quarantined item they carry", [
    fc.dictionary(fc.string(), json, { noNullPrototype: false }),
    json,
    fc.integer({ min: -48, max: 48 }),
    fc.string({ minLength: 1 })
  ], ([content, item, h, messageId]) => {
    const message = new SessionWindow.InboundMessage({
      business,
      customer,
      messageId,
      sentAt: hours(h),
      receivedAt: hours(Math.max(h, 0))
    })
    const after = SessionWindow.record(window, message)
    const drafts = [
      Event.messageReceived(
        {
          message,
          contentType: "x",
          content,
          profileName: Option.none(),
          providerTimestamp: Option.some(hours(h)),
          timestampAdjustment: "none"
        },
        after,
        MARGIN
      ),
      Event.windowOpened(after, "expired", hours(h), MARGIN),
      Event.webhookQuarantined({ id: messageId, kind: "unknown_message", reason: "r", receivedAt: NOW, item })
    ]
    for (const { event } of drafts) {
      const encoded = JSON.parse(JSON.stringify(Event.encode(event))) as unknown
      assert.deepStrictEqual(Event.encode(Event.decode(encoded)), encoded)
    }
  }, { fastCheck: { numRuns: 200 } })
})

describe("Event.parseTypes", () => {
  it("reads a comma-separated list of types; names the unknown ones, or an empty list, and every type", () => {
    assert.deepStrictEqual(
      Event.parseTypes(" message.received, window.expiring ,"),
      Either.right(["message.received", "window.expiring"])
    )
    const unknown = Event.parseTypes("message.received,window.gone,nope")
    assert.isTrue(Either.isLeft(unknown) && unknown.left.startsWith("type: unknown window.gone, nope; the types are "))
    assert.deepStrictEqual(
      Event.parseTypes(" , "),
      Either.left(`type: empty; the types are ${Event.EVENT_TYPES.join(", ")}`)
    )
  })
})
