/**
 * Instants and durations as people and APIs write them: ISO-8601 with an explicit offset, read strictly; durations
 * as seconds, `1h30m` or `90 minutes`.
 *
 * @since 0.2.0
 */
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { isCalendarDate } from "./internal/calendar.js"

const ISO_WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i

// Date.parse rolls impossible dates over (30 February becomes 2 March): refuse them instead.
const isCalendarInstant = (parts: ReadonlyArray<string | undefined>): boolean => {
  const [year = 0, month = 0, day = 0, hours = 0, minutes = 0, seconds = 0] = parts.map((part) => Number(part ?? 0))
  return isCalendarDate(year, month, day) && hours < 24 && minutes < 60 && seconds < 60
}

/**
 * Reads an ISO-8601 instant with an offset (`Z` or `±hh:mm`; seconds and fractions optional). A time without an
 * offset is refused (it is ambiguous), and so is an impossible date or time (30 February, 24:00); the message says
 * what was expected.
 *
 * @example
 * ```ts
 * import { Instant } from "@wa-session/session-core"
 * import { DateTime, Either } from "effect"
 * Either.map(Instant.parse("2026-01-20T10:00:00+05:30"), DateTime.formatIso) // right("2026-01-20T04:30:00.000Z")
 * Either.isLeft(Instant.parse("2026-01-20T10:00:00")) // true: no offset
 * ```
 * @since 0.2.0
 * @category constructors
 */
export const parse = (input: string): Either.Either<DateTime.Utc, string> => {
  const trimmed = input.trim()
  const match = ISO_WITH_OFFSET.exec(trimmed)
  if (match === null) {
    return Either.left(`expected an ISO-8601 instant with an offset, like 2026-01-20T10:00:00+05:30, got "${input}"`)
  }
  const millis = Date.parse(trimmed.toUpperCase())
  return Number.isFinite(millis) && isCalendarInstant(match.slice(1))
    ? Either.right(DateTime.unsafeMake(millis))
    : Either.left(`"${input}" is not a valid date and time`)
}

/**
 * An instant written as ISO-8601 with an offset (read by `parse`), as a `DateTime.Utc`; encoded as ISO-8601 UTC.
 *
 * @since 0.2.0
 * @category models
 */
export const Instant: Schema.Schema<DateTime.Utc, string> = Schema.transformOrFail(
  Schema.String.annotations({
    description: "An ISO-8601 instant with an offset (Z or ±hh:mm)",
    examples: ["2026-01-21T09:00:00+05:30"]
  }),
  Schema.DateTimeUtcFromSelf,
  {
    strict: true,
    decode: (input, _, ast) => Either.mapLeft(parse(input), (message) => new ParseResult.Type(ast, input, message)),
    encode: (instant) => ParseResult.succeed(DateTime.formatIso(instant))
  }
)

const SECONDS = /^\d+(?:\.\d+)?$/
const COMPACT = /^(?:\d+(?:\.\d+)?(?:ms|d|h|m|s))+$/i
const COMPACT_PART = /(\d+(?:\.\d+)?)(ms|d|h|m|s)/gi
const UNIT_MILLIS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/**
 * Reads a duration the way every setting and option of wa-session takes one: plain seconds (`300`, `1.5`), compact
 * (`2h`, `90m`, `1h30m`, `45s`, `1d`, `500ms`), or Effect's long form (`2 hours`, `5 minutes`). Finite and not
 * negative; the message says what was expected.
 *
 * @example
 * ```ts
 * import { Instant } from "@wa-session/session-core"
 * import { Duration, Either } from "effect"
 * Either.map(Instant.parseDuration("1h30m"), Duration.toMinutes) // right(90)
 * Either.map(Instant.parseDuration("300"), Duration.toMinutes) // right(5)
 * ```
 * @since 0.2.0
 * @category constructors
 */
export const parseDuration = (input: string): Either.Either<Duration.Duration, string> => {
  const trimmed = input.trim().replace(/\s+/g, " ")
  if (SECONDS.test(trimmed)) return Either.right(Duration.millis(Math.round(Number(trimmed) * 1000)))
  if (COMPACT.test(trimmed)) {
    let millis = 0
    for (const [, amount, unit] of trimmed.matchAll(COMPACT_PART)) {
      millis += Number(amount) * UNIT_MILLIS[unit!.toLowerCase()]!
    }
    return Either.right(Duration.millis(Math.round(millis)))
  }
  // Effect reads "-5 seconds" as zero: a sign is refused before it can
  const decoded = trimmed.startsWith("-") ? Option.none() : Duration.decodeUnknown(trimmed)
  return Option.isSome(decoded) && Duration.isFinite(decoded.value)
    ? Either.right(decoded.value)
    : Either.left(`expected seconds (300) or a duration like 2h, 90m, 1h30m or "2 hours", got "${input}"`)
}
