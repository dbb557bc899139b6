/**
 * Durations as settings, options and files write them, as a Schema: the one syntax of `Instant.parseDuration`
 * (plain seconds, compact `1h30m`, or Effect's long form `90 minutes`).
 *
 * @since 0.2.0
 */
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { parseDuration } from "./Instant.js"

const UNITS: ReadonlyArray<readonly [string, number]> = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1000],
  ["ms", 1]
]

/**
 * A finite duration in the compact form `parseDuration` reads back: `1h30m`, `2d`, `1s500ms`, `0s`, to the
 * millisecond.
 *
 * @example
 * ```ts
 * import { Durations } from "@wa-session/session-core"
 * import { Duration } from "effect"
 * Durations.format(Duration.minutes(90)) // "1h30m"
 * Durations.format(Duration.zero) // "0s"
 * ```
 * @since 0.2.0
 * @category formatting
 */
export const format = (duration: Duration.Duration): string => {
  let millis = Math.round(Duration.toMillis(duration))
  const parts: Array<string> = []
  for (const [unit, size] of UNITS) {
    const amount = Math.floor(millis / size)
    if (amount > 0) parts.push(`${amount}${unit}`)
    millis -= amount * size
  }
  return parts.length === 0 ? "0s" : parts.join("")
}

/**
 * A duration as written in a setting, an option or a file: plain seconds (`300`, `1.5`), compact (`2h`, `90m`,
 * `1h30m`, `45s`, `1d`, `500ms`) or Effect's long form (`2 hours`, `5 minutes`); finite and not negative (read by
 * `Instant.parseDuration`, whose message a bad one fails with). Encoded in the compact form ({@link format}); an
 * infinite duration cannot be encoded.
 *
 * With `Schema.Config(name, Durations.FromString)` it is also a `Config` reader of a duration setting.
 *
 * @example
 * ```ts
 * import { Durations } from "@wa-session/session-core"
 * import { Duration, Schema } from "effect"
 * Duration.toMinutes(Schema.decodeSync(Durations.FromString)("1h30m")) // 90
 * Duration.toMinutes(Schema.decodeSync(Durations.FromString)("300")) // 5
 * Schema.encodeSync(Durations.FromString)(Duration.hours(2)) // "2h"
 * ```
 * @since 0.2.0
 * @category schemas
 */
export const FromString: Schema.Schema<Duration.Duration, string> = Schema.transformOrFail(
  Schema.String.annotations({
    description: "A duration: seconds (300), compact (5m, 1h30m, 1d) or Effect's long form (5 minutes)",
    examples: ["300", "5m", "1h30m", "5 minutes"]
  }),
  Schema.DurationFromSelf,
  {
    strict: true,
    decode: (input, _, ast) =>
      Either.mapLeft(parseDuration(input), (message) => new ParseResult.Type(ast, input, message)),
    encode: (duration, _, ast) =>
      Duration.isFinite(duration)
        ? ParseResult.succeed(format(duration))
        : ParseResult.fail(new ParseResult.Type(ast, duration, "an infinite duration cannot be written"))
  }
)
