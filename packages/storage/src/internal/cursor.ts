import * as Either from "effect/Either"
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

export const decode = (input: string): Either.Either<ExpiringCursor, string> => {
  if (!/^[A-Za-z0-9_-]*$/.test(input)) return Either.left("invalid cursor")
  return Schema.decodeUnknownEither(CursorJson)(Buffer.from(input, "base64url").toString("utf8")).pipe(
    Either.map(([expiresAt, business, customer]) => ({ expiresAt, business, customer })),
    Either.mapLeft(() => "invalid cursor")
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
