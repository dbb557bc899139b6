/**
 * The parking contract, for a `SessionStore` and its `EventLog`: parking under the pair's lock with at most one
 * re-engagement template per interval, release in the webhook transaction that opens the window (in parking order,
 * ahead of later sends), expiry, cancellation and listing. Each case uses its own numbers and its own stretch of time.
 *
 * @since 0.2.0
 */
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Event from "../Event.js"
import * as EventLog from "../EventLog.js"
import * as Ingest from "../Ingest.js"
import * as Outbound from "../Outbound.js"
import type * as Parking from "../Parking.js"
import * as PhoneNumber from "../PhoneNumber.js"
import * as SessionStore from "../SessionStore.js"
import * as WindowEvents from "../WindowEvents.js"
import * as assert from "./ContractAssert.js"
import * as ContractCase from "./ContractCase.js"
import { at, freshNumber, inbound, outbound, recordInbound } from "./ContractFixtures.js"

const DAY = 86_400_000
const HOUR = 3_600_000
let eras = 0
/** The start of a stretch of 40 days used by one case only (from 2034 on). */
const freshEra = (): number => Date.UTC(2034, 0, 1) + 40 * DAY * eras++
const iso = (millis: number): string => new Date(millis).toISOString()

const policy: Parking.Policy = { reengageInterval: Duration.hours(24) }

/** A session message parked at `createdAt` until `createdAt + ttl`. */
const parkedMessage = (
  business: PhoneNumber.PhoneNumber,
  customer: PhoneNumber.PhoneNumber,
  createdAt: number,
  fields: Record<string, unknown> = {}
) =>
  outbound(business, customer, {
    status: "parked",
    reason: "NO_ACTIVE_SESSION",
    windowState: "none",
    windowExpiresAt: null,
    history: [{ status: "parked", at: iso(createdAt), code: null, detail: null }],
    createdAt: iso(createdAt),
    parkedUntil: iso(createdAt + 7 * DAY),
    fallback: { type: "template", template: { name: "come_back", language: { code: "en" } } },
    ...fields
  })

const templateFor = (parked: Outbound.OutboundMessage, now: number) =>
  outbound(parked.business, parked.customer, {
    id: `${parked.id}-reengage`,
    decision: "template",
    content: { type: "template", template: { name: "come_back", language: { code: "en" } } },
    status: "queued",
    history: [{ status: "queued", at: iso(now), code: null, detail: null }],
    createdAt: iso(now)
  })

const park = (store: SessionStore.SessionStoreShape, message: Outbound.OutboundMessage, now: number, nudge = true) =>
  store.park({
    message,
    reengagement: nudge ? Option.some(templateFor(message, now)) : Option.none(),
    now: at(now),
    safetyMargin: Duration.zero,
    policy
  })

const parkedOf = (result: SessionStore.ParkResult) => {
  assert.hasTag(result, "Parked", "expected the message parked, the window was open")
  return result
}

const statusOf = (store: SessionStore.SessionStoreShape, id: string) =>
  Effect.map(store.findOutbound(id), (found) => Option.getOrThrow(found).status)

/** The ids of the business's jobs claimable at `now` (claims them). */
const claimed = (store: SessionStore.SessionStoreShape, business: string, now: number) =>
  Effect.map(
    store.claimSends({ now: at(now), limit: 1000 }),
    (messages) => messages.filter((message) => message.business === business).map((message) => message.id)
  )

/** The message a parking event is about. */
const messageIdOf = (event: Event.Event): string => {
  assert.isTrue(event.type === "message.released" || event.type === "message.expired", event.type)
  return (event.data as { readonly messageId: string }).messageId
}

/** Every recorded event of these types about the business, in log order (at most 10,000 pages of 500). */
const eventsOf = (business: string, types: ReadonlyArray<Event.EventType>) =>
  Effect.flatMap(EventLog.EventLog, (log) =>
    Effect.map(
      Effect.iterate(
        { found: [] as ReadonlyArray<Event.Event>, after: Option.none<string>(), done: false, page: 0 },
        {
          while: (state) => !state.done && state.page < 10_000,
          body: (state) =>
            Effect.map(log.listEvents({ after: state.after, types: Option.some(types), limit: 500 }), (result) => ({
              found: [...state.found, ...result.items.filter((event) => event.business === business)],
              after: result.last,
              done: Option.isNone(result.last) || result.items.length < 500,
              page: state.page + 1
            }))
        }
      ),
      (state) => {
        assert.isTrue(state.done, "the event log does not end")
        return state.found
      }
    ))

