// The relay contract's cases about delivering events: claims, leases, attempts, endpoints, replay, the log, retention.
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Delivery from "../../Delivery.js"
import * as Event from "../../Event.js"
import * as EventLog from "../../EventLog.js"
import * as SessionService from "../../SessionService.js"
import * as SessionStore from "../../SessionStore.js"
import * as assert from "../ContractAssert.js"
import * as ContractCase from "../ContractCase.js"
import { at, freshNumber, inbound, outbound, pair as pairOf, preparedInbound } from "../ContractFixtures.js"
import {
  complete,
  DAY,
  endpoint,
  eventsOf,
  freshEra,
  ingestOne,
  SECRET,
  types,
  withEndpoints
} from "./relayFixtures.js"

/** The cases about deliveries, the event log and retention, in order. */
export const deliveryCases = (): ReadonlyArray<
  ContractCase.ContractCase<SessionStore.SessionStore | EventLog.EventLog>
> => [
  ContractCase.make(
    "deliveries: one per wanting endpoint; first in line per (endpoint, pair); leased; completed",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const log = yield* EventLog.EventLog
      const all = endpoint()
      const onlyOpened = endpoint(Option.some(["window.opened"]))
      yield* withEndpoints(
        log,
        [all, onlyOpened],
        Effect.gen(function*() {
          const [b, c1, c2] = [freshNumber(), freshNumber(), freshNumber()]
          const t = freshEra()
          yield* ingestOne(store, preparedInbound(inbound(b, c1, "a1", t)), t)
          yield* ingestOne(store, preparedInbound(inbound(b, c1, "a2", t + 1)), t + 1)
          yield* ingestOne(store, preparedInbound(inbound(b, c2, "b1", t + 2)), t + 2)
          const pending = yield* log.listDeliveries({
            state: Option.some("pending"),
            endpointId: Option.some(all.id),
            limit: 100,
            cursor: Option.none()
          })
          assert.strictEqual(pending.items.length, 5) // received, opened, received; received, opened
          const onlyOpenedDeliveries = yield* log.listDeliveries({
            state: Option.none(),
            endpointId: Option.some(onlyOpened.id),
            limit: 100,
            cursor: Option.none()
          })
          assert.deepStrictEqual(onlyOpenedDeliveries.items.map((d) => d.eventType), [
            "window.opened",
            "window.opened"
          ])
          const claim = (now: number) =>
            log.claimDeliveries({ now: at(now), limit: 100, leaseFor: Duration.seconds(30) })
          const first = yield* claim(t + 10)
          // heads of line only: c1's first event and c2's first event, on each endpoint
          const heads = first.map((claimed) => `${claimed.endpoint.id}|${claimed.event.customer}|${claimed.event.type}`)
          assert.sameMembers(heads, [
            `${all.id}|${c1}|message.received`,
            `${all.id}|${c2}|message.received`,
            `${onlyOpened.id}|${c1}|window.opened`,
            `${onlyOpened.id}|${c2}|window.opened`
          ])
          assert.deepStrictEqual(yield* claim(t + 11), []) // leased, and the rest wait behind them
          const byCustomer = (customer: string, endpointId: string) =>
            first.find((claimed) => claimed.event.customer === customer && claimed.endpoint.id === endpointId)!
          const c1Head = byCustomer(c1, all.id)
          assert.strictEqual(Redacted.value(c1Head.endpoint.secret), Redacted.value(SECRET))
          // the body is the event's JSON text, the same on every store
          const events = yield* eventsOf(log, [b], 5)
          for (const claimed of first) {
            const recorded = events.find((e) => e.id === claimed.event.id)!
            assert.strictEqual(claimed.event.body, JSON.stringify(Event.encode(recorded)))
          }
          // delivered: the next of the pair is in line
          yield* complete(log, c1Head, {
            at: at(t + 12),
            status: Option.some(200),
            error: Option.none(),
            verdict: { _tag: "Delivered" }
          })
          // a retry keeps the pair waiting until due
          const c2Head = byCustomer(c2, all.id)
          yield* complete(log, c2Head, {
            at: at(t + 12),
            status: Option.some(503),
            error: Option.some("HTTP 503"),
            verdict: { _tag: "Retry", at: at(t + 5000), error: "HTTP 503" }
          })
          const second = yield* claim(t + 13)
          assert.deepStrictEqual(second.map((c) => `${c.event.customer}|${c.event.type}`), [`${c1}|window.opened`])
          // a stale lease cannot complete
          yield* complete(log, { ...second[0]!, lease: second[0]!.lease - 1 }, {
            at: at(t + 14),
            status: Option.some(200),
            error: Option.none(),
            verdict: { _tag: "Delivered" }
          })
          const afterStale = yield* log.listDeliveries({
            state: Option.some("delivered"),
            endpointId: Option.some(all.id),
            limit: 100,
            cursor: Option.none()
          })
          assert.strictEqual(afterStale.items.length, 1)
          // the lease runs out: claimed again
          const retaken = yield* log.claimDeliveries({
            now: at(t + 13 + 30_001),
            limit: 100,
            leaseFor: Duration.seconds(30)
          })
          assert.includeMembers(retaken.map((c) => c.delivery.eventId), [second[0]!.delivery.eventId])
          const retried = yield* claim(t + 5000 + 60_000)
          assert.include(retried.map((c) => c.delivery.eventId), c2Head.delivery.eventId)
          const c2Again = retried.find((c) => c.delivery.eventId === c2Head.delivery.eventId)!
          assert.strictEqual(c2Again.delivery.attempts, 1)
          assert.deepStrictEqual(c2Again.delivery.lastError, Option.some("HTTP 503"))
          // given up: the next of the pair goes on
          yield* complete(log, c2Again, {
            at: at(t + 70_000),
            status: Option.none(),
            error: Option.some("timed out"),
            verdict: { _tag: "GiveUp", error: "timed out" }
          })
          const failed = yield* log.listDeliveries({
            state: Option.some("failed"),
            endpointId: Option.some(all.id),
            limit: 100,
            cursor: Option.none()
          })
          assert.deepStrictEqual(failed.items.map((d) => [d.eventId, d.attempts]), [[c2Head.delivery.eventId, 2]])
        })
      )
    })
  ),

  ContractCase.make(
    "a round's attempts are recorded together: delivered ones, retries and stale leases alike",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const log = yield* EventLog.EventLog
      const round = endpoint()
      yield* withEndpoints(
        log,
        [round],
        Effect.gen(function*() {
          const b = freshNumber()
          const customers = [freshNumber(), freshNumber(), freshNumber(), freshNumber()]
          const t = freshEra()
          for (const [i, c] of customers.entries()) {
            yield* ingestOne(store, preparedInbound(inbound(b, c, `round${i}`, t)), t)
          }
          const claimed = yield* log.claimDeliveries({ now: at(t + 1), limit: 100, leaseFor: Duration.seconds(30) })
          assert.strictEqual(claimed.length, 4)
          const ok = (status: number): EventLog.Attempt => ({
            at: at(t + 2),
            status: Option.some(status),
            error: Option.none(),
            verdict: { _tag: "Delivered" }
          })
          yield* log.completeDeliveries([
            { claimed: claimed[0]!, attempt: ok(200) },
            { claimed: claimed[1]!, attempt: ok(204) },
            {
              claimed: claimed[2]!,
              attempt: {
                at: at(t + 2),
                status: Option.some(500),
                error: Option.none(),
                verdict: { _tag: "Retry", at: at(t + 60_000), error: "HTTP 500" }
              }
            },
            { claimed: { ...claimed[3]!, lease: claimed[3]!.lease + 1 }, attempt: ok(200) }
          ])
          const byState = (state: "delivered" | "pending") =>
            Effect.map(
              log.listDeliveries({
                state: Option.some(state),
                endpointId: Option.some(round.id),
                limit: 100,
                cursor: Option.none()
              }),
              (page) => page.items
            )
          const delivered = yield* byState("delivered")
          assert.sameMembers(delivered.map((d) => d.eventId), [claimed[0]!.event.id, claimed[1]!.event.id])
          assert.sameMembers(delivered.map((d) => Option.getOrNull(d.lastStatus)), [200, 204])
          assert.isTrue(
            delivered.every((d) => Option.contains(d.deliveredAt.pipe(Option.map((x) => x.epochMillis)), t + 2))
          )
          const pending = yield* byState("pending")
          const retried = pending.find((d) => d.eventId === claimed[2]!.event.id)!
          assert.deepStrictEqual([retried.attempts, Option.getOrNull(retried.lastError)], [1, "HTTP 500"])
          // the stale lease changed nothing: still pending, no attempt counted
          const stale = pending.find((d) => d.eventId === claimed[3]!.event.id)!
          assert.strictEqual(stale.attempts, 0)
          yield* log.completeDeliveries([])
        })
      )
    })
  ),

  ContractCase.make(
    "410 Gone disables the endpoint; deleting fails its pending deliveries; the configured one is upserted",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const log = yield* EventLog.EventLog
      const gone = endpoint()
      yield* withEndpoints(
        log,
        [gone],
        Effect.gen(function*() {
          const [b, c] = [freshNumber(), freshNumber()]
          const t = freshEra()
          yield* ingestOne(store, preparedInbound(inbound(b, c, "g1", t)), t)
          const [head] = yield* log.claimDeliveries({ now: at(t + 1), limit: 10, leaseFor: Duration.seconds(30) })
          yield* complete(log, head!, {
            at: at(t + 2),
            status: Option.some(410),
            error: Option.some("HTTP 410"),
            verdict: { _tag: "Gone" }
          })
          const disabled = Option.getOrThrow(yield* log.findEndpoint(gone.id))
          assert.strictEqual(disabled.state, "disabled")
          assert.isTrue(Option.isSome(disabled.disabledReason))
          assert.deepStrictEqual(
            yield* log.claimDeliveries({ now: at(t + 10_000), limit: 10, leaseFor: Duration.seconds(30) }),
            []
          )
          // events recorded while disabled get a delivery for it, which waits (nothing is skipped)
          yield* ingestOne(store, preparedInbound(inbound(b, c, "g2", t + 3)), t + 3)
          const listed = yield* log.listDeliveries({
            state: Option.none(),
            endpointId: Option.some(gone.id),
            limit: 100,
            cursor: Option.none()
          })
          assert.deepStrictEqual(listed.items.map((d) => [d.eventType, d.state]), [
            ["message.received", "pending"],
            ["window.opened", "pending"],
            ["message.received", "pending"]
          ])
          assert.deepStrictEqual(
            yield* log.claimDeliveries({ now: at(t + 10_000), limit: 10, leaseFor: Duration.seconds(30) }),
            []
          )
          assert.isTrue(yield* log.deleteEndpoint(gone.id, at(t + 4)))
          assert.isFalse(yield* log.deleteEndpoint(gone.id, at(t + 4)))
          const afterDelete = yield* log.listDeliveries({
            state: Option.none(),
            endpointId: Option.some(gone.id),
            limit: 100,
            cursor: Option.none()
          })
          assert.isTrue(afterDelete.items.every((d) => d.state === "failed"))
          assert.deepStrictEqual(afterDelete.items.map((d) => Option.getOrNull(d.lastError)), [
            "endpoint deleted",
            "endpoint deleted",
            "endpoint deleted"
          ])
        })
      )
      const configured = new Delivery.Endpoint({ ...endpoint(), id: Delivery.CONFIGURED_ENDPOINT_ID })
      yield* log.configureEndpoint(Option.some(configured), at(0))
      yield* log.configureEndpoint(
        Option.some(new Delivery.Endpoint({ ...configured, url: "http://127.0.0.1:9/v2" })),
        at(0)
      )
      const found = Option.getOrThrow(yield* log.findEndpoint(Delivery.CONFIGURED_ENDPOINT_ID))
      assert.strictEqual(found.url, "http://127.0.0.1:9/v2")
      assert.include((yield* log.listEndpoints).map((e) => e.id), Delivery.CONFIGURED_ENDPOINT_ID)
      // disabled by a 410, then configured again (the next start): enabled, what it missed meanwhile in line
      const [b, c] = [freshNumber(), freshNumber()]
      const t = freshEra()
      const lease = Duration.seconds(30)
      const mine = (claimed: ReadonlyArray<EventLog.Claimed>) =>
        claimed.filter((d) => d.delivery.endpointId === Delivery.CONFIGURED_ENDPOINT_ID)
      yield* ingestOne(store, preparedInbound(inbound(b, c, "c1", t)), t)
      const [first] = mine(yield* log.claimDeliveries({ now: at(t + 1), limit: 100, leaseFor: lease }))
      yield* complete(log, first!, {
        at: at(t + 2),
        status: Option.some(410),
        error: Option.none(),
        verdict: { _tag: "Gone" }
      })
      yield* ingestOne(store, preparedInbound(inbound(b, c, "c2", t + 3)), t + 3)
      assert.deepStrictEqual(
        mine(yield* log.claimDeliveries({ now: at(t + 60_000), limit: 100, leaseFor: lease })),
        []
      )
      yield* log.configureEndpoint(Option.some(configured), at(t + 4))
      const resumed = mine(yield* log.claimDeliveries({ now: at(t + 60_000), limit: 100, leaseFor: lease }))
      assert.deepStrictEqual(resumed.map((d) => d.event.id), [first!.event.id])
      yield* log.configureEndpoint(Option.none(), at(0))
      assert.isTrue(Option.isNone(yield* log.findEndpoint(Delivery.CONFIGURED_ENDPOINT_ID)))
      const dropped = yield* log.listDeliveries({
        state: Option.some("pending"),
        endpointId: Option.some(Delivery.CONFIGURED_ENDPOINT_ID),
        limit: 100,
        cursor: Option.none()
      })
      assert.deepStrictEqual(dropped.items, [])
    })
  ),

  ContractCase.make(
    "replay makes deliveries pending again and adds the ones an endpoint never had",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const log = yield* EventLog.EventLog
      const [b, c] = [freshNumber(), freshNumber()]
      const t = freshEra()
      yield* ingestOne(store, preparedInbound(inbound(b, c, "r1", t)), t) // before the endpoint: no delivery
      const late = endpoint()
      yield* withEndpoints(
        log,
        [late],
        Effect.gen(function*() {
          yield* ingestOne(store, preparedInbound(inbound(b, c, "r2", t + 1)), t + 1)
          const [head] = yield* log.claimDeliveries({ now: at(t + 2), limit: 10, leaseFor: Duration.seconds(30) })
          yield* complete(log, head!, {
            at: at(t + 3),
            status: Option.some(204),
            error: Option.none(),
            verdict: { _tag: "Delivered" }
          })
          const events = yield* eventsOf(log, [b], 3)
          const count = yield* log.replay({
            endpointId: Option.some(late.id),
            since: Option.some(at(t)),
            eventIds: Option.none(),
            now: at(t + 10)
          })
          assert.strictEqual(count, 3) // r1's received and opened added, r2's received delivered again
          const pending = yield* log.listDeliveries({
            state: Option.some("pending"),
            endpointId: Option.some(late.id),
            limit: 100,
            cursor: Option.none()
          })
          assert.sameMembers(pending.items.map((d) => d.eventId), events.map((e) => e.id))
          // the redelivery of an event keeps its id (webhook-id); order: oldest first for the pair
          const [again] = yield* log.claimDeliveries({ now: at(t + 11), limit: 10, leaseFor: Duration.seconds(30) })
          assert.strictEqual(again!.event.id, events[0]!.id)
          const byId = yield* log.replay({
            endpointId: Option.none(),
            since: Option.none(),
            eventIds: Option.some([]),
            now: at(t + 12)
          })
          assert.strictEqual(byId, 0)
        })
      )
    })
  ),

  ContractCase.make(
    "the log pages by `after`, filters by type, and refuses an unknown `after`",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const log = yield* EventLog.EventLog
      const [b, c] = [freshNumber(), freshNumber()]
      const t = freshEra()
      for (let i = 0; i < 4; i++) yield* ingestOne(store, preparedInbound(inbound(b, c, `p${i}`, t + i)), t + i)
      const mine = yield* eventsOf(log, [b], 5)
      const collected: Array<Event.Event> = []
      let after = Option.some(mine[0]!.id)
      collected.push(mine[0]!)
      for (let page = 0; page < 100_000; page++) {
        const result = yield* log.listEvents({ after, types: Option.none(), limit: 2 })
        collected.push(...result.items.filter((e) => e.business === b))
        if (Option.isNone(result.last)) break
        after = result.last
      }
      assert.deepStrictEqual(collected.map((e) => e.id), mine.map((e) => e.id))
      const received = yield* log.listEvents({
        after: Option.some(mine[0]!.id),
        types: Option.some(["window.opened"]),
        limit: 1_000_000
      })
      assert.isTrue(received.items.every((e) => e.type === "window.opened"))
      assert.deepStrictEqual(received.items.filter((e) => e.business === b).map((e) => e.id), [mine[1]!.id])
      const missing = yield* Effect.flip(
        log.listEvents({ after: Option.some("evt_nope"), types: Option.none(), limit: 1 })
      )
      assert.strictEqual(missing._tag, "InvalidCursor")
      const decoded = Schema.decodeUnknownSync(Event.Event)(Event.encode(mine[0]!))
      assert.deepStrictEqual(decoded, mine[0])
    })
  ),

  ContractCase.make(
    "retention prunes content, dedup ids, events no delivery waits for, quarantine; keeps windows",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const log = yield* EventLog.EventLog
      const [b, c] = [freshNumber(), freshNumber()]
      const t = freshEra()
      const waiting = endpoint(Option.some(["message.received"]))
      yield* ingestOne(store, preparedInbound(inbound(b, c, "old", t)), t)
      yield* store.insertOutbound(outbound(b, c, { createdAt: new Date(t).toISOString() }))
      yield* withEndpoints(
        log,
        [waiting],
        Effect.gen(function*() {
          yield* ingestOne(store, preparedInbound(inbound(b, c, "kept", t + DAY)), t + DAY)
          // in runs of at most 2 rows of each kind, called again while a count reached the limit
          const pruned = { inbound: 0, outbound: 0, deliveries: 0, events: 0, quarantine: 0 }
          for (let run = 0; run < 10_000; run++) {
            const once = yield* store.prune(at(t + DAY + 1), 2)
            for (const key of Object.keys(pruned) as Array<keyof typeof pruned>) {
              assert.isAtMost(once[key], 2)
              pruned[key] += once[key]
            }
            if (!SessionService.isPartial(once, 2)) break
          }
          assert.isAtLeast(pruned.inbound, 2)
          assert.isAtLeast(pruned.outbound, 1)
          assert.isAtLeast(pruned.events, 2)
          const history = yield* store.listMessages(pairOf(b, c), 10, Option.none())
          assert.deepStrictEqual(history.items, [])
          const left = yield* eventsOf(log, [b])
          // the message.received an endpoint still waits for stays
          assert.deepStrictEqual(types(left), ["message.received"])
          assert.isTrue(Option.isSome(yield* store.getWindow(pairOf(b, c))))
          // the id may be recorded again once pruned
          const again = yield* ingestOne(store, preparedInbound(inbound(b, c, "old", t)), t + DAY + 2)
          assert.isTrue(again._tag === "Inbound" && !again.duplicate)
        })
      )
    })
  )
]
