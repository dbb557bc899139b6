import { assert, describe, it } from "@effect/vitest"
import { DateTime, Duration, Option } from "effect"
import * as fc from "effect/FastCheck"
import { ClockSkew } from "../src/index.js"

const T0 = DateTime.unsafeMake("2026-01-20T04:30:00Z")

describe("ClockSkew.guard", () => {
  it.prop("keeps a timestamp up to the tolerance past the receive time, replaces later or missing ones", [
    fc.integer({ min: -86_400_000, max: 86_400_000 }),
    fc.option(fc.integer({ min: 0, max: 3_600_000 }))
  ], ([offset, tolerance]) => {
    const sent = DateTime.unsafeMake(T0.epochMillis + offset)
    const tol = tolerance ?? 5 * 60_000
    const guarded = tolerance === null
      ? ClockSkew.guard(Option.some(sent), T0)
      : ClockSkew.guard(Option.some(sent), T0, Duration.millis(tolerance))
    if (offset > tol) {
      assert.deepStrictEqual(guarded, { sentAt: T0, adjustment: "future" })
    } else {
      assert.deepStrictEqual(guarded, { sentAt: sent, adjustment: "none" })
    }
    assert.isTrue(guarded.sentAt.epochMillis <= T0.epochMillis + tol)
  })

  it("uses the receive time when the provider gave none; the default tolerance is 5 minutes", () => {
    assert.deepStrictEqual(ClockSkew.guard(Option.none(), T0), { sentAt: T0, adjustment: "missing" })
    assert.isTrue(Duration.equals(ClockSkew.DEFAULT_TOLERANCE, Duration.minutes(5)))
    const exactly = DateTime.unsafeMake(T0.epochMillis + 5 * 60_000)
    assert.strictEqual(ClockSkew.guard(Option.some(exactly), T0).adjustment, "none")
  })
})
