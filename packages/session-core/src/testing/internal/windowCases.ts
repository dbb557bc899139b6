// The store contract's cases about windows: recording inbound messages, dedup, closures, expiring windows.
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import * as fc from "effect/FastCheck"
import * as Option from "effect/Option"
import * as SessionStore from "../../SessionStore.js"
import * as SessionWindow from "../../SessionWindow.js"
import * as assert from "../ContractAssert.js"
import * as ContractCase from "../ContractCase.js"
import {
  at,
  closeByProvider,
  freshNumber,
  inbound,
  oracle,
  type OracleEvent as Event,
  pair,
  pairKey,
  recordInbound,
  recordInboundBatch
} from "../ContractFixtures.js"
import {
  allPages,
  apply,
  DAY,
  encodeWindow,
  encodeWindows,
  expectedExpiring,
  freshEra,
  inOrClose,
  sameWindow,
  shuffledStream
} from "./storeFixtures.js"

/** The cases about windows, in order. */
export const windowCases = (numRuns: number): ReadonlyArray<ContractCase.ContractCase<SessionStore.SessionStore>> => [
  ContractCase.make(
    "records the first message of a pair",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const b = freshNumber()
      const c = freshNumber()
      const t = freshEra()
      assert.isTrue(Option.isNone(yield* store.getWindow(pair(b, c))))
      const message = inbound(b, c, "wamid.1", t, t + 500)
      const result = yield* recordInbound(store, message)
      const expected = SessionWindow.record(SessionWindow.empty({ business: b, customer: c }), message)
      assert.isFalse(result.duplicate)
      assert.deepStrictEqual(encodeWindow(result.window), encodeWindow(expected))
      sameWindow(yield* store.getWindow(pair(b, c)), expected)
    })
  ),

  ContractCase.make(
    "dedup: the same message id twice changes nothing, even with other timestamps",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const b = freshNumber()
      const c = freshNumber()
      const other = freshNumber()
      const t = freshEra()
      const first = yield* recordInbound(store, inbound(b, c, "wamid.dup", t, t + 10))
      const again = yield* recordInbound(store, inbound(b, c, "wamid.dup", t + 3_600_000, t + 3_600_010))
      assert.isTrue(again.duplicate)
      assert.deepStrictEqual(encodeWindow(again.window), encodeWindow(first.window))
      sameWindow(yield* store.getWindow(pair(b, c)), first.window)
      // the same id for another customer of the same business is the same message: the first pair's window
      const elsewhere = yield* recordInbound(store, inbound(b, other, "wamid.dup", t + 7_200_000))
      assert.isTrue(elsewhere.duplicate)
      assert.deepStrictEqual(encodeWindow(elsewhere.window), encodeWindow(first.window))
      assert.isTrue(Option.isNone(yield* store.getWindow(pair(b, other))))
      // dedup is per business: another business may use the same id
      const b2 = freshNumber()
      assert.isFalse((yield* recordInbound(store, inbound(b2, c, "wamid.dup", t))).duplicate)
    })
  ),

  ContractCase.make(
    "keeps the maximum provider timestamp and the earliest first-seen time, whatever the order",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const b = freshNumber()
      const c = freshNumber()
      const t = freshEra()
      const messages = [
        inbound(b, c, "m2", t + 2000, t + 9000),
        inbound(b, c, "m3", t + 3000, t + 8000),
        inbound(b, c, "m1", t + 1000, t + 7000)
      ]
      for (const message of messages) yield* recordInbound(store, message)
      const window = Option.getOrThrow(yield* store.getWindow(pair(b, c)))
      assert.strictEqual(DateTime.toEpochMillis(window.lastInboundAt), t + 3000)
      assert.strictEqual(window.basisMessageId, "m3")
      assert.strictEqual(DateTime.toEpochMillis(window.basisReceivedAt), t + 8000)
      assert.strictEqual(DateTime.toEpochMillis(window.firstSeenAt), t + 7000)
      const expected = oracle(messages.map((message) => ({ _tag: "Inbound", message })))
      sameWindow(Option.some(window), expected.get(pairKey(b, c))!)
    })
  ),

  ContractCase.make(
    "ties on the timestamp go to the larger message id, in either order",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const [b1, b2] = [freshNumber(), freshNumber()]
      const c = freshNumber()
      const t = freshEra()
      yield* recordInbound(store, inbound(b1, c, "wamid.B", t, t + 1))
      yield* recordInbound(store, inbound(b1, c, "wamid.A", t, t + 2))
      yield* recordInbound(store, inbound(b2, c, "wamid.A", t, t + 2))
      yield* recordInbound(store, inbound(b2, c, "wamid.B", t, t + 1))
      for (const b of [b1, b2]) {
        const window = Option.getOrThrow(yield* store.getWindow(pair(b, c)))
        assert.strictEqual(window.basisMessageId, "wamid.B")
        assert.strictEqual(DateTime.toEpochMillis(window.basisReceivedAt), t + 1)
        assert.strictEqual(DateTime.toEpochMillis(window.firstSeenAt), t + 1)
      }
    })
  ),

  ContractCase.make(
    "a redelivered message keeps the first receive time",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const b = freshNumber()
      const c = freshNumber()
      const t = freshEra()
      yield* recordInbound(store, inbound(b, c, "wamid.r", t, t + 50))
      yield* recordInbound(store, inbound(b, c, "wamid.r", t, t + 10))
      const window = Option.getOrThrow(yield* store.getWindow(pair(b, c)))
      assert.strictEqual(DateTime.toEpochMillis(window.firstSeenAt), t + 50)
    })
  ),

  ContractCase.make(
    "provider closure closes until a newer inbound message re-opens",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const b = freshNumber()
      const c = freshNumber()
      const t = freshEra()
      const events: Array<Event> = []
      const step = (event: Event, checkAt: number, state: SessionWindow.WindowState) =>
        Effect.gen(function*() {
          events.push(event)
          yield* apply(store, event)
          const expected = oracle(events).get(pairKey(b, c))! // every event of the pair gives it a window, empty or not
          const actual = yield* store.getWindow(pair(b, c))
          sameWindow(actual, expected)
          const status = SessionWindow.statusAt(SessionWindow.fromOption(pair(b, c), actual), at(checkAt))
          assert.strictEqual(status.state, state)
        })
      yield* step({ _tag: "Close", business: b, customer: c, at: t }, t, "none") // no window: no effect
      yield* step({ _tag: "Inbound", message: inbound(b, c, "m1", t + 1000) }, t + 2000, "open")
      yield* step({ _tag: "Close", business: b, customer: c, at: t + 5000 }, t + 6000, "expired")
      yield* step({ _tag: "Close", business: b, customer: c, at: t + 4000 }, t + 6000, "expired") // keeps the latest
      yield* step({ _tag: "Inbound", message: inbound(b, c, "m2", t + 3000) }, t + 6000, "expired") // older
      yield* step({ _tag: "Inbound", message: inbound(b, c, "m3", t + 5000) }, t + 6000, "expired") // same instant
      yield* step({ _tag: "Inbound", message: inbound(b, c, "m4", t + 5001) }, t + 6000, "open") // newer: re-opens
      const window = Option.getOrThrow(yield* store.getWindow(pair(b, c)))
      assert.deepStrictEqual(Option.map(window.closedByProviderAt, DateTime.toEpochMillis), Option.some(t + 5000))
    })
  ),

  ContractCase.make(
    "expiring windows: horizon, margin, closures, business filter, order and cursor pagination",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const t = freshEra()
      const businesses = [freshNumber(), freshNumber()]
      const events: Array<Event> = []
      let id = 0
      for (const business of businesses) {
        // 3 customers share each timestamp, so pages have to split runs of equal expiresAt
        for (let slot = 0; slot < 6; slot++) {
          for (let k = 0; k < 3; k++) {
            const message = inbound(business, freshNumber(), `x${++id}`, t + slot * 3_600_000)
            events.push({ _tag: "Inbound", message })
          }
        }
      }
      const closed = events[4]!
      if (closed._tag === "Inbound") {
        const { business, customer } = closed.message
        events.push({ _tag: "Close", business, customer, at: t + 9e6 })
      }
      for (const event of events) yield* apply(store, event)
      const windows = oracle(events)
      for (
        const [now, horizon, margin] of [
          [t + DAY - 1, 3 * 3_600_000, 0],
          [t + DAY + 1_000, 2 * 3_600_000 + 1, 0],
          [t + DAY - 3_600_000, 3 * 3_600_000, 3_600_000],
          [t + DAY + 3_600_000, DAY, 1_800_000],
          [t, 10 * DAY, 0]
        ] as const
      ) {
        for (const business of [Option.none(), Option.some(businesses[1]!)]) {
          for (const limit of [2, 4, 100]) {
            const query = {
              now: at(now),
              horizon: Duration.millis(horizon),
              safetyMargin: Duration.millis(margin),
              business,
              limit
            }
            const items = yield* allPages(store, query)
            assert.deepStrictEqual(
              encodeWindows(items),
              encodeWindows(expectedExpiring(windows.values(), now, horizon, margin, business)),
              `now=${now - t} horizon=${horizon} margin=${margin} business=${Option.isSome(business)} limit=${limit}`
            )
          }
        }
      }
    })
  ),

  ContractCase.make(
    "expiring windows: exact boundaries of the margin and the horizon",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const t = freshEra()
      const b = freshNumber()
      const c = freshNumber()
      yield* recordInbound(store, inbound(b, c, "edge", t))
      const expires = t + DAY
      const list = (now: number, horizon: number, margin: number) =>
        Effect.map(
          store.listExpiring({
            now: at(now),
            horizon: Duration.millis(horizon),
            safetyMargin: Duration.millis(margin),
            business: Option.some(b),
            limit: 10,
            cursor: Option.none()
          }),
          (page) => page.items.length
        )
      assert.strictEqual(yield* list(expires - 1, 10, 0), 1) // open for 1 ms more
      assert.strictEqual(yield* list(expires, 10, 0), 0) // closed at exactly 24 h
      assert.strictEqual(yield* list(expires - 1001, 10_000, 1000), 1)
      assert.strictEqual(yield* list(expires - 1000, 10_000, 1000), 0) // margin eats the last second
      assert.strictEqual(yield* list(expires - 5000, 5001, 0), 1)
      assert.strictEqual(yield* list(expires - 5000, 5000, 0), 0) // expires AT the horizon: not before it
    })
  ),

  ContractCase.make(
    "expiring windows: a bad cursor is InvalidCursor, limit 0 an empty page",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const query = {
        now: at(freshEra()),
        horizon: Duration.hours(1),
        safetyMargin: Duration.zero,
        business: Option.none(),
        limit: 10
      }
      for (const cursor of ["not base64!", "e30", Encoding.encodeBase64Url("[1,2]")]) {
        const result = yield* Effect.either(store.listExpiring({ ...query, cursor: Option.some(cursor) }))
        assert.isTrue(Either.isLeft(result) && result.left._tag === "InvalidCursor", cursor)
        assert.isTrue(Either.isLeft(result) && result.left.code === "INVALID_CURSOR" && result.left.cursor === cursor)
      }
      const empty = yield* store.listExpiring({ ...query, limit: 0, cursor: Option.none() })
      assert.deepStrictEqual(empty.items, [])
      assert.isTrue(Option.isNone(empty.nextCursor))
    })
  ),

  ContractCase.make(
    "countOpen counts windows open at now (margin, closures)",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      // the last era of all: no other case has windows open this late
      const t = Date.UTC(2199, 0, 1)
      const b = freshNumber()
      const customers = [freshNumber(), freshNumber(), freshNumber()]
      yield* recordInbound(store, inbound(b, customers[0]!, "o1", t))
      yield* recordInbound(store, inbound(b, customers[1]!, "o2", t + 3_600_000))
      yield* recordInbound(store, inbound(b, customers[2]!, "o3", t + 7_200_000))
      yield* closeByProvider(store, pair(b, customers[2]!), at(t + 7_200_000))
      assert.strictEqual(yield* store.countOpen(at(t + 1), Duration.zero), 2)
      assert.strictEqual(yield* store.countOpen(at(t + DAY - 1), Duration.zero), 2)
      assert.strictEqual(yield* store.countOpen(at(t + DAY), Duration.zero), 1)
      assert.strictEqual(yield* store.countOpen(at(t + DAY - 1), Duration.hours(1)), 1)
      assert.strictEqual(yield* store.countOpen(at(t + DAY), Duration.hours(1)), 0)
      assert.strictEqual(yield* store.countOpen(at(t + DAY + 3_600_000), Duration.zero), 0)
    })
  ),

  ContractCase.make(
    "recordInboundBatch: one step, first occurrence wins, windows after the batch",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const b = freshNumber()
      const [c1, c2, c3] = [freshNumber(), freshNumber(), freshNumber()]
      const t = freshEra()
      yield* recordInbound(store, inbound(b, c3, "before", t + 500))
      const batch = [
        inbound(b, c1, "a", t + 2000, t + 20),
        inbound(b, c2, "b", t + 1000),
        inbound(b, c1, "c", t + 1000),
        inbound(b, c1, "a", t + 9000, t + 10), // same id later in the batch: a duplicate, its fields ignored
        inbound(b, c2, "d", t + 3000),
        inbound(b, c2, "before", t + 9000), // recorded before the batch, for another customer
        inbound(b, c3, "e", t + 400)
      ]
      assert.deepStrictEqual(yield* recordInboundBatch(store, []), [])
      const results = yield* recordInboundBatch(store, batch)
      assert.deepStrictEqual(results.map((r) => r.duplicate), [false, false, false, true, false, true, false])
      const windows = oracle(
        [inbound(b, c3, "before", t + 500), ...batch].map((message) => ({ _tag: "Inbound", message }))
      )
      const owner = [c1, c2, c1, c1, c2, c3, c3]
      results.forEach((result, i) => {
        const expected = windows.get(pairKey(b, owner[i]!))
        assert.isTrue(expected !== undefined && SessionWindow.hasWindow(expected), `message ${i}: a window`)
        assert.deepStrictEqual(encodeWindow(result.window), encodeWindow(expected), `message ${i}`)
      })
      for (const c of [c1, c2, c3]) sameWindow(yield* store.getWindow(pair(b, c)), windows.get(pairKey(b, c))!)
      const again = yield* recordInboundBatch(store, batch.slice(0, 2))
      assert.deepStrictEqual(again.map((r) => r.duplicate), [true, true])
    })
  ),

  ContractCase.property(
    "property: a shuffled stream with duplicates gives the windows of the sorted unique stream",
    fc.tuple(shuffledStream),
    ([[unique, stream, batched]]) =>
      Effect.gen(function*() {
        const store = yield* SessionStore.SessionStore
        const base = Date.UTC(2150, 0, 1)
        const b = freshNumber()
        const customers = [freshNumber(), freshNumber(), freshNumber()]
        const toMessage = (e: typeof unique[number]) =>
          inbound(b, customers[e.customer]!, `wamid.${e.id}`, base + e.sent * 1000, base + e.received * 1000)
        const sorted = [...unique].sort((x, y) => x.received - y.received || x.id - y.id)
        const expected = oracle(sorted.map((e) => ({ _tag: "Inbound", message: toMessage(e) })))
        const messages = stream.map(toMessage)
        const results = batched
          ? yield* recordInboundBatch(store, messages)
          : yield* Effect.forEach(messages, (m) => recordInbound(store, m))
        assert.strictEqual(results.filter((r) => !r.duplicate).length, unique.length)
        for (const customer of customers) {
          sameWindow(
            yield* store.getWindow(pair(b, customer)),
            expected.get(pairKey(b, customer)) ?? SessionWindow.empty({ business: b, customer })
          )
        }
      }),
    { numRuns }
  ),

  ContractCase.property(
    "property: inbound and closures in any order agree with the pure functions and listExpiring",
    fc.tuple(
      fc.array(inOrClose, { minLength: 1, maxLength: 30 }),
      fc.array(fc.nat({ max: 60 }), { minLength: 1, maxLength: 4 }),
      fc.nat({ max: 30 }),
      fc.nat({ max: 3 }),
      fc.integer({ min: 1, max: 5 })
    ),
    ([raw, instants, horizonHours, marginHours, limit]) =>
      Effect.gen(function*() {
        const store = yield* SessionStore.SessionStore
        const base = Date.UTC(2160, 0, 1)
        const HOUR = 3_600_000
        const b = freshNumber()
        const customers = [freshNumber(), freshNumber(), freshNumber(), freshNumber()]
        // the same id must be the same message: derive its fields from the id alone
        const events: Array<Event> = raw.map((e) =>
          e.kind === "in"
            ? {
              _tag: "Inbound",
              message: inbound(
                b,
                customers[e.id % 4]!,
                `m${e.id}`,
                base + ((e.id * 7) % 31) * HOUR,
                base + ((e.id * 11) % 31) * HOUR
              )
            }
            : { _tag: "Close", business: b, customer: customers[e.customer]!, at: base + e.at * HOUR }
        )
        const expected = oracle(events)
        for (const e of events) yield* apply(store, e)
        for (const customer of customers) {
          const actual = yield* store.getWindow(pair(b, customer))
          const window = expected.get(pairKey(b, customer)) ?? SessionWindow.empty({ business: b, customer })
          sameWindow(actual, window)
          for (const instant of instants) {
            const now = at(base + instant * HOUR)
            assert.deepStrictEqual(
              SessionWindow.statusAt(SessionWindow.fromOption(pair(b, customer), actual), now).state,
              SessionWindow.statusAt(window, now).state
            )
          }
        }
        for (const instant of instants) {
          const now = base + instant * HOUR
          const items = yield* allPages(store, {
            now: at(now),
            horizon: Duration.hours(horizonHours),
            safetyMargin: Duration.hours(marginHours),
            business: Option.some(b),
            limit
          })
          assert.deepStrictEqual(
            encodeWindows(items),
            encodeWindows(
              expectedExpiring(expected.values(), now, horizonHours * HOUR, marginHours * HOUR, Option.some(b))
            )
          )
        }
      }),
    { numRuns }
  )
]
