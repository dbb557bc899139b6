/** Instants and durations as the CLI prints them: used by the output and by the error messages alike. */
import { DateTime, Duration } from "effect"

const two = (n: number): string => String(n).padStart(2, "0")

/** An instant in the local time zone (TZ), with its offset: `2026-01-21 10:00 +05:30`. */
export const localTime = (at: DateTime.Utc): string => {
  const zoned = DateTime.setZone(at, DateTime.zoneMakeLocal())
  const p = DateTime.toParts(zoned)
  const offsetMinutes = Math.round(DateTime.zonedOffset(zoned) / 60_000)
  const sign = offsetMinutes < 0 ? "-" : "+"
  const offset = `${sign}${two(Math.floor(Math.abs(offsetMinutes) / 60))}:${two(Math.abs(offsetMinutes) % 60)}`
  const seconds = p.seconds === 0 ? "" : `:${two(p.seconds)}`
  return `${p.year}-${two(p.month)}-${two(p.day)} ${two(p.hours)}:${two(p.minutes)}${seconds} ${offset}`
}

const UNITS = [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const

/** The two largest units of a duration: `3h 12m`, `2d 1h`, `45s`, `0s`. */
export const span = (duration: Duration.Duration): string => {
  let rest = Math.floor(Math.abs(Duration.toMillis(duration)))
  const parts: Array<string> = []
  for (const [unit, millis] of UNITS) {
    const amount = Math.floor(rest / millis)
    rest -= amount * millis
    if (amount > 0 || parts.length > 0) parts.push(`${amount}${unit}`)
  }
  const significant = parts.filter((part, i) => i < 2 && !(i === 1 && part.startsWith("0")))
  return significant.length === 0 ? "0s" : significant.join(" ")
}

/** `in 3h 12m`, `2h ago` or `now`, relative to `now`. */
export const relative = (at: DateTime.Utc, now: DateTime.Utc): string => {
  const diff = DateTime.toEpochMillis(at) - DateTime.toEpochMillis(now)
  if (Math.abs(diff) < 1000) return "now"
  const text = span(Duration.millis(Math.abs(diff)))
  return diff > 0 ? `in ${text}` : `${text} ago`
}

export const when = (at: DateTime.Utc, now: DateTime.Utc): string => `${localTime(at)} (${relative(at, now)})`
