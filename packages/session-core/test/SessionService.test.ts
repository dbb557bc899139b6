import { assert, describe, it } from "@effect/vitest"
import { Cause, DateTime, Duration, Effect, Either, Layer, Option, TestClock } from "effect"
import { MessageSender, SessionService, SessionStore } from "../src/index.js"
import { at, business, customer, followUpTemplate, pair, text } from "./fixtures.js"
import { testLayer } from "./support/TestPorts.js"

const setNow = (iso: string) => TestClock.setTime(at(iso).epochMillis)

const run = <A, E>(
  effect: Effect.Effect<A, E, SessionStore.SessionStore | MessageSender.MessageSender | SessionService.SessionConfig | import("../src/Ids.js").Ids>,
  options: { script?: Array<MessageSender.ProviderError | "ok">; settings?: Partial<SessionService.SessionSettings> } = {}
) =>
  Effect.gen(function*() {
    const ports = yield* testLayer(options.script)
    const result = yield* effect.pipe(Effect.provide(Layer.merge(ports.layer, SessionService.layerConfig(options.settings))))
    return { result, sent: yield* ports.sent }
  })

const inboundAt = (messageId: string, iso: string | null) =>
  SessionService.recordInbound({
    business,
    customer,
    messageId,
    providerTimestamp: iso === null ? Option.none() : Option.some(at(iso))
  })

const unavailable = new MessageSender.ProviderError({
  reason: "Unavailable",
  providerCode: Option.some("500"),
  httpStatus: Option.some(500),
  detail: "Exotel answered 500 three times"
})

const refusedByProvider = new MessageSender.ProviderError({
  reason: "Rejected",
  providerCode: Option.some("30018"),
  httpStatus: Option.some(202),
  detail: "EX_REENGAGEMENT_ERROR",
  reengagement: true
})

