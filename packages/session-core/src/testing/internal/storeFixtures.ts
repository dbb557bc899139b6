// Helpers of the store contract's cases, shared by its modules (one era counter for the whole suite).
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as fc from "effect/FastCheck"
import * as Option from "effect/Option"
import * as Order from "effect/Order"
import * as Schema from "effect/Schema"
import * as Outbound from "../../Outbound.js"
import type * as PhoneNumber from "../../PhoneNumber.js"
import type * as SessionStore from "../../SessionStore.js"
import * as SessionWindow from "../../SessionWindow.js"
import * as assert from "../ContractAssert.js"
import { at, closeByProvider, type OracleEvent as Event, outbound, pair, recordInbound } from "../ContractFixtures.js"

export const DAY = 86_400_000
let eras = 0
/** The start of a stretch of 20 days used by one case only (from 2031 on). */
export const freshEra = (): number => Date.UTC(2031, 0, 1) + 20 * DAY * eras++

export const encodeWindow = Schema.encodeSync(SessionWindow.SessionWindow)
export const encodeWindows = (windows: ReadonlyArray<SessionWindow.SessionWindow>) =>
  windows.map((w) => encodeWindow(w))

export const sameWindow = (actual: Option.Option<SessionWindow.SessionWindow>, expected: SessionWindow.Window) =>
  assert.deepStrictEqual(
    Option.map(actual, encodeWindow),
    SessionWindow.hasWindow(expected) ? Option.some(encodeWindow(expected)) : Option.none()
  )

export const apply = (store: SessionStore.SessionStoreShape, event: Event) =>
  event._tag === "Inbound"
    ? Effect.asVoid(recordInbound(store, event.message))
    : closeByProvider(store, pair(event.business, event.customer), at(event.at))

/** Every page of an expiring query, following the cursors (at most 1000 pages). */
export const allPages = (store: SessionStore.SessionStoreShape, query: Omit<SessionStore.ExpiringQuery, "cursor">) =>
  Effect.map(
    Effect.iterate(
      { items: [] as ReadonlyArray<SessionWindow.SessionWindow>, cursor: Option.none<string>(), done: false, page: 0 },
      {
        while: (state) => !state.done && state.page < 1000,
        body: (state) =>
          Effect.map(store.listExpiring({ ...query, cursor: state.cursor }), (result) => {
            assert.isAtMost(result.items.length, query.limit)
            return {
              items: [...state.items, ...result.items],
              cursor: result.nextCursor,
              done: Option.isNone(result.nextCursor),
              page: state.page + 1
            }
          })
      }
    ),
    (state) => {
      assert.isTrue(state.done, "pagination does not end")
      return state.items
    }
  )

/** The order of `listExpiring`: by expiry, then business, then customer. */
export const expiringOrder: Order.Order<SessionWindow.SessionWindow> = Order.combineAll([
  Order.mapInput(Order.number, (w: SessionWindow.SessionWindow) => DateTime.toEpochMillis(SessionWindow.expiresAt(w))),
  Order.mapInput(Order.string, (w: SessionWindow.SessionWindow) => w.business),
  Order.mapInput(Order.string, (w: SessionWindow.SessionWindow) => w.customer)
])

/** What `listExpiring` must return: open at `now` (with the margin), expiring before `now + horizon`, in key order. */
export const expectedExpiring = (
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
    .sort(expiringOrder)

/** Unique inbound events (by id), and a stream of them shuffled with some of them repeated; batched or not. */
export const shuffledStream = fc.uniqueArray(
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
export const inOrClose = fc.oneof(
  fc.record({
    kind: fc.constant("in" as const),
    customer: fc.nat({ max: 3 }),
    id: fc.nat({ max: 30 }),
    sent: fc.nat({ max: 30 }),
    received: fc.nat({ max: 30 })
  }),
  fc.record({ kind: fc.constant("close" as const), customer: fc.nat({ max: 3 }), at: fc.nat({ max: 30 }) })
)

export const encodeOutbound = Schema.encodeSync(Outbound.OutboundMessage)
export const STATUSES: ReadonlyArray<Outbound.OutboundStatus> = [
  "unknown",
  "accepted",
  "sent",
  "delivered",
  "read",
  "failed"
]

export const queuedMessage = (
  business: PhoneNumber.PhoneNumber,
  customer: PhoneNumber.PhoneNumber,
  createdAt: number
) =>
  outbound(business, customer, {
    status: "queued",
    history: [{ status: "queued", at: new Date(createdAt).toISOString(), code: null, detail: null }],
    createdAt: new Date(createdAt).toISOString()
  })

export const claimOf = (
  store: SessionStore.SessionStoreShape,
  business: PhoneNumber.PhoneNumber,
  now: number,
  id?: string
) =>
  Effect.map(
    store.claimSends({ now: at(now), limit: 100, id }),
    (claimed) => claimed.filter((m) => m.business === business).map((m) => m.id)
  )

/** The cases about outbound messages and send jobs, in order. */
