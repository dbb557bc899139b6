import * as DateTime from "effect/DateTime"
import * as Either from "effect/Either"

const NUMERIC = /^\d+(\.\d+)?$/
const ISO_WITH_OFFSET = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})$/i
const ISO_WITHOUT_OFFSET = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/

// Above 1e12 a Unix time is in milliseconds: in seconds that would be the year 33658.
const fromEpoch = (value: number): Either.Either<DateTime.Utc, string> =>
  Number.isFinite(value) && value > 0
    ? Either.right(DateTime.unsafeMake(value > 1e12 ? value : value * 1000))
    : Either.left(`not a valid Unix time: ${value}`)

/** ISO-8601 with an offset (Exotel's form) or Unix seconds, as a number or a numeric string (Meta's form). */
export const parseTimestamp = (input: string | number): Either.Either<DateTime.Utc, string> => {
  if (typeof input === "number") return fromEpoch(input)
  const trimmed = input.trim()
  if (NUMERIC.test(trimmed)) return fromEpoch(Number(trimmed))
  const iso = ISO_WITH_OFFSET.exec(trimmed)
  if (iso !== null) {
    const offset = iso[3]!.toUpperCase() === "Z" ? "Z" : iso[3]!.replace(/^([+-]\d{2}):?(\d{2})$/, "$1:$2")
    const millis = Date.parse(`${iso[1]}T${iso[2]}${offset}`)
    return Number.isFinite(millis)
      ? Either.right(DateTime.unsafeMake(millis))
      : Either.left(`not a valid date: "${input}"`)
  }
  return ISO_WITHOUT_OFFSET.test(trimmed)
    ? Either.left(`"${input}" has no UTC offset, so the instant is ambiguous`)
    : Either.left(`expected ISO-8601 with an offset or Unix seconds, got "${input}"`)
}