describe("SessionService", () => {
  it("prepareInbound guards the provider timestamp and validates the message unless told it was", () => {
    const receivedAt = at("2026-01-20T10:00:00+05:30")
    const input = (messageId: string, iso: string) => ({
      business,
      customer,
      messageId,
      providerTimestamp: Option.some(at(iso))
    })
    const late = SessionService.prepareInbound(input("m1", "2026-01-20T09:00:00+05:30"), receivedAt)
    assert.strictEqual(late.adjustment, "none")
    assert.deepStrictEqual(late.message.sentAt, at("2026-01-20T09:00:00+05:30"))
    assert.deepStrictEqual(late.message.receivedAt, receivedAt)
    const ahead = SessionService.prepareInbound(input("m2", "2026-01-20T10:04:00+05:30"), receivedAt, {
      skewTolerance: Duration.minutes(3)
    })
    assert.strictEqual(ahead.adjustment, "future")
    assert.deepStrictEqual(ahead.message.sentAt, receivedAt)
    assert.throws(() => SessionService.prepareInbound(input("", "2026-01-20T09:00:00+05:30"), receivedAt))
    const trusted = SessionService.prepareInbound(input("", "2026-01-20T09:00:00+05:30"), receivedAt, undefined, {
      validated: true
    })
    assert.strictEqual(trusted.message.messageId, "")
  })

  it.effect("records inbound messages with the clock-skew guard and dedups them", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00+05:30")
      const { result } = yield* run(Effect.gen(function*() {
        const future = yield* inboundAt("m1", "2026-01-20T11:00:00+05:30")
        const missing = yield* inboundAt("m2", null)
        const again = yield* inboundAt("m1", "2026-01-20T11:00:00+05:30")
        const status = yield* SessionService.windowStatus(pair)
        return { future, missing, again, status }
      }))
      assert.strictEqual(result.future.adjustment, "future")
      assert.deepStrictEqual(result.future.window.lastInboundAt, at("2026-01-20T10:00:00+05:30"))
      assert.strictEqual(result.missing.adjustment, "missing")
      assert.isTrue(result.again.duplicate)
      assert.strictEqual(result.status.state, "open")
      assert.deepStrictEqual(result.status.expiresAt, Option.some(at("2026-01-21T10:00:00+05:30")))
    }))

  it.effect("explains and lists expiring windows at the clock's time, with the configured margin", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00+05:30")
      const { result } = yield* run(
        Effect.gen(function*() {
          yield* inboundAt("m1", "2026-01-20T10:00:00+05:30")
          yield* TestClock.adjust(Duration.hours(23))
          const explanation = yield* SessionService.explainWindow(pair)
          const soon = yield* SessionService.listExpiring({
            within: Duration.hours(2),
            business: Option.none(),
            limit: 10,
            cursor: Option.none()
          })
          return { explanation, soon }
        }),
        { settings: { safetyMargin: Duration.minutes(30) } }
      )
      assert.strictEqual(result.explanation.status.state, "open")
      assert.include(result.explanation.summary, "safety margin of 30m")
      assert.strictEqual(result.soon.items.length, 1)
      assert.strictEqual(Duration.toMinutes(result.soon.items[0]!.remaining), 30)
    }))

  it.effect("sends a session message inside the window, and an idempotency key replays the first result", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:05:00+05:30")
      const { result, sent } = yield* run(Effect.gen(function*() {
        yield* inboundAt("m1", "2026-01-20T10:00:00+05:30")
        const input = {
          from: business,
          to: customer,
          content: text("Let me check!"),
          idempotencyKey: Option.some("k1")
        }
        const first = yield* SessionService.send(input)
        const second = yield* SessionService.send(input)
        return { first, second }
      }))
      assert.strictEqual(sent.length, 1)
      assert.strictEqual(result.first.message.decision, "session")
      assert.strictEqual(result.first.message.status, "accepted")
      assert.deepStrictEqual(result.first.message.providerMessageId, Option.some("sid-1"))
      assert.deepStrictEqual(result.first.message.history.map((h) => h.status), ["pending", "accepted"])
      assert.isFalse(result.first.replayed)
      assert.isTrue(result.second.replayed)
      assert.strictEqual(result.second.message.id, result.first.message.id)
      assert.strictEqual(sent[0]!.outboundId, result.first.message.id)
    }))

  it.effect("falls back to the template when expired, refuses without one", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00+05:30")
      const { result, sent } = yield* run(Effect.gen(function*() {
        yield* inboundAt("m1", "2026-01-20T10:00:00+05:30")
        yield* setNow("2026-01-21T11:30:00+05:30")
        const refused = yield* Effect.either(
          SessionService.send({ from: business, to: customer, content: text("hi"), idempotencyKey: Option.none() })
        )
        const fallback = yield* SessionService.send({
          from: business,
          to: customer,
          content: text("hi"),
          fallback: followUpTemplate,
          idempotencyKey: Option.none()
        })
        return { refused, fallback }
      }))
      assert.isTrue(Either.isLeft(result.refused) && result.refused.left._tag === "SessionExpired")
      assert.strictEqual(result.fallback.message.decision, "template")
      assert.deepStrictEqual(result.fallback.message.reason, Option.some("SESSION_EXPIRED"))
      assert.strictEqual(result.fallback.message.windowState, "expired")
      assert.strictEqual(sent.length, 1)
      assert.strictEqual(sent[0]!.content.type, "template")
    }))

  it.effect("dry-run decides and stores but sends nothing (per call or by setting)", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00+05:30")
      const perCall = yield* run(
        SessionService.send({
          from: business,
          to: customer,
          content: followUpTemplate,
          idempotencyKey: Option.none(),
          dryRun: true
        })
      )
      const bySetting = yield* run(
        SessionService.send({ from: business, to: customer, content: followUpTemplate, idempotencyKey: Option.none() }),
        { settings: { dryRun: true } }
      )
      for (const { result, sent } of [perCall, bySetting]) {
        assert.strictEqual(sent.length, 0)
        assert.isTrue(result.message.dryRun)
        assert.strictEqual(result.message.status, "pending")
        assert.strictEqual(result.message.windowState, "none")
      }
    }))

  it.effect("a provider failure is recorded on the message and returned", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00+05:30")
      const { result } = yield* run(
        Effect.gen(function*() {
          const error = yield* Effect.flip(
            SessionService.send({
              from: business,
              to: customer,
              content: followUpTemplate,
              idempotencyKey: Option.some("k")
            })
          )
          const stored = yield* Effect.flatMap(
            SessionStore.SessionStore,
            (s) => s.findOutboundByIdempotencyKey(business, "k")
          )
          return { error, stored }
        }),
        { script: [unavailable] }
      )
      const stored = Option.getOrThrow(result.stored)
      const error = result.error
      assert.isTrue(error._tag === "ProviderError" && error.reason === "Unavailable")
      assert.deepStrictEqual(error._tag === "ProviderError" && error.outboundId, Option.some(stored.id))
      assert.deepStrictEqual(error._tag === "ProviderError" && error.httpStatus, Option.some(500))
      assert.strictEqual(stored.status, "failed")
      assert.deepStrictEqual(stored.history.at(-1)?.code, Option.some("500"))
    }))

  it.effect("a concurrent insert with the same idempotency key returns the stored message", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00+05:30")
      const { result, sent } = yield* run(
        Effect.gen(function*() {
          const store = yield* SessionStore.SessionStore
          const racing = { ...store, findOutboundByIdempotencyKey: () => Effect.succeedNone }
          const send = SessionService.send({
            from: business,
            to: customer,
            content: followUpTemplate,
            idempotencyKey: Option.some("race")
          }).pipe(Effect.provideService(SessionStore.SessionStore, racing))
          const first = yield* send
          const second = yield* send
          return { first, second }
        })
      )
      assert.strictEqual(sent.length, 1)
      assert.isTrue(result.second.replayed)
      assert.strictEqual(result.second.message.id, result.first.message.id)
    }))

  it.effect("delivery reports advance status; 30018 closes the window and sends the fallback once", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00+05:30")
      const { result, sent } = yield* run(Effect.gen(function*() {
        yield* inboundAt("m1", "2026-01-20T10:00:00+05:30")
        const sentMessage = yield* SessionService.send({
          from: business,
          to: customer,
          content: text("hi"),
          fallback: followUpTemplate,
          idempotencyKey: Option.none()
        })
        const unknown = yield* SessionService.applyDeliveryReport({
          ref: { _tag: "ByProviderId", providerMessageId: "nope" },
          status: "sent",
          reengagement: false,
          code: Option.none(),
          detail: Option.none(),
          at: yield* DateTime.now
        })
        const reengagement = {
          ref: { _tag: "ByProviderId", providerMessageId: "sid-1" } as const,
          status: "failed" as const,
          reengagement: true,
          code: Option.some("30018"),
          detail: Option.some("EX_REENGAGEMENT_ERROR"),
          at: yield* DateTime.now
        }
        const first = yield* SessionService.applyDeliveryReport(reengagement)
        const again = yield* SessionService.applyDeliveryReport(reengagement)
        const status = yield* SessionService.windowStatus(pair)
        return { sentMessage, unknown, first, again, status }
      }))
      assert.isFalse(result.unknown.known)
      assert.isTrue(result.first.known && result.first.applied)
      assert.strictEqual(result.status.state, "expired")
      assert.isTrue(result.status.closedByProvider)
      const fallback = Option.getOrThrow(result.first.fallback)
      assert.strictEqual(fallback.decision, "template")
      assert.strictEqual(fallback.content.type, "template")
      assert.isTrue(Option.isNone(result.again.fallback))
      assert.isFalse(result.again.applied)
      assert.deepStrictEqual(sent.map((s) => s.content.type), ["text", "template"])
    }))

  it.effect("no fallback after 30018 for templates, messages without one or dry-run; a failed fallback is reported", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00+05:30")
      const report = (providerMessageId: string) =>
        Effect.flatMap(DateTime.now, (now) =>
          SessionService.applyDeliveryReport({
            ref: { _tag: "ByProviderId", providerMessageId },
            status: "failed",
            reengagement: true,
            code: Option.some("30018"),
            detail: Option.none(),
            at: now
          }))
      const { result } = yield* run(
        Effect.gen(function*() {
          yield* inboundAt("m1", "2026-01-20T10:00:00+05:30")
          yield* SessionService.send({
            from: business,
            to: customer,
            content: followUpTemplate,
            idempotencyKey: Option.none()
          })
          yield* SessionService.send({ from: business, to: customer, content: text("a"), idempotencyKey: Option.none() })
          yield* SessionService.send({
            from: business,
            to: customer,
            content: text("b"),
            fallback: followUpTemplate,
            idempotencyKey: Option.none()
          })
          const template = yield* report("sid-1")
          const noFallback = yield* report("sid-2")
          const failedFallback = yield* report("sid-3")
          return { template, noFallback, failedFallback }
        }),
        { script: ["ok", "ok", "ok", unavailable] }
      )
      assert.isTrue(Option.isNone(result.template.fallback))
      assert.isTrue(Option.isNone(result.noFallback.fallback))
      assert.isTrue(Option.isNone(result.failedFallback.fallback))
      assert.deepStrictEqual(Option.map(result.failedFallback.fallbackError, (e) => e.reason), Option.some("Unavailable"))
      const dry = yield* run(
        Effect.gen(function*() {
          yield* inboundAt("m1", "2026-01-20T10:00:00+05:30")
          const { message } = yield* SessionService.send({
            from: business,
            to: customer,
            content: text("a"),
            fallback: followUpTemplate,
            idempotencyKey: Option.none(),
            dryRun: true
          })
          return yield* SessionService.applyDeliveryReport({
            ref: { _tag: "ById", id: message.id },
            status: "failed",
            reengagement: true,
            code: Option.some("30018"),
            detail: Option.none(),
            at: yield* DateTime.now
          })
        })
      )
      assert.isTrue(Option.isNone(dry.result.fallback))
      assert.strictEqual(dry.sent.length, 0)
    }))

  it.effect("a synchronous re-engagement refusal closes the window and sends the fallback instead", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00+05:30")
      const { result, sent } = yield* run(
        Effect.gen(function*() {
          yield* inboundAt("m1", "2026-01-20T10:00:00+05:30")
          const withFallback = yield* SessionService.send({
            from: business,
            to: customer,
            content: text("hi"),
            fallback: followUpTemplate,
            idempotencyKey: Option.none()
          })
          const status = yield* SessionService.windowStatus(pair)
          const withoutFallback = yield* Effect.flip(
            SessionService.send({ from: business, to: customer, content: followUpTemplate, idempotencyKey: Option.none() })
          )
          return { withFallback, status, withoutFallback }
        }),
        { script: [refusedByProvider, "ok", refusedByProvider] }
      )
      assert.strictEqual(result.withFallback.message.decision, "template")
      assert.deepStrictEqual(result.withFallback.message.reason, Option.some("SESSION_EXPIRED"))
      assert.strictEqual(result.status.state, "expired")
      assert.isTrue(result.status.closedByProvider)
      assert.strictEqual(result.withoutFallback._tag, "ProviderError")
      assert.deepStrictEqual(sent.map((s) => s.content.type), ["text", "template", "template"])
    }))

  it.effect("a re-engagement refusal of the fallback itself is returned", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00+05:30")
      const { result } = yield* run(
        Effect.gen(function*() {
          yield* inboundAt("m1", "2026-01-20T10:00:00+05:30")
          const error = yield* Effect.flip(SessionService.send({
            from: business,
            to: customer,
            content: text("hi"),
            fallback: followUpTemplate,
            idempotencyKey: Option.none()
          }))
          const failed = error._tag === "ProviderError"
            ? yield* Effect.flatMap(SessionStore.SessionStore, (store) =>
              store.findOutbound(Option.getOrThrow(error.outboundId)))
            : Option.none()
          return { error, failed }
        }),
        { script: [refusedByProvider, unavailable] }
      )
      assert.isTrue(result.error._tag === "ProviderError" && result.error.reason === "Unavailable")
      // the error names the message this send stored, which links to its failed fallback
      const failed = Option.getOrThrow(result.failed)
      assert.strictEqual(failed.decision, "session")
      assert.strictEqual(failed.status, "failed")
      assert.isTrue(Option.isSome(failed.fallbackMessageId))
    }))

  it.effect("an ordinary report moves the status forward and is applied once", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00+05:30")
      const { result } = yield* run(Effect.gen(function*() {
        yield* SessionService.send({ from: business, to: customer, content: followUpTemplate, idempotencyKey: Option.none() })
        const report = (status: "delivered" | "sent") =>
          Effect.flatMap(DateTime.now, (now) =>
            SessionService.applyDeliveryReport({
              ref: { _tag: "ByProviderId", providerMessageId: "sid-1" },
              status,
              reengagement: false,
              code: Option.none(),
              detail: Option.none(),
              at: now
            }))
        const delivered = yield* report("delivered")
        const lateSent = yield* report("sent")
        const again = yield* report("delivered")
        const stored = yield* Effect.flatMap(SessionStore.SessionStore, (s) => s.findOutbound("msg_1"))
        return { delivered, lateSent, again, stored }
      }))
      assert.isTrue(result.delivered.known && result.delivered.applied && result.lateSent.applied)
      assert.isFalse(result.again.applied)
      assert.strictEqual(Option.getOrThrow(result.stored).status, "delivered")
    }))

  it.effect("a message that vanishes from the store during a send is a defect, not a silent success", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00+05:30")
      const exit = yield* Effect.exit(run(
        Effect.gen(function*() {
          const store = yield* SessionStore.SessionStore
          return yield* SessionService.send({
            from: business,
            to: customer,
            content: followUpTemplate,
            idempotencyKey: Option.none()
          }).pipe(Effect.provideService(SessionStore.SessionStore, { ...store, findOutbound: () => Effect.succeedNone }))
        })
      ))
      assert.isTrue(exit._tag === "Failure" && Cause.isDie(exit.cause))
    }))
})
