// The store contract's cases about outbound messages: statuses, fallbacks, send jobs and send slots.
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as fc from "effect/FastCheck"
import * as Option from "effect/Option"
import * as Ingest from "../../Ingest.js"
import * as Outbound from "../../Outbound.js"
import * as Pacing from "../../Pacing.js"
import * as SessionStore from "../../SessionStore.js"
import * as WindowEvents from "../../WindowEvents.js"
import * as assert from "../ContractAssert.js"
import * as ContractCase from "../ContractCase.js"
import { at, freshNumber, outbound, pair, statusEvent } from "../ContractFixtures.js"
import { claimOf, DAY, encodeOutbound, freshEra, queuedMessage, STATUSES } from "./storeFixtures.js"

export const outboundCases = (numRuns: number): ReadonlyArray<ContractCase.ContractCase<SessionStore.SessionStore>> => [
  ContractCase.make(
    "outbound: insert, find, and idempotency keys unique per business",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
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
    })
  ),

  ContractCase.make(
    "outbound: concurrent inserts with one idempotency key write one message",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const b = freshNumber()
      const candidates = Array.from({ length: 6 }, () => outbound(b, freshNumber(), { idempotencyKey: "k" }))
      const results = yield* Effect.forEach(candidates, (m) => store.insertOutbound(m), { concurrency: "unbounded" })
      assert.strictEqual(results.filter((r) => r.inserted).length, 1)
      const winner = results.find((r) => r.inserted)!.message.id
      for (const result of results) assert.strictEqual(result.message.id, winner)
    })
  ),

  ContractCase.make(
    "outbound: the request fingerprint round-trips on every read; a message without one reads as none",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
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
    })
  ),

  ContractCase.make(
    "outbound: provider id, status by either reference, unknown references",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
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
    })
  ),

  ContractCase.property(
    "property: status moves only forward, history keeps each status once, whatever the report order",
    fc.tuple(fc.array(fc.constantFrom(...STATUSES), { minLength: 1, maxLength: 12 }), fc.boolean()),
    ([statuses, byProvider]) =>
      Effect.gen(function*() {
        const store = yield* SessionStore.SessionStore
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
    { numRuns }
  ),

  ContractCase.make(
    "claimFallback succeeds once, also under concurrency",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
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
    })
  ),

  ContractCase.make(
    "send jobs: oldest first, one per pair's line at a time, each handed out once",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
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
    })
  ),

  ContractCase.make(
    "send jobs: a claim by id takes that message only, and only when it is next in its pair's line",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
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
    })
  ),

  ContractCase.make(
    "send jobs: a job queued again for later is not claimed before its time and holds its pair's line",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
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
    })
  ),

  ContractCase.make(
    "send jobs: a retry-later report about a message's latest send queues it again, once",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
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
    })
  ),

  ContractCase.make(
    "send jobs: concurrent claims hand each job to one caller",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
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
    })
  ),

  ContractCase.make(
    "send jobs: concurrent claims of one job each never take more, and leave no job claimed by nobody",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
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
    })
  ),

  ContractCase.make(
    "send jobs: recovery requeues stale claims, makes stale started sends unknown, and nothing else",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
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
    })
  ),

  ContractCase.make(
    "send slots: a burst, then one slot per interval, shared by concurrent callers",
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
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
    })
  )
]
