import { SessionStore } from "@wa-session/session-core"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Cursor from "./cursor.js"

/** The expiring query in numbers: expires_at in (lower, upper), keyset position, page size. */
export interface ExpiringBounds {
  /** open at `now` with the margin: `now < expiresAt - margin` */
  readonly lower: number
  /** expires before the horizon: `expiresAt < now + horizon` */
  readonly upper: number
  readonly business: Option.Option<string>
  readonly after: Option.Option<Cursor.ExpiringCursor>
  readonly limit: number
}

export const bounds = (query: SessionStore.ExpiringQuery): Effect.Effect<ExpiringBounds, SessionStore.InvalidCursor> => {
  const now = DateTime.toEpochMillis(query.now)
  const after = Option.match(query.cursor, {
    onNone: () => Either.right(Option.none<Cursor.ExpiringCursor>()),
    onSome: (cursor) =>
      Option.match(Cursor.decode(cursor), {
        onNone: () => Either.left(new SessionStore.InvalidCursor({ cursor })),
        onSome: (after) => Either.right(Option.some(after))
      })
  })
  return Either.match(after, {
    onLeft: Effect.fail,
    onRight: (after) =>
      Effect.succeed({
        lower: now + Duration.toMillis(query.safetyMargin),
        upper: now + Duration.toMillis(query.horizon),
        business: query.business,
        after,
        limit: Number.isFinite(query.limit) ? Math.max(0, Math.floor(query.limit)) : 0
      })
  })
}
