/**
 * The opaque keyset cursors of the store adapters' pages: a position as JSON in unpadded base64url, and
 * `InvalidCursor` for anything else. Every adapter (in memory, SQLite, PostgreSQL) reads and writes its cursors with
 * these, so a cursor means the same in each and a forged one is refused the same way.
 *
 * @since 0.2.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { type ExpiringQuery, InvalidCursor } from "./SessionStore.js"

const BASE64URL = /^[A-Za-z0-9_-]*$/

const encodeJson = (value: unknown): string => Encoding.encodeBase64Url(JSON.stringify(value))

const decoderOf = <A, I>(schema: Schema.Schema<A, I>) => {
  const decode = Schema.decodeUnknownOption(Schema.compose(Schema.StringFromBase64Url, Schema.parseJson(schema)))
  return (cursor: string): Option.Option<A> => BASE64URL.test(cursor) ? decode(cursor) : Option.none()
}

const orInvalid = <A>(cursor: string, decoded: Option.Option<A>): Effect.Effect<A, InvalidCursor> =>
  Option.match(decoded, {
    onNone: () => Effect.fail(new InvalidCursor({ cursor })),
    onSome: Effect.succeed
  })

const numberKey = decoderOf(Schema.Tuple(Schema.NonNegativeInt, Schema.String))

/**
 * A position in a list ordered by (number, key), newest first: deliveries (seq, endpoint id), quarantine
 * (receivedAt, id).
 *
 * @since 0.2.0
 * @category encoding
 */
export const encodeNumberKey = (position: number, key: string): string => encodeJson([position, key])

/**
 * Reads a cursor `encodeNumberKey` wrote.
 *
 * @since 0.2.0
 * @category decoding
 */
export const decodeNumberKey = (cursor: string): Effect.Effect<readonly [number, string], InvalidCursor> =>
  orInvalid(cursor, numberKey(cursor))

const history = decoderOf(Schema.Tuple(Schema.NonNegativeInt, Schema.Literal("inbound", "outbound"), Schema.String))

/**
 * A position in a pair's history, newest first: (time, kind, id).
 *
 * @since 0.2.0
 * @category encoding
 */
export const encodeHistory = (time: number, kind: "inbound" | "outbound", id: string): string =>
  encodeJson([time, kind, id])

/**
 * Reads a cursor `encodeHistory` wrote.
 *
 * @since 0.2.0
 * @category decoding
 */
export const decodeHistory = (
  cursor: string
): Effect.Effect<readonly [number, "inbound" | "outbound", string], InvalidCursor> => orInvalid(cursor, history(cursor))

/**
 * The keyset position after the last window of a page of expiring windows (`SessionStore.listExpiring`).
 *
 * @since 0.2.0
 * @category models
 */
export interface ExpiringCursor {
  readonly expiresAt: number
  readonly business: string
  readonly customer: string
}

/**
 * @since 0.2.0
 * @category encoding
 */
export const encodeExpiring = (cursor: ExpiringCursor): string =>
  encodeJson([cursor.expiresAt, cursor.business, cursor.customer])

const expiring = decoderOf(Schema.Tuple(Schema.Int, Schema.String, Schema.String))

/**
 * Reads a cursor `encodeExpiring` wrote.
 *
 * @since 0.2.0
 * @category decoding
 */
export const decodeExpiring = (cursor: string): Effect.Effect<ExpiringCursor, InvalidCursor> =>
  orInvalid(
    cursor,
    Option.map(expiring(cursor), ([expiresAt, business, customer]) => ({ expiresAt, business, customer }))
  )

/**
 * The keyset order of expiring windows: (expiresAt, business, customer), strings in code-unit (C collation) order.
 *
 * @since 0.2.0
 * @category ordering
 */
export const compareExpiring = (a: ExpiringCursor, b: ExpiringCursor): number =>
  a.expiresAt !== b.expiresAt
    ? a.expiresAt < b.expiresAt ? -1 : 1
    : a.business !== b.business
    ? a.business < b.business ? -1 : 1
    : a.customer === b.customer
    ? 0
    : a.customer < b.customer
    ? -1
    : 1

/**
 * The expiring query in numbers: expiresAt in (lower, upper), after the keyset position, at most `limit`.
 *
 * @since 0.2.0
 * @category models
 */
export interface ExpiringBounds {
  /** open at `now` with the margin: `now + margin < expiresAt` */
  readonly lower: number
  /** expires before the horizon: `expiresAt < now + horizon` */
  readonly upper: number
  readonly business: Option.Option<string>
  readonly after: Option.Option<ExpiringCursor>
  /** a whole number, 0 for a negative or non-finite limit */
  readonly limit: number
}

/**
 * The bounds of an expiring query; its cursor decoded (`InvalidCursor` when it is not one `encodeExpiring` wrote).
 *
 * @since 0.2.0
 * @category constructors
 */
export const expiringBounds = (query: ExpiringQuery): Effect.Effect<ExpiringBounds, InvalidCursor> =>
  Effect.map(
    Option.match(query.cursor, {
      onNone: () => Effect.succeedNone,
      onSome: (cursor) => Effect.asSome(decodeExpiring(cursor))
    }),
    (after) => ({
      lower: query.now.epochMillis + Duration.toMillis(query.safetyMargin),
      upper: query.now.epochMillis + Duration.toMillis(query.horizon),
      business: query.business,
      after,
      limit: Number.isFinite(query.limit) ? Math.max(0, Math.floor(query.limit)) : 0
    })
  )
