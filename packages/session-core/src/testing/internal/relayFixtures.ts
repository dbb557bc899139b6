// Helpers of the relay contract's cases, shared by its modules (one era counter for the whole suite).
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Option from "effect/Option"
import * as Order from "effect/Order"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Delivery from "../../Delivery.js"
import type * as Event from "../../Event.js"
import type * as EventLog from "../../EventLog.js"
import * as Ingest from "../../Ingest.js"
import * as Outbound from "../../Outbound.js"
import type * as SessionStore from "../../SessionStore.js"
import type * as WindowEvents from "../../WindowEvents.js"
import { at, RUN } from "../ContractFixtures.js"

export const HOUR = 3_600_000
export const DAY = 24 * HOUR
let eras = 0
/** A stretch of 10 days of its own per case, after the main suite's (which starts in 2031). */
export const freshEra = (): number => Date.UTC(2041, 0, 1) + 10 * DAY * eras++

export const policy: WindowEvents.Policy = { safetyMargin: Duration.zero, expiringLead: Duration.hours(1) }

let endpointIds = 0
export const SECRET = Redacted.make(`whsec_${Encoding.encodeBase64(new Uint8Array(32).fill(7))}`)
export const endpoint = (events: Option.Option<ReadonlyArray<Event.EventType>> = Option.none(), createdAt = at(0)) =>
  new Delivery.Endpoint({
    id: `ep_contract_${RUN}_${++endpointIds}`,
    url: "http://127.0.0.1:9/hook",
    events,
    secret: SECRET,
    state: "enabled",
    disabledReason: Option.none(),
    createdAt
  })

const spaced: Schedule.Schedule<number, ReadonlyArray<Event.Event>> = Schedule.spaced("100 millis")
export const every100Millis = Schedule.passthrough(spaced)

/**
 * Every event of the log about these numbers; a store that shows an event once older transactions ended
 * (PostgreSQL) is asked again, every 100 ms, up to 50 times, until there are `atLeast`.
 */
export const eventsOf = (
  log: EventLog.EventLogShape,
  numbers: ReadonlyArray<string>,
  atLeast = 0
): Effect.Effect<ReadonlyArray<Event.Event>, SessionStore.StorageError | SessionStore.InvalidCursor> =>
  Effect.repeat(
    Effect.map(
      log.listEvents({ after: Option.none(), types: Option.none(), limit: 1_000_000 }),
      (page): ReadonlyArray<Event.Event> =>
        page.items.filter((event) =>
          numbers.includes(event.business ?? "") || numbers.includes(event.customer ?? "") ||
          (event.type === "webhook.quarantined" && numbers.some((n) => JSON.stringify(event.data.item).includes(n)))
        )
    ),
    { until: (mine) => mine.length >= atLeast, times: 50, schedule: every100Millis }
  )

export const types = (events: ReadonlyArray<Event.Event>) => events.map((event) => event.type)

/** Records one attempt (a round of one). */
export const complete = (log: EventLog.EventLogShape, claimed: EventLog.Claimed, attempt: EventLog.Attempt) =>
  log.completeDeliveries([{ claimed, attempt }])

export const text = (body: string, extra: Record<string, unknown> = {}) => ({ type: "text", text: { body }, ...extra })

export const ingestOne = (store: SessionStore.SessionStoreShape, item: Ingest.Operation, now: number, p = policy) =>
  Effect.map(store.ingest({ now: at(now), policy: p, items: [item], resolves: [] }), (result) => result.items[0]!)

export const withEndpoints = <A, E, R>(
  log: EventLog.EventLogShape,
  endpoints: ReadonlyArray<Delivery.Endpoint>,
  body: Effect.Effect<A, E, R>
) =>
  Effect.acquireUseRelease(
    Effect.forEach(endpoints, log.addEndpoint, { discard: true }),
    () => body,
    () => Effect.orDie(Effect.forEach(endpoints, (e) => log.deleteEndpoint(e.id, at(0)), { discard: true }))
  )

export const statusItem = (
  ref: SessionStore.OutboundRef,
  status: Outbound.OutboundStatus,
  millis: number,
  options: { readonly reengagement?: boolean; readonly code?: string } = {}
): Ingest.PreparedStatus => {
  const raw = JSON.stringify({ ref, status, millis })
  return {
    _tag: "Status",
    ref,
    event: new Outbound.StatusEvent({
      status,
      at: at(millis),
      code: Option.fromNullable(options.code),
      detail: Option.none()
    }),
    reengagement: options.reengagement ?? false,
    raw,
    item: JSON.parse(raw),
    quarantineId: Ingest.quarantineIdOf("unknown_message", raw)
  }
}

/** The order of the quarantine's listing: newest first, then by id, descending. */
export const newestFirst: Order.Order<Ingest.QuarantineEntry> = Order.reverse(Order.combine(
  Order.mapInput(Order.number, (entry: Ingest.QuarantineEntry) => entry.receivedAt.epochMillis),
  Order.mapInput(Order.string, (entry: Ingest.QuarantineEntry) => entry.id)
))

/** The whole quarantine, newest first, in pages of 2 (at most 100,000 pages). */
export const allQuarantine = (store: SessionStore.SessionStoreShape) =>
  Effect.map(
    Effect.iterate(
      { items: [] as ReadonlyArray<Ingest.QuarantineEntry>, cursor: Option.none<string>(), done: false, page: 0 },
      {
        while: (state) => !state.done && state.page < 100_000,
        body: (state) =>
          Effect.map(store.listQuarantine({ state: Option.none(), limit: 2, cursor: state.cursor }), (result) => ({
            items: [...state.items, ...result.items],
            cursor: result.nextCursor,
            done: Option.isNone(result.nextCursor),
            page: state.page + 1
          }))
      }
    ),
    (state) => state.items
  )
