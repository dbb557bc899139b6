import { assert, describe, it } from "@effect/vitest"
import { DateTime, Duration, Effect, Either, Option, Redacted, Schema } from "effect"
import {
  Delivery,
  type EventLog,
  Ingest,
  MemoryStore,
  MessageContent,
  Outbound,
  PhoneNumber,
  SessionStore,
  SessionWindow,
  StoreCursor,
  WindowEvents
} from "../src/index.js"

// The contract suites (src/testing, run against this store in StoreContract.test.ts and against the SQLite and
// PostgreSQL ones by @wa-session/storage) hold it to the other stores' semantics; these cases pin details of its
// own beyond them (paging, pruning, the event log's bookkeeping).

const HOUR = 3_600_000
const T0 = Date.UTC(2030, 0, 1)
const at = (millis: number): DateTime.Utc => DateTime.unsafeMake(millis)
const number = (n: number) => PhoneNumber.unsafeMake(`+9198765${String(n).padStart(5, "0")}`)
const B = number(1)
const B2 = number(2)
const C = number(100)
const C2 = number(101)
const C3 = number(102)
const pairOf = (business: PhoneNumber.PhoneNumber, customer: PhoneNumber.PhoneNumber) =>
  new PhoneNumber.Pair({ business, customer })

const inboundItem = (
  business: PhoneNumber.PhoneNumber,
  customer: PhoneNumber.PhoneNumber,
  messageId: string,
  millis: number
): Ingest.PreparedInbound => ({
  _tag: "Inbound",
  message: new SessionWindow.InboundMessage({
    business,
    customer,
    messageId,
    sentAt: at(millis),
    receivedAt: at(millis)
  }),
  contentType: "text",
  content: { type: "text", text: { body: messageId } },
  profileName: Option.none(),
  providerTimestamp: Option.some(at(millis)),
  timestampAdjustment: "none",
  raw: JSON.stringify({ sid: messageId })
})

const quarantineItem = (id: string): Ingest.PreparedQuarantine => ({
  _tag: "Quarantine",
  id,
  kind: "item",
  reason: "undecodable",
  raw: "{}",
  item: {}
})

const ingest = (store: MemoryStore.MemoryStore, now: number, items: ReadonlyArray<Ingest.Operation>) =>
  store.ingest({ now: at(now), policy: WindowEvents.defaultPolicy, items, resolves: [] })

const decodeContent = Schema.decodeUnknownSync(MessageContent.MessageContent)

let ids = 0
const outbound = (
  business: PhoneNumber.PhoneNumber,
  customer: PhoneNumber.PhoneNumber,
  millis: number,
  fields: Partial<Outbound.OutboundMessage> = {}
) =>
  new Outbound.OutboundMessage({
    id: `out_${++ids}`,
    business,
    customer,
    idempotencyKey: Option.none(),
    decision: "session",
    reason: Option.none(),
    windowState: "open",
    windowExpiresAt: Option.none(),
    content: decodeContent({ type: "text", text: { body: "hi" } }),
    fallback: Option.none(),
    providerMessageId: Option.none(),
    status: "pending",
    history: [status("pending", millis)],
    createdAt: at(millis),
    dryRun: false,
    fallbackMessageId: Option.none(),
    ...fields
  })

const status = (value: Outbound.OutboundStatus, millis: number) =>
  new Outbound.StatusEvent({ status: value, at: at(millis), code: Option.none(), detail: Option.none() })

const endpoint = (
  id: string,
  createdAt: number,
  events: Option.Option<ReadonlyArray<Delivery.Delivery["eventType"]>> = Option.none()
) =>
  new Delivery.Endpoint({
    id,
    url: "http://127.0.0.1:9/hook",
    events,
    secret: Redacted.make("whsec_test"),
    state: "enabled",
    disabledReason: Option.none(),
    createdAt: at(createdAt)
  })