/**
 * The cases of the parking contract, in order, for one store (`SessionStore` and `EventLog` over the same state)
 * shared by them all.
 *
 * @since 0.2.0
 * @category constructors
 */
export const cases = (): ReadonlyArray<ContractCase.ContractCase<SessionStore.SessionStore | EventLog.EventLog>> => [
  ContractCase.make(
    "parks while no window is open, nudging the pair at most once per interval",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const t = freshEra()
      const [b, c] = [freshNumber(), freshNumber()]
      const first = parkedMessage(b, c, t)
      const parked = parkedOf(yield* park(store, first, t))
      assert.isTrue(parked.inserted)
      assert.strictEqual(parked.message.status, "parked")
      assert.deepStrictEqual(Option.map(parked.message.parkedUntil, DateTime.toEpochMillis), Option.some(t + 7 * DAY))
      assert.deepStrictEqual(Option.map(parked.reengagement, (m) => m.id), Option.some(`${first.id}-reengage`))
      // nine more within the interval: one template for ten messages
      for (let i = 1; i < 10; i++) {
        const more = parkedOf(yield* park(store, parkedMessage(b, c, t + i * HOUR), t + i * HOUR))
        assert.isTrue(Option.isNone(more.reengagement), `message ${i} nudged again`)
      }
      // the parked messages hold no place in the pair's line: the template goes now
      assert.deepStrictEqual(yield* claimed(store, b, t + 10 * HOUR), [`${first.id}-reengage`])
      // once the interval is over, the next parked message nudges again
      const later = t + 24 * HOUR
      const again = parkedOf(yield* park(store, parkedMessage(b, c, later), later))
      assert.isTrue(Option.isSome(again.reengagement))
      // a message without a template parks without nudging, and does not count as a nudge
      const [b2, c2] = [freshNumber(), freshNumber()]
      assert.isTrue(Option.isNone(parkedOf(yield* park(store, parkedMessage(b2, c2, t), t, false)).reengagement))
      assert.isTrue(Option.isSome(parkedOf(yield* park(store, parkedMessage(b2, c2, t + 1), t + 1)).reengagement))
    })
  ),

  ContractCase.make(
    "writes nothing when the window is open at the instant of parking",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const t = freshEra()
      const [b, c] = [freshNumber(), freshNumber()]
      yield* recordInbound(store, inbound(b, c, "wamid.open", t))
      const message = parkedMessage(b, c, t + HOUR)
      assert.strictEqual((yield* park(store, message, t + HOUR))._tag, "WindowOpen")
      assert.isTrue(Option.isNone(yield* store.findOutbound(message.id)))
      assert.isTrue(Option.isNone(yield* store.findOutbound(`${message.id}-reengage`)))
      // within the safety margin of the end it is not open any more
      const margin = yield* store.park({
        message,
        reengagement: Option.none(),
        now: at(t + 23 * HOUR),
        safetyMargin: Duration.hours(2),
        policy
      })
      assert.strictEqual(margin._tag, "Parked")
    })
  ),

  ContractCase.make(
    "an idempotency key parks one message",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const t = freshEra()
      const [b, c] = [freshNumber(), freshNumber()]
      const first = parkedMessage(b, c, t, { idempotencyKey: "park-1" })
      parkedOf(yield* park(store, first, t))
      const second = parkedOf(yield* park(store, parkedMessage(b, c, t + 1, { idempotencyKey: "park-1" }), t + 1))
      assert.isFalse(second.inserted)
      assert.strictEqual(second.message.id, first.id)
      assert.isTrue(Option.isNone(second.reengagement))
    })
  ),

  ContractCase.make(
    "the customer's message releases the pair's parked messages in order, ahead of later sends",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const t = freshEra()
      const [b, c] = [freshNumber(), freshNumber()]
      const messages = [0, 1, 2].map((i) => parkedMessage(b, c, t + i * HOUR))
      // parked out of order: the release goes by parking time
      for (const message of [messages[2]!, messages[0]!, messages[1]!]) {
        parkedOf(yield* park(store, message, DateTime.toEpochMillis(message.createdAt), false))
      }
      const expiring = parkedMessage(b, c, t, { parkedUntil: iso(t + 4 * HOUR) })
      parkedOf(yield* park(store, expiring, t, false))
      const elsewhere = parkedMessage(b, freshNumber(), t)
      parkedOf(yield* park(store, elsewhere, t, false))

      const opened = t + 5 * HOUR
      yield* recordInbound(store, inbound(b, c, "wamid.back", opened))
      for (const message of messages) assert.strictEqual(yield* statusOf(store, message.id), "queued")
      assert.strictEqual(yield* statusOf(store, expiring.id), "expired", "past its time to live at the release")
      assert.strictEqual(yield* statusOf(store, elsewhere.id), "parked", "another pair's message stays parked")
      const released = Option.getOrThrow(yield* store.findOutbound(messages[0]!.id))
      assert.deepStrictEqual(released.history.map((e) => e.status), ["parked", "queued"])
      assert.strictEqual(DateTime.toEpochMillis(Outbound.queuedAt(released)), opened)

      const events = yield* eventsOf(b, ["message.released", "message.expired"])
      assert.deepStrictEqual(
        events.map((event) => [event.type, messageIdOf(event)]),
        [
          ["message.released", messages[0]!.id],
          ["message.released", messages[1]!.id],
          ["message.released", messages[2]!.id],
          ["message.expired", expiring.id]
        ]
      )
      const first = events[0]!
      assert.strictEqual(first.type === "message.released" && first.data.basisMessageId, "wamid.back")

      // a message the business sends after the release waits for the released ones
      const after = outbound(b, c, {
        status: "queued",
        history: [{ status: "queued", at: iso(opened + 1), code: null, detail: null }],
        createdAt: iso(opened + 1)
      })
      yield* store.insertOutbound(after, { queued: true })
      const order: Array<string> = []
      for (let round = 0; round < 5; round++) {
        const ids = yield* claimed(store, b, opened + 10 + round)
        assert.isAtMost(ids.length, 1, "one message of the pair at a time")
        for (const id of ids) {
          order.push(id)
          assert.isTrue(yield* store.startSend(id, at(opened + 10 + round)))
          yield* store.finishSend(id)
        }
      }
      assert.deepStrictEqual(order, [...messages.map((m) => m.id), after.id])

      // released once: the same customer message again, or the next one, releases nothing more
      yield* recordInbound(store, inbound(b, c, "wamid.back", opened))
      yield* recordInbound(store, inbound(b, c, "wamid.again", opened + HOUR))
      assert.strictEqual((yield* eventsOf(b, ["message.released"])).length, 3)
    })
  ),

  ContractCase.make(
    "a dry run's parked message is released as a decision: pending, never a send job",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const t = freshEra()
      const [b, c] = [freshNumber(), freshNumber()]
      const message = parkedMessage(b, c, t, { dryRun: true })
      parkedOf(yield* park(store, message, t, false))
      yield* recordInbound(store, inbound(b, c, "wamid.dry", t + HOUR))
      const released = Option.getOrThrow(yield* store.findOutbound(message.id))
      assert.deepStrictEqual(released.history.map((e) => e.status), ["parked", "pending"])
      assert.deepStrictEqual(yield* claimed(store, b, t + 2 * HOUR), [])
      assert.strictEqual((yield* eventsOf(b, ["message.released"])).length, 1)
    })
  ),

  ContractCase.make(
    "a 30018 report about a released message closes the window and parks its copy, once",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const t = freshEra()
      const [b, c] = [freshNumber(), freshNumber()]
      const message = parkedMessage(b, c, t)
      parkedOf(yield* park(store, message, t, false))
      yield* recordInbound(store, inbound(b, c, "wamid.open", t + HOUR))
      const report = (at: number) =>
        store.ingest({
          now: DateTime.unsafeMake(at),
          policy: WindowEvents.defaultPolicy,
          items: [Ingest.ownStatus(
            { _tag: "ById", id: message.id },
            new Outbound.StatusEvent({
              status: "failed",
              at: DateTime.unsafeMake(at),
              code: Option.some("30018"),
              detail: Option.none()
            })
          )].map((item) => ({ ...item, reengagement: true })),
          resolves: []
        })
      yield* report(t + HOUR + 1000)
      yield* report(t + HOUR + 2000)
      const copies = yield* store.listParked({ business: Option.some(b), customer: Option.none(), limit: 10 })
      assert.deepStrictEqual(copies.map((m) => m.id), [`${message.id}${Outbound.REPARK_SUFFIX}`])
      assert.deepStrictEqual(copies[0]!.createdAt, message.createdAt)
      assert.strictEqual(yield* statusOf(store, message.id), "failed")
      assert.isTrue(
        Option.getOrThrow(yield* store.getWindow(new PhoneNumber.Pair({ business: b, customer: c })))
          .closedByProviderAt._tag === "Some"
      )
      // the customer writes again: the copy is released
      yield* recordInbound(store, inbound(b, c, "wamid.again", t + 2 * HOUR))
      assert.strictEqual(yield* statusOf(store, copies[0]!.id), "queued")
    })
  ),

  ContractCase.make(
    "a late customer message that does not open the window releases nothing",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const t = freshEra()
      const [b, c] = [freshNumber(), freshNumber()]
      const message = parkedMessage(b, c, t + 2 * DAY)
      parkedOf(yield* park(store, message, t + 2 * DAY, false))
      // sent two days ago, delivered now: its window is over already
      yield* recordInbound(store, inbound(b, c, "wamid.late", t, t + 2 * DAY + HOUR))
      assert.strictEqual(yield* statusOf(store, message.id), "parked")
    })
  ),

  ContractCase.make(
    "cancels a parked message once; what left the parking is not cancelled",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const t = freshEra()
      const [b, c] = [freshNumber(), freshNumber()]
      const message = parkedMessage(b, c, t)
      parkedOf(yield* park(store, message, t, false))
      const cancelled = Option.getOrThrow(yield* store.cancelParked(message.id, at(t + 1)))
      assert.isTrue(cancelled.cancelled)
      assert.strictEqual(cancelled.message.status, "cancelled")
      assert.deepStrictEqual(cancelled.message.history.map((e) => e.status), ["parked", "cancelled"])
      const again = Option.getOrThrow(yield* store.cancelParked(message.id, at(t + 2)))
      assert.isFalse(again.cancelled)
      assert.strictEqual(again.message.status, "cancelled")
      assert.isTrue(Option.isNone(yield* store.cancelParked("no-such-message", at(t + 2))))
      // a cancelled message is not released
      yield* recordInbound(store, inbound(b, c, "wamid.c", t + HOUR))
      assert.strictEqual(yield* statusOf(store, message.id), "cancelled")
      // a released one cannot be cancelled
      const [b2, c2] = [freshNumber(), freshNumber()]
      const released = parkedMessage(b2, c2, t)
      parkedOf(yield* park(store, released, t, false))
      yield* recordInbound(store, inbound(b2, c2, "wamid.r", t + HOUR))
      const refused = Option.getOrThrow(yield* store.cancelParked(released.id, at(t + 2 * HOUR)))
      assert.isFalse(refused.cancelled)
      assert.strictEqual(refused.message.status, "queued")
    })
  ),

  ContractCase.make(
    "expires parked messages whose time to live is over, with their events, at most `limit` at a time",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const t = freshEra()
      const [b, c] = [freshNumber(), freshNumber()]
      const due = [1, 2, 3].map((i) => parkedMessage(b, c, t, { parkedUntil: iso(t + i * HOUR) }))
      const waiting = parkedMessage(b, c, t, { parkedUntil: iso(t + 30 * DAY) })
      for (const message of [...due, waiting]) parkedOf(yield* park(store, message, t, false))
      const now = t + 3 * HOUR
      // in rounds of one, until a round expires nothing (at most 20 rounds)
      const { total } = yield* Effect.iterate({ total: 0, last: -1, round: 0 }, {
        while: (state) => state.last !== 0 && state.round < 20,
        body: (state) =>
          Effect.map(store.expireParked(at(now), 1), (n) => {
            assert.isAtMost(n, 1)
            return { total: state.total + n, last: n, round: state.round + 1 }
          })
      })
      // other cases' messages may be due too (the store is shared): ours are all expired
      assert.isAtLeast(total, 3)
      for (const message of due) assert.strictEqual(yield* statusOf(store, message.id), "expired")
      assert.strictEqual(yield* statusOf(store, waiting.id), "parked")
      const events = yield* eventsOf(b, ["message.expired"])
      assert.deepStrictEqual(events.map(messageIdOf).sort(), due.map((m) => m.id).sort())
      const first = events.find((event) => messageIdOf(event) === due[0]!.id)!
      assert.strictEqual(
        first.type === "message.expired" && DateTime.toEpochMillis(first.data.parkedUntil),
        t + HOUR
      )
      assert.strictEqual(yield* store.expireParked(at(now), 0), 0)
    })
  ),

  ContractCase.make(
    "lists parked messages by business and pair, in release order",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const t = freshEra()
      const [b, c1, c2] = [freshNumber(), freshNumber(), freshNumber()]
      const messages = [
        parkedMessage(b, c2, t + 2),
        parkedMessage(b, c1, t),
        parkedMessage(b, c1, t + 1)
      ]
      for (const message of messages) {
        parkedOf(yield* park(store, message, DateTime.toEpochMillis(message.createdAt), false))
      }
      yield* store.cancelParked(messages[2]!.id, at(t + 3))
      const ids = (query: Partial<SessionStore.ParkedQuery>) =>
        Effect.map(
          store.listParked({ business: Option.some(b), customer: Option.none(), limit: 100, ...query }),
          (found) => found.map((message) => message.id)
        )
      assert.deepStrictEqual(yield* ids({}), [messages[1]!.id, messages[0]!.id])
      assert.deepStrictEqual(yield* ids({ customer: Option.some(c2) }), [messages[0]!.id])
      assert.deepStrictEqual(yield* ids({ limit: 1 }), [messages[1]!.id])
      assert.deepStrictEqual(yield* ids({ limit: 0 }), [])
    })
  ),

  ContractCase.make(
    "concurrent releases, cancellations and expiry: each parked message leaves the parking once",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const t = freshEra()
      const b = freshNumber()
      const customers = Array.from({ length: 6 }, () => freshNumber())
      const messages = customers.flatMap((c) =>
        [0, 1, 2].map((i) => parkedMessage(b, c, t + i, { parkedUntil: iso(t + HOUR + i) }))
      )
      for (const message of messages) parkedOf(yield* park(store, message, t, false))
      const now = t + HOUR + 1 // the first two of each pair are past their time to live, the third is not
      yield* Effect.all([
        ...customers.map((c, i) =>
          store.ingest({
            now: at(now),
            policy: WindowEvents.defaultPolicy,
            items: [{
              _tag: "Inbound",
              message: inbound(b, c, `wamid.race.${i}`, now),
              contentType: "text",
              content: { type: "text", text: { body: "back" } },
              profileName: Option.none(),
              providerTimestamp: Option.none(),
              timestampAdjustment: "none",
              raw: "{}"
            }],
            resolves: []
          })
        ),
        ...messages.map((message) => store.cancelParked(message.id, at(now))),
        store.expireParked(at(now), 1000)
      ], { concurrency: "unbounded", discard: true })
      const statuses = yield* Effect.forEach(messages, (message) => statusOf(store, message.id))
      for (const status of statuses) assert.include(["queued", "expired", "cancelled"], status)
      const events = yield* eventsOf(b, ["message.released", "message.expired"])
      const released = events.filter((event) => event.type === "message.released").map(messageIdOf)
      const expired = events.filter((event) => event.type === "message.expired").map(messageIdOf)
      assert.strictEqual(new Set(released).size, released.length, "released twice")
      assert.strictEqual(new Set(expired).size, expired.length, "expired twice")
      messages.forEach((message, i) => {
        assert.strictEqual(released.includes(message.id), statuses[i] === "queued", `${message.id} released`)
        assert.strictEqual(expired.includes(message.id), statuses[i] === "expired", `${message.id} expired`)
      })
    })
  )
]
