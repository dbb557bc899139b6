import { assert, describe, it } from "@effect/vitest"
import { DateTime, Deferred, Duration, Effect, Exit, Fiber, Layer, Option, Ref, TestClock } from "effect"
import {
  type Event,
  type Ids,
  MessageSender,
  Outbound,
  PhoneNumber,
  SendJobs,
  SessionService,
  SessionStore
} from "../src/index.js"
import { at, business, customer, followUpTemplate, pair, reengagementRefusal, text } from "./fixtures.js"
import { type SenderStep, testLayer } from "./support/TestPorts.js"

// The send line: submit stores a send job, dispatch claims it, waits for a pacing slot, starts it and records what
// the provider answered; sendQueued is the worker's round; recoverSends settles what a dead holder left behind.

const T0 = "2026-01-20T10:00:00+05:30"
const t0 = at(T0)
const other = PhoneNumber.unsafeMake("+919876543211")
const third = PhoneNumber.unsafeMake("+919876543212")

type Services = SessionStore.SessionStore | MessageSender.MessageSender | SessionService.SessionConfig | Ids.Ids
type Ports = Effect.Effect.Success<ReturnType<typeof testLayer>>

/** Runs `body` over fresh test ports (its sender answering from `script`) with the settings given. */
const withPorts = <A, E>(
  body: (ports: Ports) => Effect.Effect<A, E, Services>,
  options: {
    readonly script?: ReadonlyArray<SenderStep>
    readonly settings?: Partial<SessionService.SessionSettings>
  } = {}
) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(t0.epochMillis)
    const ports = yield* testLayer(options.script)
    return yield* body(ports).pipe(
      Effect.provide(Layer.merge(ports.layer, SessionService.layerConfig(options.settings)))
    )
  })

const sentCount = (ports: Ports) => Effect.map(Ref.get(ports.sent), (all) => all.length)
const sentIds = (ports: Ports) => Effect.map(Ref.get(ports.sent), (all) => all.map((request) => request.outboundId))
const jobState = (ports: Ports, id: string) => ports.jobs().get(id)?.state
const statuses = (message: Outbound.OutboundMessage) => message.history.map((event) => event.status)

const find = (id: string) =>
  Effect.flatMap(SessionStore.SessionStore, (store) => store.findOutbound(id)).pipe(Effect.map(Option.getOrThrow))

/** The `message.status` events recorded for a message, in order: [status, detail]. */
const statusEvents = (events: ReadonlyArray<Event.Event>, id: string) =>
  events.flatMap((event) =>
    event.type === "message.status" && event.data.messageId === id ? [[event.data.status, event.data.detail]] : []
  )

const openWindow = SessionService.recordInbound({
  business,
  customer,
  messageId: "wamid.in.1",
  providerTimestamp: Option.some(t0)
})

const template = (to: PhoneNumber.PhoneNumber = customer, key?: string): SessionService.SendInput => ({
  from: business,
  to,
  content: followUpTemplate,
  idempotencyKey: Option.fromNullable(key)
})

const session = (body: string, options: { readonly fallback?: boolean; readonly key?: string } = {}) => ({
  from: business,
  to: customer,
  content: text(body),
  ...(options.fallback === true ? { fallback: followUpTemplate } : {}),
  idempotencyKey: Option.fromNullable(options.key)
})

const ambiguous = new MessageSender.ProviderError({
  reason: "Ambiguous",
  providerCode: Option.none(),
  httpStatus: Option.none(),
  detail: "no answer within 10s after the request was sent"
})

const rejected = new MessageSender.ProviderError({
  reason: "Rejected",
  providerCode: Option.some("63016"),
  httpStatus: Option.some(202),
  detail: "the recipient cannot receive this message"
})

/** A sender step that stays in flight until `gate` opens, then answers with `then`. */
const heldUntil = (
  gate: Deferred.Deferred<void>,
  then: Effect.Effect<MessageSender.SendReceipt, MessageSender.ProviderError>
): SenderStep =>
() => Effect.zipRight(Deferred.await(gate), then)

/** A sender step that never answers (a request whose answer never comes back). */
const never: SenderStep = () => Effect.never

/** Lets forked fibers run until they all wait (for the clock, a gate or forever). */
const settle = TestClock.adjust(Duration.zero)