/** Every page of a paged read, following its cursors. */
const allPages = <A, E>(
  read: (
    cursor: Option.Option<string>
  ) => Effect.Effect<{ readonly items: ReadonlyArray<A>; readonly nextCursor: Option.Option<string> }, E>
) =>
  Effect.gen(function*() {
    const items: Array<A> = []
    let cursor = Option.none<string>()
    for (;;) {
      const page = yield* read(cursor)
      items.push(...page.items)
      if (Option.isNone(page.nextCursor)) return items
      cursor = page.nextCursor
    }
  })

const isInvalidCursor = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.map(
    Effect.either(effect),
    (result) => Either.isLeft(result) && result.left instanceof SessionStore.InvalidCursor
  )

describe("StoreCursor", () => {
  it.effect("writes the format the stores always wrote (JSON in unpadded base64url) and reads it back", () =>
    Effect.gen(function*() {
      assert.strictEqual(
        StoreCursor.encodeNumberKey(5, "é"),
        Buffer.from(JSON.stringify([5, "é"])).toString("base64url")
      )
      assert.deepStrictEqual(yield* StoreCursor.decodeNumberKey(StoreCursor.encodeNumberKey(5, "é")), [5, "é"])
      assert.deepStrictEqual(yield* StoreCursor.decodeHistory(StoreCursor.encodeHistory(7, "outbound", "x")), [
        7,
        "outbound",
        "x"
      ])
      const cursor = { expiresAt: -3, business: "+1", customer: "+2" }
      assert.deepStrictEqual(yield* StoreCursor.decodeExpiring(StoreCursor.encodeExpiring(cursor)), cursor)
    }))

  it.effect("anything else is InvalidCursor", () =>
    Effect.gen(function*() {
      for (
        const bad of [
          "a+b",
          "=",
          Buffer.from("not json").toString("base64url"),
          StoreCursor.encodeHistory(1, "inbound", "x"),
          "A"
        ]
      ) {
        assert.isTrue(yield* isInvalidCursor(StoreCursor.decodeNumberKey(bad)), bad)
      }
      assert.isTrue(yield* isInvalidCursor(StoreCursor.decodeHistory(StoreCursor.encodeNumberKey(1, "x"))))
      assert.isTrue(yield* isInvalidCursor(StoreCursor.decodeExpiring("%%")))
    }))

  it("orders expiring windows by (expiresAt, business, customer)", () => {
    const c = (expiresAt: number, business: string, customer: string) => ({ expiresAt, business, customer })
    const sorted = [c(2, "a", "a"), c(1, "b", "a"), c(1, "a", "b"), c(1, "a", "a"), c(1, "a", "b")].sort(
      StoreCursor.compareExpiring
    )
    assert.deepStrictEqual(sorted, [c(1, "a", "a"), c(1, "a", "b"), c(1, "a", "b"), c(1, "b", "a"), c(2, "a", "a")])
    assert.strictEqual(StoreCursor.compareExpiring(c(1, "a", "a"), c(1, "a", "a")), 0)
  })

  it.effect("expiringBounds: the window of times, a whole non-negative limit, the cursor decoded", () =>
    Effect.gen(function*() {
      const query = {
        now: at(1000),
        horizon: Duration.millis(500),
        safetyMargin: Duration.millis(10),
        business: Option.none(),
        limit: 2.7,
        cursor: Option.none()
      }
      const bounds = yield* StoreCursor.expiringBounds(query)
      assert.deepStrictEqual([bounds.lower, bounds.upper, bounds.limit], [1010, 1500, 2])
      assert.strictEqual((yield* StoreCursor.expiringBounds({ ...query, limit: Number.NaN })).limit, 0)
      assert.strictEqual((yield* StoreCursor.expiringBounds({ ...query, limit: -1 })).limit, 0)
      assert.isTrue(yield* isInvalidCursor(StoreCursor.expiringBounds({ ...query, cursor: Option.some("!") })))
    }))
})

