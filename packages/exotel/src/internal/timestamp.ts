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

// Date.parse rolls impossible dates over (30 February becomes 2 March); a provider timestamp like that is wrong.
const isCalendarInstant = (date: string, time: string): boolean => {
  const [year = 0, month = 0, day = 0] = date.split("-").map(Number)
  const [hours = 0, minutes = 0, seconds = 0] = time.split(":").map(Number)
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate()
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hours < 24 && minutes < 60 && seconds < 60
}

/** ISO-8601 with an offset (Exotel's form) or Unix seconds, as a number or a numeric string (Meta's form). */
export const parseTimestamp = (input: string | number): Either.Either<DateTime.Utc, string> => {
  if (typeof input === "number") return fromEpoch(input)
  const trimmed = input.trim()
  if (NUMERIC.test(trimmed)) return fromEpoch(Number(trimmed))
  const iso = ISO_WITH_OFFSET.exec(trimmed)
  if (iso !== null) {
    const offset = iso[3]!.toUpperCase() === "Z" ? "Z" : iso[3]!.replace(/^([+-]\d{2}):?(\d{2})$/, "$1:$2")
    const millis = Date.parse(`${iso[1]}T${iso[2]}${offset}`)
    return Number.isFinite(millis) && isCalendarInstant(iso[1]!, iso[2]!)
      ? Either.right(DateTime.unsafeMake(millis))
      : Either.left(`not a valid date: "${input}"`)
  }
  return ISO_WITHOUT_OFFSET.test(trimmed)
    ? Either.left(`"${input}" has no UTC offset, so the instant is ambiguous`)
    : Either.left(`expected ISO-8601 with an offset or Unix seconds, got "${input}"`)
}