describe("SessionService.submit", () => {
  it.effect("stores the decided message as a queued send job and sends nothing", () =>
    withPorts((ports) =>
      Effect.gen(function*() {
        yield* openWindow
        const submitted = yield* SessionService.submit(session("Let me check!", { key: "k1" }))
        assert.isFalse(submitted.replayed)
        const message = submitted.message
        assert.strictEqual(message.id, "msg_1")
        assert.strictEqual(message.status, "queued")
        assert.deepStrictEqual(statuses(message), ["queued"])
        assert.deepStrictEqual(message.history[0]!.at, t0)
        assert.strictEqual(message.decision, "session")
        assert.isFalse(message.dryRun)
        assert.deepStrictEqual(message.providerMessageId, Option.none())
        assert.deepStrictEqual(
          message.requestFingerprint,
          Option.some(Outbound.requestFingerprint(session("Let me check!")))
        )
        assert.deepStrictEqual(yield* find("msg_1"), message)
        assert.strictEqual(jobState(ports, "msg_1"), "queued")
        assert.strictEqual(yield* sentCount(ports), 0)
        // the job is the line's to hand out
        const store = yield* SessionStore.SessionStore
        const claimed = yield* store.claimSends({ now: t0, limit: 10 })
        assert.deepStrictEqual(claimed.map((m) => m.id), ["msg_1"])
      })
    ))

  it.effect("dry-run (per call or by setting) stores a pending message that is never a send job", () =>
    Effect.gen(function*() {
      for (
        const [input, settings] of [
          [{ ...template(), dryRun: true }, {}],
          [template(), { dryRun: true }]
        ] as const
      ) {
        yield* withPorts(
          (ports) =>
            Effect.gen(function*() {
              const { message } = yield* SessionService.submit(input)
              assert.strictEqual(message.status, "pending")
              assert.deepStrictEqual(statuses(message), ["pending"])
              assert.isTrue(message.dryRun)
              assert.strictEqual(ports.jobs().size, 0)
              const store = yield* SessionStore.SessionStore
              assert.deepStrictEqual(yield* store.claimSends({ now: t0, limit: 10 }), [])
              assert.deepStrictEqual(yield* store.claimSends({ now: t0, limit: 10, id: message.id }), [])
              assert.deepStrictEqual(yield* SessionService.dispatch(message.id), { _tag: "NotClaimed" })
              assert.deepStrictEqual(yield* SessionService.sendQueued(10), {
                sent: 0,
                failed: 0,
                unknown: 0,
                deferred: 0
              })
              // send in dry-run answers at once, without a dispatch
              const sent = yield* SessionService.send({ ...input, to: other })
              assert.strictEqual(sent.message.status, "pending")
              assert.strictEqual(yield* sentCount(ports), 0)
              assert.strictEqual((yield* find(message.id)).status, "pending")
            }),
          { settings }
        )
      }
    }))

  it.effect("the same key replays the first message (no second job); another request with it is refused", () =>
    withPorts((ports) =>
      Effect.gen(function*() {
        const first = yield* SessionService.submit(template(customer, "order-1"))
        const again = yield* SessionService.submit(template(customer, "order-1"))
        assert.isTrue(again.replayed)
        assert.deepStrictEqual(again.message, first.message)
        // send with the same key replays too: the queued message, not dispatched by the replay
        const viaSend = yield* SessionService.send(template(customer, "order-1"))
        assert.isTrue(viaSend.replayed)
        assert.strictEqual(viaSend.message.status, "queued")
        const reused = yield* Effect.flip(SessionService.submit(template(other, "order-1")))
        assert.isTrue(reused instanceof SessionService.IdempotencyKeyReused)
        assert.strictEqual(reused._tag === "IdempotencyKeyReused" && reused.messageId, first.message.id)
        assert.deepStrictEqual([...ports.jobs().keys()], [first.message.id])
        assert.strictEqual(yield* sentCount(ports), 0)
        // the refusals stored nothing: the next message takes the next id
        const next = yield* SessionService.submit(template(other))
        assert.strictEqual(next.message.id, "msg_2")
      })
    ))
})

