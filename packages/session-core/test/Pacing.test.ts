import { assert, describe, it } from "@effect/vitest"
import * as fc from "effect/FastCheck"
import { Pacing } from "../src/index.js"

const MINUTE = 60_000
const EPOCH = Date.UTC(2026, 0, 20, 4, 30)

/** Reserves one slot per arrival, in order, from a store that was never used (state 0), as a store does. */
const reserveAll = (arrivals: ReadonlyArray<number>, policy: Pacing.Policy): ReadonlyArray<number> => {
  let tat = 0
  return arrivals.map((now) => {
    tat = Pacing.next(tat, now, policy)
    return Pacing.slotOf(tat, now, policy)
  })
}

/** The most slots any half-open window [slot, slot + 60 s) holds, over windows starting at a slot (sorted input). */
const busiestMinute = (slots: ReadonlyArray<number>): number => {
  let most = 0
  let end = 0
  for (let start = 0; start < slots.length; start++) {
    while (end < slots.length && slots[end]! < slots[start]! + MINUTE) end++
    most = Math.max(most, end - start)
  }
  return most
}

/** Whole and fractional limits, the smallest and Exotel's default among them. */
const policyArb: fc.Arbitrary<Pacing.Policy> = fc.oneof(
  fc.integer({ min: 1, max: 1000 }),
  fc.constantFrom(1, 19, 20, 21, 200, 1000),
  fc.double({ min: 0, max: 1000, noNaN: true })
).map((perMinute) => ({ perMinute }))

/**
 * Non-decreasing arrival times: gaps of 0 (a burst at one instant), a few milliseconds, around an interval, or a
 * quiet spell; enough arrivals (more than the limit) to fill a minute.
 */
const arrivalsArb = (policy: Pacing.Policy) =>
  fc.array(
    fc.oneof(
      { weight: 4, arbitrary: fc.constant(0) },
      { weight: 3, arbitrary: fc.integer({ min: 0, max: 50 }) },
      { weight: 2, arbitrary: fc.integer({ min: 0, max: 2 * Pacing.intervalMillis(policy) }) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 * MINUTE }) }
    ),
    { minLength: 1, maxLength: Math.min(2 * Pacing.limitOf(policy) + 40, 2_100), size: "max" }
  ).map((gaps) => {
    let now = EPOCH
    return gaps.map((gap) => (now += gap))
  })

const scenarioArb = policyArb.chain((policy) => arrivalsArb(policy).map((arrivals) => ({ policy, arrivals })))

