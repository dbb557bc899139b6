/**
 * The lossless-relay half of the store contract (memory, SQLite, PostgreSQL): what arrives is kept (content,
 * quarantine), every change records its events in the same transaction, window events follow
 * `WindowEvents.reconcile` exactly once, and deliveries are claimed first-in-line per (endpoint, pair), leased,
 * completed, replayed and pruned alike on every store. The store is shared across cases: each case uses its own
 * numbers, stretch of time and endpoints, and deletes its endpoints at the end so that claims see only its own.
 */
import { assert, layer } from "@effect/vitest"
import type { WindowEvents } from "@wa-session/session-core"
import {
  Delivery,
  Event,
  EventLog,
  Ingest,
  Outbound,
  type PhoneNumber,
  SessionService,
  SessionStore,
  SessionWindow
} from "@wa-session/session-core"
import { DateTime, Duration, Effect, type Layer, Option, Redacted, Schema } from "effect"
import type { Storage } from "../src/index.js"
import { closeByProvider, freshNumber, inbound, outbound, preparedInbound, statusEvent } from "./StoreContract.js"

const HOUR = 3_600_000
const DAY = 24 * HOUR
let eras = 0
/** A stretch of 10 days of its own per case, after the main suite's (which starts in 2031). */
const freshEra = (): number => Date.UTC(2041, 0, 1) + 10 * DAY * eras++
const at = (millis: number): DateTime.Utc => DateTime.unsafeMake(millis)
const pairOf = (business: PhoneNumber.PhoneNumber, customer: PhoneNumber.PhoneNumber) =>
  ({ business, customer }) as unknown as PhoneNumber.Pair

const policy: WindowEvents.Policy = { safetyMargin: Duration.zero, expiringLead: Duration.hours(1) }

let endpointIds = 0
const SECRET = Redacted.make(`whsec_${Buffer.alloc(32, 7).toString("base64")}`)
const endpoint = (events: Option.Option<ReadonlyArray<Event.EventType>> = Option.none(), createdAt = at(0)) =>
  new Delivery.Endpoint({
    id: `ep_contract_${process.pid}_${++endpointIds}`,
    url: "http://127.0.0.1:9/hook",
    events,
    secret: SECRET,
    state: "enabled",
    disabledReason: Option.none(),
    createdAt
  })

/** Every event of the log about these numbers (PostgreSQL shows an event once older transactions ended: waits). */
const eventsOf = (log: EventLog.EventLogShape, numbers: ReadonlyArray<string>, atLeast = 0) =>
  Effect.gen(function*() {
    for (let attempt = 0;; attempt++) {
      const page = yield* log.listEvents({ after: Option.none(), types: Option.none(), limit: 1_000_000 })
      const mine = page.items.filter((event) =>
        numbers.includes(event.business ?? "") || numbers.includes(event.customer ?? "") ||
        (event.type === "webhook.quarantined" && numbers.some((n) => JSON.stringify(event.data.item).includes(n)))
      )
      if (mine.length >= atLeast || attempt >= 50) return mine
      yield* Effect.sleep("100 millis")
    }
  })

const types = (events: ReadonlyArray<Event.Event>) => events.map((event) => event.type)

/** Records one attempt (a round of one). */
const complete = (log: EventLog.EventLogShape, claimed: EventLog.Claimed, attempt: EventLog.Attempt) =>
  log.completeDeliveries([{ claimed, attempt }])

const text = (body: string, extra: Record<string, unknown> = {}) => ({ type: "text", text: { body }, ...extra })

const ingestOne = (store: SessionStore.SessionStoreShape, item: Ingest.Operation, now: number, p = policy) =>
  Effect.map(store.ingest({ now: at(now), policy: p, items: [item], resolves: [] }), (result) => result.items[0]!)

const withEndpoints = <A, E, R>(
  log: EventLog.EventLogShape,
  endpoints: ReadonlyArray<Delivery.Endpoint>,
  body: Effect.Effect<A, E, R>
) =>
  Effect.acquireUseRelease(
    Effect.forEach(endpoints, log.addEndpoint, { discard: true }),
    () => body,
    () => Effect.orDie(Effect.forEach(endpoints, (e) => log.deleteEndpoint(e.id, at(0)), { discard: true }))
  )