describe("SessionService.send", () => {
  it.effect("happy path: queued, then accepted with the provider's id; the sender is called once; the job ends", () =>
    withPorts((ports) =>
      Effect.gen(function*() {
        yield* openWindow
        const result = yield* SessionService.send(session("Let me check!", { key: "k1" }))
        assert.isFalse(result.replayed)
        assert.strictEqual(result.message.status, "accepted")
        assert.deepStrictEqual(result.message.providerMessageId, Option.some("sid-1"))
        assert.deepStrictEqual(statuses(result.message), ["queued", "accepted"])
        assert.deepStrictEqual(yield* find("msg_1"), result.message)
        const requests = yield* Ref.get(ports.sent)
        assert.strictEqual(requests.length, 1)
        assert.deepStrictEqual(requests[0], {
          outboundId: "msg_1",
          idempotencyKey: Option.some("k1"),
          from: business,
          to: customer,
          content: result.message.content
        })
        assert.strictEqual(ports.jobs().size, 0)
        // accepted is not reported as an event (only what the provider reports, and unknown)
        assert.deepStrictEqual(statusEvents(ports.events(), "msg_1"), [])
        assert.deepStrictEqual(yield* SessionService.sendQueued(10), { sent: 0, failed: 0, unknown: 0, deferred: 0 })
        assert.strictEqual(yield* sentCount(ports), 1)
      })
    ))

  it.effect("a message not next in its pair's line stays queued (send answers it as stored); the worker sends both in order", () =>
    withPorts((ports) =>
      Effect.gen(function*() {
        const older = yield* SessionService.submit(template())
        yield* TestClock.adjust(Duration.seconds(1))
        const result = yield* SessionService.send(template())
        assert.strictEqual(result.message.id, "msg_2")
        assert.strictEqual(result.message.status, "queued")
        assert.isFalse(result.replayed)
        assert.strictEqual(yield* sentCount(ports), 0)
        assert.strictEqual(jobState(ports, "msg_2"), "queued")
        assert.deepStrictEqual(yield* SessionService.sendQueued(10), { sent: 2, failed: 0, unknown: 0, deferred: 0 })
        assert.deepStrictEqual(yield* sentIds(ports), [older.message.id, "msg_2"])
      })
    ))

  it.effect("an ambiguous provider error: the message is unknown, send succeeds, never sent again; a report settles it", () =>
    withPorts(
      (ports) =>
        Effect.gen(function*() {
          yield* openWindow
          const result = yield* SessionService.send(session("hi", { key: "k1" }))
          assert.strictEqual(result.message.status, "unknown")
          assert.deepStrictEqual(statuses(result.message), ["queued", "unknown"])
          assert.deepStrictEqual(result.message.history[1]!.detail, Option.some(ambiguous.detail))
          assert.deepStrictEqual(result.message.providerMessageId, Option.none())
          assert.strictEqual(ports.jobs().size, 0)
          // never sent again: not by the worker, not by a retry with the same key
          assert.deepStrictEqual(yield* SessionService.sendQueued(10), { sent: 0, failed: 0, unknown: 0, deferred: 0 })
          assert.isTrue((yield* SessionService.send(session("hi", { key: "k1" }))).replayed)
          assert.deepStrictEqual(yield* SessionService.dispatch("msg_1"), { _tag: "NotClaimed" })
          assert.strictEqual(yield* sentCount(ports), 1)
          // the delivery report (our id echoed back, with the provider's id) settles it and fills in the id
          yield* TestClock.adjust(Duration.seconds(5))
          const delivered = yield* SessionService.ingest([{
            _tag: "Status",
            ref: { _tag: "ById", id: "msg_1" },
            providerMessageId: Option.some("sid-late"),
            status: "delivered",
            reengagement: false,
            code: Option.none(),
            detail: Option.none(),
            at: Option.none(),
            raw: { sid: "sid-late", custom_data: "msg_1", status: "delivered" }
          }])
          assert.deepStrictEqual(delivered.counts, { accepted: 1, duplicates: 0, rejected: 0 })
          const settled = yield* find("msg_1")
          assert.strictEqual(settled.status, "delivered")
          assert.deepStrictEqual(settled.providerMessageId, Option.some("sid-late"))
          // a later report naming only the provider's id finds it now
          const read = yield* SessionService.ingest([{
            _tag: "Status",
            ref: { _tag: "ByProviderId", providerMessageId: "sid-late" },
            status: "read",
            reengagement: false,
            code: Option.none(),
            detail: Option.none(),
            at: Option.none(),
            raw: { sid: "sid-late", status: "read" }
          }])
          assert.deepStrictEqual(read.counts, { accepted: 1, duplicates: 0, rejected: 0 })
          assert.strictEqual((yield* find("msg_1")).status, "read")
          assert.deepStrictEqual(statusEvents(ports.events(), "msg_1"), [
            ["unknown", ambiguous.detail],
            ["delivered", null],
            ["read", null]
          ])
          const deliveredEvent = ports.events().find((e) =>
            e.type === "message.status" && e.data.status === "delivered"
          )
          assert.strictEqual(
            deliveredEvent?.type === "message.status" && deliveredEvent.data.providerMessageId,
            "sid-late"
          )
        }),
      { script: [ambiguous] }
    ))

  it.effect("a definite failure: the message is failed and send fails with the provider error naming it", () =>
    withPorts(
      (ports) =>
        Effect.gen(function*() {
          const error = yield* Effect.flip(SessionService.send(template(customer, "k1")))
          assert.isTrue(error instanceof MessageSender.ProviderError)
          if (!(error instanceof MessageSender.ProviderError)) return
          assert.strictEqual(error.reason, "Rejected")
          assert.strictEqual(error.detail, rejected.detail)
          assert.deepStrictEqual(error.providerCode, Option.some("63016"))
          assert.deepStrictEqual(error.outboundId, Option.some("msg_1"))
          assert.isFalse(error.reengagement)
          const stored = yield* find("msg_1")
          assert.strictEqual(stored.status, "failed")
          assert.deepStrictEqual(statuses(stored), ["queued", "failed"])
          assert.deepStrictEqual(stored.history[1]!.code, Option.some("63016"))
          assert.deepStrictEqual(stored.history[1]!.detail, Option.some(rejected.detail))
          assert.strictEqual(ports.jobs().size, 0)
          assert.deepStrictEqual(statusEvents(ports.events(), "msg_1"), [["failed", rejected.detail]])
          // not sent again
          assert.deepStrictEqual(yield* SessionService.sendQueued(10), { sent: 0, failed: 0, unknown: 0, deferred: 0 })
          assert.strictEqual(yield* sentCount(ports), 1)
        }),
      { script: [rejected] }
    ))

  it.effect("a re-engagement refusal closes the window and sends the fallback template once, the result", () =>
    withPorts(
      (ports) =>
        Effect.gen(function*() {
          yield* openWindow
          yield* TestClock.adjust(Duration.minutes(5))
          const result = yield* SessionService.send(session("hi", { fallback: true }))
          assert.strictEqual(result.message.id, "msg_1-fallback")
          assert.strictEqual(result.message.decision, "template")
          assert.strictEqual(result.message.status, "accepted")
          assert.deepStrictEqual(result.message.providerMessageId, Option.some("sid-2"))
          assert.deepStrictEqual(statuses(result.message), ["queued", "accepted"])
          const original = yield* find("msg_1")
          assert.strictEqual(original.status, "failed")
          assert.deepStrictEqual(original.fallbackMessageId, Option.some("msg_1-fallback"))
          const window = yield* SessionService.windowStatus(pair)
          assert.strictEqual(window.state, "expired")
          assert.isTrue(window.closedByProvider)
          assert.deepStrictEqual(yield* sentIds(ports), ["msg_1", "msg_1-fallback"])
          assert.deepStrictEqual((yield* Ref.get(ports.sent)).map((r) => r.content.type), ["text", "template"])
          assert.strictEqual(ports.jobs().size, 0)
          // once: nothing left for the worker, and the same refusal reported later queues nothing
          assert.deepStrictEqual(yield* SessionService.sendQueued(10), { sent: 0, failed: 0, unknown: 0, deferred: 0 })
          const reported = yield* SessionService.ingest([{
            _tag: "Status",
            ref: { _tag: "ById", id: "msg_1" },
            status: "failed",
            reengagement: true,
            code: Option.some("30018"),
            detail: Option.none(),
            at: Option.none(),
            raw: { custom_data: "msg_1", status: "failed" }
          }])
          assert.deepStrictEqual(reported.results.map((r) => r._tag === "Status" && r.outcome), ["duplicate"])
          assert.strictEqual(ports.jobs().size, 0)
          assert.strictEqual(yield* sentCount(ports), 2)
          const closed = ports.events().filter((e) => e.type === "window.closed")
          assert.strictEqual(closed.length, 1)
          assert.isTrue(closed[0]?.type === "window.closed" && closed[0].data.reason === "provider")
        }),
      { script: [reengagementRefusal] }
    ))

  it.effect("a re-engagement refusal whose fallback is not next in its pair's line: the refusal, the fallback queued", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      yield* withPorts(
        (ports) =>
          Effect.gen(function*() {
            yield* openWindow
            const first = yield* Effect.fork(Effect.flip(SessionService.send(session("first", { fallback: true }))))
            yield* settle
            assert.strictEqual(jobState(ports, "msg_1"), "sending")
            // while it is in flight, the business queues another message to the customer
            yield* TestClock.adjust(Duration.seconds(1))
            yield* SessionService.submit(session("second"))
            yield* TestClock.adjust(Duration.seconds(1))
            yield* Deferred.succeed(gate, void 0)
            const error = yield* Fiber.join(first)
            assert.isTrue(error instanceof MessageSender.ProviderError && error.reengagement)
            assert.deepStrictEqual(
              error instanceof MessageSender.ProviderError && error.outboundId,
              Option.some("msg_1")
            )
            assert.strictEqual((yield* find("msg_1")).status, "failed")
            assert.strictEqual((yield* SessionService.windowStatus(pair)).state, "expired")
            // the fallback waits behind the older message of the pair; the worker sends both, in line order
            assert.strictEqual(jobState(ports, "msg_1-fallback"), "queued")
            assert.strictEqual((yield* find("msg_1-fallback")).status, "queued")
            assert.deepStrictEqual(yield* SessionService.sendQueued(10), {
              sent: 2,
              failed: 0,
              unknown: 0,
              deferred: 0
            })
            assert.deepStrictEqual(yield* sentIds(ports), ["msg_1", "msg_2", "msg_1-fallback"])
          }),
        { script: [heldUntil(gate, Effect.fail(reengagementRefusal))] }
      )
    }))
})

