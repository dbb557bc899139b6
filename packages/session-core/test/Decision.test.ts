import { assert, describe, it } from "@effect/vitest"
import { DateTime, Duration, Either, Option } from "effect"
import * as fc from "effect/FastCheck"
import { Decision, SessionWindow } from "../src/index.js"
import { at, followUpTemplate, inbound, pair, text } from "./fixtures.js"

const T0 = at("2026-01-20T00:00:00Z").epochMillis
const DAY = 86_400_000

const windowArb: fc.Arbitrary<SessionWindow.Window> = fc.oneof(
  fc.constant(SessionWindow.empty(pair)),
  fc.record({ sent: fc.integer({ min: 0, max: 3 * DAY }), closedAfter: fc.option(fc.integer({ min: -DAY, max: DAY })) })
    .map(({ sent, closedAfter }) => {
      const window = SessionWindow.record(SessionWindow.empty(pair), inbound("m", DateTime.unsafeMake(T0 + sent)))
      return closedAfter === null
        ? window
        : SessionWindow.closeByProvider(window, DateTime.unsafeMake(T0 + sent + closedAfter))
    })
)

const contentArb = fc.oneof(
  fc.constant<unknown>(text("hello")),
  fc.constant<unknown>(followUpTemplate),
  fc.constant<unknown>({ type: "text", text: { body: "" } }),
  fc.constant<unknown>({ type: "carousel" }),
  fc.anything()
)

const fallbackArb = fc.oneof(
  fc.constant<unknown>(undefined),
  fc.constant<unknown>(null),
  fc.constant<unknown>(followUpTemplate),
  fc.constant<unknown>(text("not a template")),
  fc.anything()
)

describe("Decision.decide", () => {
  it.prop("is total, and decides session only when the window is open", [
    windowArb,
    contentArb,
    fallbackArb,
    fc.integer({ min: -DAY, max: 5 * DAY }),
    fc.integer({ min: 0, max: DAY })
  ], ([window, content, fallback, now, margin]) => {
    const instant = DateTime.unsafeMake(T0 + now)
    const options = { fallback, safetyMargin: Duration.millis(margin) }
    const decision = Decision.decide(window, content, instant, options)
    const status = SessionWindow.statusAt(window, instant, options)
    if (Either.isRight(decision)) {
      const d = decision.right
      assert.strictEqual(d.window.state, status.state)
      if (d.kind === "session") assert.strictEqual(status.state, "open")
      if (Option.isSome(d.reason)) {
        assert.notStrictEqual(status.state, "open")
        assert.strictEqual(d.reason.value, status.state === "none" ? "NO_ACTIVE_SESSION" : "SESSION_EXPIRED")
        assert.strictEqual(d.content.type, "template")
      }
    } else {
      assert.include(
        ["INVALID_MESSAGE", "MESSAGE_TYPE_NOT_SUPPORTED", "SESSION_EXPIRED", "NO_ACTIVE_SESSION"],
        decision.left.code
      )
    }
  }, { fastCheck: { numRuns: 1000 } })

  const open = SessionWindow.record(SessionWindow.empty(pair), inbound("m", at("2026-01-20T10:00:00Z")))
  const inside = at("2026-01-20T11:00:00Z")
  const after = at("2026-01-21T11:00:00Z")

  it("a template is always allowed, with no reason", () => {
    for (const [window, now] of [[open, inside], [open, after], [SessionWindow.empty(pair), inside]] as const) {
      const d = Either.getOrThrow(Decision.decide(window, followUpTemplate, now))
      assert.strictEqual(d.kind, "template")
      assert.isTrue(Option.isNone(d.reason))
      assert.isTrue(Option.isNone(d.fallback))
    }
  })

  it("keeps the fallback of a session decision for a later provider closure", () => {
    const d = Either.getOrThrow(Decision.decide(open, text("hi"), inside, { fallback: followUpTemplate }))
    assert.strictEqual(d.kind, "session")
    assert.deepStrictEqual(Option.map(d.fallback, (f) => f.template.name), Option.some("follow_up"))
    assert.deepStrictEqual(Option.getOrThrow(d.window.expiresAt), at("2026-01-21T10:00:00Z"))
  })

  it("rejects a fallback that is not a template, with the fallback's path", () => {
    const d = Decision.decide(open, text("hi"), after, { fallback: text("plain") })
    assert.isTrue(Either.isLeft(d))
    if (Either.isLeft(d) && d.left._tag === "InvalidMessage") {
      assert.strictEqual(d.left.path, "fallback.type")
      assert.strictEqual(d.left.actual, "text")
    } else assert.fail("expected InvalidMessage")
  })

  it("rejects invalid content before looking at the window", () => {
    const d = Decision.decide(SessionWindow.empty(pair), { type: "text", text: { body: "" } }, inside)
    assert.isTrue(Either.isLeft(d) && d.left.code === "INVALID_MESSAGE")
  })

  it("refuses with SESSION_EXPIRED (provider-closed or not) and NO_ACTIVE_SESSION, with readable messages", () => {
    const expired = Decision.decide(open, text("hi"), after)
    assert.isTrue(Either.isLeft(expired))
    if (Either.isLeft(expired) && expired.left._tag === "SessionExpired") {
      assert.isFalse(expired.left.closedByProvider)
      assert.include(expired.left.message, "closed at")
    } else assert.fail("expected SessionExpired")
    const closed = SessionWindow.closeByProvider(open, at("2026-01-20T10:30:00Z"))
    const byProvider = Decision.decide(closed, text("hi"), inside)
    if (Either.isLeft(byProvider) && byProvider.left._tag === "SessionExpired") {
      assert.isTrue(byProvider.left.closedByProvider)
      assert.include(byProvider.left.message, "closed by the provider")
    } else assert.fail("expected SessionExpired")
    const none = Decision.decide(SessionWindow.empty(pair), text("hi"), inside)
    if (Either.isLeft(none) && none.left._tag === "NoActiveSession") {
      assert.include(none.left.message, "has never written")
    } else assert.fail("expected NoActiveSession")
  })

  it("honours the safety margin", () => {
    const nearEnd = at("2026-01-21T09:55:00Z")
    assert.strictEqual(Either.getOrThrow(Decision.decide(open, text("hi"), nearEnd)).kind, "session")
    const withMargin = Decision.decide(open, text("hi"), nearEnd, { safetyMargin: "10 minutes" })
    assert.isTrue(Either.isLeft(withMargin) && withMargin.left.code === "SESSION_EXPIRED")
  })
})
