import { Instant as CoreInstant } from "@wa-session/session-core"
import type * as DateTime from "effect/DateTime"
import * as Schema from "effect/Schema"

// An unencoded `+` in a query string arrives as a space: `?at=2026-01-21T09:00:00+05:30` still means +05:30.
const PlusRestored = Schema.transform(
  Schema.String.annotations({
    description: "An ISO-8601 instant with an offset (Z or ±hh:mm)",
    examples: ["2026-01-21T09:00:00+05:30"]
  }),
  Schema.String,
  { strict: true, decode: (input) => input.replace(/ (\d{2}:\d{2})$/, "+$1"), encode: (input) => input }
)

/** An ISO-8601 instant with an explicit offset, after the `+` a query string lost is restored. */
export const Instant: Schema.Schema<DateTime.Utc, string> = Schema.compose(PlusRestored, CoreInstant.Instant)

/** An optional page size in a query, 1 to `max`. */
export const Limit = (max: number, fallback: number) =>
  Schema.optional(
    Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, max)).annotations({
      description: `Page size, 1 to ${max} (default ${fallback})`
    })
  )