describe("SessionService pacing", () => {
  it.effect("three sends at one instant under 20 a minute: two go at once, the third waits for its slot", () =>
    withPorts(
      (ports) =>
        Effect.gen(function*() {
          // 20 a minute: a burst of 1 beyond the first, then one every ceil(60000 / 19) = 3158 ms
          const one = yield* SessionService.send(template())
          const two = yield* SessionService.send(template(other))
          assert.strictEqual(one.message.status, "accepted")
          assert.strictEqual(two.message.status, "accepted")
          assert.deepStrictEqual(two.message.history[1]!.at, t0)
          const three = yield* Effect.fork(SessionService.send(template(third)))
          yield* TestClock.adjust(Duration.millis(3157))
          assert.strictEqual(yield* sentCount(ports), 2)
          assert.strictEqual(jobState(ports, "msg_3"), "claimed")
          assert.strictEqual((yield* find("msg_3")).status, "queued")
          assert.isTrue(Option.isNone(yield* Fiber.poll(three)))
          yield* TestClock.adjust(Duration.millis(1))
          const sent = yield* Fiber.join(three)
          assert.strictEqual(sent.message.status, "accepted")
          assert.deepStrictEqual(sent.message.history[1]!.at, DateTime.unsafeMake(t0.epochMillis + 3158))
          assert.strictEqual(yield* sentCount(ports), 3)
        }),
      { settings: { sendPacing: { perMinute: 20 } } }
    ))

  it.effect("without a pacing setting, Exotel's default (200 a minute): 11 at once, then one every 316 ms", () =>
    withPorts(
      (ports) =>
        Effect.gen(function*() {
          for (let i = 0; i < 13; i++) yield* SessionService.submit(template())
          const round = yield* Effect.fork(SessionService.sendQueued(13))
          yield* settle
          assert.strictEqual(yield* sentCount(ports), 11)
          yield* TestClock.adjust(Duration.millis(315))
          assert.strictEqual(yield* sentCount(ports), 11)
          yield* TestClock.adjust(Duration.millis(1))
          assert.strictEqual(yield* sentCount(ports), 12)
          yield* TestClock.adjust(Duration.millis(316))
          assert.deepStrictEqual(yield* Fiber.join(round), { sent: 13, failed: 0, unknown: 0, deferred: 0 })
          // (all created at one instant, the line goes by id: msg_1, msg_10, ..., msg_13, msg_2, ..., msg_9)
          const ids = yield* sentIds(ports)
          const accepted = yield* Effect.forEach(ids, (id) =>
            Effect.map(find(id), (m) => m.history[1]!.at.epochMillis - t0.epochMillis))
          assert.deepStrictEqual(accepted, [
            ...Array.from({ length: 11 }, () =>
              0),
            316,
            632
          ])
          assert.deepStrictEqual(ids.slice(0, 5), ["msg_1", "msg_10", "msg_11", "msg_12", "msg_13"])
        }),
      { settings: { sendPacing: undefined } }
    ))
})

describe("SessionService.dispatch interrupted", () => {
  it.effect("while waiting for its slot: the claim goes back to the queue, nothing was sent", () =>
    withPorts(
      (ports) =>
        Effect.gen(function*() {
          yield* SessionService.send(template())
          yield* SessionService.send(template(other))
          const { message } = yield* SessionService.submit(template(third))
          const waiting = yield* Effect.fork(SessionService.dispatch(message.id))
          yield* TestClock.adjust(Duration.seconds(1))
          assert.strictEqual(jobState(ports, message.id), "claimed")
          yield* Fiber.interrupt(waiting)
          assert.strictEqual(jobState(ports, message.id), "queued")
          assert.strictEqual((yield* find(message.id)).status, "queued")
          assert.strictEqual(yield* sentCount(ports), 2)
          // claimable again: a later dispatch sends it once its own slot comes
          const again = yield* Effect.fork(SessionService.dispatch(message.id))
          yield* TestClock.adjust(Duration.minutes(1))
          const dispatched = yield* Fiber.join(again)
          assert.strictEqual(dispatched._tag, "Sent")
          assert.strictEqual(dispatched._tag === "Sent" && dispatched.message.status, "accepted")
          assert.deepStrictEqual(yield* sentIds(ports), ["msg_1", "msg_2", message.id])
        }),
      { settings: { sendPacing: { perMinute: 20 } } }
    ))

  it.effect("while the request is in flight: the message is unknown (it may have gone) and the job ends", () =>
    withPorts(
      (ports) =>
        Effect.gen(function*() {
          const { message } = yield* SessionService.submit(template())
          const inFlight = yield* Effect.fork(SessionService.dispatch(message.id))
          yield* settle
          assert.strictEqual(yield* sentCount(ports), 1)
          assert.strictEqual(jobState(ports, message.id), "sending")
          yield* TestClock.adjust(Duration.seconds(3))
          const exit = yield* Fiber.interrupt(inFlight)
          assert.isTrue(Exit.isInterrupted(exit))
          const stored = yield* find(message.id)
          assert.strictEqual(stored.status, "unknown")
          assert.deepStrictEqual(statuses(stored), ["queued", "unknown"])
          assert.deepStrictEqual(stored.history[1]!.at, DateTime.unsafeMake(t0.epochMillis + 3000))
          assert.include(Option.getOrThrow(stored.history[1]!.detail), "stopped while its request was in flight")
          assert.isUndefined(jobState(ports, message.id))
          assert.deepStrictEqual(statusEvents(ports.events(), message.id).map(([status]) => status), ["unknown"])
          // never sent again, nothing left to recover
          assert.deepStrictEqual(yield* SessionService.sendQueued(10), { sent: 0, failed: 0, unknown: 0, deferred: 0 })
          yield* TestClock.adjust(Duration.minutes(10))
          assert.deepStrictEqual(yield* SessionService.recoverSends(), { requeued: 0, unknown: 0 })
          assert.strictEqual(yield* sentCount(ports), 1)
        }),
      { script: [never] }
    ))
})

