import { assert, describe, it } from "@effect/vitest"
import { DateTime, Duration, Effect, Either, Layer, Option, TestClock } from "effect"
import type { MessageSender } from "../src/index.js"
import { type Ids, Outbound, PhoneNumber, SessionService, SessionStore } from "../src/index.js"
import { inbound, recordInbound } from "../src/testing/ContractFixtures.js"
import { at, business, customer, followUpTemplate, reengagementRefusal, text } from "./fixtures.js"
import { type SenderStep, testLayer } from "./support/TestPorts.js"

const setNow = (iso: string) => TestClock.setTime(at(iso).epochMillis)
const otherCustomer = PhoneNumber.unsafeMake("+919876543299")

const statusesOf = (id: string) =>
  Effect.flatMap(
    SessionStore.SessionStore,
    (store) => Effect.map(store.findOutbound(id), (found) => Option.map(found, (message) => message.status))
  )

type Services = SessionStore.SessionStore | MessageSender.MessageSender | SessionService.SessionConfig | Ids.Ids

const run = <A, E>(
  effect: Effect.Effect<A, E, Services>,
  options: {
    readonly script?: ReadonlyArray<SenderStep>
    readonly settings?: Partial<SessionService.SessionSettings>
    readonly store?: (store: SessionStore.SessionStoreShape) => SessionStore.SessionStoreShape
  } = {}
) =>
  Effect.gen(function*() {
    const ports = yield* testLayer(options.script)
    const store = options.store === undefined ? ports.layer : Layer.merge(
      ports.layer,
      Layer.succeed(SessionStore.SessionStore, options.store(ports.store))
    )
    const result = yield* effect.pipe(Effect.provide(Layer.merge(store, SessionService.layerConfig(options.settings))))
    return { result, sent: yield* ports.sent, events: ports.events() }
  })

const inboundAt = (messageId: string, iso: string) =>
  SessionService.recordInbound({ business, customer, messageId, providerTimestamp: Option.some(at(iso)) })

/** The customer's message, sent and received `when`, recorded by the store itself (to race a park). */
const storeRecords = (store: SessionStore.SessionStoreShape, messageId: string, when: DateTime.Utc) =>
  recordInbound(store, inbound(business, customer, messageId, DateTime.toEpochMillis(when)))

const parkText = (body: string, extra: Partial<SessionService.SendInput> = {}) =>
  SessionService.send({
    from: business,
    to: customer,
    content: text(body),
    fallback: followUpTemplate,
    idempotencyKey: Option.none(),
    whenClosed: "park",
    ...extra
  })