describe("Pacing", () => {
  it("the limit is the whole number of sends a minute (at least 1), the burst a twentieth of it, rounded down", () => {
    const cases: ReadonlyArray<readonly [number, number, number, number]> = [
      // perMinute, limit, burst, interval
      [200, 200, 10, 316], // ceil(60000 / 190)
      [20, 20, 1, 3158], // ceil(60000 / 19)
      [19, 19, 0, 3158],
      [21, 21, 1, 3000],
      [1, 1, 0, 60_000],
      [60, 60, 3, 1053], // ceil(60000 / 57)
      [60.9, 60, 3, 1053],
      [0.5, 1, 0, 60_000],
      [0, 1, 0, 60_000],
      [-5, 1, 0, 60_000],
      [1000, 1000, 50, 64] // ceil(60000 / 950)
    ]
    for (const [perMinute, limit, burst, interval] of cases) {
      const policy = { perMinute }
      assert.strictEqual(Pacing.limitOf(policy), limit, `limitOf ${perMinute}`)
      assert.strictEqual(Pacing.burstOf(policy), burst, `burstOf ${perMinute}`)
      assert.strictEqual(Pacing.intervalMillis(policy), interval, `intervalMillis ${perMinute}`)
    }
    assert.deepStrictEqual(Pacing.defaultPolicy, { perMinute: 200 })
  })

  it("next moves the state to max(tat, now) + interval", () => {
    const policy = { perMinute: 20 }
    assert.strictEqual(Pacing.next(0, EPOCH, policy), EPOCH + 3158)
    assert.strictEqual(Pacing.next(EPOCH + 10_000, EPOCH, policy), EPOCH + 13_158)
    assert.strictEqual(Pacing.next(EPOCH, EPOCH, policy), EPOCH + 3158)
  })

  it("the values of the doc comment's example", () => {
    const policy = { perMinute: 60 }
    const tat = Pacing.next(0, 1_000, policy)
    // the doc comment of Pacing.next says 2_000 ("one slot a second"); with a burst of 3 the interval of 60 a minute
    // is ceil(60000 / 57) = 1053 ms, so the state is 2_053 (reported: the comment is wrong, the arithmetic is right)
    assert.strictEqual(tat, 1_000 + Pacing.intervalMillis(policy))
    assert.strictEqual(tat, 2_053)
    assert.strictEqual(Pacing.slotOf(tat, 1_000, policy), 1_000)
  })

  it.prop("slots are never before their arrival, never go back, and no 60-second window holds more than the limit", [
    scenarioArb
  ], ([{ arrivals, policy }]) => {
    const slots = reserveAll(arrivals, policy)
    slots.forEach((slot, i) => {
      assert.isTrue(Number.isInteger(slot))
      assert.isAtLeast(slot, arrivals[i]!, `slot ${i} before its arrival`)
      if (i > 0) assert.isAtLeast(slot, slots[i - 1]!, `slot ${i} before slot ${i - 1}`)
    })
    assert.isAtMost(busiestMinute(slots), Pacing.limitOf(policy))
  }, { fastCheck: { numRuns: 200 } })

  it.prop("a burst at one instant after a quiet spell: 1 + burst slots at once, then one every interval", [
    policyArb,
    fc.integer({ min: 0, max: 10 * MINUTE }),
    fc.integer({ min: 0, max: 10 * MINUTE })
  ], ([policy, quiet, before]) => {
    const burst = Pacing.burstOf(policy)
    const interval = Pacing.intervalMillis(policy)
    // a state left by earlier sends that is at most `now` (the quiet spell): untouched, or a past reservation
    const now = EPOCH + before + quiet
    let tat = before === 0 ? 0 : EPOCH + before
    const count = burst + 3
    const slots: Array<number> = []
    for (let k = 0; k < count; k++) {
      tat = Pacing.next(tat, now, policy)
      slots.push(Pacing.slotOf(tat, now, policy))
    }
    assert.deepStrictEqual(slots.slice(0, burst + 1), Array.from({ length: burst + 1 }, () => now))
    assert.strictEqual(slots[burst + 1], now + interval)
    assert.strictEqual(slots[burst + 2], now + 2 * interval)
  })

  it.prop("after a quiet spell (arrival at or after the state) the slot is the arrival itself", [
    policyArb,
    fc.integer({ min: 0, max: 100 * MINUTE }),
    fc.integer({ min: 0, max: 10 * MINUTE })
  ], ([policy, tatOffset, quiet]) => {
    const tat = EPOCH + tatOffset
    const now = tat + quiet
    const nextTat = Pacing.next(tat, now, policy)
    assert.strictEqual(nextTat, now + Pacing.intervalMillis(policy))
    assert.strictEqual(Pacing.slotOf(nextTat, now, policy), now)
  })

  it.prop("a send that arrives while the line is busy waits exactly for the state minus the tolerance", [
    policyArb,
    fc.integer({ min: 1, max: 10 * MINUTE })
  ], ([policy, ahead]) => {
    const interval = Pacing.intervalMillis(policy)
    const tolerance = Pacing.burstOf(policy) * interval
    const now = EPOCH
    const nextTat = Pacing.next(now + ahead, now, policy)
    assert.strictEqual(Pacing.slotOf(nextTat, now, policy), Math.max(now, now + ahead - tolerance))
  })
})