describe("SessionService.dispatch interrupted after the provider answered", () => {
  it.effect("the answer is recorded all the same (accepted with its id), and the job ends", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(t0.epochMillis)
      const ports = yield* testLayer()
      const base = yield* Effect.provide(SessionStore.SessionStore, ports.layer)
      // a store whose write of the provider's id takes a second (a slow database)
      const slow: SessionStore.SessionStoreShape = {
        ...base,
        setProviderMessageId: (id, sid) => Effect.zipLeft(base.setProviderMessageId(id, sid), Effect.sleep("1 second"))
      }
      yield* Effect.gen(function*() {
        const { message } = yield* SessionService.submit(template())
        const sending = yield* Effect.fork(SessionService.dispatch(message.id))
        yield* TestClock.adjust(Duration.millis(500))
        // answered, and being recorded
        assert.strictEqual(yield* sentCount(ports), 1)
        assert.isTrue(Option.isNone(yield* Fiber.poll(sending)))
        assert.strictEqual((yield* find(message.id)).status, "queued")
        const interrupting = yield* Effect.fork(Fiber.interrupt(sending))
        yield* TestClock.adjust(Duration.seconds(1))
        yield* Fiber.join(interrupting)
        const stored = yield* find(message.id)
        assert.strictEqual(stored.status, "accepted")
        assert.deepStrictEqual(stored.providerMessageId, Option.some("sid-1"))
        assert.deepStrictEqual(statuses(stored), ["queued", "accepted"])
        assert.isUndefined(jobState(ports, message.id))
        assert.strictEqual(yield* sentCount(ports), 1)
      }).pipe(
        Effect.provide(
          Layer.mergeAll(ports.layer, Layer.succeed(SessionStore.SessionStore, slow), SessionService.layerConfig())
        )
      )
    }))
})

describe("SessionService.sendQueued", () => {
  it.effect("sends the jobs in line order (oldest first), counting sent, failed and unknown; at most limit", () =>
    withPorts(
      (ports) =>
        Effect.gen(function*() {
          // stored in this order (msg_1..msg_5) with these creation times: the line goes by creation time
          const created: ReadonlyArray<readonly [PhoneNumber.PhoneNumber, number]> = [
            [other, 4],
            [customer, 2],
            [third, 3],
            [customer, 1],
            [other, 5]
          ]
          for (const [to, seconds] of created) {
            yield* TestClock.setTime(t0.epochMillis + seconds * 1000)
            yield* SessionService.submit(template(to))
          }
          yield* TestClock.setTime(t0.epochMillis + 6000)
          const line = ["msg_4", "msg_2", "msg_3", "msg_1", "msg_5"]
          assert.deepStrictEqual(yield* SessionService.sendQueued(2), { sent: 1, failed: 1, unknown: 0, deferred: 0 })
          assert.deepStrictEqual(yield* sentIds(ports), line.slice(0, 2))
          assert.deepStrictEqual(yield* SessionService.sendQueued(10), { sent: 2, failed: 0, unknown: 1, deferred: 0 })
          assert.deepStrictEqual(yield* sentIds(ports), line)
          const stored = yield* Effect.forEach(line, find)
          assert.deepStrictEqual(stored.map((m) => m.status), ["accepted", "failed", "unknown", "accepted", "accepted"])
          assert.strictEqual(ports.jobs().size, 0)
          assert.deepStrictEqual(yield* SessionService.sendQueued(10), { sent: 0, failed: 0, unknown: 0, deferred: 0 })
          assert.deepStrictEqual(yield* SessionService.sendQueued(0), { sent: 0, failed: 0, unknown: 0, deferred: 0 })
        }),
      { script: ["ok", rejected, ambiguous, "ok", "ok"] }
    ))

  it.effect("a pair's next message is not claimed while an older one is claimed or in flight; other pairs go on", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      yield* withPorts(
        (ports) =>
          Effect.gen(function*() {
            const store = yield* SessionStore.SessionStore
            // in flight
            yield* SessionService.submit(template())
            const first = yield* Effect.fork(SessionService.dispatch("msg_1"))
            yield* settle
            assert.strictEqual(jobState(ports, "msg_1"), "sending")
            yield* TestClock.adjust(Duration.seconds(1))
            yield* SessionService.submit(template())
            yield* SessionService.submit(template(other))
            assert.deepStrictEqual(yield* SessionService.sendQueued(10), {
              sent: 1,
              failed: 0,
              unknown: 0,
              deferred: 0
            })
            assert.deepStrictEqual(yield* sentIds(ports), ["msg_1", "msg_3"])
            assert.strictEqual(jobState(ports, "msg_2"), "queued")
            assert.deepStrictEqual(yield* SessionService.dispatch("msg_2"), { _tag: "NotClaimed" })
            yield* Deferred.succeed(gate, void 0)
            const done = yield* Fiber.join(first)
            assert.strictEqual(done._tag === "Sent" && done.message.status, "accepted")
            // claimed (by another worker, say), not started
            yield* SessionService.submit(template())
            const claimed = yield* store.claimSends({ now: yield* DateTime.now, limit: 10 })
            assert.deepStrictEqual(claimed.map((m) => m.id), ["msg_2"])
            assert.deepStrictEqual(yield* SessionService.sendQueued(10), {
              sent: 0,
              failed: 0,
              unknown: 0,
              deferred: 0
            })
            yield* store.releaseSend("msg_2")
            assert.deepStrictEqual(yield* SessionService.sendQueued(10), {
              sent: 2,
              failed: 0,
              unknown: 0,
              deferred: 0
            })
            assert.deepStrictEqual(yield* sentIds(ports), ["msg_1", "msg_3", "msg_2", "msg_4"])
          }),
        { script: [heldUntil(gate, Effect.succeed({ providerMessageId: "sid-held" }))] }
      )
    }))
})

