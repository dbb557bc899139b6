/**
 * The one contract every store passes (memory, SQLite, PostgreSQL). Store results are compared with folding the
 * pure core functions (`SessionWindow.record` / `closeByProvider` / `statusAt`, `Outbound.rank`) over the same
 * events. The suite shares one store per backend, so every case uses its own business numbers and, where a query
 * spans all businesses, its own stretch of time ("era").
 */
import { assert, layer } from "@effect/vitest"
import {
  Ingest,
  Outbound,
  Pacing,
  PhoneNumber,
  SessionStore,
  SessionWindow,
  WindowEvents
} from "@wa-session/session-core"
import { DateTime, Duration, Effect, Either, type Layer, Option, Schema } from "effect"
import * as fc from "effect/FastCheck"
import { Storage } from "../src/index.js"

const RUN = String(Math.floor(Math.random() * 9000) + 1000)
let numbers = 0
/** A fresh E.164 number, unique within this run of the suite. */
export const freshNumber = (): PhoneNumber.PhoneNumber =>
  PhoneNumber.unsafeMake(`+1${RUN}${String(++numbers).padStart(7, "0")}`)

const DAY = 86_400_000
let eras = 0
/** The start of a stretch of 20 days used by one case only (from 2031 on). */
const freshEra = (): number => Date.UTC(2031, 0, 1) + 20 * DAY * eras++

const at = (millis: number): DateTime.Utc => DateTime.unsafeMake(millis)

export const inbound = (
  business: PhoneNumber.PhoneNumber,
  customer: PhoneNumber.PhoneNumber,
  messageId: string,
  sentAt: number,
  receivedAt: number = sentAt
) => new SessionWindow.InboundMessage({ business, customer, messageId, sentAt: at(sentAt), receivedAt: at(receivedAt) })

export { closeByProvider, preparedInbound, recordInbound, recordInboundBatch } from "./support/ingest.js"
import { closeByProvider, recordInbound, recordInboundBatch } from "./support/ingest.js"

const encodeWindow = Schema.encodeSync(SessionWindow.SessionWindow)
const encodeOutbound = Schema.encodeSync(Outbound.OutboundMessage)
const encodeWindows = (windows: ReadonlyArray<SessionWindow.SessionWindow>) => windows.map((w) => encodeWindow(w))

const sameWindow = (actual: Option.Option<SessionWindow.SessionWindow>, expected: SessionWindow.Window) =>
  assert.deepStrictEqual(
    Option.map(actual, encodeWindow),
    SessionWindow.hasWindow(expected) ? Option.some(encodeWindow(expected)) : Option.none()
  )

type Event =
  | { readonly _tag: "Inbound"; readonly message: SessionWindow.InboundMessage }
  | {
    readonly _tag: "Close"
    readonly business: PhoneNumber.PhoneNumber
    readonly customer: PhoneNumber.PhoneNumber
    readonly at: number
  }

const pairKey = (business: string, customer: string) => `${business}|${customer}`

/** The windows the pure functions give for events applied in this order (inbound deduplicated on the id). */
export const oracle = (events: ReadonlyArray<Event>): Map<string, SessionWindow.Window> => {
  const windows = new Map<string, SessionWindow.Window>()
  const seen = new Set<string>()
  for (const event of events) {
    if (event._tag === "Inbound") {
      const { business, customer, messageId } = event.message
      if (seen.has(`${business}|${messageId}`)) continue
      seen.add(`${business}|${messageId}`)
      const key = pairKey(business, customer)
      const before = windows.get(key) ?? SessionWindow.empty({ business, customer })
      windows.set(key, SessionWindow.record(before, event.message))
    } else {
      const key = pairKey(event.business, event.customer)
      const window = windows.get(key) ?? SessionWindow.empty(event)
      windows.set(key, SessionWindow.closeByProvider(window, at(event.at)))
    }
  }
  return windows
}

const apply = (store: Storage.StorageShape, event: Event) =>
  event._tag === "Inbound"
    ? Effect.asVoid(recordInbound(store, event.message))
    : closeByProvider(store, { business: event.business, customer: event.customer } as never, at(event.at))

const pair = (business: PhoneNumber.PhoneNumber, customer: PhoneNumber.PhoneNumber) =>
  ({ business, customer }) as unknown as PhoneNumber.Pair

/** Every page of an expiring query, following the cursors. */
const allPages = (store: Storage.StorageShape, query: Omit<SessionStore.ExpiringQuery, "cursor">) =>
  Effect.gen(function*() {
    const items: Array<SessionWindow.SessionWindow> = []
    let cursor = Option.none<string>()
    for (let page = 0; page < 1000; page++) {
      const result = yield* store.listExpiring({ ...query, cursor })
      assert.isAtMost(result.items.length, query.limit)
      items.push(...result.items)
      if (Option.isNone(result.nextCursor)) return items
      cursor = result.nextCursor
    }
    return assert.fail("pagination does not end")
  })