const statusItem = (
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

export const relaySuite = (
  name: string,
  storeLayer: Layer.Layer<Storage.Storage | SessionStore.SessionStore | EventLog.EventLog, unknown>
) =>
  layer(storeLayer, { excludeTestServices: true, timeout: "60 seconds" })(`${name} (relay)`, (it) => {
    it.effect("keeps content, profile name and the raw item; history pages inbound and outbound, newest first", () =>
      Effect.gen(function*() {
        const store = yield* SessionStore.SessionStore
        const [b, c] = [freshNumber(), freshNumber()]
        const t = freshEra()
        const quoted = text("Is it shipped?", { context: { id: "wamid.earlier" }, referral: { source_type: "ad" } })
        const first: Ingest.PreparedInbound = {
          ...preparedInbound(inbound(b, c, "wamid.h1", t, t + 10)),
          content: quoted,
          profileName: Option.some("Asha")
        }
        yield* ingestOne(store, first, t + 10)
        yield* store.insertOutbound(outbound(b, c, { id: `out-h-${t}-1`, createdAt: new Date(t + 20).toISOString() }))
        yield* ingestOne(store, preparedInbound(inbound(b, c, "wamid.h2", t + 30, t + 30)), t + 30)
        yield* store.insertOutbound(outbound(b, c, { id: `out-h-${t}-2`, createdAt: new Date(t + 30).toISOString() }))
        const all: Array<SessionStore.HistoryItem> = []
        let cursor = Option.none<string>()
        for (let page = 0; page < 10; page++) {
          const result = yield* store.listMessages(pairOf(b, c), 3, cursor)
          assert.isAtMost(result.items.length, 3)
          all.push(...result.items)
          if (Option.isNone(result.nextCursor)) break
          cursor = result.nextCursor
        }
        // same instant: outbound first, then inbound
        assert.deepStrictEqual(
          all.map((item) => item._tag === "Inbound" ? item.message.messageId : item.message.id),
          [`out-h-${t}-2`, "wamid.h2", `out-h-${t}-1`, "wamid.h1"]
        )
        const oldest = all[3]!
        assert.isTrue(oldest._tag === "Inbound")
        if (oldest._tag === "Inbound") {
          assert.deepStrictEqual(oldest.content, quoted)
          assert.strictEqual(oldest.contentType, "text")
          assert.deepStrictEqual(oldest.profileName, Option.some("Asha"))
        }
        const bad = yield* Effect.flip(store.listMessages(pairOf(b, c), 3, Option.some("not-a-cursor!")))
        assert.strictEqual(bad._tag, "InvalidCursor")
        assert.deepStrictEqual((yield* store.listMessages(pairOf(freshNumber(), c), 5, Option.none())).items, [])
      }))

    it.effect("a customer message records message.received and window.opened; an extension no window event", () =>
      Effect.gen(function*() {
        const store = yield* SessionStore.SessionStore
        const log = yield* EventLog.EventLog
        const [b, c] = [freshNumber(), freshNumber()]
        const t = freshEra()
        yield* ingestOne(store, preparedInbound(inbound(b, c, "m1", t)), t)
        yield* ingestOne(store, preparedInbound(inbound(b, c, "m1", t)), t + 5) // a duplicate: nothing
        yield* ingestOne(store, preparedInbound(inbound(b, c, "m2", t + HOUR)), t + HOUR)
        const events = yield* eventsOf(log, [b], 3)
        assert.deepStrictEqual(types(events), ["message.received", "window.opened", "message.received"])
        const [received, opened] = events
        assert.strictEqual(received?.type === "message.received" && received.data.messageId, "m1")
        assert.strictEqual(
          received?.type === "message.received" && received.data.window.state,
          "open"
        )
        assert.strictEqual(opened?.type === "window.opened" && opened.data.previousState, "none")
        assert.strictEqual(opened?.id, Event.idOf(`window.opened|${b}|${c}|m1`))
      }))

    it.effect("a window that ran out is closed (with its late window.expiring) before the next one opens", () =>
      Effect.gen(function*() {
        const store = yield* SessionStore.SessionStore
        const log = yield* EventLog.EventLog
        const [b, c] = [freshNumber(), freshNumber()]
        const t = freshEra()
        yield* ingestOne(store, preparedInbound(inbound(b, c, "m1", t)), t)
        yield* ingestOne(store, preparedInbound(inbound(b, c, "m2", t + 30 * HOUR)), t + 30 * HOUR)
        const events = yield* eventsOf(log, [b], 6)
        assert.deepStrictEqual(types(events), [
          "message.received",
          "window.opened",
          "window.expiring",
          "window.closed",
          "message.received",
          "window.opened"
        ])
        const closed = events[3]
        assert.deepStrictEqual(closed?.type === "window.closed" && closed.data.reason, "expired")
        const reopened = events[5]
        assert.strictEqual(reopened?.type === "window.opened" && reopened.data.previousState, "expired")
      }))

    it.effect("the scheduler records window.expiring at the lead before closing and window.closed, once each", () =>
      Effect.gen(function*() {
        const store = yield* SessionStore.SessionStore
        const log = yield* EventLog.EventLog
        const [b, c, extended] = [freshNumber(), freshNumber(), freshNumber()]
        const t = freshEra()
        const margin: WindowEvents.Policy = { safetyMargin: Duration.minutes(10), expiringLead: Duration.hours(1) }
        yield* ingestOne(store, preparedInbound(inbound(b, c, "m1", t)), t, margin)
        yield* ingestOne(store, preparedInbound(inbound(b, extended, "x1", t)), t, margin)
        const closesAt = t + DAY - 10 * 60_000
        const tick = (now: number) => store.emitDueWindowEvents(at(now), margin, 10_000)
        yield* tick(closesAt - HOUR - 1)
        const early = (yield* eventsOf(log, [b], 4)).filter((e) => e.customer === c)
        assert.deepStrictEqual(types(early), ["message.received", "window.opened"])
        // extended before its expiring moment: no window.expiring for the old expiry
        yield* ingestOne(store, preparedInbound(inbound(b, extended, "x2", t + 2 * HOUR)), closesAt - HOUR - 1, margin)
        yield* tick(closesAt - HOUR)
        yield* tick(closesAt - HOUR)
        yield* tick(closesAt - 1)
        yield* tick(closesAt)
        yield* tick(closesAt + 1000)
        const mine = (yield* eventsOf(log, [b], 7)).filter((e) => e.customer === c)
        assert.deepStrictEqual(types(mine), ["message.received", "window.opened", "window.expiring", "window.closed"])
        const expiring = mine[2]
        assert.isTrue(expiring?.type === "window.expiring")
        if (expiring?.type === "window.expiring") {
          assert.strictEqual(expiring.data.sendableUntil.epochMillis, closesAt)
          assert.strictEqual(expiring.data.remainingSeconds, 3600)
          assert.strictEqual(expiring.createdAt.epochMillis, closesAt - HOUR)
        }
        const other = (yield* eventsOf(log, [b], 7)).filter((e) => e.customer === extended)
        assert.deepStrictEqual(types(other), ["message.received", "window.opened", "message.received"])
        yield* tick(closesAt + 2 * HOUR)
        const later = (yield* eventsOf(log, [b], 9)).filter((e) => e.customer === extended)
        assert.deepStrictEqual(types(later), [
          "message.received",
          "window.opened",
          "message.received",
          "window.expiring",
          "window.closed"
        ])
      }))

    it.effect("a provider closure records window.closed(provider); a newer message reopens from closed", () =>
      Effect.gen(function*() {
        const store = yield* SessionStore.SessionStore
        const log = yield* EventLog.EventLog
        const [b, c] = [freshNumber(), freshNumber()]
        const t = freshEra()
        yield* closeByProvider(store, pairOf(b, c), at(t)) // no window: nothing
        yield* ingestOne(store, preparedInbound(inbound(b, c, "m1", t + 1000)), t + 1000)
        yield* closeByProvider(store, pairOf(b, c), at(t + 5000))
        yield* closeByProvider(store, pairOf(b, c), at(t + 6000)) // already closed: nothing new
        yield* ingestOne(store, preparedInbound(inbound(b, c, "m2", t + 7000)), t + 7000)
        const events = yield* eventsOf(log, [b], 5)
        assert.deepStrictEqual(types(events), [
          "message.received",
          "window.opened",
          "window.closed",
          "message.received",
          "window.opened"
        ])
        assert.strictEqual(events[2]?.type === "window.closed" && events[2].data.reason, "provider")
        assert.strictEqual(events[4]?.type === "window.opened" && events[4].data.previousState, "closed")
      }))

    it.effect("reports: message.status for sent/delivered/read/failed; 30018 closes and queues the fallback once", () =>
      Effect.gen(function*() {
        const store = yield* SessionStore.SessionStore
        const log = yield* EventLog.EventLog
        const [b, c] = [freshNumber(), freshNumber()]
        const t = freshEra()
        yield* ingestOne(store, preparedInbound(inbound(b, c, "m1", t)), t)
        const template = { type: "template", template: { name: "follow_up", language: { code: "en" } } }
        const message = outbound(b, c, { fallback: template, providerMessageId: `sid-${t}` })
        yield* store.insertOutbound(message)
        const ref = { _tag: "ByProviderId", providerMessageId: `sid-${t}` } as const
        yield* ingestOne(store, statusItem({ _tag: "ById", id: message.id }, "accepted", t + 1), t + 1)
        const sent = yield* ingestOne(store, statusItem(ref, "sent", t + 2), t + 2)
        assert.isTrue(sent._tag === "Status" && sent.outcome === "applied")
        const refused = statusItem(ref, "failed", t + 3, { reengagement: true, code: "30018" })
        const first = yield* ingestOne(store, refused, t + 3)
        const again = yield* ingestOne(store, refused, t + 4)
        assert.isTrue(first._tag === "Status" && Option.isSome(first.fallback))
        assert.isTrue(again._tag === "Status" && again.outcome === "duplicate" && Option.isNone(again.fallback))
        const stored = Option.getOrThrow(yield* store.findOutbound(message.id))
        assert.strictEqual(stored.status, "failed")
        assert.deepStrictEqual(stored.fallbackMessageId, Option.some(`${message.id}-fallback`))
        const fallback = Option.getOrThrow(yield* store.findOutbound(`${message.id}-fallback`))
        assert.strictEqual(fallback.decision, "template")
        assert.strictEqual(fallback.status, "queued")
        // handed out once, ever
        const claimed = (yield* store.claimSends({ now: at(t + 5), limit: 100_000 })).filter((m) => m.business === b)
        assert.deepStrictEqual(claimed.map((m) => m.id), [fallback.id])
        const twice = (yield* store.claimSends({ now: at(t + 6), limit: 100_000 })).filter((m) => m.business === b)
        assert.deepStrictEqual(twice, [])
        const window = SessionWindow.statusAt(
          SessionWindow.fromOption(pairOf(b, c), yield* store.getWindow(pairOf(b, c))),
          at(t + 10)
        )
        assert.isTrue(window.closedByProvider)
        const events = yield* eventsOf(log, [b], 5)
        assert.deepStrictEqual(types(events), [
          "message.received",
          "window.opened",
          "message.status",
          "window.closed",
          "message.status"
        ])
        const statuses = events.flatMap((e) => e.type === "message.status" ? [e.data.status] : [])
        assert.deepStrictEqual(statuses, ["sent", "failed"])
        const failed = events[4]
        assert.isTrue(
          failed?.type === "message.status" && failed.data.code === "30018" && failed.data.messageId === message.id
        )
      }))

    it.effect("a 30018 already recorded as failed, never acted on (the sender died), closes and queues when reported", () =>
      Effect.gen(function*() {
        const store = yield* SessionStore.SessionStore
        const [b, c] = [freshNumber(), freshNumber()]
        const t = freshEra()
        yield* ingestOne(store, preparedInbound(inbound(b, c, "m1", t)), t)
        const template = { type: "template", template: { name: "follow_up", language: { code: "en" } } }
        const message = outbound(b, c, { fallback: template, providerMessageId: `sid-${t}` })
        yield* store.insertOutbound(message)
        // what the send path had written when it died: the failure, not its consequences
        yield* store.recordStatus({ _tag: "ById", id: message.id }, statusEvent("failed", t + 1, "30018"), at(t + 1))
        const ref = { _tag: "ByProviderId", providerMessageId: `sid-${t}` } as const
        const reported = yield* ingestOne(
          store,
          statusItem(ref, "failed", t + 2, { reengagement: true, code: "30018" }),
          t + 2
        )
        assert.isTrue(
          reported._tag === "Status" && reported.outcome === "duplicate" && Option.isSome(reported.fallback)
        )
        assert.deepStrictEqual(
          Option.getOrThrow(yield* store.findOutbound(message.id)).fallbackMessageId,
          Option.some(`${message.id}-fallback`)
        )
        // the send path, had it come back, finds the fallback claimed: one fallback, sent by the send worker
        assert.isFalse(yield* store.claimFallback(message.id, `${message.id}-fallback`))
        const claimed = (yield* store.claimSends({ now: at(t + 3), limit: 100_000 })).filter((m) => m.business === b)
        assert.deepStrictEqual(claimed.map((m) => m.id), [`${message.id}-fallback`])
        assert.isTrue(
          SessionWindow.statusAt(
            SessionWindow.fromOption(pairOf(b, c), yield* store.getWindow(pairOf(b, c))),
            at(t + 10)
          ).closedByProvider
        )
      }))

    it.effect("what cannot be used is kept in the quarantine once; a retry resolves it unless it fails again", () =>
      Effect.gen(function*() {
        const store = yield* SessionStore.SessionStore
        const log = yield* EventLog.EventLog
        const marker = freshNumber()
        const t = freshEra()
        const raw = JSON.stringify({ callback_type: "mystery", from: marker })
        const bad: Ingest.PreparedQuarantine = {
          _tag: "Quarantine",
          id: Ingest.quarantineIdOf("item", raw),
          kind: "item",
          reason: "unsupported callback_type",
          raw,
          item: JSON.parse(raw)
        }
        const unknown = statusItem({ _tag: "ByProviderId", providerMessageId: `ghost-${marker}` }, "sent", t)
        const result = yield* store.ingest({ now: at(t), policy, items: [bad, unknown, bad], resolves: [] })
        assert.deepStrictEqual(result.items.map((i) => i._tag === "Quarantined" ? i.duplicate : i._tag), [
          false,
          "Status",
          true
        ])
        assert.isTrue(result.items[1]?._tag === "Status" && result.items[1].outcome === "unknown")
        const entry = Option.getOrThrow(yield* store.findQuarantine(bad.id))
        assert.strictEqual(entry.state, "quarantined")
        assert.strictEqual(entry.raw, raw)
        assert.strictEqual(Option.getOrThrow(yield* store.findQuarantine(unknown.quarantineId)).kind, "unknown_message")
        // a retry that fails again: still quarantined, counted
        yield* store.requarantine(bad.id, "still unsupported")
        const requarantined = Option.getOrThrow(yield* store.findQuarantine(bad.id))
        assert.deepStrictEqual([requarantined.state, requarantined.reason, requarantined.retries], [
          "quarantined",
          "still unsupported",
          1
        ])
        // a retry batch that quarantines the same report again does not resolve it; one that records it does
        yield* store.ingest({ now: at(t + 1), policy, items: [unknown], resolves: [unknown.quarantineId] })
        assert.strictEqual(Option.getOrThrow(yield* store.findQuarantine(unknown.quarantineId)).state, "quarantined")
        const [b, c] = [freshNumber(), freshNumber()]
        yield* store.ingest({
          now: at(t + 2),
          policy,
          items: [preparedInbound(inbound(b, c, "fixed", t + 2))],
          resolves: [bad.id]
        })
        const resolved = Option.getOrThrow(yield* store.findQuarantine(bad.id))
        assert.strictEqual(resolved.state, "resolved")
        assert.deepStrictEqual(Option.map(resolved.resolvedAt, DateTime.toEpochMillis), Option.some(t + 2))
        const quarantined = (yield* eventsOf(log, [marker], 2)).filter((e) => e.type === "webhook.quarantined")
        assert.strictEqual(quarantined.length, 2)
        // listing: newest first, by state, paged
        const listed: Array<Ingest.QuarantineEntry> = []
        let cursor = Option.none<string>()
        for (let page = 0; page < 100_000; page++) {
          const result = yield* store.listQuarantine({ state: Option.none(), limit: 2, cursor })
          listed.push(...result.items)
          if (Option.isNone(result.nextCursor)) break
          cursor = result.nextCursor
        }
        assert.includeMembers(listed.map((e) => e.id), [bad.id, unknown.quarantineId])
        const sorted = [...listed].sort((x, y) =>
          y.receivedAt.epochMillis - x.receivedAt.epochMillis || (x.id < y.id ? 1 : -1)
        )
        assert.deepStrictEqual(listed.map((e) => e.id), sorted.map((e) => e.id))
        const onlyResolved = yield* store.listQuarantine({
          state: Option.some("resolved"),
          limit: 1000,
          cursor: Option.none()
        })
        assert.isTrue(onlyResolved.items.every((e) => e.state === "resolved"))
        assert.include(onlyResolved.items.map((e) => e.id), bad.id)
      }))

    it.effect("deliveries: one per wanting endpoint; first in line per (endpoint, pair); leased; completed", () =>
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
            const heads = first.map((claimed) =>
              `${claimed.endpoint.id}|${claimed.event.customer}|${claimed.event.type}`
            )
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
      }))

    it.effect("a round's attempts are recorded together: delivered ones, retries and stale leases alike", () =>
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
      }))

    it.effect("410 Gone disables the endpoint; deleting fails its pending deliveries; the configured one is upserted", () =>
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
      }))

    it.effect("replay makes deliveries pending again and adds the ones an endpoint never had", () =>
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
      }))

    it.effect("the log pages by `after`, filters by type, and refuses an unknown `after`", () =>
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
      }))

    it.effect("retention prunes content, dedup ids, events no delivery waits for, quarantine; keeps windows", () =>
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
      }))
  })