describe("SessionService: park and release", () => {
  it.effect("a message past its ttl when the customer writes expires instead; the store lists and expires in order", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00Z")
      const { events, result } = yield* run(Effect.gen(function*() {
        const store = yield* SessionStore.SessionStore
        const late = yield* parkText("late", { ttl: Duration.hours(1) })
        const other = yield* SessionService.send({
          from: business,
          to: otherCustomer,
          content: text("other"),
          idempotencyKey: Option.none(),
          whenClosed: "park",
          ttl: Duration.minutes(30)
        })
        const third = yield* SessionService.send({
          from: business,
          to: otherCustomer,
          content: text("third"),
          idempotencyKey: Option.none(),
          whenClosed: "park",
          ttl: Duration.minutes(30)
        })
        const all = yield* store.listParked({ business: Option.none(), customer: Option.none(), limit: 10 })
        const mine = yield* store.listParked({
          business: Option.some(business),
          customer: Option.some(customer),
          limit: 10
        })
        const elsewhere = yield* store.listParked({
          business: Option.some(otherCustomer),
          customer: Option.none(),
          limit: 10
        })
        yield* setNow("2026-01-20T11:00:00Z")
        // the customer writes before the scheduler ran: the release finds the message past its ttl
        yield* inboundAt("wamid.back", "2026-01-20T11:00:00Z")
        const expired = yield* store.expireParked(yield* DateTime.now, 10)
        const after = yield* store.findOutbound(late.message.id)
        return { late, other, third, all, mine, elsewhere, expired, after }
      }))
      assert.deepStrictEqual(
        result.all.map((m) => m.id),
        [result.late, result.other, result.third].map((r) => r.message.id)
      )
      assert.deepStrictEqual(result.mine.map((m) => m.id), [result.late.message.id])
      assert.deepStrictEqual(result.elsewhere, [])
      assert.strictEqual(result.expired, 2)
      assert.strictEqual(Option.getOrThrow(result.after).status, "expired")
      assert.deepStrictEqual(
        events.filter((e) => e.type === "message.expired").map((e) => e.type === "message.expired" && e.data.messageId),
        [result.late.message.id, result.other.message.id, result.third.message.id]
      )
    }))

  it.effect("three parked messages cost one template; the customer's message releases them in order", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00Z")
      const { events, result, sent } = yield* run(Effect.gen(function*() {
        const parked = yield* Effect.forEach(["one", "two", "three"], (body) => parkText(body))
        yield* setNow("2026-01-20T12:00:00Z")
        yield* inboundAt("wamid.back", "2026-01-20T12:00:00Z")
        const round = yield* SessionService.sendQueued(10)
        const after = yield* Effect.forEach(
          parked,
          ({ message }) => Effect.flatMap(SessionStore.SessionStore, (store) => store.findOutbound(message.id))
        )
        return { parked, round, after }
      }))
      for (const { message } of result.parked) {
        assert.strictEqual(message.status, "parked")
        assert.strictEqual(message.decision, "session")
        assert.deepStrictEqual(message.reason, Option.some("NO_ACTIVE_SESSION"))
        assert.deepStrictEqual(message.parkedUntil, Option.some(at("2026-01-27T10:00:00Z")))
      }
      assert.isTrue(Option.isSome(result.parked[0]!.reengagement ?? Option.none()))
      assert.isTrue(Option.isNone(result.parked[1]!.reengagement ?? Option.none()))
      assert.deepStrictEqual(result.round, { sent: 3, failed: 0, unknown: 0, deferred: 0 })
      assert.deepStrictEqual(sent.map((request) => request.content.type === "text" ? request.content.text.body : "T"), [
        "T",
        "one",
        "two",
        "three"
      ])
      assert.deepStrictEqual(result.after.map((m) => Option.getOrThrow(m).status), ["accepted", "accepted", "accepted"])
      assert.deepStrictEqual(events.filter((e) => e.type === "message.released").length, 3)
    }))

  it.effect("a message for an open window goes at once; a template is never parked", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00Z")
      const { result, sent } = yield* run(Effect.gen(function*() {
        yield* inboundAt("wamid.1", "2026-01-20T10:00:00Z")
        const open = yield* parkText("now")
        yield* setNow("2026-01-22T10:00:00Z")
        const template = yield* SessionService.send({
          from: business,
          to: customer,
          content: followUpTemplate,
          idempotencyKey: Option.none(),
          whenClosed: "park"
        })
        const expired = yield* parkText("later")
        return { open, template, expired }
      }))
      assert.strictEqual(result.open.message.status, "accepted")
      assert.strictEqual(result.template.message.decision, "template")
      assert.strictEqual(result.template.message.status, "accepted")
      assert.strictEqual(result.expired.message.status, "parked")
      assert.deepStrictEqual(result.expired.message.reason, Option.some("SESSION_EXPIRED"))
      // the re-engagement template of the expired pair went too
      assert.strictEqual(sent.length, 3)
    }))

  it.effect("the window opening between the decision and the parking sends the message as a session message", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00Z")
      let raced = false
      const { result } = yield* run(parkText("hi"), {
        store: (store) => ({
          ...store,
          park: (request) =>
            Effect.gen(function*() {
              if (!raced) {
                raced = true
                // the customer writes just before the park's transaction
                yield* storeRecords(store, "wamid.race", request.now)
              }
              return yield* store.park(request)
            })
        })
      })
      assert.strictEqual(result.message.status, "accepted")
      assert.deepStrictEqual(result.message.reason, Option.none())
    }))

  it.effect("ttl: the request's within 30 days, else INVALID_MESSAGE naming ttl", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00Z")
      const { result, sent } = yield* run(Effect.gen(function*() {
        const short = yield* parkText("a", { ttl: Duration.hours(2) })
        const tooLong = yield* Effect.either(parkText("b", { ttl: Duration.days(31) }))
        const zero = yield* Effect.either(parkText("c", { ttl: Duration.zero }))
        return { short, tooLong, zero }
      }))
      assert.deepStrictEqual(result.short.message.parkedUntil, Option.some(at("2026-01-20T12:00:00Z")))
      for (const refused of [result.tooLong, result.zero]) {
        assert.isTrue(Either.isLeft(refused))
        if (Either.isRight(refused)) return
        assert.strictEqual(refused.left._tag, "InvalidMessage")
        assert.strictEqual(refused.left._tag === "InvalidMessage" && refused.left.path, "ttl")
        assert.strictEqual(refused.left._tag === "InvalidMessage" && refused.left.limit, 30 * 86_400)
      }
      assert.strictEqual(sent.length, 1, "only the first parked message's template")
    }))

  it.effect("a dry run parks and releases as decisions: the template and the released messages are pending", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00Z")
      const { events, result, sent } = yield* run(Effect.gen(function*() {
        const dry = yield* parkText("d", { dryRun: true })
        yield* inboundAt("wamid.back", "2026-01-20T11:00:00Z")
        const round = yield* SessionService.sendQueued(10)
        const store = yield* SessionStore.SessionStore
        const after = yield* store.findOutbound(dry.message.id)
        const template = yield* store.findOutbound(`${dry.message.id}-reengage`)
        return { dry, round, after, template }
      }))
      assert.strictEqual(result.dry.message.status, "parked")
      assert.isTrue(result.dry.message.dryRun)
      assert.deepStrictEqual(Option.getOrThrow(result.after).history.map((e) => e.status), ["parked", "pending"])
      assert.strictEqual(Option.getOrThrow(result.template).status, "pending")
      assert.deepStrictEqual(result.round, { sent: 0, failed: 0, unknown: 0, deferred: 0 })
      assert.strictEqual(sent.length, 0)
      assert.strictEqual(events.filter((e) => e.type === "message.released").length, 1)
    }))

  it.effect("an idempotency key replays a parked message; another request with it is refused", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00Z")
      const { result, sent } = yield* run(Effect.gen(function*() {
        const first = yield* parkText("hi", { idempotencyKey: Option.some("k1") })
        const again = yield* parkText("hi", { idempotencyKey: Option.some("k1") })
        const other = yield* Effect.either(parkText("hi", { idempotencyKey: Option.some("k1"), ttl: Duration.days(1) }))
        const plain = yield* Effect.either(
          SessionService.send({
            from: business,
            to: customer,
            content: text("hi"),
            fallback: followUpTemplate,
            idempotencyKey: Option.some("k1")
          })
        )
        return { first, again, other, plain }
      }))
      assert.isTrue(result.again.replayed)
      assert.strictEqual(result.again.message.id, result.first.message.id)
      assert.isTrue(Either.isLeft(result.other) && result.other.left._tag === "IdempotencyKeyReused")
      assert.isTrue(Either.isLeft(result.plain) && result.plain.left._tag === "IdempotencyKeyReused")
      assert.strictEqual(sent.length, 1)
    }))

  it.effect("a key taken by a concurrent parking answers as the first request", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00Z")
      const { result } = yield* run(parkText("hi", { idempotencyKey: Option.some("k2") }), {
        store: (store) => ({
          ...store,
          // another request parked the same key first: this one finds no key at the start, and the park says taken
          findOutboundByIdempotencyKey: () => Effect.succeedNone,
          park: (request) =>
            Effect.flatMap(
              store.park({ ...request, message: new Outbound.OutboundMessage({ ...request.message, id: "first" }) }),
              () => store.park(request)
            )
        })
      })
      assert.isTrue(result.replayed)
      assert.strictEqual(result.message.id, "first")
    }))

  it.effect("cancel: a parked message once, then never released; expiry ends the rest with their events", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00Z")
      const { events, result, sent } = yield* run(Effect.gen(function*() {
        const cancelled = yield* parkText("cancel me", { ttl: Duration.hours(1) })
        const expiring = yield* parkText("expire me", { ttl: Duration.hours(1) })
        const first = yield* SessionService.cancelParked(cancelled.message.id)
        const second = yield* SessionService.cancelParked(cancelled.message.id)
        const missing = yield* SessionService.cancelParked("no-such-message")
        const early = yield* SessionService.expireParked(10)
        yield* setNow("2026-01-20T11:00:00Z")
        const due = yield* SessionService.expireParked(10)
        yield* inboundAt("wamid.late", "2026-01-20T11:30:00Z")
        const after = yield* Effect.forEach(
          [cancelled, expiring],
          ({ message }) => Effect.flatMap(SessionStore.SessionStore, (store) => store.findOutbound(message.id))
        )
        return { first, second, missing, early, due, after }
      }))
      assert.isTrue(Option.getOrThrow(result.first).cancelled)
      assert.isFalse(Option.getOrThrow(result.second).cancelled)
      assert.isTrue(Option.isNone(result.missing))
      assert.strictEqual(result.early, 0)
      assert.strictEqual(result.due, 1)
      assert.deepStrictEqual(result.after.map((m) => Option.getOrThrow(m).status), ["cancelled", "expired"])
      const parking = events.filter((e) => e.type === "message.expired" || e.type === "message.released")
      assert.deepStrictEqual(
        parking.map((e) => [e.type, e.type === "message.expired" ? e.data.messageId : ""]),
        [["message.expired", Option.getOrThrow(result.after[1]!).id]]
      )
      assert.strictEqual(sent.length, 1, "the one re-engagement template")
    }))

  it.effect("a released message refused with 30018 closes the window and parks again, once; then it fails", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00Z")
      // the template, then the released message refused, then its copy refused again
      const { result, sent } = yield* run(
        Effect.gen(function*() {
          const parked = yield* parkText("hi")
          const id = parked.message.id
          yield* inboundAt("wamid.1", "2026-01-20T10:05:00Z")
          yield* setNow("2026-01-20T10:05:00Z")
          const first = yield* SessionService.sendQueued(10)
          const window = yield* SessionService.windowStatus({ business, customer } as PhoneNumber.Pair)
          const afterFirst = yield* statusesOf(id)
          const copy = yield* statusesOf(`${id}${Outbound.REPARK_SUFFIX}`)
          yield* setNow("2026-01-20T10:10:00Z")
          yield* inboundAt("wamid.2", "2026-01-20T10:10:00Z")
          const second = yield* SessionService.sendQueued(10)
          const copyAfter = yield* statusesOf(`${id}${Outbound.REPARK_SUFFIX}`)
          const twice = yield* statusesOf(`${id}${Outbound.REPARK_SUFFIX}${Outbound.REPARK_SUFFIX}`)
          return { first, window, afterFirst, copy, second, copyAfter, twice }
        }),
        { script: ["ok", reengagementRefusal, reengagementRefusal] }
      )
      assert.deepStrictEqual(result.first, { sent: 0, failed: 1, unknown: 0, deferred: 0 })
      assert.strictEqual(result.window.state, "expired")
      assert.isTrue(result.window.closedByProvider)
      assert.deepStrictEqual(result.afterFirst, Option.some("failed"))
      assert.deepStrictEqual(result.copy, Option.some("parked"))
      assert.deepStrictEqual(result.second, { sent: 0, failed: 1, unknown: 0, deferred: 0 })
      assert.deepStrictEqual(result.copyAfter, Option.some("failed"))
      assert.isTrue(Option.isNone(result.twice))
      assert.deepStrictEqual(sent.map((r) => r.content.type), ["template", "text", "text"])
    }))

  it.effect("a 30018 delivery report about a released message parks its copy in the webhook's transaction", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00Z")
      const { result } = yield* run(Effect.gen(function*() {
        const parked = yield* parkText("hi", { fallback: undefined })
        yield* inboundAt("wamid.1", "2026-01-20T10:05:00Z")
        yield* setNow("2026-01-20T10:05:00Z")
        yield* SessionService.sendQueued(10)
        const outcome = yield* SessionService.ingest([{
          _tag: "Status",
          ref: { _tag: "ById", id: parked.message.id },
          status: "failed",
          reengagement: true,
          code: Option.some("30018"),
          detail: Option.none(),
          at: Option.some(yield* DateTime.now),
          raw: {}
        }])
        const store = yield* SessionStore.SessionStore
        const listed = yield* store.listParked({ business: Option.some(business), customer: Option.none(), limit: 10 })
        return { parked, outcome, listed }
      }))
      const first = result.outcome.results[0]
      assert.isTrue(first?._tag === "Status" && Option.isSome(first.fallback))
      assert.deepStrictEqual(result.listed.map((m) => m.id), [`${result.parked.message.id}${Outbound.REPARK_SUFFIX}`])
      assert.deepStrictEqual(result.listed[0]!.createdAt, result.parked.message.createdAt, "keeps its place")
    }))

  it.effect("a customer message between the 30018 refusal and the parking again sends the copy at once", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00Z")
      const { result, sent } = yield* run(
        Effect.gen(function*() {
          const parked = yield* parkText("hi", { fallback: undefined })
          yield* inboundAt("wamid.1", "2026-01-20T10:05:00Z")
          yield* setNow("2026-01-20T10:05:00Z")
          const round = yield* SessionService.sendQueued(10)
          return { round, copy: yield* statusesOf(`${parked.message.id}${Outbound.REPARK_SUFFIX}`) }
        }),
        {
          script: [reengagementRefusal, "ok"],
          store: (store) => ({
            ...store,
            park: (request) =>
              request.message.id.endsWith(Outbound.REPARK_SUFFIX)
                ? Effect.zipRight(
                  storeRecords(store, "wamid.2", DateTime.addDuration(request.now, Duration.seconds(1))),
                  store.park(request)
                )
                : store.park(request)
          })
        }
      )
      // the refusal's outcome is the copy's, sent at once
      assert.deepStrictEqual(result.round, { sent: 1, failed: 0, unknown: 0, deferred: 0 })
      assert.deepStrictEqual(result.copy, Option.some("accepted"))
      assert.deepStrictEqual(sent.map((r) => r.content.type), ["text", "text"])
    }))
})
