import * as Option from "effect/Option"
import * as Schema from "effect/Schema"

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
