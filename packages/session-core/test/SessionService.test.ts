import { assert, describe, it } from "@effect/vitest"
import { Cause, DateTime, Duration, Effect, Either, Layer, Option, Schema, TestClock } from "effect"
import {
  type Ids,
  type Ingest,
  MessageSender,
  Outbound,
  PhoneNumber,
  SessionService,
  SessionStore,
  SessionWindow
} from "../src/index.js"
import { at, business, customer, followUpTemplate, pair, reengagementRefusal, text } from "./fixtures.js"
import { testLayer } from "./support/TestPorts.js"

const setNow = (iso: string) => TestClock.setTime(at(iso).epochMillis)

const run = <A, E>(
  effect: Effect.Effect<
    A,
    E,
    SessionStore.SessionStore | MessageSender.MessageSender | SessionService.SessionConfig | Ids.Ids
  >,
  options: { script?: Array<MessageSender.ProviderError | "ok">; settings?: Partial<SessionService.SessionSettings> } =
    {}
) =>
  Effect.gen(function*() {
    const ports = yield* testLayer(options.script)
    const result = yield* effect.pipe(
      Effect.provide(Layer.merge(ports.layer, SessionService.layerConfig(options.settings)))
    )
    return { result, sent: yield* ports.sent }
  })

const inboundAt = (messageId: string, iso: string | null) =>
  SessionService.recordInbound({
    business,
    customer,
    messageId,
    providerTimestamp: iso === null ? Option.none() : Option.some(at(iso))
  })

/** A delivery report about `ref`, ingested as a webhook item would be; its result. */
const report = (
  ref: SessionStore.OutboundRef,
  status: Outbound.OutboundStatus,
  options: { readonly reengagement?: boolean; readonly code?: string } = {}
) =>
  Effect.gen(function*() {
    const outcome = yield* SessionService.ingest([{
      _tag: "Status",
      ref,
      status,
      reengagement: options.reengagement ?? false,
      code: Option.fromNullable(options.code),
      detail: Option.none(),
      at: Option.some(yield* DateTime.now),
      raw: { ref, status }
    }])
    const result = outcome.results[0]
    if (result?._tag !== "Status") return yield* Effect.dieMessage("not a status result")
    return result
  })

const unavailable = new MessageSender.ProviderError({
  reason: "Unavailable",
  providerCode: Option.some("500"),
  httpStatus: Option.some(500),
  detail: "Exotel answered 500 three times"
})

