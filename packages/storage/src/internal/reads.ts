import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Ingest, type PhoneNumber, type SessionStore, SessionWindow, StoreCursor } from "@wa-session/session-core"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { loadMessages } from "./ingest.js"
import { toMillis, toMillisOrNull } from "./sql.js"

const iso = (millis: number): string => new Date(millis).toISOString()

const decodeQuarantine = Schema.decodeUnknownSync(Ingest.QuarantineEntry)

export const toQuarantineEntry = (row: Record<string, unknown>): Ingest.QuarantineEntry => {
  const resolvedAt = toMillisOrNull(row.resolved_at)
  return decodeQuarantine({
    id: row.id,
    kind: row.kind,
    reason: row.reason,
    receivedAt: iso(toMillis(row.received_at)),
    raw: row.raw,
    state: row.state,
    resolvedAt: resolvedAt === null ? null : iso(resolvedAt),
    retries: Number(row.retries)
  })
}

const isJsonObject = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const parseContent = (text: unknown): Readonly<Record<string, unknown>> => {
  if (typeof text !== "string") return { type: "unknown" }
  try {
    const value: unknown = JSON.parse(text)
    return isJsonObject(value) ? value : { type: "unknown" }
  } catch {
    return { type: "unknown" }
  }
}

export const make = (sql: SqlClient.SqlClient) => {
  const listMessages = (
    pair: PhoneNumber.Pair,
    limit: number,
    cursor: Option.Option<string>
  ): Effect.Effect<SessionStore.HistoryPage, SqlError | SessionStore.InvalidCursor> =>
    Effect.gen(function*() {
      const size = Math.max(0, Math.floor(limit))
      const after = Option.isSome(cursor) ? Option.some(yield* StoreCursor.decodeHistory(cursor.value)) : Option.none()
      // within one instant outbound sorts before inbound (kind descending), then id descending
      const before = (kind: "inbound" | "outbound", time: string, id: string) =>
        Option.match(after, {
          onNone: () => sql`1 = 1`,
          onSome: ([t, k, i]) =>
            kind < k
              ? sql`${sql.literal(time)} <= ${t}`
              : kind > k
              ? sql`${sql.literal(time)} < ${t}`
              : sql`(${sql.literal(time)} < ${t} OR (${sql.literal(time)} = ${t} AND ${sql.literal(id)} < ${i}))`
        })
      const inbound = yield* sql<Record<string, unknown>>`SELECT business, customer, message_id, sent_at, received_at,
  content_type, content, profile_name FROM wa_inbound
WHERE business = ${pair.business} AND customer = ${pair.customer} AND ${before("inbound", "received_at", "message_id")}
ORDER BY received_at DESC, message_id DESC LIMIT ${size + 1}`
      const outboundIds = yield* sql<{ readonly id: string; readonly created_at: unknown }>`SELECT id, created_at
FROM wa_outbound WHERE business = ${pair.business} AND customer = ${pair.customer}
AND ${before("outbound", "created_at", "id")} ORDER BY created_at DESC, id DESC LIMIT ${size + 1}`
      const outbound = outboundIds.length === 0
        ? []
        : yield* loadMessages(sql, sql.in("o.id", outboundIds.map((row) => row.id)))
      type Entry = {
        readonly time: number
        readonly kind: "inbound" | "outbound"
        readonly id: string
        readonly item: SessionStore.HistoryItem
      }
      const entries: Array<Entry> = [
        ...inbound.map((row): Entry => ({
          time: toMillis(row.received_at),
          kind: "inbound",
          id: String(row.message_id),
          item: {
            _tag: "Inbound",
            message: new SessionWindow.InboundMessage({
              business: pair.business,
              customer: pair.customer,
              messageId: String(row.message_id),
              sentAt: DateTime.unsafeMake(toMillis(row.sent_at)),
              receivedAt: DateTime.unsafeMake(toMillis(row.received_at))
            }, true),
            contentType: typeof row.content_type === "string" ? row.content_type : "unknown",
            content: parseContent(row.content),
            profileName: Option.fromNullable(row.profile_name as string | null)
          }
        })),
        ...outbound.map((message): Entry => ({
          time: message.createdAt.epochMillis,
          kind: "outbound",
          id: message.id,
          item: { _tag: "Outbound", message }
        }))
      ]
      entries.sort((a, b) =>
        b.time - a.time || (a.kind === b.kind ? (a.id < b.id ? 1 : a.id > b.id ? -1 : 0) : a.kind < b.kind ? 1 : -1)
      )
      const page = entries.slice(0, size)
      const last = page[page.length - 1]
      return {
        items: page.map((entry) => entry.item),
        nextCursor: entries.length > size && last !== undefined
          ? Option.some(StoreCursor.encodeHistory(last.time, last.kind, last.id))
          : Option.none()
      }
    })

  const listQuarantine = (
    query: SessionStore.QuarantineQuery
  ): Effect.Effect<SessionStore.QuarantinePage, SqlError | SessionStore.InvalidCursor> =>
    Effect.gen(function*() {
      const size = Math.max(0, Math.floor(query.limit))
      const conditions = []
      if (Option.isSome(query.state)) conditions.push(sql`state = ${query.state.value}`)
      if (Option.isSome(query.cursor)) {
        const [t, id] = yield* StoreCursor.decodeNumberKey(query.cursor.value)
        conditions.push(sql`(received_at < ${t} OR (received_at = ${t} AND id < ${id}))`)
      }
      const where = conditions.length === 0 ? sql`` : sql`WHERE ${sql.and(conditions)}`
      const rows = yield* sql<Record<string, unknown>>`SELECT id, kind, reason, received_at, raw, state, resolved_at,
  retries FROM wa_quarantine ${where} ORDER BY received_at DESC, id DESC LIMIT ${size + 1}`
      const page = rows.slice(0, size).map(toQuarantineEntry)
      const last = page[page.length - 1]
      return {
        items: page,
        nextCursor: rows.length > size && last !== undefined
          ? Option.some(StoreCursor.encodeNumberKey(last.receivedAt.epochMillis, last.id))
          : Option.none()
      }
    })

  const findQuarantine = (id: string) =>
    Effect.map(
      sql<Record<string, unknown>>`SELECT id, kind, reason, received_at, raw, state, resolved_at, retries
FROM wa_quarantine WHERE id = ${id}`,
      (rows) => Option.map(Option.fromNullable(rows[0]), toQuarantineEntry)
    )

  const requarantine = (id: string, reason: string) =>
    Effect.asVoid(sql`UPDATE wa_quarantine SET reason = ${reason}, retries = retries + 1 WHERE id = ${id}`)

  // At most `limit` rows of each table per call (one short transaction): the caller calls again while a count
  // reached the limit, so that a large first run does not hold the database (SQLite's one writer) for long.
  const prune = (before: DateTime.Utc, limit: number): Effect.Effect<SessionStore.Pruned, SqlError> =>
    sql.withTransaction(Effect.gen(function*() {
      const cutoff = DateTime.toEpochMillis(before)
      const inbound = yield* sql`DELETE FROM wa_inbound WHERE (business, message_id) IN (
  SELECT business, message_id FROM wa_inbound WHERE received_at < ${cutoff} LIMIT ${limit}
) RETURNING message_id`
      const old = (yield* sql<{ id: string }>`SELECT id FROM wa_outbound WHERE created_at < ${cutoff}
AND send_state IS NULL LIMIT ${limit}`).map((row) => row.id)
      if (old.length > 0) {
        yield* sql`DELETE FROM wa_outbound_status WHERE ${sql.in("message_id", old)}`
        yield* sql`DELETE FROM wa_outbound WHERE ${sql.in("id", old)}`
      }
      const deliveries = yield* sql`DELETE FROM wa_deliveries WHERE (endpoint_id, event_seq) IN (
  SELECT d.endpoint_id, d.event_seq FROM wa_deliveries d JOIN wa_events ev ON ev.seq = d.event_seq
  WHERE ev.created_at < ${cutoff} AND d.state <> 'pending' LIMIT ${limit}
) RETURNING event_seq`
      const events = yield* sql`DELETE FROM wa_events WHERE seq IN (
  SELECT seq FROM wa_events WHERE created_at < ${cutoff}
  AND NOT EXISTS (SELECT 1 FROM wa_deliveries d WHERE d.event_seq = wa_events.seq) LIMIT ${limit}
) RETURNING id`
      const quarantine = yield* sql`DELETE FROM wa_quarantine WHERE id IN (
  SELECT id FROM wa_quarantine WHERE received_at < ${cutoff} LIMIT ${limit}
) RETURNING id`
      return {
        inbound: inbound.length,
        outbound: old.length,
        deliveries: deliveries.length,
        events: events.length,
        quarantine: quarantine.length
      }
    }))

  return { listMessages, listQuarantine, findQuarantine, requarantine, prune }
}