describe("SessionService.recoverSends", () => {
  it.effect("asks the store about jobs older than the lease (2 minutes by default), counted from now", () =>
    withPorts(() =>
      Effect.gen(function*() {
        const seen: Array<[DateTime.Utc, DateTime.Utc]> = []
        const store = yield* SessionStore.SessionStore
        const recording = {
          ...store,
          recoverSends: (before: DateTime.Utc, now: DateTime.Utc) =>
            Effect.sync(() => (seen.push([before, now]), { requeued: 1, unknown: 2 }))
        }
        const recover = (lease?: Duration.Duration) =>
          SessionService.recoverSends(lease).pipe(Effect.provideService(SessionStore.SessionStore, recording))
        assert.deepStrictEqual(yield* recover(), { requeued: 1, unknown: 2 })
        yield* recover(Duration.seconds(30))
        assert.isTrue(Duration.equals(SessionService.SEND_LEASE, Duration.minutes(2)))
        assert.deepStrictEqual(seen, [
          [DateTime.unsafeMake(t0.epochMillis - 120_000), t0],
          [DateTime.unsafeMake(t0.epochMillis - 30_000), t0]
        ])
      })
    ))

  it.effect("a job claimed long ago (its holder died before sending) goes back to the queue and is sent", () =>
    withPorts((ports) =>
      Effect.gen(function*() {
        const store = yield* SessionStore.SessionStore
        yield* SessionService.submit(template())
        yield* store.claimSends({ now: t0, limit: 1 })
        yield* TestClock.adjust(Duration.minutes(1))
        assert.deepStrictEqual(yield* SessionService.recoverSends(), { requeued: 0, unknown: 0 })
        assert.strictEqual(jobState(ports, "msg_1"), "claimed")
        assert.deepStrictEqual(yield* SessionService.sendQueued(10), { sent: 0, failed: 0, unknown: 0, deferred: 0 })
        yield* TestClock.adjust(Duration.millis(60_001))
        assert.deepStrictEqual(yield* SessionService.recoverSends(), { requeued: 1, unknown: 0 })
        assert.strictEqual(jobState(ports, "msg_1"), "queued")
        assert.strictEqual((yield* find("msg_1")).status, "queued")
        assert.deepStrictEqual(yield* SessionService.sendQueued(10), { sent: 1, failed: 0, unknown: 0, deferred: 0 })
        assert.strictEqual(yield* sentCount(ports), 1)
      })
    ))

  it.effect("a send started long ago with no outcome (its holder died) becomes unknown, with its event, and is not sent again", () =>
    withPorts(
      (ports) =>
        Effect.gen(function*() {
          yield* SessionService.submit(template())
          // the holder: its request went out and nothing came back (the process is gone, its fiber just waits)
          const holder = yield* Effect.fork(SessionService.dispatch("msg_1"))
          yield* settle
          assert.strictEqual(jobState(ports, "msg_1"), "sending")
          yield* TestClock.adjust(Duration.minutes(3))
          const now = yield* DateTime.now
          assert.deepStrictEqual(yield* SessionService.recoverSends(), { requeued: 0, unknown: 1 })
          const stored = yield* find("msg_1")
          assert.strictEqual(stored.status, "unknown")
          assert.deepStrictEqual(stored.history.at(-1), Outbound.abandonedSend(now))
          assert.include(Option.getOrThrow(Outbound.abandonedSend(now).detail), "not sent again")
          assert.isUndefined(jobState(ports, "msg_1"))
          assert.deepStrictEqual(statusEvents(ports.events(), "msg_1"), [[
            "unknown",
            Option.getOrNull(Outbound.abandonedSend(now).detail)
          ]])
          assert.deepStrictEqual(yield* SessionService.sendQueued(10), { sent: 0, failed: 0, unknown: 0, deferred: 0 })
          assert.deepStrictEqual(yield* SessionService.recoverSends(), { requeued: 0, unknown: 0 })
          // the holder stopping afterwards records nothing more
          yield* Fiber.interrupt(holder)
          assert.deepStrictEqual(statuses(yield* find("msg_1")), ["queued", "unknown"])
          assert.strictEqual(statusEvents(ports.events(), "msg_1").length, 1)
          assert.strictEqual(yield* sentCount(ports), 1)
        }),
      { script: [never] }
    ))

  it.effect("a claim requeued while its holder waited for its slot: the holder does not send it (NotClaimed)", () =>
    withPorts(
      (ports) =>
        Effect.gen(function*() {
          // one a minute: after a first send, the next waits a minute for its slot
          yield* SessionService.send(template())
          yield* SessionService.submit(template(other))
          const holder = yield* Effect.fork(SessionService.dispatch("msg_2"))
          yield* TestClock.adjust(Duration.seconds(30))
          assert.strictEqual(jobState(ports, "msg_2"), "claimed")
          // the holder looks dead to a short lease: its claim goes back to the queue
          assert.deepStrictEqual(yield* SessionService.recoverSends(Duration.seconds(10)), { requeued: 1, unknown: 0 })
          assert.strictEqual(jobState(ports, "msg_2"), "queued")
          yield* TestClock.adjust(Duration.seconds(30))
          assert.deepStrictEqual(yield* Fiber.join(holder), { _tag: "NotClaimed" })
          assert.strictEqual(yield* sentCount(ports), 1)
          assert.strictEqual((yield* find("msg_2")).status, "queued")
          // still in the line: the worker sends it at its own slot
          const worker = yield* Effect.fork(SessionService.sendQueued(10))
          yield* TestClock.adjust(Duration.minutes(1))
          assert.deepStrictEqual(yield* Fiber.join(worker), { sent: 1, failed: 0, unknown: 0, deferred: 0 })
          assert.deepStrictEqual(yield* sentIds(ports), ["msg_1", "msg_2"])
        }),
      { settings: { sendPacing: { perMinute: 1 } } }
    ))

  it.effect("a claim requeued and claimed again by a worker while its first holder still waits: sent once", () =>
    withPorts(
      (ports) =>
        Effect.gen(function*() {
          yield* SessionService.send(template())
          yield* SessionService.submit(template(other))
          const holder = yield* Effect.fork(SessionService.dispatch("msg_2"))
          yield* TestClock.adjust(Duration.seconds(30))
          assert.deepStrictEqual(yield* SessionService.recoverSends(Duration.seconds(10)), { requeued: 1, unknown: 0 })
          const worker = yield* Effect.fork(SessionService.sendQueued(1))
          yield* settle
          assert.strictEqual(jobState(ports, "msg_2"), "claimed")
          yield* TestClock.adjust(Duration.minutes(3))
          const held = yield* Fiber.join(holder)
          const round = yield* Fiber.join(worker)
          // whichever of the two started it, it went once, and only that one reports it
          assert.strictEqual(yield* sentCount(ports), 2)
          assert.deepStrictEqual(yield* sentIds(ports), ["msg_1", "msg_2"])
          assert.strictEqual((yield* find("msg_2")).status, "accepted")
          assert.strictEqual((held._tag === "Sent" ? 1 : 0) + round.sent, 1)
          assert.strictEqual(held._tag === "Sent" || held._tag === "NotClaimed", true)
          assert.strictEqual(round.failed + round.unknown, 0)
          assert.strictEqual(ports.jobs().size, 0)
        }),
      { settings: { sendPacing: { perMinute: 1 } } }
    ))
})