describe("SessionService", () => {
  it.effect("recordInbound of a message that opens no window (a system notice) on a new pair: stored, the empty window", () =>
    Effect.gen(function*() {
      const { result } = yield* run(SessionService.recordInbound({
        business,
        customer,
        messageId: "wamid.system.1",
        providerTimestamp: Option.none(),
        content: { type: "system", system: { body: "The customer changed their number" } }
      }))
      assert.isFalse(result.duplicate)
      assert.isFalse(SessionWindow.hasWindow(result.window))
    }))

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
      const window = result.future.window
      assert.isTrue(SessionWindow.hasWindow(window))
      if (SessionWindow.hasWindow(window)) assert.deepStrictEqual(window.lastInboundAt, at("2026-01-20T10:00:00+05:30"))
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
      assert.deepStrictEqual(result.first.message.history.map((h) => h.status), ["queued", "accepted"])
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
        { script: [unavailable], settings: { sendRetryFor: Duration.zero } }
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

  it.effect("the same key with another request fails with IdempotencyKeyReused and stores and sends nothing", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:05:00+05:30")
      const other = PhoneNumber.unsafeMake("+919876543211")
      const { result, sent } = yield* run(Effect.gen(function*() {
        yield* inboundAt("m1", "2026-01-20T10:00:00+05:30")
        const first = yield* SessionService.send({
          from: business,
          to: customer,
          content: { type: "text", text: { body: "Your order shipped", preview_url: false } },
          fallback: followUpTemplate,
          idempotencyKey: Option.some("order-1")
        })
        const refusals = yield* Effect.forEach([
          { to: other },
          { content: text("Your order shipped") },
          { fallback: undefined },
          { dryRun: true }
        ], (change) =>
          Effect.flip(SessionService.send({
            from: business,
            to: customer,
            content: { type: "text", text: { body: "Your order shipped", preview_url: false } },
            fallback: followUpTemplate,
            idempotencyKey: Option.some("order-1"),
            ...change
          })))
        // the same request, its fields (and the content's) in another order: a replay
        const again = yield* SessionService.send({
          idempotencyKey: Option.some("order-1"),
          dryRun: false,
          fallback: { template: { language: { code: "en" }, name: "follow_up" }, type: "template" },
          content: { text: { preview_url: false, body: "Your order shipped" }, type: "text" },
          to: customer,
          from: business
        })
        // nothing was stored for the refusals: the next message takes the second id
        const next = yield* SessionService.send({
          from: business,
          to: other,
          content: followUpTemplate,
          idempotencyKey: Option.none(),
          dryRun: true
        })
        return { first, refusals, again, next }
      }))
      assert.strictEqual(sent.length, 1)
      assert.strictEqual(sent[0]!.to, customer)
      assert.isTrue(Option.isSome(result.first.message.requestFingerprint))
      for (const error of result.refusals) {
        assert.isTrue(error instanceof SessionService.IdempotencyKeyReused)
        if (!(error instanceof SessionService.IdempotencyKeyReused)) continue
        assert.strictEqual(error.code, "IDEMPOTENCY_KEY_REUSED")
        assert.strictEqual(error.idempotencyKey, "order-1")
        assert.strictEqual(error.messageId, result.first.message.id)
        assert.strictEqual(error.business, business)
        assert.include(error.message, `"order-1"`)
        assert.include(error.message, result.first.message.id)
      }
      assert.isTrue(result.again.replayed)
      assert.strictEqual(result.again.message.id, result.first.message.id)
      assert.strictEqual(result.next.message.id, "msg_2")
    }))

  it.effect("a message stored without a fingerprint (before they existed) replays for any request with its key", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:05:00+05:30")
      const { result, sent } = yield* run(Effect.gen(function*() {
        const store = yield* SessionStore.SessionStore
        const first = yield* SessionService.send({
          from: business,
          to: customer,
          content: followUpTemplate,
          idempotencyKey: Option.some("old"),
          dryRun: true
        })
        const old = yield* store.insertOutbound(
          new Outbound.OutboundMessage({
            ...first.message,
            id: "msg_old",
            idempotencyKey: Option.some("older"),
            requestFingerprint: Option.none()
          })
        )
        const replayed = yield* SessionService.send({
          from: business,
          to: PhoneNumber.unsafeMake("+919876543211"),
          content: text("something else"),
          idempotencyKey: Option.some("older")
        })
        return { old, replayed }
      }))
      assert.isTrue(result.old.inserted)
      assert.strictEqual(sent.length, 0)
      assert.isTrue(result.replayed.replayed)
      assert.strictEqual(result.replayed.message.id, "msg_old")
    }))

  it.effect("a concurrent insert with the same key and another request fails with IdempotencyKeyReused", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00+05:30")
      const { result, sent } = yield* run(
        Effect.gen(function*() {
          const store = yield* SessionStore.SessionStore
          const racing = { ...store, findOutboundByIdempotencyKey: () => Effect.succeedNone }
          const send = (to: PhoneNumber.PhoneNumber) =>
            SessionService.send({ from: business, to, content: followUpTemplate, idempotencyKey: Option.some("race") })
              .pipe(Effect.provideService(SessionStore.SessionStore, racing))
          const first = yield* send(customer)
          const second = yield* Effect.flip(send(PhoneNumber.unsafeMake("+919876543211")))
          return { first, second }
        })
      )
      assert.strictEqual(sent.length, 1)
      assert.isTrue(result.second instanceof SessionService.IdempotencyKeyReused)
      assert.strictEqual(
        result.second._tag === "IdempotencyKeyReused" && result.second.messageId,
        result.first.message.id
      )
    }))

  it.effect("without a key, a store answering not inserted (an id clash) returns the stored message", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00+05:30")
      const { result, sent } = yield* run(
        Effect.gen(function*() {
          const store = yield* SessionStore.SessionStore
          const first = yield* SessionService.send({
            from: business,
            to: customer,
            content: followUpTemplate,
            idempotencyKey: Option.none()
          })
          const clashing = {
            ...store,
            insertOutbound: () => Effect.succeed({ inserted: false, message: first.message })
          }
          const second = yield* SessionService.send({
            from: business,
            to: PhoneNumber.unsafeMake("+919876543211"),
            content: text("other"),
            fallback: followUpTemplate,
            idempotencyKey: Option.none()
          }).pipe(Effect.provideService(SessionStore.SessionStore, clashing))
          return { first, second }
        })
      )
      assert.strictEqual(sent.length, 1)
      assert.isTrue(result.second.replayed)
      assert.strictEqual(result.second.message.id, result.first.message.id)
    }))

  it.effect("delivery reports advance status; 30018 closes the window and queues the fallback once", () =>
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
        const unknown = yield* report({ _tag: "ByProviderId", providerMessageId: "nope" }, "sent")
        const reengagement = report({ _tag: "ByProviderId", providerMessageId: "sid-1" }, "failed", {
          reengagement: true,
          code: "30018"
        })
        const first = yield* reengagement
        const again = yield* reengagement
        const status = yield* SessionService.windowStatus(pair)
        const sentBeforeWorker = yield* SessionService.sendQueued(10)
        const nothingLeft = yield* SessionService.sendQueued(10)
        return { sentMessage, unknown, first, again, status, sentBeforeWorker, nothingLeft }
      }))
      assert.strictEqual(result.unknown.outcome, "unknown")
      assert.strictEqual(result.first.outcome, "applied")
      assert.strictEqual(result.status.state, "expired")
      assert.isTrue(result.status.closedByProvider)
      const fallback = Option.getOrThrow(result.first.fallback)
      assert.strictEqual(fallback.id, `${result.sentMessage.message.id}-fallback`)
      assert.strictEqual(fallback.decision, "template")
      assert.strictEqual(fallback.content.type, "template")
      assert.isTrue(Option.isNone(result.again.fallback))
      assert.strictEqual(result.again.outcome, "duplicate")
      assert.deepStrictEqual(result.sentBeforeWorker, { sent: 1, failed: 0, unknown: 0, deferred: 0 })
      assert.deepStrictEqual(result.nothingLeft, { sent: 0, failed: 0, unknown: 0, deferred: 0 })
      assert.deepStrictEqual(sent.map((s) => s.content.type), ["text", "template"])
    }))

  it.effect("no fallback after 30018 for templates, messages without one or dry-run; a failed fallback is recorded", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00+05:30")
      const refused = (providerMessageId: string) =>
        report({ _tag: "ByProviderId", providerMessageId }, "failed", { reengagement: true, code: "30018" })
      const { result } = yield* run(
        Effect.gen(function*() {
          yield* inboundAt("m1", "2026-01-20T10:00:00+05:30")
          yield* SessionService.send({
            from: business,
            to: customer,
            content: followUpTemplate,
            idempotencyKey: Option.none()
          })
          yield* SessionService.send({
            from: business,
            to: customer,
            content: text("a"),
            idempotencyKey: Option.none()
          })
          yield* SessionService.send({
            from: business,
            to: customer,
            content: text("b"),
            fallback: followUpTemplate,
            idempotencyKey: Option.none()
          })
          const template = yield* refused("sid-1")
          const noFallback = yield* refused("sid-2")
          const queued = yield* refused("sid-3")
          const round = yield* SessionService.sendQueued(10)
          const fallback = yield* Effect.flatMap(
            SessionStore.SessionStore,
            (store) => store.findOutbound(Option.getOrThrow(queued.fallback).id)
          )
          return { template, noFallback, queued, round, fallback }
        }),
        { script: ["ok", "ok", "ok", unavailable], settings: { sendRetryFor: Duration.zero } }
      )
      assert.isTrue(Option.isNone(result.template.fallback))
      assert.isTrue(Option.isNone(result.noFallback.fallback))
      assert.isTrue(Option.isSome(result.queued.fallback))
      assert.deepStrictEqual(result.round, { sent: 0, failed: 1, unknown: 0, deferred: 0 })
      assert.strictEqual(Option.getOrThrow(result.fallback).status, "failed")
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
          return yield* report({ _tag: "ById", id: message.id }, "failed", { reengagement: true, code: "30018" })
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
            SessionService.send({
              from: business,
              to: customer,
              content: followUpTemplate,
              idempotencyKey: Option.none()
            })
          )
          return { withFallback, status, withoutFallback }
        }),
        { script: [reengagementRefusal, "ok", reengagementRefusal] }
      )
      assert.strictEqual(result.withFallback.message.decision, "template")
      assert.deepStrictEqual(result.withFallback.message.reason, Option.some("SESSION_EXPIRED"))
      // the fallback template was created by the refusal, not by a send request: no fingerprint
      assert.deepStrictEqual(result.withFallback.message.requestFingerprint, Option.none())
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
        { script: [reengagementRefusal, unavailable], settings: { sendRetryFor: Duration.zero } }
      )
      assert.isTrue(result.error._tag === "ProviderError" && result.error.reason === "Unavailable")
      // the error names the message this send stored, which links to its failed fallback
      const failed = Option.getOrThrow(result.failed)
      assert.strictEqual(failed.decision, "session")
      assert.strictEqual(failed.status, "failed")
      assert.isTrue(Option.isSome(failed.fallbackMessageId))
    }))

  it.effect("a refusal whose fallback a report already queued (same id) returns the refusal; the worker sends it once", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00+05:30")
      const { result, sent } = yield* run(
        Effect.gen(function*() {
          yield* inboundAt("m1", "2026-01-20T10:00:00+05:30")
          const store = yield* SessionStore.SessionStore
          // the send below stores msg_1; its fallback is msg_1-fallback, queued meanwhile by a webhook report
          const queued = Schema.decodeUnknownSync(Outbound.OutboundMessage)({
            id: "msg_1-fallback",
            business,
            customer,
            idempotencyKey: null,
            decision: "template",
            reason: "SESSION_EXPIRED",
            windowState: "expired",
            windowExpiresAt: null,
            content: followUpTemplate,
            fallback: null,
            providerMessageId: null,
            status: "queued",
            history: [{ status: "queued", at: "2026-01-20T04:30:00Z", code: null, detail: null }],
            createdAt: "2026-01-20T04:30:00Z",
            dryRun: false,
            fallbackMessageId: null
          })
          yield* store.insertOutbound(queued, { queued: true })
          const error = yield* Effect.flip(SessionService.send({
            from: business,
            to: customer,
            content: text("hi"),
            fallback: followUpTemplate,
            idempotencyKey: Option.none()
          }))
          const before = yield* store.findOutbound("msg_1-fallback")
          // the send worker sends the queued fallback, once
          const round = yield* SessionService.sendQueued(10)
          return { error, before, round }
        }),
        { script: [reengagementRefusal] }
      )
      assert.isTrue(result.error._tag === "ProviderError" && result.error.reengagement)
      assert.strictEqual(Option.getOrThrow(result.before).status, "queued")
      assert.deepStrictEqual(result.round, { sent: 1, failed: 0, unknown: 0, deferred: 0 })
      assert.deepStrictEqual(sent.map((s) => s.content.type), ["text", "template"])
    }))

  it.effect("an ordinary report moves the status forward and is applied once", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00+05:30")
      const { result } = yield* run(Effect.gen(function*() {
        yield* SessionService.send({
          from: business,
          to: customer,
          content: followUpTemplate,
          idempotencyKey: Option.none()
        })
        const ref = { _tag: "ByProviderId", providerMessageId: "sid-1" } as const
        const delivered = yield* report(ref, "delivered")
        const lateSent = yield* report(ref, "sent")
        const again = yield* report(ref, "delivered")
        const stored = yield* Effect.flatMap(SessionStore.SessionStore, (s) => s.findOutbound("msg_1"))
        return { delivered, lateSent, again, stored }
      }))
      assert.strictEqual(result.delivered.outcome, "applied")
      assert.strictEqual(result.lateSent.outcome, "applied")
      assert.strictEqual(result.again.outcome, "duplicate")
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
          }).pipe(
            Effect.provideService(SessionStore.SessionStore, { ...store, findOutbound: () => Effect.succeedNone })
          )
        })
      ))
      assert.isTrue(exit._tag === "Failure" && Cause.isDie(exit.cause))
    }))
})

