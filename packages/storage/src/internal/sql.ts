import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type * as Statement from "@effect/sql/Statement"
import * as Effect from "effect/Effect"

/** Rows per statement of a multi-row write or an IN list (far below SQLite's 32766 and PostgreSQL's 65535 parameters). */
export const CHUNK = 400

export const chunks = <A>(items: ReadonlyArray<A>, size = CHUNK): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** Runs `query` over the items in chunks and concatenates the rows. */
export const chunked = <A, R>(
  items: ReadonlyArray<A>,
  query: (chunk: ReadonlyArray<A>) => Effect.Effect<ReadonlyArray<R>, SqlError>
): Effect.Effect<ReadonlyArray<R>, SqlError> =>
  items.length === 0
    ? Effect.succeed([])
    : Effect.map(Effect.forEach(chunks(items), query), (parts) => parts.flat())

/** `(a, b) IN (VALUES (?, ?), …)` for a non-empty list of tuples. */
export const tupleIn = (
  sql: SqlClient.SqlClient,
  columns: string,
  tuples: ReadonlyArray<ReadonlyArray<unknown>>
): Statement.Fragment =>
  sql`(${sql.literal(columns)}) IN (VALUES ${
    sql.join(", ", false)(tuples.map((tuple) => sql`(${sql.join(", ", false)(tuple.map((value) => sql`${value}`))})`))
  })`

/** Epoch milliseconds as the drivers return them (PostgreSQL BIGINT arrives as a string). */
export const toMillis = (value: unknown): number => {
  const millis = typeof value === "number" ? value : typeof value === "string" ? Number(value) : NaN
  if (!Number.isSafeInteger(millis)) throw new Error(`expected epoch milliseconds, got ${String(value)}`)
  return millis
}

export const toMillisOrNull = (value: unknown): number | null =>
  value === null || value === undefined ? null : toMillis(value)

/**
 * Takes the locks of a transaction that records events, before its first write: on PostgreSQL an advisory lock per
 * pair, in one global order (so transactions on the same pair run one after the other, record their events in
 * order, and cannot deadlock); on SQLite the database's write lock (a write that changes nothing), so that what the
 * transaction reads next cannot change under it.
 */
export const lockPairs = (
  sql: SqlClient.SqlClient,
  isPg: boolean,
  pairKeys: ReadonlyArray<string>
): Effect.Effect<void, SqlError> => {
  if (!isPg) return Effect.asVoid(sql`UPDATE wa_windows SET business = business WHERE 0 = 1`)
  const keys = [...new Set(pairKeys)]
  if (keys.length === 0) return Effect.void
  return Effect.asVoid(
    sql`SELECT pg_advisory_xact_lock(h) FROM (
  SELECT DISTINCT hashtextextended(k, 7) AS h FROM unnest(${keys}::text[]) AS k ORDER BY h
) AS ordered`
  )
}
