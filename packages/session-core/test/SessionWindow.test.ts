import { assert, describe, it } from "@effect/vitest"
import { Array as Arr, DateTime, Duration, Option, Order } from "effect"
import * as fc from "effect/FastCheck"
import { SessionWindow } from "../src/index.js"
import { at, business, customer, inbound, pair, snapshot } from "./fixtures.js"

const T0 = at("2026-01-20T00:00:00Z").epochMillis
const DAY = 24 * 60 * 60 * 1000
const empty = SessionWindow.empty(pair)

/** Unique messages (by id) spread over five days, with receive times at or after their send times. */
const messagesArb = fc
  .uniqueArray(
    fc.record({
      id: fc.stringMatching(/^[a-z0-9]{1,6}$/),
      sent: fc.integer({ min: 0, max: 5 * DAY }),
      delay: fc.integer({ min: 0, max: 2 * DAY })
    }),
    { selector: (m) => m.id, minLength: 1, maxLength: 40 }
  )
  .map((ms) =>
    ms.map((m) => inbound(m.id, DateTime.unsafeMake(T0 + m.sent), DateTime.unsafeMake(T0 + m.sent + m.delay)))
  )

/** The same messages shuffled, with some delivered more than once. */
const deliveriesArb = messagesArb.chain((messages) =>
  fc
    .tuple(fc.shuffledSubarray(messages), fc.array(fc.integer({ min: 0, max: 1_000_000 })))
    .map(([dups, keys]) => {
      const all = [...messages, ...dups]
      const order = all.map((m, i) => ({ m, key: keys[i] ?? i }))
      const byKey = Order.mapInput(Order.number, (x: { key: number }) => x.key)
      return { messages, deliveries: Arr.sort(order, byKey).map((x) => x.m) }
    })
)

const fold = (messages: ReadonlyArray<SessionWindow.InboundMessage>): SessionWindow.Window =>
  messages.reduce<SessionWindow.Window>((w, m) => SessionWindow.record(w, m), empty)

const byTime = Order.mapInput(DateTime.Order, (m: SessionWindow.InboundMessage) => m.sentAt)

const instantArb = fc.integer({ min: -DAY, max: 7 * DAY }).map((ms) => DateTime.unsafeMake(T0 + ms))

describe("SessionWindow laws", () => {
  it.prop("any permutation of an inbound stream, with any duplicates, gives the window of the sorted unique stream", [
    deliveriesArb
  ], ([{ deliveries, messages }]) => {
    assert.deepStrictEqual(snapshot(fold(deliveries)), snapshot(fold(Arr.sort(messages, byTime))))
  }, { fastCheck: { numRuns: 300 } })

  it.prop(
    "recording never shortens expiresAt and keeps lastInboundAt at the maximum timestamp",
    [messagesArb],
    ([messages]) => {
      let window: SessionWindow.Window = empty
      for (const message of messages) {
        const next = SessionWindow.record(window, message)
        if (SessionWindow.hasWindow(window)) {
          assert.isTrue(DateTime.greaterThanOrEqualTo(SessionWindow.expiresAt(next), SessionWindow.expiresAt(window)))
        }
        window = next
      }
      const max = messages.reduce((a, m) => Math.max(a, m.sentAt.epochMillis), -Infinity)
      assert.isTrue(SessionWindow.hasWindow(window) && window.lastInboundAt.epochMillis === max)
    }
  )

  it.prop("expiresAt - lastInboundAt is exactly 24 hours", [messagesArb], ([messages]) => {
    const window = fold(messages)
    assert.isTrue(SessionWindow.hasWindow(window))
    if (SessionWindow.hasWindow(window)) {
      assert.strictEqual(SessionWindow.expiresAt(window).epochMillis - window.lastInboundAt.epochMillis, DAY)
      assert.isTrue(Duration.equals(SessionWindow.WINDOW_LENGTH, Duration.hours(24)))
    }
  })

  it.prop("open at now iff some inbound t <= now has now < t + 24h - margin (brute-force oracle)", [
    messagesArb,
    instantArb,
    fc.integer({ min: 0, max: 3 * 60 * 60 * 1000 })
  ], ([messages, now, margin]) => {
    const sentBy = messages.filter((m) => DateTime.lessThanOrEqualTo(m.sentAt, now))
    const oracle = sentBy.some((m) => now.epochMillis < m.sentAt.epochMillis + DAY - margin)
    const status = SessionWindow.statusAt(fold(sentBy), now, { safetyMargin: Duration.millis(margin) })
    assert.strictEqual(status.state === "open", oracle)
    assert.strictEqual(SessionWindow.isOpenAt(fold(sentBy), now, { safetyMargin: Duration.millis(margin) }), oracle)
    assert.strictEqual(status.state === "none", sentBy.length === 0)
    if (status.state === "open") {
      const expiry = Option.getOrThrow(status.expiresAt).epochMillis
      assert.strictEqual(Duration.toMillis(status.remaining), expiry - margin - now.epochMillis)
    } else {
      assert.isTrue(Duration.isZero(status.remaining))
    }
  }, { fastCheck: { numRuns: 500 } })

  it.prop("an open window was open at every earlier instant since its latest message", [
    messagesArb,
    fc.integer({ min: 0, max: DAY }),
    fc.integer({ min: 0, max: DAY })
  ], ([ms, a, b]) => {
    const window = fold(ms)
    if (!SessionWindow.hasWindow(window)) return
    const later = DateTime.unsafeMake(window.lastInboundAt.epochMillis + Math.max(a, b))
    const earlier = DateTime.unsafeMake(window.lastInboundAt.epochMillis + Math.min(a, b))
    if (SessionWindow.isOpenAt(window, later)) assert.isTrue(SessionWindow.isOpenAt(window, earlier))
  })

  it.prop("the same message twice changes nothing", [messagesArb], ([messages]) => {
    const window = fold(messages)
    for (const message of messages) {
      assert.deepStrictEqual(snapshot(SessionWindow.record(window, message)), snapshot(window))
    }
  })

  it.prop("a provider closure holds until a message sent after it arrives, whatever the clock says", [
    messagesArb,
    fc.integer({ min: 0, max: 2 * DAY }),
    fc.integer({ min: 1, max: DAY })
  ], ([ms, c, d]) => {
    const window = fold(ms)
    if (!SessionWindow.hasWindow(window)) return
    const closedAt = DateTime.unsafeMake(window.lastInboundAt.epochMillis + c)
    const closed = SessionWindow.closeByProvider(window, closedAt)
    const now = DateTime.unsafeMake(closedAt.epochMillis + 1)
    const status = SessionWindow.statusAt(closed, now)
    assert.strictEqual(status.state, "expired")
    assert.isTrue(status.closedByProvider)
    // an older closure never replaces a newer one
    const again = SessionWindow.closeByProvider(closed, window.lastInboundAt)
    assert.strictEqual(SessionWindow.statusAt(again, now).state, "expired")
    // a late webhook of a message sent before the closure does not reopen it
    const stale = SessionWindow.record(closed, inbound("stale", DateTime.unsafeMake(closedAt.epochMillis - 1)))
    assert.strictEqual(SessionWindow.statusAt(stale, now).state, "expired")
    // a message sent after the closure reopens it
    const reply = inbound("reply-after-closure", DateTime.unsafeMake(closedAt.epochMillis + d))
    const reopened = SessionWindow.record(closed, reply)
    const status2 = SessionWindow.statusAt(reopened, reply.sentAt)
    assert.strictEqual(status2.state, "open")
    assert.isFalse(status2.closedByProvider)
  })
})