/** Like `run`, with what the test store recorded: its events and quarantine. */
const runPorts = <A, E>(
  effect: Effect.Effect<
    A,
    E,
    SessionStore.SessionStore | MessageSender.MessageSender | SessionService.SessionConfig | Ids.Ids
  >,
  options: { script?: Array<MessageSender.ProviderError | "ok">; settings?: Partial<SessionService.SessionSettings> } =
    {}
) =>
  Effect.gen(function*() {
    const ports = yield* testLayer(options.script)
    const result = yield* effect.pipe(
      Effect.provide(Layer.merge(ports.layer, SessionService.layerConfig(options.settings)))
    )
    return { result, events: ports.events(), quarantine: ports.quarantine, sent: yield* ports.sent }
  })

/** Replaces some of the store's operations for the duration of `effect`. */
const withStore = <A, E, R>(
  patch: (store: SessionStore.SessionStoreShape) => Partial<SessionStore.SessionStoreShape>,
  effect: Effect.Effect<A, E, R>
) =>
  Effect.flatMap(
    SessionStore.SessionStore,
    (store) => effect.pipe(Effect.provideService(SessionStore.SessionStore, { ...store, ...patch(store) }))
  )

const undecodable = (raw: unknown): Ingest.UndecodableItem => ({
  _tag: "Undecodable",
  kind: "item",
  reason: "missing sid",
  raw
})