/** What `listExpiring` must return: open at `now` (with the margin), expiring before `now + horizon`, in key order. */
const expectedExpiring = (
  windows: Iterable<SessionWindow.Window>,
  now: number,
  horizon: number,
  margin: number,
  business: Option.Option<string>
) =>
  Array.from(windows)
    .filter(SessionWindow.hasWindow)
    .filter((window) =>
      SessionWindow.isOpenAt(window, at(now), { safetyMargin: Duration.millis(margin) }) &&
      DateTime.toEpochMillis(SessionWindow.expiresAt(window)) < now + horizon &&
      Option.match(business, { onNone: () => true, onSome: (b) => window.business === b })
    )
    .sort((a, b) => {
      const ea = DateTime.toEpochMillis(SessionWindow.expiresAt(a))
      const eb = DateTime.toEpochMillis(SessionWindow.expiresAt(b))
      if (ea !== eb) return ea - eb
      if (a.business !== b.business) return a.business < b.business ? -1 : 1
      return a.customer < b.customer ? -1 : a.customer > b.customer ? 1 : 0
    })

let outboundIds = 0
export const statusEvent = (status: Outbound.OutboundStatus, millis: number, code?: string) =>
  new Outbound.StatusEvent({ status, at: at(millis), code: Option.fromNullable(code), detail: Option.none() })

const decodeOutbound = Schema.decodeUnknownSync(Outbound.OutboundMessage)

/**
 * An outbound message with defaults (a text message, no fallback), built from its encoded form so that fields the
 * schema may gain or lose (`windowState`, `windowExpiresAt`) do not break the suite; unknown fields are ignored.
 */
export const outbound = (
  business: PhoneNumber.PhoneNumber,
  customer: PhoneNumber.PhoneNumber,
  fields: Record<string, unknown> = {}
): Outbound.OutboundMessage =>
  decodeOutbound({
    id: `out-${RUN}-${++outboundIds}`,
    business,
    customer,
    idempotencyKey: null,
    decision: "session",
    reason: null,
    windowState: "open",
    windowExpiresAt: "2030-01-02T00:00:00.000Z",
    content: { type: "text", text: { body: "hello" } },
    fallback: null,
    providerMessageId: null,
    status: "pending",
    history: [{ status: "pending", at: "2030-01-01T00:00:00.000Z", code: null, detail: null }],
    createdAt: "2030-01-01T00:00:00.000Z",
    dryRun: false,
    fallbackMessageId: null,
    ...fields
  })

const STATUSES: ReadonlyArray<Outbound.OutboundStatus> = ["unknown", "accepted", "sent", "delivered", "read", "failed"]

/** Unique inbound events (by id), and a stream of them shuffled with some of them repeated; batched or not. */
const shuffledStream = fc.uniqueArray(
  fc.record({
    customer: fc.nat({ max: 2 }),
    id: fc.nat({ max: 60 }),
    sent: fc.nat({ max: 6 }),
    received: fc.nat({ max: 30 })
  }),
  { selector: (e) => e.id, minLength: 1, maxLength: 25 }
).chain((events) =>
  fc.array(fc.nat({ max: events.length - 1 }), { maxLength: 12 }).chain((dups) => {
    const stream = [...events, ...dups.map((i) => events[i]!)]
    return fc.tuple(
      fc.constant(events),
      fc.shuffledSubarray(stream, { minLength: stream.length, maxLength: stream.length }),
      fc.boolean()
    )
  })
)

/** An inbound message or a provider closure, on a small grid of customers, ids and hours. */
const inOrClose = fc.oneof(
  fc.record({
    kind: fc.constant("in" as const),
    customer: fc.nat({ max: 3 }),
    id: fc.nat({ max: 30 }),
    sent: fc.nat({ max: 30 }),
    received: fc.nat({ max: 30 })
  }),
  fc.record({ kind: fc.constant("close" as const), customer: fc.nat({ max: 3 }), at: fc.nat({ max: 30 }) })
)

/**
 * Runs the contract against a store layer. `numRuns` scales the property tests.
 */
