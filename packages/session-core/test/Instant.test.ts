import { assert, describe, it } from "@effect/vitest"
import { DateTime, Duration, Either, Schema } from "effect"
import * as fc from "effect/FastCheck"
import { Instant } from "../src/index.js"

const iso = (input: string) => Either.map(Instant.parse(input), DateTime.formatIso)

describe("Instant", () => {
  it("reads ISO-8601 with an offset, to the millisecond, in any case, trimmed", () => {
    assert.deepStrictEqual(iso("2026-01-20T10:00:00+05:30"), Either.right("2026-01-20T04:30:00.000Z"))
    assert.deepStrictEqual(iso("2026-01-20T10:00Z"), Either.right("2026-01-20T10:00:00.000Z"))
    assert.deepStrictEqual(iso(" 2026-01-20t10:00:00.123456789z "), Either.right("2026-01-20T10:00:00.123Z"))
    assert.deepStrictEqual(iso("2024-02-29T23:59:59-08:00"), Either.right("2024-03-01T07:59:59.000Z"))
    // leap years as the calendar has them (the same check as a contact's birthday): 2000 and 0000 are, 1900 is not
    assert.deepStrictEqual(iso("2000-02-29T00:00:00Z"), Either.right("2000-02-29T00:00:00.000Z"))
    assert.deepStrictEqual(iso("0000-02-29T00:00:00Z"), Either.right("0000-02-29T00:00:00.000Z"))
    assert.isTrue(Either.isLeft(Instant.parse("1900-02-29T00:00:00Z")))
  })

  it("refuses no offset, impossible dates and times, and anything else, saying what it expected", () => {
    for (const input of ["2026-01-20T10:00:00", "2026-01-20", "tomorrow", "1768966200", "2026-01-20 10:00:00Z"]) {
      const result = Instant.parse(input)
      assert.isTrue(Either.isLeft(result) && result.left.includes("with an offset") && result.left.includes(input))
    }
    for (const input of ["2026-02-30T10:00:00Z", "2025-02-29T10:00:00Z", "2026-13-01T10:00:00Z", "2026-01-20T24:00Z"]) {
      assert.deepStrictEqual(Instant.parse(input), Either.left(`"${input}" is not a valid date and time`))
    }
  })

  it.prop("round-trips every instant through the schema, whatever the offset it was written with", [
    fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2200, 0, 1) }),
    fc.integer({ min: -12 * 60, max: 14 * 60 })
  ], ([millis, offsetMinutes]) => {
    const sign = offsetMinutes < 0 ? "-" : "+"
    const abs = Math.abs(offsetMinutes)
    const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`
    const local = new Date(millis + offsetMinutes * 60_000).toISOString().slice(0, -1)
    const decoded = Schema.decodeUnknownSync(Instant.Instant)(`${local}${offset}`)
    assert.strictEqual(DateTime.toEpochMillis(decoded), millis)
    assert.strictEqual(Schema.encodeSync(Instant.Instant)(decoded), new Date(millis).toISOString())
  })
})

describe("Instant.parseDuration", () => {
  const millis = (input: string) => Either.map(Instant.parseDuration(input), Duration.toMillis)

  it("reads seconds, the compact form and Effect's long form", () => {
    assert.deepStrictEqual(millis("300"), Either.right(300_000))
    assert.deepStrictEqual(millis(" 1.5 "), Either.right(1_500))
    assert.deepStrictEqual(millis("1h30m"), Either.right(5_400_000))
    assert.deepStrictEqual(millis("2H"), Either.right(7_200_000))
    assert.deepStrictEqual(millis("1d"), Either.right(86_400_000))
    assert.deepStrictEqual(millis("500ms"), Either.right(500))
    assert.deepStrictEqual(millis("5 minutes"), Either.right(300_000))
    assert.deepStrictEqual(millis(" 2  hours "), Either.right(7_200_000))
    assert.deepStrictEqual(millis("0"), Either.right(0))
  })

  it("refuses the rest, saying what it expected", () => {
    for (const input of ["soon", "-5", "-5 seconds", " -1 hours", "-1h", "5 parsecs", "Infinity", "h", ""]) {
      const result = Instant.parseDuration(input)
      assert.isTrue(Either.isLeft(result) && result.left.includes("1h30m") && result.left.includes(`"${input}"`), input)
    }
  })

  it.prop("reads back what it is given in every form", [fc.integer({ min: 0, max: 1_000_000 })], ([seconds]) => {
    assert.deepStrictEqual(millis(String(seconds)), Either.right(seconds * 1000))
    assert.deepStrictEqual(millis(`${seconds}s`), Either.right(seconds * 1000))
    assert.deepStrictEqual(millis(`${seconds} seconds`), Either.right(seconds * 1000))
  })
})
