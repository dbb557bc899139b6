// The relay contract's cases about what arrives: content kept, events recorded with their change, window events, reports, quarantine.
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Event from "../../Event.js"
import * as EventLog from "../../EventLog.js"
import * as Ingest from "../../Ingest.js"
import * as SessionStore from "../../SessionStore.js"
import * as SessionWindow from "../../SessionWindow.js"
import type * as WindowEvents from "../../WindowEvents.js"
import * as assert from "../ContractAssert.js"
import * as ContractCase from "../ContractCase.js"
import {
  at,
  closeByProvider,
  freshNumber,
  inbound,
  outbound,
  pair as pairOf,
  preparedInbound,
  statusEvent
} from "../ContractFixtures.js"
import {
  allQuarantine,
  DAY,
  eventsOf,
  freshEra,
  HOUR,
  ingestOne,
  newestFirst,
  policy,
  statusItem,
  text,
  types
} from "./relayFixtures.js"

/** The cases about what arrives, in order. */
export const ingestCases = (): ReadonlyArray<
  ContractCase.ContractCase<SessionStore.SessionStore | EventLog.EventLog>
> => [
  ContractCase.make(
    "keeps content, profile name and the raw item; history pages inbound and outbound, newest first",
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
    })
  ),

  ContractCase.make(
    "a customer message records message.received and window.opened; an extension no window event",
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
    })
  ),

  ContractCase.make(
    "a window that ran out is closed (with its late window.expiring) before the next one opens",
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
    })
  ),

  ContractCase.make(
    "the scheduler records window.expiring at the lead before closing and window.closed, once each",
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
    })
  ),

  ContractCase.make(
    "a provider closure records window.closed(provider); a newer message reopens from closed",
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
    })
  ),

  ContractCase.make(
    "reports: message.status for sent/delivered/read/failed; 30018 closes and queues the fallback once",
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
    })
  ),

  ContractCase.make(
    "a 30018 already recorded as failed, never acted on (the sender died), closes and queues when reported",
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
    })
  ),

  ContractCase.make(
    "what cannot be used is kept in the quarantine once; a retry resolves it unless it fails again",
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
      const listed = yield* allQuarantine(store)
      assert.includeMembers(listed.map((e) => e.id), [bad.id, unknown.quarantineId])
      const sorted = [...listed].sort(newestFirst)
      assert.deepStrictEqual(listed.map((e) => e.id), sorted.map((e) => e.id))
      const onlyResolved = yield* store.listQuarantine({
        state: Option.some("resolved"),
        limit: 1000,
        cursor: Option.none()
      })
      assert.isTrue(onlyResolved.items.every((e) => e.state === "resolved"))
      assert.include(onlyResolved.items.map((e) => e.id), bad.id)
    })
  )
]