const unavailable = new MessageSender.ProviderError({
  reason: "Unavailable",
  providerCode: Option.none(),
  httpStatus: Option.some(503),
  detail: "HTTP 503: try later (gave up after 4 attempts)"
})

describe("SessionService: sends the provider did not take are tried again later", () => {
  it("retryAt: half the job's age, between 5 seconds and 5 minutes, within the retry period, for unavailable and rate-limited only", () => {
    const created = at("2026-01-20T10:00:00Z")
    const after = (millis: number) => DateTime.unsafeMake(created.epochMillis + millis)
    const hour = Duration.hours(1)
    const wait = (age: number, reason: MessageSender.ProviderError["reason"] = "Unavailable") =>
      Option.map(
        SessionService.retryAt(created, after(age), reason, hour),
        (next) => next.epochMillis - after(age).epochMillis
      )
    assert.deepStrictEqual(wait(0), Option.some(5_000))
    assert.deepStrictEqual(wait(60_000), Option.some(30_000))
    assert.deepStrictEqual(wait(59 * 60_000), Option.some(300_000))
    assert.deepStrictEqual(wait(60 * 60_000), Option.none(), "the retry period is over")
    assert.deepStrictEqual(wait(1_000, "RateLimited"), Option.some(5_000))
    for (const reason of ["Rejected", "BadRequest", "Configuration", "Ambiguous"] as const) {
      assert.deepStrictEqual(wait(1_000, reason), Option.none(), reason)
    }
    // a clock that went back counts as no age
    assert.deepStrictEqual(wait(-10_000), Option.some(5_000))
  })

  it.effect("an unavailable provider: the job is queued again (not failed), not claimed before its time, then sent", () =>
    withPorts(
      (ports) =>
        Effect.gen(function*() {
          const result = yield* SessionService.send(template())
          assert.strictEqual(result.message.status, "queued")
          assert.deepStrictEqual(statuses(result.message), ["queued"])
          assert.strictEqual(yield* sentCount(ports), 1)
          assert.strictEqual(jobState(ports, result.message.id), "queued")
          // not due yet: the worker does not take it, and it still holds its pair's line
          assert.deepStrictEqual(yield* SessionService.sendQueued(5), { sent: 0, failed: 0, unknown: 0, deferred: 0 })
          const later = yield* SessionService.send(template(customer))
          assert.strictEqual(later.message.status, "queued", "behind the deferred one")
          yield* TestClock.adjust(Duration.seconds(5))
          const round = yield* SessionService.sendQueued(5)
          assert.deepStrictEqual(round, { sent: 2, failed: 0, unknown: 0, deferred: 0 })
          assert.deepStrictEqual(yield* sentIds(ports), [result.message.id, result.message.id, later.message.id])
          assert.strictEqual((yield* find(result.message.id)).status, "accepted")
        }),
      { script: [() => Effect.fail(unavailable)] }
    ))

  it.effect("the worker counts deferred jobs; past the retry period the job fails with the provider's error", () =>
    withPorts(
      (ports) =>
        Effect.gen(function*() {
          const submitted = yield* SessionService.submit(template())
          assert.deepStrictEqual(yield* SessionService.sendQueued(1), { sent: 0, failed: 0, unknown: 0, deferred: 1 })
          yield* TestClock.adjust(Duration.minutes(1))
          const round = yield* SessionService.sendQueued(1)
          assert.deepStrictEqual(round, { sent: 0, failed: 1, unknown: 0, deferred: 0 })
          const failed = yield* find(submitted.message.id)
          assert.strictEqual(failed.status, "failed")
          assert.strictEqual(yield* sentCount(ports), 2)
          assert.strictEqual(ports.jobs().size, 0)
        }),
      {
        script: [() => Effect.fail(unavailable), () => Effect.fail(unavailable)],
        settings: { sendRetryFor: Duration.seconds(30) }
      }
    ))

  it.effect("with no retry period (zero) an unavailable provider fails the send at once, as before", () =>
    withPorts(
      () =>
        Effect.gen(function*() {
          const error = yield* Effect.flip(SessionService.send(template()))
          assert.strictEqual(error._tag, "ProviderError")
          if (error._tag === "ProviderError") assert.strictEqual(error.reason, "Unavailable")
        }),
      { script: [() => Effect.fail(unavailable)], settings: { sendRetryFor: Duration.zero } }
    ))
})

