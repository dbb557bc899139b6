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

/** The page size of every list endpoint without a `limit`, but a pair's message history's. */
export const DEFAULT_PAGE_SIZE = 100
/** The page size of a pair's message history without a `limit`. */
export const DEFAULT_HISTORY_PAGE_SIZE = 50

/**
 * A whole number in a query string, `minimum` to `maximum` (no upper bound when absent). It decodes from the
 * string as before; only its JSON Schema changes: `integer` with the bounds and, as `default`, what the server
 * uses when the parameter is absent (`NumberFromString` alone documents a plain string). The description goes in
 * the JSON Schema only: on the schema itself it would replace the refinement's text in decoding errors.
 */
export const QueryInteger = (options: {
  readonly minimum: number
  readonly maximum?: number | undefined
  readonly fallback: number
  readonly description: string
}) => {
  const bounded = options.maximum !== undefined
    ? Schema.NumberFromString.pipe(Schema.int(), Schema.between(options.minimum, options.maximum))
    : options.minimum === 0
    ? Schema.NumberFromString.pipe(Schema.int(), Schema.nonNegative())
    : Schema.NumberFromString.pipe(Schema.int(), Schema.greaterThanOrEqualTo(options.minimum))
  return bounded.annotations({
    jsonSchema: {
      type: "integer",
      minimum: options.minimum,
      ...(options.maximum === undefined ? {} : { maximum: options.maximum }),
      default: options.fallback,
      description: options.description
    }
  })
}

/**
 * An optional page size in a query, 1 to `max`; the server uses `fallback` when it is absent. (Its decoding errors
 * have always read "Expected Page size, 1 to `max` (default `fallback`)": kept.)
 */
export const Limit = (max: number, fallback: number) => {
  const description = `Page size, 1 to ${max} (default ${fallback})`
  return Schema.optional(
    QueryInteger({ minimum: 1, maximum: max, fallback, description }).annotations({ description })
  )
}