describe("SessionWindow examples", () => {
  const t = at("2026-01-20T10:00:00+05:30")

  it("a pair that never wrote has no window, and a provider closure does not create one", () => {
    const status = SessionWindow.statusAt(empty, t)
    assert.strictEqual(status.state, "none")
    assert.isTrue(Option.isNone(status.expiresAt) && Option.isNone(status.lastInboundAt))
    assert.strictEqual(SessionWindow.closeByProvider(empty, t), empty)
    assert.isFalse(SessionWindow.isOpenAt(empty, t))
  })

  it("fromOption rebuilds the window a store returns", () => {
    const window = SessionWindow.record(empty, inbound("m1", t))
    assert.strictEqual(SessionWindow.fromOption(pair, Option.some(window)), window)
    assert.deepStrictEqual(snapshot(SessionWindow.fromOption(pair, Option.none())), snapshot(empty))
  })

  it("ties on the timestamp go to the larger message id; firstSeenAt keeps the earliest receive time", () => {
    const a = inbound("a", t, DateTime.unsafeMake(t.epochMillis + 5000))
    const b = inbound("b", t, DateTime.unsafeMake(t.epochMillis + 1000))
    for (const order of [[a, b], [b, a]]) {
      const window = fold(order)
      assert.isTrue(SessionWindow.hasWindow(window))
      if (SessionWindow.hasWindow(window)) {
        assert.strictEqual(window.basisMessageId, "b")
        assert.deepStrictEqual(window.firstSeenAt, b.receivedAt)
        assert.deepStrictEqual(window.basisReceivedAt, b.receivedAt)
      }
    }
    // an older message received earlier than anything else only moves firstSeenAt
    const late = fold([
      a,
      inbound("old", DateTime.unsafeMake(t.epochMillis - 1), DateTime.unsafeMake(t.epochMillis - 1))
    ])
    assert.isTrue(
      SessionWindow.hasWindow(late) && late.basisMessageId === "a" && late.firstSeenAt.epochMillis === t.epochMillis - 1
    )
  })

  it("explain names the basis message, the timestamps, the margin and a provider closure", () => {
    const window = SessionWindow.record(empty, inbound("wamid.1", t))
    const open = SessionWindow.explain(window, at("2026-01-20T12:00:00+05:30"), { safetyMargin: "10 minutes" })
    assert.strictEqual(open.status.state, "open")
    assert.include(open.summary, "wamid.1")
    assert.include(open.summary, "2026-01-20T04:30:00.000Z")
    assert.include(open.summary, "safety margin of 10m")
    assert.include(open.summary, "open at 2026-01-20T06:30:00.000Z, 21h 50m left.")
    assert.deepStrictEqual(open.basisMessageId, Option.some("wamid.1"))
    // the time left in whole seconds, never milliseconds
    const odd = SessionWindow.explain(window, DateTime.unsafeMake(at("2026-01-21T04:29:58.981Z").epochMillis))
    assert.include(odd.summary, "open at 2026-01-21T04:29:58.981Z, 1s left.")
    const last = SessionWindow.explain(window, DateTime.unsafeMake(at("2026-01-21T04:29:59.400Z").epochMillis))
    assert.include(last.summary, ", under a second left.")
    const expired = SessionWindow.explain(window, at("2026-01-22T00:00:00Z"))
    assert.include(expired.summary, "expired at 2026-01-22T00:00:00.000Z")
    const closedAt = at("2026-01-20T11:00:00+05:30")
    const closed = SessionWindow.explain(SessionWindow.closeByProvider(window, closedAt), closedAt)
    assert.include(closed.summary, "closed at 2026-01-20T05:30:00.000Z")
    assert.isTrue(closed.status.closedByProvider)
    const none = SessionWindow.explain(empty, t)
    assert.include(none.summary, `${customer} has never written to ${business}`)
    assert.isTrue(Option.isNone(none.basisMessageId))
  })
})