/** A delivery report of Exotel's 30007 (a temporary failure) about `sid`, for our message `id`. */
const retryLaterReport = (id: string, sid: string) => ({
  _tag: "Status" as const,
  ref: { _tag: "ById" as const, id },
  providerMessageId: Option.some(sid),
  retryLater: true,
  status: "failed" as const,
  reengagement: false,
  code: Option.some("30007"),
  detail: Option.some("EX_RATE_LIMIT_HIT"),
  at: Option.none(),
  raw: { sid, code: 30007 }
})

describe("SessionService: a delivery report of a retry-later failure sends the message again", () => {
  it.effect("the latest send reported failed for now: queued again (not failed), sent again once, with its new id", () =>
    withPorts(
      (ports) =>
        Effect.gen(function*() {
          const first = yield* SessionService.send(template())
          assert.strictEqual(first.message.status, "accepted")
          const outcome = yield* SessionService.ingest([retryLaterReport(first.message.id, "sid-1")])
          assert.strictEqual(outcome.results[0]?._tag, "Status")
          const queued = yield* find(first.message.id)
          assert.strictEqual(queued.status, "accepted", "not failed")
          assert.strictEqual(jobState(ports, first.message.id), "queued")
          // a copy of the same report changes nothing; not before its time
          yield* SessionService.ingest([retryLaterReport(first.message.id, "sid-1")])
          assert.deepStrictEqual(yield* SessionService.sendQueued(5), { sent: 0, failed: 0, unknown: 0, deferred: 0 })
          yield* TestClock.adjust(Duration.seconds(5))
          assert.deepStrictEqual(yield* SessionService.sendQueued(5), { sent: 1, failed: 0, unknown: 0, deferred: 0 })
          const again = yield* find(first.message.id)
          assert.deepStrictEqual(again.providerMessageId, Option.some("sid-2"))
          assert.deepStrictEqual(yield* sentIds(ports), [first.message.id, first.message.id])
          // a late copy about the first send (its old id) does not send it a third time
          yield* SessionService.ingest([retryLaterReport(first.message.id, "sid-1")])
          assert.strictEqual(ports.jobs().size, 0)
          assert.strictEqual((yield* find(first.message.id)).status, "accepted", "nor fail it")
        })
    ))

  it.effect("past the retry period, without the provider's id, or for a final code, the report fails the message", () =>
    withPorts(
      (ports) =>
        Effect.gen(function*() {
          const late = yield* SessionService.send(template())
          yield* TestClock.adjust(Duration.minutes(2))
          yield* SessionService.ingest([retryLaterReport(late.message.id, "sid-1")])
          assert.strictEqual((yield* find(late.message.id)).status, "failed")

          const noId = yield* SessionService.send(template(other))
          yield* SessionService.ingest([{
            ...retryLaterReport(noId.message.id, "sid-2"),
            providerMessageId: Option.none()
          }])
          assert.strictEqual((yield* find(noId.message.id)).status, "failed")

          const final = yield* SessionService.send(template(third))
          yield* SessionService.ingest([{ ...retryLaterReport(final.message.id, "sid-3"), retryLater: false }])
          assert.strictEqual((yield* find(final.message.id)).status, "failed")
          assert.strictEqual(ports.jobs().size, 0)
        }),
      { settings: { sendRetryFor: Duration.minutes(1) } }
    ))

  it.effect("a report without the provider's id field, or about a message already delivered, is applied as usual", () =>
    withPorts(
      (ports) =>
        Effect.gen(function*() {
          const { providerMessageId: _, ...withoutId } = retryLaterReport("msg_1", "sid-1")
          yield* SessionService.send(template())
          yield* SessionService.ingest([withoutId])
          assert.strictEqual((yield* find("msg_1")).status, "failed")

          const delivered = yield* SessionService.send(template(other))
          const sid = Option.getOrThrow(delivered.message.providerMessageId)
          yield* SessionService.ingest([{
            ...retryLaterReport(delivered.message.id, sid),
            retryLater: false,
            status: "delivered"
          }])
          yield* SessionService.ingest([retryLaterReport(delivered.message.id, sid)])
          assert.strictEqual((yield* find(delivered.message.id)).status, "failed")
          assert.strictEqual(ports.jobs().size, 0)
        })
    ))

  it("SendJobs.retryAt: half the age, 5 s to 5 min, none past the period", () => {
    const created = at("2026-01-20T10:00:00Z")
    const wait = (age: number) =>
      Option.map(
        SendJobs.retryAt(created, DateTime.unsafeMake(created.epochMillis + age), Duration.hours(1)),
        (next) => next.epochMillis - created.epochMillis - age
      )
    assert.deepStrictEqual(wait(1_000), Option.some(5_000))
    assert.deepStrictEqual(wait(20 * 60_000), Option.some(300_000))
    assert.deepStrictEqual(wait(3_600_000), Option.none())
  })
})
