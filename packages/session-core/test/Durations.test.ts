import { assert, describe, it } from "@effect/vitest"
import { Duration, Either, FastCheck, ParseResult, Schema } from "effect"
import { Durations, Instant } from "../src/index.js"

const decode = Schema.decodeUnknownEither(Durations.FromString)
const millis = (input: unknown) => Either.map(decode(input), Duration.toMillis)

describe("Durations.FromString", () => {
  it("reads every form Instant.parseDuration reads", () => {
    assert.deepStrictEqual(millis("300"), Either.right(300_000))
    assert.deepStrictEqual(millis("1.5"), Either.right(1_500))
    assert.deepStrictEqual(millis("5m"), Either.right(300_000))
    assert.deepStrictEqual(millis("1h30m"), Either.right(5_400_000))
    assert.deepStrictEqual(millis("1d"), Either.right(86_400_000))
    assert.deepStrictEqual(millis("500ms"), Either.right(500))
    assert.deepStrictEqual(millis("5 minutes"), Either.right(300_000))
    assert.deepStrictEqual(millis(" 2  hours "), Either.right(7_200_000))
  })

  it("fails with the parser's message, naming the input", () => {
    const bad = decode("soon")
    assert.isTrue(Either.isLeft(bad))
    if (Either.isLeft(bad)) {
      assert.deepStrictEqual(
        ParseResult.ArrayFormatter.formatErrorSync(bad.left).map((issue) => issue.message),
        [Either.flip(Instant.parseDuration("soon")).pipe(Either.getOrThrow)]
      )
    }
    assert.isTrue(Either.isLeft(decode(300)))
  })

  it("encodes in the compact form; an infinite duration cannot be encoded", () => {
    const encode = Schema.encodeEither(Durations.FromString)
    assert.deepStrictEqual(encode(Duration.minutes(90)), Either.right("1h30m"))
    assert.deepStrictEqual(encode(Duration.zero), Either.right("0s"))
    assert.deepStrictEqual(encode(Duration.millis(90_061_001)), Either.right("1d1h1m1s1ms"))
    assert.isTrue(Either.isLeft(encode(Duration.infinity)))
  })

  it.prop(
    "what it writes it reads back, to the millisecond",
    [FastCheck.integer({ min: 0, max: 400 * 86_400_000 })],
    ([ms]) => {
      const written = Durations.format(Duration.millis(ms))
      assert.deepStrictEqual(millis(written), Either.right(ms))
    }
  )
})