const inboundItem = (messageId: string, raw: unknown): Ingest.InboundItem => ({
  _tag: "Inbound",
  business,
  customer,
  messageId,
  providerTimestamp: Option.none(),
  contentType: "text",
  content: { type: "text", text: { body: "hi" } },
  profileName: Option.none(),
  raw
})

describe("SessionService: ingest, window events and the quarantine", () => {
  it("policyOf takes the margin and the lead from the settings; the default lead is an hour", () => {
    const settings = {
      ...SessionService.defaultSettings,
      safetyMargin: Duration.minutes(5),
      expiringLead: Duration.zero
    }
    const policy = SessionService.policyOf(settings)
    assert.isTrue(Duration.equals(policy.safetyMargin, Duration.minutes(5)))
    assert.isTrue(Duration.isZero(policy.expiringLead))
    assert.isTrue(
      Duration.equals(SessionService.policyOf(SessionService.defaultSettings).expiringLead, Duration.hours(1))
    )
  })

  it.effect("recordInbound records the content and profile name given, and unknown content otherwise", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00+05:30")
      const { events, result } = yield* runPorts(Effect.gen(function*() {
        const image = yield* SessionService.recordInbound({
          business,
          customer,
          messageId: "m1",
          providerTimestamp: Option.some(at("2026-01-20T09:59:00+05:30")),
          content: { type: "image", image: { id: "media-1" } },
          profileName: Option.some("Asha")
        })
        yield* SessionService.recordInbound({ business, customer, messageId: "m2", providerTimestamp: Option.none() })
        yield* SessionService.recordInbound({
          business,
          customer,
          messageId: "m3",
          providerTimestamp: Option.none(),
          content: { type: "" }
        })
        yield* SessionService.recordInbound({
          business,
          customer,
          messageId: "m4",
          providerTimestamp: Option.none(),
          content: { type: 7 }
        })
        return image
      }))
      assert.isFalse(result.duplicate)
      assert.strictEqual(result.adjustment, "none")
      const received = events.flatMap((e) => e.type === "message.received" ? [e.data] : [])
      assert.deepStrictEqual(received.map((d) => d.contentType), ["image", "unknown", "unknown", "unknown"])
      assert.deepStrictEqual(received[0]?.content, { type: "image", image: { id: "media-1" } })
      assert.strictEqual(received[0]?.profileName, "Asha")
      assert.deepStrictEqual(received[1]?.content, { type: "unknown" })
      assert.strictEqual(received[1]?.profileName, null)
      assert.strictEqual(received[1]?.timestampAdjustment, "missing")
      assert.deepStrictEqual(events.map((e) => e.type).slice(0, 3), [
        "message.received",
        "window.opened",
        "message.received"
      ])
    }))

  it.effect("recordInbound: a store answering with another kind of result is a defect", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00+05:30")
      const exit = yield* Effect.exit(runPorts(withStore(
        () => ({ ingest: () => Effect.succeed({ items: [{ _tag: "Window" }] }) }),
        SessionService.recordInbound({ business, customer, messageId: "m1", providerTimestamp: Option.none() })
      )))
      assert.isTrue(exit._tag === "Failure" && Cause.isDie(exit.cause))
    }))

  it.effect("ingest answers each item in order with the webhook counts", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00+05:30")
      const { events, result } = yield* runPorts(SessionService.ingest([
        inboundItem("m1", { sid: "m1" }),
        inboundItem("m1", { sid: "m1" }),
        undecodable({ callback_type: "?" }),
        { ...inboundItem("m1", {}), customer: PhoneNumber.unsafeMake("+919876543299") }
      ]))
      assert.deepStrictEqual(result.counts, { accepted: 1, duplicates: 2, rejected: 1 })
      assert.deepStrictEqual(result.results.map((r) => r._tag), ["Inbound", "Inbound", "Quarantined", "Inbound"])
      assert.deepStrictEqual(result.prepared.map((p) => p._tag), ["Inbound", "Inbound", "Quarantine", "Inbound"])
      assert.deepStrictEqual(events.map((e) => e.type), ["message.received", "window.opened", "webhook.quarantined"])
    }))

  it.effect("emitDueWindowEvents records window.expiring, then window.closed, when they are due, at most limit windows", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00+05:30")
      const other = PhoneNumber.unsafeMake("+919876543211")
      const { events, result } = yield* runPorts(
        Effect.gen(function*() {
          yield* inboundAt("m1", "2026-01-20T10:00:00+05:30")
          yield* SessionService.recordInbound({
            business,
            customer: other,
            messageId: "o1",
            providerTimestamp: Option.some(at("2026-01-20T10:00:00+05:30"))
          })
          yield* TestClock.adjust(Duration.minutes(22 * 60 + 29))
          const early = yield* SessionService.emitDueWindowEvents(10)
          yield* TestClock.adjust(Duration.minutes(1))
          const one = yield* SessionService.emitDueWindowEvents(1)
          const two = yield* SessionService.emitDueWindowEvents(10)
          const none = yield* SessionService.emitDueWindowEvents(10)
          yield* TestClock.adjust(Duration.hours(1))
          const closed = yield* SessionService.emitDueWindowEvents(10)
          const after = yield* SessionService.emitDueWindowEvents(10)
          return { early, one, two, none, closed, after }
        }),
        { settings: { safetyMargin: Duration.minutes(30), expiringLead: Duration.hours(1) } }
      )
      assert.deepStrictEqual(result, { early: 0, one: 1, two: 1, none: 0, closed: 2, after: 0 })
      assert.deepStrictEqual(events.map((e) => e.type), [
        "message.received",
        "window.opened",
        "message.received",
        "window.opened",
        "window.expiring",
        "window.expiring",
        "window.closed",
        "window.closed"
      ])
      const closedEvent = events.at(-1)
      assert.isTrue(closedEvent?.type === "window.closed" && closedEvent.data.reason === "expired")
      assert.deepStrictEqual(
        closedEvent?.type === "window.closed" && closedEvent.data.closedAt,
        at("2026-01-21T09:30:00+05:30")
      )
    }))

  it.effect("prune removes what is older than the retention, counted from now", () =>
    Effect.gen(function*() {
      yield* setNow("2026-03-01T00:00:00Z")
      const seen: Array<[DateTime.Utc, number]> = []
      const pruned = { inbound: 1, outbound: 2, deliveries: 5, events: 3, quarantine: 4 }
      const { result } = yield* runPorts(withStore(
        () => ({ prune: (before, limit) => Effect.sync(() => (seen.push([before, limit]), pruned)) }),
        SessionService.prune(Duration.days(30), 5)
      ))
      assert.deepStrictEqual(result, pruned)
      assert.deepStrictEqual(seen, [[at("2026-01-30T00:00:00Z"), 5]])
      // a count that reached the limit: there may be more
      assert.isTrue(SessionService.isPartial(pruned, 5))
      assert.isFalse(SessionService.isPartial(pruned, 6))
    }))

  it.effect("history pages through a pair's messages as the store lists them", () =>
    Effect.gen(function*() {
      const asked: Array<unknown> = []
      const page: SessionStore.HistoryPage = { items: [], nextCursor: Option.some("c2") }
      const thePair = new PhoneNumber.Pair(pair)
      const { result } = yield* runPorts(withStore(
        () => ({ listMessages: (p, limit, cursor) => Effect.sync(() => (asked.push([p, limit, cursor]), page)) }),
        SessionService.history(thePair, 20, Option.some("c1"))
      ))
      assert.strictEqual(result, page)
      assert.deepStrictEqual(asked, [[thePair, 20, Option.some("c1")]])
    }))

  it.effect("retryQuarantined: unknown id, fails again (requarantined), now decodes (resolved), already resolved", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00+05:30")
      const raw = { sid: "wamid.9", callback_type: "incoming_message" }
      const { events, quarantine, result } = yield* runPorts(Effect.gen(function*() {
        const missing = yield* Effect.flip(SessionService.retryQuarantined("q_nope", () => []))
        const { results } = yield* SessionService.ingest([undecodable(raw)])
        const id = results[0]?._tag === "Quarantined" ? results[0].id : "?"
        yield* TestClock.adjust(Duration.minutes(1))
        const again = yield* SessionService.retryQuarantined(id, (entry) => [{
          _tag: "Undecodable",
          kind: "item",
          reason: "still missing sid",
          raw: JSON.parse(entry.raw)
        }])
        yield* TestClock.adjust(Duration.minutes(1))
        const fixed = yield* SessionService.retryQuarantined(
          id,
          (entry) => [inboundItem("wamid.9", JSON.parse(entry.raw))]
        )
        let decoded = 0
        const settled = yield* SessionService.retryQuarantined(id, () => (decoded++, []))
        return { missing, again, fixed, settled, decoded, id }
      }))
      const missing = result.missing
      assert.isTrue(missing instanceof SessionService.QuarantineNotFound)
      if (!(missing instanceof SessionService.QuarantineNotFound)) return
      assert.strictEqual(missing.id, "q_nope")
      assert.strictEqual(missing.code, "QUARANTINE_NOT_FOUND")
      assert.strictEqual(missing.message, "no quarantine entry q_nope")
      assert.strictEqual(result.again.entry.state, "quarantined")
      assert.strictEqual(result.again.entry.reason, "still missing sid")
      assert.strictEqual(result.again.entry.retries, 1)
      assert.deepStrictEqual(result.again.results, [])
      assert.strictEqual(result.fixed.entry.state, "resolved")
      assert.deepStrictEqual(result.fixed.entry.resolvedAt, Option.some(at("2026-01-20T10:02:00+05:30")))
      assert.deepStrictEqual(result.fixed.results.map((r) => r._tag === "Inbound" && r.duplicate), [false])
      assert.strictEqual(result.settled.entry.state, "resolved")
      assert.deepStrictEqual(result.settled.results, [])
      assert.strictEqual(result.decoded, 0)
      assert.strictEqual(quarantine.get(result.id)?.state, "resolved")
      assert.deepStrictEqual(events.map((e) => e.type), ["webhook.quarantined", "message.received", "window.opened"])
    }))

  it.effect("retryQuarantined: a body of many items is recorded in batches, the entry settled with the last", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00+05:30")
      const count = SessionService.RETRY_BATCH_ITEMS * 2 + 5
      const { quarantine, result } = yield* runPorts(Effect.gen(function*() {
        const { results } = yield* SessionService.ingest([{
          _tag: "Undecodable",
          kind: "body",
          reason: "too many items",
          raw: "{\"whatsapp\":{\"messages\":[]}}"
        }])
        const id = results[0]?._tag === "Quarantined" ? results[0].id : "?"
        const batches: Array<{ readonly items: number; readonly resolves: ReadonlyArray<string> }> = []
        const retried = yield* withStore(
          (store) => ({
            ingest: (batch) => {
              batches.push({ items: batch.items.length, resolves: batch.resolves })
              return store.ingest(batch)
            }
          }),
          SessionService.retryQuarantined(
            id,
            () => Array.from({ length: count }, (_, n) => inboundItem(`wamid.bulk.${n}`, { n }))
          )
        )
        // a body that decodes to no item at all (an empty batch) is settled too
        const empty = yield* SessionService.ingest([{ _tag: "Undecodable", kind: "body", reason: "x", raw: "{}" }])
        const emptyId = empty.results[0]?._tag === "Quarantined" ? empty.results[0].id : "?"
        const nothing = yield* SessionService.retryQuarantined(emptyId, () => [])
        return { id, batches, retried, nothing }
      }))
      assert.strictEqual(result.nothing.entry.state, "resolved")
      assert.deepStrictEqual(result.nothing.results, [])
      assert.deepStrictEqual(result.batches.map((b) => b.items), [
        SessionService.RETRY_BATCH_ITEMS,
        SessionService.RETRY_BATCH_ITEMS,
        5
      ])
      assert.deepStrictEqual(result.batches.map((b) => b.resolves.length), [0, 0, 1])
      assert.strictEqual(result.retried.results.length, count)
      assert.strictEqual(result.retried.entry.state, "resolved")
      assert.strictEqual(quarantine.get(result.id)?.state, "resolved")
    }))

  it.effect("retryQuarantined: a retry that quarantines the same item again among others leaves the entry quarantined", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00+05:30")
      const raw = { batch: [1, 2] }
      const { result } = yield* runPorts(Effect.gen(function*() {
        const { results } = yield* SessionService.ingest([undecodable(raw)])
        const id = results[0]?._tag === "Quarantined" ? results[0].id : "?"
        return yield* SessionService.retryQuarantined(id, () => [inboundItem("wamid.1", 1), undecodable(raw)])
      }))
      assert.strictEqual(result.entry.state, "quarantined")
      assert.deepStrictEqual(result.results.map((r) => r._tag), ["Inbound", "Quarantined"])
      assert.deepStrictEqual(result.results[1], { _tag: "Quarantined", id: result.entry.id, duplicate: true })
    }))

  // A report about a message still unknown decodes, goes through ingest and comes out quarantined again under the
  // same id: the retry failed, and counts as one.
  it.effect("retrying a report whose message is still unknown counts a retry", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00+05:30")
      const ref = { _tag: "ByProviderId", providerMessageId: "sid-404" } as const
      const reportItem = (raw: unknown): Ingest.StatusItem => ({
        _tag: "Status",
        ref,
        status: "delivered",
        reengagement: false,
        code: Option.none(),
        detail: Option.none(),
        at: Option.none(),
        raw
      })
      const { result } = yield* runPorts(Effect.gen(function*() {
        const { prepared } = yield* SessionService.ingest([reportItem({ sid: "sid-404", status: "delivered" })])
        const id = prepared[0]?._tag === "Status" ? prepared[0].quarantineId : "?"
        return yield* SessionService.retryQuarantined(id, (entry) => [reportItem(JSON.parse(entry.raw))])
      }))
      assert.strictEqual(result.entry.kind, "unknown_message")
      assert.strictEqual(result.entry.state, "quarantined")
      assert.deepStrictEqual(result.results.map((r) => r._tag === "Status" && r.outcome), ["unknown"])
      assert.strictEqual(result.entry.retries, 1)
    }))

  it.effect("retryQuarantined: an entry that vanishes during the retry is a defect", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00+05:30")
      const exit = yield* Effect.exit(runPorts(Effect.gen(function*() {
        const { results } = yield* SessionService.ingest([undecodable({ x: 1 })])
        const id = results[0]?._tag === "Quarantined" ? results[0].id : "?"
        let reads = 0
        return yield* withStore(
          (store) => ({ findQuarantine: (q) => reads++ === 0 ? store.findQuarantine(q) : Effect.succeedNone }),
          SessionService.retryQuarantined(id, (entry) => [undecodable(JSON.parse(entry.raw))])
        )
      })))
      assert.isTrue(exit._tag === "Failure" && Cause.isDie(exit.cause))
    }))

  it.effect("a synchronous refusal whose fallback another process already claimed fails with the refusal", () =>
    Effect.gen(function*() {
      yield* setNow("2026-01-20T10:00:00+05:30")
      const { result, sent } = yield* runPorts(
        Effect.gen(function*() {
          yield* inboundAt("m1", "2026-01-20T10:00:00+05:30")
          return yield* Effect.flip(withStore(
            () => ({ claimFallback: () => Effect.succeed(false) }),
            SessionService.send({
              from: business,
              to: customer,
              content: text("hi"),
              fallback: followUpTemplate,
              idempotencyKey: Option.none()
            })
          ))
        }),
        { script: [reengagementRefusal] }
      )
      assert.isTrue(result._tag === "ProviderError" && result.reengagement)
      assert.isTrue(result._tag === "ProviderError" && Option.isSome(result.outboundId))
      assert.strictEqual(sent.length, 1)
    }))
})
