import { assert, describe, it } from "@effect/vitest"
import { DateTime, Duration, Either, Option } from "effect"
import { Decision, SessionWindow } from "../src/index.js"
import { at, followUpTemplate, inbound, pair, text } from "./fixtures.js"

const empty = SessionWindow.empty(pair)

const decideKind = (window: SessionWindow.Window, content: unknown, now: DateTime.Utc, fallback?: unknown) =>
  Either.map(Decision.decide(window, content, now, { fallback }), (d) => ({ kind: d.kind, reason: d.reason }))

describe("the seed document's scenarios, with its own clock times (IST)", () => {
  it("scenario 1: the customer initiates and the business responds inside the window", () => {
    const window = SessionWindow.record(empty, inbound("c1", at("2026-01-20T10:00:00+05:30")))
    assert.deepStrictEqual(SessionWindow.expiresAt(window), at("2026-01-21T10:00:00+05:30"))
    for (const now of ["2026-01-20T10:05:00+05:30", "2026-01-20T10:06:00+05:30"]) {
      const decision = Decision.decide(window, text("Let me check!"), at(now))
      assert.isTrue(Either.isRight(decision))
      if (Either.isRight(decision)) {
        assert.strictEqual(decision.right.kind, "session")
        assert.isTrue(Option.isNone(decision.right.reason))
      }
    }
    const image = { type: "image", image: { link: "https://example.com/images/order-status.png", caption: "Tracking" } }
    assert.deepStrictEqual(
      Either.map(Decision.decide(window, image, at("2026-01-20T10:06:00+05:30")), (d) => d.kind),
      Either.right<"session" | "template">("session")
    )
  })

  it("scenario 2: a second customer message extends the window to 3:00 PM the next day", () => {
    const first = SessionWindow.record(empty, inbound("c1", at("2026-01-20T10:00:00+05:30")))
    const second = SessionWindow.record(first, inbound("c2", at("2026-01-20T15:00:00+05:30")))
    assert.deepStrictEqual(SessionWindow.expiresAt(second), at("2026-01-21T15:00:00+05:30"))
    assert.deepStrictEqual(
      decideKind(second, text("Your order is arriving tomorrow!"), at("2026-01-20T15:05:00+05:30")),
      Either.right({ kind: "session" as const, reason: Option.none() })
    )
    // after the first window would have closed, the extended one is still open
    assert.strictEqual(SessionWindow.statusAt(second, at("2026-01-21T11:00:00+05:30")).state, "open")
  })

  it("scenario 3: the window expires and a template is required", () => {
    const window = SessionWindow.record(empty, inbound("c1", at("2026-01-20T10:00:00+05:30")))
    assert.strictEqual(SessionWindow.statusAt(window, at("2026-01-21T11:00:00+05:30")).state, "expired")
    const now = at("2026-01-21T11:30:00+05:30")
    const refused = Decision.decide(window, text("Following up"), now)
    assert.isTrue(Either.isLeft(refused))
    if (Either.isLeft(refused)) assert.strictEqual(refused.left.code, "SESSION_EXPIRED")
    assert.deepStrictEqual(
      decideKind(window, text("Following up"), now, followUpTemplate),
      Either.right({ kind: "template" as const, reason: Option.some("SESSION_EXPIRED" as const) })
    )
  })

  it("scenario 4: a business template does not open the window; the customer's reply does", () => {
    const templateFirst = Decision.decide(empty, followUpTemplate, at("2026-01-20T09:00:00+05:30"))
    assert.isTrue(Either.isRight(templateFirst))
    if (Either.isRight(templateFirst)) {
      assert.strictEqual(templateFirst.right.kind, "template")
      assert.strictEqual(templateFirst.right.window.state, "none")
    }
    // still no window after the template: a session message is refused with NO_ACTIVE_SESSION
    const beforeReply = Decision.decide(empty, text("Hello?"), at("2026-01-20T09:10:00+05:30"))
    assert.isTrue(Either.isLeft(beforeReply) && beforeReply.left.code === "NO_ACTIVE_SESSION")
    const window = SessionWindow.record(empty, inbound("c1", at("2026-01-20T09:30:00+05:30")))
    assert.deepStrictEqual(SessionWindow.expiresAt(window), at("2026-01-21T09:30:00+05:30"))
    assert.deepStrictEqual(
      decideKind(window, text("Expected delivery is January 25."), at("2026-01-20T09:35:00+05:30")),
      Either.right({ kind: "session" as const, reason: Option.none() })
    )
  })

  it("the exact-24h boundary: open 1 ms before, closed at exactly 24 hours", () => {
    const sentAt = at("2026-01-20T10:00:00+05:30")
    const window = SessionWindow.record(empty, inbound("c1", sentAt))
    const expiry = DateTime.addDuration(sentAt, Duration.hours(24))
    assert.strictEqual(SessionWindow.statusAt(window, DateTime.subtract(expiry, { millis: 1 })).state, "open")
    assert.strictEqual(SessionWindow.statusAt(window, expiry).state, "expired")
    const late = Decision.decide(window, text("late"), expiry)
    assert.isTrue(Either.isLeft(late) && late.left.code === "SESSION_EXPIRED")
  })
})
