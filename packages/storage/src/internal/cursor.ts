import { SessionStore } from "@wa-session/session-core"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"

/** A keyset position as an opaque cursor: its JSON, base64url. */
export const encodeJson = (value: unknown): string => Buffer.from(JSON.stringify(value), "utf8").toString("base64url")

/** Reads a cursor `encodeJson` wrote with `schema`'s shape; anything else is an `InvalidCursor`. */
export const decodeJsonWith = <A>(schema: Schema.Schema<A, string>) =>
(cursor: string): Effect.Effect<A, SessionStore.InvalidCursor> =>
  /^[A-Za-z0-9_-]*$/.test(cursor)
    ? Schema.decodeUnknown(schema)(Buffer.from(cursor, "base64url").toString("utf8")).pipe(
      Effect.mapError(() => new SessionStore.InvalidCursor({ cursor }))
    )
    : Effect.fail(new SessionStore.InvalidCursor({ cursor }))

/** A position in a list ordered by (number, key): deliveries (seq, endpoint), quarantine (receivedAt, id). */
export const decodeNumberKey = decodeJsonWith(Schema.parseJson(Schema.Tuple(Schema.NonNegativeInt, Schema.String)))
export const encodeNumberKey = (position: number, key: string): string => encodeJson([position, key])

/** A position in a pair's history: (time, kind, id), newest first. */
export const decodeHistory = decodeJsonWith(
  Schema.parseJson(Schema.Tuple(Schema.NonNegativeInt, Schema.Literal("inbound", "outbound"), Schema.String))
)
export const encodeHistory = (time: number, kind: "inbound" | "outbound", id: string): string =>
  encodeJson([time, kind, id])

/** The keyset position after the last item of a page of expiring windows. */
export interface ExpiringCursor {
  readonly expiresAt: number
  readonly business: string
  readonly customer: string
}

const CursorJson = Schema.parseJson(Schema.Tuple(Schema.Int, Schema.String, Schema.String))

export const encode = (cursor: ExpiringCursor): string =>
  Buffer.from(JSON.stringify([cursor.expiresAt, cursor.business, cursor.customer]), "utf8").toString("base64url")

/** The cursor an `encode` wrote, or `none` for anything else. */
export const decode = (input: string): Option.Option<ExpiringCursor> => {
  if (!/^[A-Za-z0-9_-]*$/.test(input)) return Option.none()
  return Schema.decodeUnknownOption(CursorJson)(Buffer.from(input, "base64url").toString("utf8")).pipe(
    Option.map(([expiresAt, business, customer]) => ({ expiresAt, business, customer }))
  )
}

/** Keyset order of the expiring query: (expiresAt, business, customer), strings in code-unit (C collation) order. */
export const compare = (a: ExpiringCursor, b: ExpiringCursor): number =>
  a.expiresAt !== b.expiresAt
    ? a.expiresAt < b.expiresAt ? -1 : 1
    : a.business !== b.business
    ? a.business < b.business ? -1 : 1
    : a.customer === b.customer
    ? 0
    : a.customer < b.customer
    ? -1
    : 1