export const suite = (
  name: string,
  storeLayer: Layer.Layer<Storage.Storage | SessionStore.SessionStore, unknown>,
  options: { readonly numRuns?: number } = {}
) =>
  layer(storeLayer, { excludeTestServices: true, timeout: "60 seconds" })(name, (it) => {
    const numRuns = options.numRuns ?? 40

    it.effect("ping answers and both tags are the same store", () =>
      Effect.gen(function*() {
        const store = yield* Storage.Storage
        const port = yield* SessionStore.SessionStore
        yield* store.ping
        yield* port.ping
        assert.strictEqual(store, port as Storage.StorageShape)
      }))

    it.effect("records the first message of a pair", () =>
      Effect.gen(function*() {
        const store = yield* Storage.Storage
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
      }))

    it.effect("dedup: the same message id twice changes nothing, even with other timestamps", () =>
      Effect.gen(function*() {
        const store = yield* Storage.Storage
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
      }))

    it.effect("keeps the maximum provider timestamp and the earliest first-seen time, whatever the order", () =>
      Effect.gen(function*() {
        const store = yield* Storage.Storage
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
      }))

    it.effect("ties on the timestamp go to the larger message id, in either order", () =>
      Effect.gen(function*() {
        const store = yield* Storage.Storage
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
      }))

    it.effect("a redelivered message keeps the first receive time", () =>
      Effect.gen(function*() {
        const store = yield* Storage.Storage
        const b = freshNumber()
        const c = freshNumber()
        const t = freshEra()
        yield* recordInbound(store, inbound(b, c, "wamid.r", t, t + 50))
        yield* recordInbound(store, inbound(b, c, "wamid.r", t, t + 10))
        const window = Option.getOrThrow(yield* store.getWindow(pair(b, c)))
        assert.strictEqual(DateTime.toEpochMillis(window.firstSeenAt), t + 50)
      }))

    it.effect("provider closure closes until a newer inbound message re-opens", () =>
      Effect.gen(function*() {
        const store = yield* Storage.Storage
        const b = freshNumber()
        const c = freshNumber()
        const t = freshEra()
        const events: Array<Event> = []
        const step = (event: Event, checkAt: number, state: SessionWindow.WindowState) =>
          Effect.gen(function*() {
            events.push(event)
            yield* apply(store, event)
            const expected = oracle(events).get(pairKey(b, c)) ?? SessionWindow.empty({ business: b, customer: c })
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
      }))

    it.effect("expiring windows: horizon, margin, closures, business filter, order and cursor pagination", () =>
      Effect.gen(function*() {
        const store = yield* Storage.Storage
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
      }))

    it.effect("expiring windows: exact boundaries of the margin and the horizon", () =>
      Effect.gen(function*() {
        const store = yield* Storage.Storage
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
      }))

    it.effect("expiring windows: a bad cursor is InvalidCursor, limit 0 an empty page", () =>
      Effect.gen(function*() {
        const store = yield* Storage.Storage
        const query = {
          now: at(freshEra()),
          horizon: Duration.hours(1),
          safetyMargin: Duration.zero,
          business: Option.none(),
          limit: 10
        }
        for (const cursor of ["not base64!", "e30", Buffer.from("[1,2]").toString("base64url")]) {
          const result = yield* Effect.either(store.listExpiring({ ...query, cursor: Option.some(cursor) }))
          assert.isTrue(Either.isLeft(result) && result.left._tag === "InvalidCursor", cursor)
          assert.isTrue(Either.isLeft(result) && result.left.code === "INVALID_CURSOR" && result.left.cursor === cursor)
        }
        const empty = yield* store.listExpiring({ ...query, limit: 0, cursor: Option.none() })
        assert.deepStrictEqual(empty.items, [])
        assert.isTrue(Option.isNone(empty.nextCursor))
      }))

    it.effect("countOpen counts windows open at now (margin, closures)", () =>
      Effect.gen(function*() {
        const store = yield* Storage.Storage
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
      }))

    it.effect("recordInboundBatch: one step, first occurrence wins, windows after the batch", () =>
      Effect.gen(function*() {
        const store = yield* Storage.Storage
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
          const expected = windows.get(pairKey(b, owner[i]!)) as SessionWindow.SessionWindow
          assert.deepStrictEqual(encodeWindow(result.window), encodeWindow(expected), `message ${i}`)
        })
        for (const c of [c1, c2, c3]) sameWindow(yield* store.getWindow(pair(b, c)), windows.get(pairKey(b, c))!)
        const again = yield* recordInboundBatch(store, batch.slice(0, 2))
        assert.deepStrictEqual(again.map((r) => r.duplicate), [true, true])
      }))

    it.effect.prop(
      "property: a shuffled stream with duplicates gives the windows of the sorted unique stream",
      [shuffledStream],
      ([[unique, stream, batched]]) =>
        Effect.gen(function*() {
          const store = yield* Storage.Storage
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
      { fastCheck: { numRuns } }
    )

    it.effect.prop(
      "property: inbound and closures in any order agree with the pure functions and listExpiring",
      [
        fc.array(inOrClose, { minLength: 1, maxLength: 30 }),
        fc.array(fc.nat({ max: 60 }), { minLength: 1, maxLength: 4 }),
        fc.nat({ max: 30 }),
        fc.nat({ max: 3 }),
        fc.integer({ min: 1, max: 5 })
      ],
      ([raw, instants, horizonHours, marginHours, limit]) =>
        Effect.gen(function*() {
          const store = yield* Storage.Storage
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
      { fastCheck: { numRuns } }
    )

    it.effect("outbound: insert, find, and idempotency keys unique per business", () =>
      Effect.gen(function*() {
        const store = yield* Storage.Storage
        const b = freshNumber()
        const c = freshNumber()
        const message = outbound(b, c, {
          idempotencyKey: "order-42",
          decision: "template",
          reason: "NO_ACTIVE_SESSION",
          windowState: "none",
          windowExpiresAt: null,
          content: { type: "template", template: { name: "welcome", language: { code: "en" } } },
          fallback: { type: "template", template: { name: "later", language: { code: "en_US" } } },
          dryRun: true,
          history: [
            { status: "sent", at: "2030-01-01T00:00:02.000Z", code: "s", detail: "d" },
            { status: "pending", at: "2030-01-01T00:00:00.000Z", code: null, detail: null },
            { status: "sent", at: "2030-01-01T00:00:03.000Z", code: null, detail: null }
          ],
          status: "sent"
        })
        const first = yield* store.insertOutbound(message)
        assert.isTrue(first.inserted)
        // stored with its history normalized: each status once (the first), ordered by rank
        assert.deepStrictEqual(first.message.history.map((e) => [e.status, Option.getOrNull(e.code)]), [
          ["pending", null],
          ["sent", "s"]
        ])
        const normalized = encodeOutbound(first.message)
        assert.deepStrictEqual({ ...normalized, history: [] }, { ...encodeOutbound(message), history: [] })
        const found = yield* store.findOutbound(message.id)
        assert.deepStrictEqual(Option.map(found, encodeOutbound), Option.some(normalized))
        const byKey = yield* store.findOutboundByIdempotencyKey(b, "order-42")
        assert.deepStrictEqual(Option.map(byKey, encodeOutbound), Option.some(normalized))
        // the same key again: nothing written, the first message returned
        const second = yield* store.insertOutbound(outbound(b, freshNumber(), { idempotencyKey: "order-42" }))
        assert.isFalse(second.inserted)
        assert.deepStrictEqual(encodeOutbound(second.message), normalized)
        // the same id again
        const sameId = yield* store.insertOutbound(outbound(b, c, { id: message.id }))
        assert.isFalse(sameId.inserted)
        assert.strictEqual(sameId.message.id, message.id)
        // keys are per business; no key never conflicts
        const otherBusiness = outbound(freshNumber(), c, { idempotencyKey: "order-42" })
        assert.isTrue((yield* store.insertOutbound(otherBusiness)).inserted)
        assert.isTrue((yield* store.insertOutbound(outbound(b, c))).inserted)
        assert.isTrue((yield* store.insertOutbound(outbound(b, c))).inserted)
        assert.isTrue(Option.isNone(yield* store.findOutbound("no-such-id")))
        assert.isTrue(Option.isNone(yield* store.findOutboundByIdempotencyKey(b, "no-such-key")))
      }))

    it.effect("outbound: concurrent inserts with one idempotency key write one message", () =>
      Effect.gen(function*() {
        const store = yield* Storage.Storage
        const b = freshNumber()
        const candidates = Array.from({ length: 6 }, () => outbound(b, freshNumber(), { idempotencyKey: "k" }))
        const results = yield* Effect.forEach(candidates, (m) => store.insertOutbound(m), { concurrency: "unbounded" })
        assert.strictEqual(results.filter((r) => r.inserted).length, 1)
        const winner = results.find((r) => r.inserted)!.message.id
        for (const result of results) assert.strictEqual(result.message.id, winner)
      }))

    it.effect("outbound: the request fingerprint round-trips on every read; a message without one reads as none", () =>
      Effect.gen(function*() {
        const store = yield* Storage.Storage
        const b = freshNumber()
        const c = freshNumber()
        const fingerprint = "0123456789abcdef0123456789abcdef"
        const message = outbound(b, c, { idempotencyKey: "fp-1", requestFingerprint: fingerprint })
        assert.deepStrictEqual(message.requestFingerprint, Option.some(fingerprint))
        const inserted = yield* store.insertOutbound(message)
        assert.deepStrictEqual(inserted.message.requestFingerprint, Option.some(fingerprint))
        const reads = [
          Option.getOrThrow(yield* store.findOutbound(message.id)),
          Option.getOrThrow(yield* store.findOutboundByIdempotencyKey(b, "fp-1")),
          // the answer to a concurrent insert with the same key carries the stored fingerprint, not the caller's
          (yield* store.insertOutbound(outbound(b, c, { idempotencyKey: "fp-1", requestFingerprint: "f".repeat(32) })))
            .message,
          Option.getOrThrow(yield* store.recordStatus({ _tag: "ById", id: message.id }, statusEvent("sent", 5), at(5)))
            .message
        ]
        const page = yield* store.listMessages(pair(b, c), 10, Option.none())
        for (const item of page.items) if (item._tag === "Outbound") reads.push(item.message)
        assert.strictEqual(reads.length, 5)
        for (const read of reads) {
          assert.strictEqual(read.id, message.id)
          assert.deepStrictEqual(read.requestFingerprint, Option.some(fingerprint))
        }
        // written without one (a fallback template, or a message stored before fingerprints existed)
        const without = outbound(b, c, { idempotencyKey: "fp-2" })
        assert.deepStrictEqual(without.requestFingerprint, Option.none())
        yield* store.insertOutbound(without)
        assert.deepStrictEqual(
          Option.map(yield* store.findOutbound(without.id), (m) => m.requestFingerprint),
          Option.some(Option.none())
        )
        assert.deepStrictEqual(
          Option.map(yield* store.findOutboundByIdempotencyKey(b, "fp-2"), (m) => m.requestFingerprint),
          Option.some(Option.none())
        )
        const stored = Option.getOrThrow(yield* store.findOutbound(without.id))
        assert.deepStrictEqual(encodeOutbound(stored), encodeOutbound(without))
      }))

    it.effect("outbound: provider id, status by either reference, unknown references", () =>
      Effect.gen(function*() {
        const store = yield* Storage.Storage
        const message = outbound(freshNumber(), freshNumber())
        yield* store.insertOutbound(message)
        yield* store.setProviderMessageId(message.id, "sid-" + message.id)
        const accepted = yield* store.recordStatus({ _tag: "ById", id: message.id }, statusEvent("accepted", 1), at(1))
        assert.isTrue(Option.isSome(accepted) && accepted.value.applied)
        const sent = yield* store.recordStatus(
          { _tag: "ByProviderId", providerMessageId: "sid-" + message.id },
          statusEvent("sent", 2, "ok"),
          at(2)
        )
        const stored = Option.getOrThrow(sent).message
        assert.deepStrictEqual(stored.providerMessageId, Option.some("sid-" + message.id))
        assert.strictEqual(stored.status, "sent")
        assert.deepStrictEqual(stored.history.map((e) => e.status), ["pending", "accepted", "sent"])
        assert.deepStrictEqual(stored.history[2]!.code, Option.some("ok"))
        assert.isTrue(
          Option.isNone(yield* store.recordStatus({ _tag: "ById", id: "nope" }, statusEvent("sent", 1), at(1)))
        )
        assert.isTrue(
          Option.isNone(
            yield* store.recordStatus(
              { _tag: "ByProviderId", providerMessageId: "nope" },
              statusEvent("sent", 1),
              at(1)
            )
          )
        )
        yield* store.setProviderMessageId("nope", "x") // no such message: no effect, no error
      }))

    it.effect.prop(
      "property: status moves only forward, history keeps each status once, whatever the report order",
      [fc.array(fc.constantFrom(...STATUSES), { minLength: 1, maxLength: 12 }), fc.boolean()],
      ([statuses, byProvider]) =>
        Effect.gen(function*() {
          const store = yield* Storage.Storage
          const message = outbound(freshNumber(), freshNumber())
          yield* store.insertOutbound(message)
          yield* store.setProviderMessageId(message.id, `sid-${message.id}`)
          const ref: SessionStore.OutboundRef = byProvider
            ? { _tag: "ByProviderId", providerMessageId: `sid-${message.id}` }
            : { _tag: "ById", id: message.id }
          let status: Outbound.OutboundStatus = "pending"
          const seen = new Set<Outbound.OutboundStatus>(["pending"])
          for (const [i, next] of statuses.entries()) {
            const result = Option.getOrThrow(yield* store.recordStatus(ref, statusEvent(next, 1000 + i), at(1000 + i)))
            assert.strictEqual(result.applied, !seen.has(next))
            if (!seen.has(next)) seen.add(next)
            if (Outbound.advances(status, next)) status = next
            assert.strictEqual(result.message.status, status)
          }
          const stored = Option.getOrThrow(yield* store.findOutbound(message.id))
          assert.strictEqual(stored.status, status)
          const expected = [...seen].sort((x, y) => Outbound.rank(x) - Outbound.rank(y))
          assert.deepStrictEqual(stored.history.map((e) => e.status), expected)
          // each status keeps its first report
          for (const event of stored.history.filter((e) => e.status !== "pending")) {
            assert.strictEqual(DateTime.toEpochMillis(event.at), 1000 + statuses.indexOf(event.status))
          }
        }),
      { fastCheck: { numRuns } }
    )

    it.effect("claimFallback succeeds once, also under concurrency", () =>
      Effect.gen(function*() {
        const store = yield* Storage.Storage
        const message = outbound(freshNumber(), freshNumber())
        yield* store.insertOutbound(message)
        const claims = yield* Effect.forEach(
          Array.from({ length: 8 }, (_, i) => `fallback-${i}`),
          (id) => Effect.map(store.claimFallback(message.id, id), (won) => [id, won] as const),
          { concurrency: "unbounded" }
        )
        const winners = claims.filter(([, won]) => won)
        assert.strictEqual(winners.length, 1)
        const stored = Option.getOrThrow(yield* store.findOutbound(message.id))
        assert.deepStrictEqual(stored.fallbackMessageId, Option.some(winners[0]![0]))
        assert.isFalse(yield* store.claimFallback(message.id, "late"))
        assert.isFalse(yield* store.claimFallback("no-such-id", "x"))
      }))

    const queuedMessage = (
      business: PhoneNumber.PhoneNumber,
      customer: PhoneNumber.PhoneNumber,
      createdAt: number
    ) =>
      outbound(business, customer, {
        status: "queued",
        history: [{ status: "queued", at: new Date(createdAt).toISOString(), code: null, detail: null }],
        createdAt: new Date(createdAt).toISOString()
      })
    const claimOf = (store: Storage.StorageShape, business: PhoneNumber.PhoneNumber, now: number, id?: string) =>
      Effect.map(
        store.claimSends({ now: at(now), limit: 100, id }),
        (claimed) => claimed.filter((m) => m.business === business).map((m) => m.id)
      )

    it.effect("send jobs: oldest first, one per pair's line at a time, each handed out once", () =>
      Effect.gen(function*() {
        const store = yield* Storage.Storage
        const t = freshEra()
        const b = freshNumber()
        const [c1, c2] = [freshNumber(), freshNumber()]
        const first = queuedMessage(b, c1, t)
        const second = queuedMessage(b, c1, t + 1)
        const other = queuedMessage(b, c2, t + 2)
        for (const message of [second, other, first]) yield* store.insertOutbound(message, { queued: true })
        // not queued: never claimed
        yield* store.insertOutbound(queuedMessage(b, freshNumber(), t))
        assert.deepStrictEqual(yield* claimOf(store, b, t + 10), [first.id, other.id])
        assert.deepStrictEqual(yield* claimOf(store, b, t + 11), [], "the second waits for the first, in flight")
        assert.isTrue(yield* store.startSend(first.id, at(t + 12)))
        assert.isFalse(yield* store.startSend(first.id, at(t + 12)), "started once")
        assert.deepStrictEqual(yield* claimOf(store, b, t + 13), [])
        yield* store.finishSend(first.id)
        assert.deepStrictEqual(yield* claimOf(store, b, t + 14), [second.id])
        assert.deepStrictEqual(yield* claimOf(store, b, t + 15), [])
      }))

    it.effect("send jobs: a claim by id takes that message only, and only when it is next in its pair's line", () =>
      Effect.gen(function*() {
        const store = yield* Storage.Storage
        const t = freshEra()
        const b = freshNumber()
        const c = freshNumber()
        const older = queuedMessage(b, c, t)
        const newer = queuedMessage(b, c, t + 1)
        const elsewhere = queuedMessage(b, freshNumber(), t + 2)
        for (const message of [older, newer, elsewhere]) yield* store.insertOutbound(message, { queued: true })
        assert.deepStrictEqual(yield* claimOf(store, b, t + 5, newer.id), [])
        assert.deepStrictEqual(yield* claimOf(store, b, t + 5, elsewhere.id), [elsewhere.id])
        assert.deepStrictEqual(yield* claimOf(store, b, t + 6, older.id), [older.id])
        assert.deepStrictEqual(yield* claimOf(store, b, t + 6, older.id), [], "claimed already")
        assert.deepStrictEqual(yield* claimOf(store, b, t + 6, "no-such-id"), [])
        // given back before it started: claimable again, and a lost claim cannot start
        yield* store.releaseSend(older.id)
        assert.isFalse(yield* store.startSend(older.id, at(t + 7)))
        assert.deepStrictEqual(yield* claimOf(store, b, t + 8, older.id), [older.id])
      }))

    it.effect("send jobs: a job queued again for later is not claimed before its time and holds its pair's line", () =>
      Effect.gen(function*() {
        const store = yield* Storage.Storage
        const t = freshEra()
        const b = freshNumber()
        const c = freshNumber()
        const first = queuedMessage(b, c, t)
        const second = queuedMessage(b, c, t + 1)
        for (const message of [first, second]) yield* store.insertOutbound(message, { queued: true })
        assert.deepStrictEqual(yield* claimOf(store, b, t + 10), [first.id])
        assert.isTrue(yield* store.startSend(first.id, at(t + 11)))
        yield* store.retrySend(first.id, at(t + 5_000))
        assert.deepStrictEqual(
          yield* claimOf(store, b, t + 4_999),
          [],
          "not before its time; the second waits behind it"
        )
        assert.deepStrictEqual(yield* claimOf(store, b, t + 5_000), [first.id])
        // only a started job can be queued again
        yield* store.retrySend(second.id, at(t))
        assert.strictEqual(Option.getOrThrow(yield* store.findOutbound(first.id)).status, "queued")
      }))

    it.effect("send jobs: a retry-later report about a message's latest send queues it again, once", () =>
      Effect.gen(function*() {
        const store = yield* Storage.Storage
        const t = freshEra()
        const b = freshNumber()
        const sent = outbound(b, freshNumber(), {
          status: "accepted",
          providerMessageId: "sid-latest",
          createdAt: new Date(t).toISOString(),
          history: [
            { status: "queued", at: new Date(t).toISOString(), code: null, detail: null },
            { status: "accepted", at: new Date(t + 1).toISOString(), code: null, detail: null }
          ]
        })
        yield* store.insertOutbound(sent)
        const report = (sid: string) => ({
          ...Ingest.ownStatus(
            { _tag: "ById", id: sent.id },
            new Outbound.StatusEvent({
              status: "failed",
              at: at(t + 10),
              code: Option.some("30007"),
              detail: Option.some("EX_RATE_LIMIT_HIT")
            })
          ),
          providerMessageId: Option.some(sid),
          retryLater: true
        })
        const batch = (sid: string, now: number) => ({
          now: at(now),
          policy: WindowEvents.defaultPolicy,
          items: [report(sid)],
          resolves: [],
          resend: { retryFor: Duration.hours(1) }
        })
        yield* store.ingest(batch("sid-latest", t + 20))
        assert.strictEqual(Option.getOrThrow(yield* store.findOutbound(sent.id)).status, "accepted", "not failed")
        assert.deepStrictEqual(yield* claimOf(store, b, t + 20 + 4_999), [], "not before its time")
        // a copy while it is queued changes nothing
        yield* store.ingest(batch("sid-latest", t + 30))
        assert.deepStrictEqual(yield* claimOf(store, b, t + 20 + 5_000), [sent.id])
        assert.isTrue(yield* store.startSend(sent.id, at(t + 6_000)))
        yield* store.setProviderMessageId(sent.id, "sid-next")
        yield* store.finishSend(sent.id)
        // a late copy about the earlier send: nothing
        yield* store.ingest(batch("sid-latest", t + 7_000))
        assert.deepStrictEqual(yield* claimOf(store, b, t + 100_000), [])
        assert.strictEqual(Option.getOrThrow(yield* store.findOutbound(sent.id)).status, "accepted")
      }))

    it.effect("send jobs: concurrent claims hand each job to one caller", () =>
      Effect.gen(function*() {
        const store = yield* Storage.Storage
        const t = freshEra()
        const b = freshNumber()
        const messages = Array.from({ length: 12 }, (_, i) => queuedMessage(b, freshNumber(), t + i))
        for (const message of messages) yield* store.insertOutbound(message, { queued: true })
        const claims = yield* Effect.forEach(
          Array.from({ length: 8 }, (_, i) => i),
          (i) => claimOf(store, b, t + 100 + i),
          { concurrency: "unbounded" }
        )
        const all = claims.flat()
        assert.strictEqual(new Set(all).size, all.length, "a job claimed twice")
        assert.deepStrictEqual([...all].sort(), messages.map((m) => m.id).sort())
      }))

    it.effect("send jobs: concurrent claims of one job each never take more, and leave no job claimed by nobody", () =>
      Effect.gen(function*() {
        const store = yield* Storage.Storage
        const t = freshEra()
        const b = freshNumber()
        const messages = Array.from({ length: 16 }, (_, i) => queuedMessage(b, freshNumber(), t + i))
        for (const message of messages) yield* store.insertOutbound(message, { queued: true })
        const taken: Array<string> = []
        for (let round = 0; round < 6 && taken.length < messages.length; round++) {
          const claims = yield* Effect.forEach(
            Array.from({ length: 8 }, (_, i) => i),
            () =>
              Effect.map(
                store.claimSends({ now: at(t + 100 + round), limit: 1 }),
                (claimed) => claimed.filter((m) => m.business === b).map((m) => m.id)
              ),
            { concurrency: "unbounded" }
          )
          for (const claim of claims) assert.isAtMost(claim.length, 1, "a claim of one took more")
          taken.push(...claims.flat())
        }
        assert.strictEqual(new Set(taken).size, taken.length, "a job claimed twice")
        assert.deepStrictEqual(
          [...taken].sort(),
          messages.map((m) => m.id).sort(),
          "a job claimed but handed to nobody"
        )
      }))

    it.effect("send jobs: recovery requeues stale claims, makes stale started sends unknown, and nothing else", () =>
      Effect.gen(function*() {
        const store = yield* Storage.Storage
        const t = freshEra()
        const b = freshNumber()
        const [claimedStale, startedStale, answered, fresh] = [0, 1, 2, 3].map(() => queuedMessage(b, freshNumber(), t))
        for (const message of [claimedStale!, startedStale!, answered!, fresh!]) {
          yield* store.insertOutbound(message, { queued: true })
        }
        assert.strictEqual((yield* claimOf(store, b, t + 10)).length, 4)
        assert.isTrue(yield* store.startSend(startedStale!.id, at(t + 11)))
        assert.isTrue(yield* store.startSend(answered!.id, at(t + 11)))
        yield* store.recordStatus(
          { _tag: "ById", id: answered!.id },
          new Outbound.StatusEvent({ status: "accepted", at: at(t + 12), code: Option.none(), detail: Option.none() }),
          at(t + 12)
        )
        assert.isTrue(yield* store.startSend(fresh!.id, at(t + 1000)))
        const recovered = yield* store.recoverSends(at(t + 500), at(t + 2000))
        assert.isAtLeast(recovered.requeued, 1)
        assert.isAtLeast(recovered.unknown, 1)
        assert.deepStrictEqual(yield* claimOf(store, b, t + 2001), [claimedStale!.id])
        const unknown = Option.getOrThrow(yield* store.findOutbound(startedStale!.id))
        assert.strictEqual(unknown.status, "unknown")
        assert.deepStrictEqual(unknown.history.map((h) => h.status), ["queued", "unknown"])
        assert.strictEqual(Option.getOrThrow(yield* store.findOutbound(answered!.id)).status, "accepted")
        assert.strictEqual(Option.getOrThrow(yield* store.findOutbound(fresh!.id)).status, "queued")
        // a report settles the unknown one, filling in the provider's id
        const settled = yield* store.ingest({
          now: at(t + 3000),
          policy: WindowEvents.defaultPolicy,
          items: [{
            ...Ingest.ownStatus(
              { _tag: "ById", id: startedStale!.id },
              new Outbound.StatusEvent({
                status: "delivered",
                at: at(t + 2500),
                code: Option.none(),
                detail: Option.none()
              })
            ),
            providerMessageId: Option.some(`sid-${startedStale!.id}`)
          }],
          resolves: []
        })
        assert.strictEqual(settled.items[0]?._tag, "Status")
        const after = Option.getOrThrow(yield* store.findOutbound(startedStale!.id))
        assert.strictEqual(after.status, "delivered")
        assert.deepStrictEqual(after.providerMessageId, Option.some(`sid-${startedStale!.id}`))
        // a finished job is out of the line, and prune keeps what is still queued
        yield* store.finishSend(fresh!.id)
        const pruned = yield* store.prune(at(t + 10 * DAY), 100_000)
        assert.isAtLeast(pruned.outbound, 3)
        assert.isTrue(Option.isSome(yield* store.findOutbound(claimedStale!.id)), "a queued job was pruned")
      }))

    it.effect("send slots: a burst, then one slot per interval, shared by concurrent callers", () =>
      Effect.gen(function*() {
        const store = yield* Storage.Storage
        const policy = { perMinute: 40 } // a burst of 2 more, then 60000/38 ms apart (rounded up)
        const interval = Pacing.intervalMillis(policy)
        const now = freshEra()
        const slots = yield* Effect.forEach(
          Array.from({ length: 7 }, () => now),
          (t) => Effect.map(store.reserveSendSlot(at(t), policy), DateTime.toEpochMillis),
          { concurrency: "unbounded" }
        )
        assert.deepStrictEqual([...slots].sort((a, b) => a - b), [
          now,
          now,
          now,
          now + interval,
          now + 2 * interval,
          now + 3 * interval,
          now + 4 * interval
        ])
        // after a quiet spell the state does not hold slots back
        const later = now + 10 * 60_000
        assert.strictEqual(DateTime.toEpochMillis(yield* store.reserveSendSlot(at(later), policy)), later)
      }))
  })