describe("Outbound.normalizeHistory", () => {
  it("keeps the first report of each status, in rank order", () => {
    const history = Outbound.normalizeHistory([status("delivered", 3), status("sent", 2), status("delivered", 4)])
    assert.deepStrictEqual(history.map((event) => [event.status, event.at.epochMillis]), [["sent", 2], [
      "delivered",
      3
    ]])
  })
})

describe("MemoryStore", () => {
  it.effect("the layer provides both ports", () =>
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      yield* store.ping
      assert.isTrue(Option.isNone(yield* store.getWindow(pairOf(B, C))))
    }).pipe(Effect.provide(MemoryStore.layer)))

  it.effect("expiring windows and open counts: margin, horizon, closures, business, pages", () =>
    Effect.gen(function*() {
      const store = yield* MemoryStore.make
      yield* ingest(store, T0 + 3 * HOUR, [
        inboundItem(B, C, "a", T0),
        inboundItem(B, C2, "b", T0 + HOUR),
        inboundItem(B2, C, "c", T0 + HOUR),
        inboundItem(B, C3, "d", T0 + 2 * HOUR),
        inboundItem(B2, C2, "e", T0 + 3 * HOUR)
      ])
      yield* store.closeByProvider(pairOf(B2, C2), at(T0 + 3 * HOUR), at(T0 + 3 * HOUR), WindowEvents.defaultPolicy)
      const now = at(T0 + 4 * HOUR)
      const query =
        (limit: number, business: Option.Option<PhoneNumber.PhoneNumber> = Option.none()) =>
        (cursor: Option.Option<string>) =>
          store.listExpiring({ now, horizon: Duration.hours(23), safetyMargin: Duration.zero, business, limit, cursor })
      const all = yield* allPages(query(1))
      assert.deepStrictEqual(all.map((w) => [w.business, w.customer]), [[B, C], [B, C2], [B2, C], [B, C3]])
      const many = yield* allPages(query(10))
      assert.strictEqual(many.length, 4)
      const ofB = yield* allPages(query(2, Option.some(B)))
      assert.deepStrictEqual(ofB.map((w) => w.customer), [C, C2, C3])
      const soon = yield* store.listExpiring({
        now,
        horizon: Duration.hours(22),
        safetyMargin: Duration.minutes(20 * 60 + 30),
        business: Option.none(),
        limit: 10,
        cursor: Option.none()
      })
      assert.deepStrictEqual(soon.items.map((w) => w.customer), [C2, C])
      assert.isTrue(Option.isNone((yield* query(0)(Option.none())).nextCursor))
      assert.isTrue(yield* isInvalidCursor(query(1)(Option.some("nope"))))
      assert.strictEqual(yield* store.countOpen(now, Duration.zero), 4)
      assert.strictEqual(yield* store.countOpen(now, Duration.minutes(20 * 60 + 30)), 3)
    }))

  it.effect("outbound messages: idempotency per business, provider ids, fallbacks, history, unknown ids", () =>
    Effect.gen(function*() {
      const store = yield* MemoryStore.make
      const first = outbound(B, C, T0, { idempotencyKey: Option.some("k") })
      assert.isTrue((yield* store.insertOutbound(first)).inserted)
      const again = yield* store.insertOutbound(outbound(B, C, T0, { idempotencyKey: Option.some("k") }))
      assert.deepStrictEqual([again.inserted, again.message.id], [false, first.id])
      assert.isFalse((yield* store.insertOutbound(first)).inserted)
      assert.isTrue((yield* store.insertOutbound(outbound(B2, C, T0, { idempotencyKey: Option.some("k") }))).inserted)
      assert.deepStrictEqual(
        Option.map(yield* store.findOutboundByIdempotencyKey(B, "k"), (m) => m.id),
        Option.some(first.id)
      )
      assert.isTrue(Option.isNone(yield* store.findOutboundByIdempotencyKey(B, "other")))

      yield* store.setProviderMessageId(first.id, "sid-1")
      yield* store.setProviderMessageId("missing", "sid-2")
      const later = outbound(B, C, T0 + 1, { providerMessageId: Option.some("sid-1") })
      yield* store.insertOutbound(later)
      const recorded = yield* store.recordStatus(
        { _tag: "ByProviderId", providerMessageId: "sid-1" },
        status("sent", T0 + 2),
        at(T0 + 2)
      )
      assert.deepStrictEqual(
        Option.getOrThrow(Option.map(recorded, (r) => [r.applied, r.message.id, r.message.status])),
        [true, first.id, "sent"]
      )
      const duplicate = yield* store.recordStatus({ _tag: "ById", id: first.id }, status("sent", T0 + 3), at(T0 + 3))
      assert.deepStrictEqual(Option.map(duplicate, (r) => r.applied), Option.some(false))
      assert.isTrue(
        Option.isNone(yield* store.recordStatus({ _tag: "ById", id: "missing" }, status("sent", T0), at(T0)))
      )

      assert.isTrue(yield* store.claimFallback(first.id, "fb"))
      assert.isFalse(yield* store.claimFallback(first.id, "fb2"))
      assert.isFalse(yield* store.claimFallback("missing", "fb"))

      const noisy = outbound(B, C2, T0, { history: [status("sent", 2), status("pending", 1), status("sent", 3)] })
      const stored = yield* store.insertOutbound(noisy)
      assert.deepStrictEqual(stored.message.history.map((e) => e.status), ["pending", "sent"])
    }))

  it.effect("a re-engagement failure recorded without its consequences gets them once: the fallback, linked", () =>
    Effect.gen(function*() {
      const store = yield* MemoryStore.make
      const original = outbound(B, C, T0, {
        status: "failed",
        history: [status("pending", T0), status("failed", T0 + 1)],
        fallback: Option.some(
          decodeContent({ type: "template", template: { name: "follow_up", language: { code: "en" } } })
        )
      })
      yield* store.insertOutbound(original)
      const report = {
        ...Ingest.ownStatus({ _tag: "ById", id: original.id }, status("failed", T0 + 1)),
        reengagement: true
      }
      yield* ingest(store, T0 + 2, [report])
      yield* ingest(store, T0 + 3, [report])
      const linked = Option.getOrThrow(yield* store.findOutbound(original.id))
      assert.deepStrictEqual(linked.fallbackMessageId, Option.some(`${original.id}${Outbound.FALLBACK_SUFFIX}`))
      assert.deepStrictEqual([...(yield* store.sendJobs).keys()], [`${original.id}${Outbound.FALLBACK_SUFFIX}`])
    }))

  it.effect("send jobs: release, retry and finish only move jobs in the right state", () =>
    Effect.gen(function*() {
      const store = yield* MemoryStore.make
      const message = outbound(B, C, T0)
      yield* store.insertOutbound(message, { queued: true })
      const state = Effect.map(store.sendJobs, (jobs) => jobs.get(message.id)?.state)
      yield* store.retrySend(message.id, at(T0))
      yield* store.finishSend(message.id)
      assert.strictEqual(yield* state, "queued")
      yield* store.claimSends({ limit: 1, now: at(T0) })
      yield* store.releaseSend(message.id)
      assert.strictEqual(yield* state, "queued")
      yield* store.claimSends({ id: message.id, limit: 1, now: at(T0) })
      assert.isTrue(yield* store.startSend(message.id, at(T0)))
      yield* store.retrySend(message.id, at(T0 + HOUR))
      assert.strictEqual(yield* state, "queued")
      assert.deepStrictEqual(yield* store.recoverSends(at(T0 + 2 * HOUR), at(T0 + 2 * HOUR)), {
        requeued: 0,
        unknown: 0
      })
    }))

  it.effect("history pages: inbound and outbound, newest first, through cursors", () =>
    Effect.gen(function*() {
      const store = yield* MemoryStore.make
      yield* ingest(store, T0 + 2, [
        inboundItem(B, C, "in-b", T0),
        inboundItem(B, C, "in-a", T0),
        inboundItem(B, C2, "x", T0)
      ])
      const out = outbound(B, C, T0)
      yield* store.insertOutbound(out)
      yield* store.insertOutbound(outbound(B, C, T0 + 1))
      yield* store.insertOutbound(outbound(B, C, T0 - 1))
      const pages = yield* allPages((cursor) => store.listMessages(pairOf(B, C), 1, cursor))
      const keys = pages.map((item) => item._tag === "Inbound" ? item.message.messageId : item.message.id)
      assert.deepStrictEqual(keys.slice(1, 4), [out.id, "in-b", "in-a"])
      assert.strictEqual(keys.length, 5)
      assert.strictEqual((yield* store.listMessages(pairOf(B, C), 10, Option.none())).items.length, 5)
      assert.isTrue(yield* isInvalidCursor(store.listMessages(pairOf(B, C), 1, Option.some("x"))))
    }))

  it.effect("quarantine: pages newest first by state, requarantine, resolve", () =>
    Effect.gen(function*() {
      const store = yield* MemoryStore.make
      yield* ingest(store, T0, [quarantineItem("q1"), quarantineItem("q2")])
      yield* ingest(store, T0 + 1, [quarantineItem("q3"), quarantineItem("q1")])
      yield* store.requarantine("q1", "again")
      yield* store.requarantine("missing", "again")
      assert.deepStrictEqual(
        Option.getOrThrow(Option.map(yield* store.findQuarantine("q1"), (e) => [e.reason, e.retries])),
        ["again", 1]
      )
      const read = (state: Option.Option<"quarantined" | "resolved">) => (cursor: Option.Option<string>) =>
        store.listQuarantine({ state, limit: 1, cursor })
      assert.deepStrictEqual((yield* allPages(read(Option.none()))).map((e) => e.id), ["q3", "q2", "q1"])
      assert.deepStrictEqual((yield* allPages(read(Option.some("resolved")))).map((e) => e.id), [])
      assert.isTrue(yield* isInvalidCursor(read(Option.none())(Option.some("x"))))
    }))

  it.effect("the event log: endpoints, deliveries per endpoint and pair, leases, verdicts, replay, prune", () =>
    Effect.gen(function*() {
      const store = yield* MemoryStore.make
      yield* store.addEndpoint(endpoint("ep_b", T0))
      yield* store.addEndpoint(endpoint("ep_a", T0, Option.some(["message.received"])))
      yield* store.configureEndpoint(Option.some(endpoint(Delivery.CONFIGURED_ENDPOINT_ID, T0 - 1)), at(T0))
      yield* store.configureEndpoint(Option.some(endpoint(Delivery.CONFIGURED_ENDPOINT_ID, T0 + 5)), at(T0))
      assert.deepStrictEqual((yield* store.listEndpoints).map((e) => e.id), [
        Delivery.CONFIGURED_ENDPOINT_ID,
        "ep_a",
        "ep_b"
      ])
      assert.strictEqual(
        Option.getOrThrow(yield* store.findEndpoint(Delivery.CONFIGURED_ENDPOINT_ID)).createdAt.epochMillis,
        T0 - 1
      )

      yield* ingest(store, T0, [inboundItem(B, C, "m1", T0), inboundItem(B, C2, "m2", T0)])
      const events = (yield* store.listEvents({ after: Option.none(), types: Option.none(), limit: 100 })).items
      assert.deepStrictEqual(events.map((e) => e.type).sort(), [
        "message.received",
        "message.received",
        "window.opened",
        "window.opened"
      ])
      const received = yield* store.listEvents({
        after: Option.none(),
        types: Option.some(["message.received"]),
        limit: 1
      })
      const rest = yield* store.listEvents({ after: received.last, types: Option.some(["message.received"]), limit: 5 })
      assert.deepStrictEqual([received.items.length, rest.items.length], [1, 1])
      assert.isTrue(
        yield* isInvalidCursor(store.listEvents({ after: Option.some("nope"), types: Option.none(), limit: 1 }))
      )

      const deliveries = yield* allPages((cursor) =>
        store.listDeliveries({ state: Option.none(), endpointId: Option.none(), limit: 3, cursor })
      )
      assert.strictEqual(deliveries.length, 10)
      const ofA = yield* store.listDeliveries({
        state: Option.some("pending"),
        endpointId: Option.some("ep_a"),
        limit: 9,
        cursor: Option.none()
      })
      assert.strictEqual(ofA.items.length, 2)
      assert.isTrue(
        yield* isInvalidCursor(
          store.listDeliveries({ state: Option.none(), endpointId: Option.none(), limit: 1, cursor: Option.some("x") })
        )
      )

      // one delivery per (endpoint, pair) in line at a time; the configured endpoint is disabled meanwhile
      yield* store.configureEndpoint(Option.none(), at(T0))
      yield* store.addEndpoint(new Delivery.Endpoint({ ...endpoint("ep_off", T0), state: "disabled" }))
      const claim = (now: number) => store.claimDeliveries({ now: at(now), limit: 10, leaseFor: Duration.minutes(1) })
      const first = yield* claim(T0)
      assert.deepStrictEqual(first.map((c) => c.endpoint.id).sort(), ["ep_a", "ep_a", "ep_b", "ep_b"])
      assert.deepStrictEqual(yield* claim(T0 + 1), [])
      const attempt = (verdict: Delivery.Verdict): EventLog.Attempt => ({
        at: at(T0 + 2),
        status: Option.some(200),
        error: Option.none(),
        verdict
      })
      const [a1, a2, b1, b2] = [...first].sort((x, y) => x.endpoint.id.localeCompare(y.endpoint.id) || x.seq - y.seq)
      yield* store.completeDeliveries([
        { claimed: a1!, attempt: attempt({ _tag: "Delivered" }) },
        { claimed: a2!, attempt: attempt({ _tag: "GiveUp", error: "bad" }) },
        { claimed: b1!, attempt: attempt({ _tag: "Retry", at: at(T0 + 10), error: "503" }) },
        { claimed: b2!, attempt: attempt({ _tag: "Gone" }) },
        { claimed: { ...a1!, lease: 1 }, attempt: attempt({ _tag: "Delivered" }) }
      ])
      const ep = Option.getOrThrow(yield* store.findEndpoint("ep_b"))
      assert.deepStrictEqual([ep.state, Option.getOrNull(ep.disabledReason)], [
        "disabled",
        `answered 410 Gone at ${DateTime.formatIso(at(T0 + 2))}`
      ])
      const states = yield* store.listDeliveries({
        state: Option.none(),
        endpointId: Option.none(),
        limit: 100,
        cursor: Option.none()
      })
      assert.deepStrictEqual(states.items.map((d) => d.state).sort(), [
        "delivered",
        ...Array<string>(5).fill("failed"),
        ...Array<string>(4).fill("pending")
      ])

      // Gone for an endpoint deleted meanwhile; a pending delivery fails when its endpoint goes
      yield* store.addEndpoint(endpoint("ep_c", T0))
      assert.strictEqual(
        yield* store.replay({
          endpointId: Option.some("ep_c"),
          since: Option.none(),
          eventIds: Option.none(),
          now: at(T0 + 3)
        }),
        4
      )
      const [c1] = yield* claim(T0 + 3)
      assert.isTrue(yield* store.deleteEndpoint("ep_c", at(T0 + 4)))
      assert.isFalse(yield* store.deleteEndpoint("ep_c", at(T0 + 4)))
      yield* store.completeDeliveries([{
        claimed: c1!,
        attempt: { ...attempt({ _tag: "Gone" }), error: Option.some("gone") }
      }])

      // replay re-sends what is settled, for endpoints that still exist
      const replayed = yield* store.replay({
        endpointId: Option.none(),
        since: Option.some(at(T0)),
        eventIds: Option.some(events.map((e) => e.id)),
        now: at(T0 + 5)
      })
      assert.strictEqual(replayed, 6)
      assert.strictEqual(
        yield* store.replay({
          endpointId: Option.none(),
          since: Option.some(at(T0 + 1)),
          eventIds: Option.none(),
          now: at(T0 + 5)
        }),
        0
      )

      // prune: at most `limit` of each kind, never what a delivery waits for nor a queued message
      yield* ingest(store, T0, [quarantineItem("q1"), quarantineItem("q2")])
      yield* store.insertOutbound(outbound(B, C, T0), { queued: true })
      yield* store.insertOutbound(outbound(B, C, T0, { idempotencyKey: Option.some("k1") }))
      yield* store.insertOutbound(outbound(B, C, T0))
      const pruned = yield* store.prune(at(T0 + 1), 1)
      assert.deepStrictEqual(pruned, { inbound: 1, outbound: 1, deliveries: 1, events: 0, quarantine: 1 })
      const rest2 = yield* store.prune(at(T0 + 1), 100)
      assert.deepStrictEqual([rest2.inbound, rest2.outbound, rest2.quarantine], [1, 1, 1])
      assert.isTrue(Option.isNone(yield* store.findOutboundByIdempotencyKey(B, "k1")))
      assert.strictEqual((yield* store.sendJobs).size, 1)
    }))

  it.effect("prune removes events no delivery waits for, at most `limit` of them", () =>
    Effect.gen(function*() {
      const store = yield* MemoryStore.make
      yield* ingest(store, T0, [inboundItem(B, C, "a", T0), inboundItem(B, C2, "b", T0)])
      assert.strictEqual((yield* store.prune(at(T0 + 1), 1)).events, 1)
      assert.strictEqual((yield* store.prune(at(T0), 10)).events, 0)
      assert.strictEqual((yield* store.prune(at(T0 + 1), 10)).events, 3)
    }))

  it.effect("a message redelivered after its dedup id was pruned records no second event while the first is kept", () =>
    Effect.gen(function*() {
      const store = yield* MemoryStore.make
      yield* store.addEndpoint(endpoint("ep", T0))
      yield* ingest(store, T0, [inboundItem(B, C, "a", T0)])
      assert.strictEqual((yield* store.prune(at(T0 + 1), 10)).inbound, 1)
      yield* ingest(store, T0 + 2, [inboundItem(B, C, "a", T0)])
      const events = yield* store.listEvents({ after: Option.none(), types: Option.none(), limit: 10 })
      assert.deepStrictEqual(events.items.map((e) => e.type), ["message.received", "window.opened"])
    }))

  it.effect("due window events are emitted soonest-expiring first, at most `limit` windows' worth", () =>
    Effect.gen(function*() {
      const store = yield* MemoryStore.make
      yield* ingest(store, T0 + HOUR, [inboundItem(B, C, "a", T0 + HOUR), inboundItem(B, C2, "b", T0)])
      assert.strictEqual(yield* store.emitDueWindowEvents(at(T0 + HOUR), WindowEvents.defaultPolicy, 10), 0)
      assert.strictEqual(yield* store.emitDueWindowEvents(at(T0 + 30 * HOUR), WindowEvents.defaultPolicy, 1), 2)
      const events =
        (yield* store.listEvents({ after: Option.none(), types: Option.some(["window.closed"]), limit: 10 })).items
      assert.deepStrictEqual(events.map((e) => e.customer), [C2])
    }))
})
