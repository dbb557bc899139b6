/**
 * The store over any `SqlClient` (SQLite or PostgreSQL): one implementation, dialect differences through
 * `sql.onDialectOrElse`. Building it runs the migrations. Every write that must be atomic is one statement or one
 * transaction, and "keep the latest" is computed by the database (MAX/GREATEST), never read-modify-write here, so
 * concurrent writers from several processes cannot lose an extension.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type * as Statement from "@effect/sql/Statement"
import { Outbound, SessionStore, SessionWindow } from "@wa-session/session-core"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Cursor from "./internal/cursor.js"
import { toStorageError } from "./internal/errors.js"
import * as Expiring from "./internal/expiring.js"
import { context } from "./internal/layer.js"
import * as Migrations from "./internal/migrations.js"
import { fromJoinedRows, Millis, toRows } from "./internal/outbound.js"
import { expiresAtMillis, fromRow, fromRows, millis, WINDOW_MILLIS } from "./internal/window.js"
import type { Backend, Storage, StorageShape } from "./Storage.js"

const windowColumns = (alias: string): string =>
  [
    "business",
    "customer",
    "last_inbound_at",
    "basis_message_id",
    "basis_received_at",
    "first_seen_at",
    "closed_by_provider_at"
  ].map((column) => `${alias}${column}`).join(", ")

const OUTBOUND_COLUMNS = "id, business, customer, idempotency_key, decision, reason, content, fallback, " +
  "provider_message_id, status, status_rank, created_at, dry_run, fallback_message_id, extra"

const JOINED_SELECT = `SELECT o.id, o.business, o.customer, o.idempotency_key, o.decision, o.reason, o.content,
  o.fallback, o.provider_message_id, o.status, o.created_at, o.dry_run, o.fallback_message_id, o.extra,
  s.status AS h_status, s.at AS h_at, s.code AS h_code, s.detail AS h_detail
FROM wa_outbound o LEFT JOIN wa_outbound_status s ON s.message_id = o.id`

/** Messages per statement in SQLite batches (5 parameters each, far below SQLite's 32766). */
const SQLITE_CHUNK = 500

const CountRow = Schema.Array(Schema.Struct({ n: Millis }))
const decodeCount = (rows: ReadonlyArray<unknown>) =>
  Effect.orDie(Effect.map(Schema.decodeUnknown(CountRow)(rows), (decoded) => decoded[0]?.n ?? 0))

/**
 * Builds the store on the `SqlClient` in context (SQLite or PostgreSQL) after running the migrations.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<StorageShape, SessionStore.StorageError, SqlClient.SqlClient> = Effect.gen(
  function*() {
    const sql = yield* SqlClient.SqlClient
    const backend = sql.onDialectOrElse({
      pg: (): Backend | undefined => "pg",
      sqlite: (): Backend | undefined => "sqlite",
      orElse: (): Backend | undefined => undefined
    })
    if (backend === undefined) {
      return yield* new SessionStore.StorageError({ operation: "connect", detail: "only SQLite and PostgreSQL" })
    }
    yield* Effect.mapError(Migrations.run, toStorageError("migrate"))

    const isPg = backend === "pg"
    // PostgreSQL's window upsert (SQLite's is the trigger of the migration, the same clause with MAX/MIN): the
    // latest timestamp wins, ties go to the larger message id, first-seen is the earliest receive time.
    const later = "(excluded.last_inbound_at > wa_windows.last_inbound_at OR " +
      "(excluded.last_inbound_at = wa_windows.last_inbound_at AND " +
      "excluded.basis_message_id > wa_windows.basis_message_id))"
    const upsertSet = sql.literal(`ON CONFLICT (business, customer) DO UPDATE SET
  last_inbound_at = GREATEST(wa_windows.last_inbound_at, excluded.last_inbound_at),
  expires_at = GREATEST(wa_windows.expires_at, excluded.expires_at),
  basis_message_id = CASE WHEN ${later} THEN excluded.basis_message_id ELSE wa_windows.basis_message_id END,
  basis_received_at = CASE WHEN ${later} THEN excluded.basis_received_at ELSE wa_windows.basis_received_at END,
  first_seen_at = LEAST(wa_windows.first_seen_at, excluded.first_seen_at)
RETURNING ${windowColumns("")}`)
    const windowCols = sql.literal(windowColumns(""))
    const windowLength = sql.literal(String(WINDOW_MILLIS))

    // The window of the pair the message id was first recorded under (it always has one).
    const windowOfRecorded = (message: SessionWindow.InboundMessage) =>
      sql`SELECT ${sql.literal(windowColumns("w."))} FROM wa_inbound i
JOIN wa_windows w ON w.business = i.business AND w.customer = i.customer
WHERE i.business = ${message.business} AND i.message_id = ${message.messageId}`.pipe(
        Effect.flatMap(fromRow),
        Effect.flatMap(Option.match({
          onNone: () => Effect.dieMessage(`inbound message ${message.messageId} recorded without a window`),
          onSome: Effect.succeed
        }))
      )

    const recorded = (
      message: SessionWindow.InboundMessage,
      rows: ReadonlyArray<unknown>
    ): Effect.Effect<SessionStore.RecordedInbound, SqlError> =>
      rows.length === 0
        ? Effect.map(windowOfRecorded(message), (window) => ({ duplicate: true, window }))
        : Effect.flatMap(fromRow(rows), (window) =>
          Option.isSome(window)
            ? Effect.succeed({ duplicate: false, window: window.value })
            : Effect.dieMessage("window upsert returned no row"))

    // PostgreSQL: one statement; the window upsert only sees the dedup row when it was inserted just now.
    const recordOnePg = (message: SessionWindow.InboundMessage) =>
      sql`WITH ins AS (
  INSERT INTO wa_inbound (business, message_id, customer, sent_at, received_at)
  VALUES (${message.business}, ${message.messageId}, ${message.customer}, ${millis(message.sentAt)}, ${
        millis(message.receivedAt)
      })
  ON CONFLICT DO NOTHING
  RETURNING business, customer, message_id, sent_at, received_at
)
INSERT INTO wa_windows (business, customer, last_inbound_at, expires_at, basis_message_id, basis_received_at,
  first_seen_at)
SELECT business, customer, sent_at, sent_at + ${windowLength}, message_id, received_at, received_at FROM ins
${upsertSet}`.pipe(Effect.flatMap((rows) => recorded(message, rows)))

    // SQLite: the dedup insert is one statement, its trigger extends the window atomically with it.
    const recordOneSqlite = (message: SessionWindow.InboundMessage) =>
      sql`INSERT INTO wa_inbound (business, message_id, customer, sent_at, received_at)
VALUES (${message.business}, ${message.messageId}, ${message.customer}, ${millis(message.sentAt)}, ${
        millis(message.receivedAt)
      })
ON CONFLICT DO NOTHING RETURNING message_id`.pipe(
        Effect.flatMap((inserted) =>
          Effect.map(windowOfRecorded(message), (window): SessionStore.RecordedInbound => ({
            duplicate: inserted.length === 0,
            window
          }))
        )
      )

    const recordInbound = isPg ? recordOnePg : recordOneSqlite

    // The windows after a batch, by `business|message_id`, for the pairs the given message ids are recorded under.
    const windowsOfRecorded = (keys: ReadonlyArray<SessionWindow.InboundMessage>) =>
      Effect.gen(function*() {
        const byKey = new Map<string, SessionWindow.SessionWindow>()
        for (let i = 0; i < keys.length; i += SQLITE_CHUNK) {
          const chunk = keys.slice(i, i + SQLITE_CHUNK)
          const rows = yield* sql.unsafe<{ readonly k_business: string; readonly k_message_id: string }>(
            `SELECT i.business AS k_business, i.message_id AS k_message_id, ${windowColumns("w.")}
FROM wa_inbound i JOIN wa_windows w ON w.business = i.business AND w.customer = i.customer
WHERE (i.business, i.message_id) IN (VALUES ${chunk.map(() => "(?, ?)").join(", ")})`,
            chunk.flatMap((message) => [message.business, message.messageId])
          )
          const windows = yield* fromRows(rows)
          rows.forEach((row, k) => byKey.set(`${row.k_business}|${row.k_message_id}`, windows[k]!))
        }
        return byKey
      })

    // SQLite has one writer at a time, so no lock order to keep: one multi-row dedup insert per chunk (the trigger
    // extends the windows), then the final windows.
    const recordBatchSqlite = (messages: ReadonlyArray<SessionWindow.InboundMessage>) =>
      Effect.gen(function*() {
        const firsts = new Map<string, SessionWindow.InboundMessage>()
        for (const message of messages) {
          const key = `${message.business}|${message.messageId}`
          if (!firsts.has(key)) firsts.set(key, message)
        }
        const candidates = [...firsts.values()]
        const isNew = new Set<string>()
        for (let i = 0; i < candidates.length; i += SQLITE_CHUNK) {
          const chunk = candidates.slice(i, i + SQLITE_CHUNK)
          const inserted = yield* sql.unsafe<{ readonly business: string; readonly message_id: string }>(
            `INSERT INTO wa_inbound (business, message_id, customer, sent_at, received_at)
VALUES ${chunk.map(() => "(?, ?, ?, ?, ?)").join(", ")}
ON CONFLICT DO NOTHING RETURNING business, message_id`,
            chunk.flatMap((m) => [m.business, m.messageId, m.customer, millis(m.sentAt), millis(m.receivedAt)])
          )
          for (const row of inserted) isNew.add(`${row.business}|${row.message_id}`)
        }
        const windows = yield* windowsOfRecorded(candidates)
        return yield* Effect.forEach(messages, (message) => {
          const key = `${message.business}|${message.messageId}`
          const window = windows.get(key)
          if (window === undefined) return Effect.dieMessage(`inbound message ${message.messageId} has no window`)
          return Effect.succeed<SessionStore.RecordedInbound>({ duplicate: !isNew.delete(key), window })
        })
      })

    // PostgreSQL: set-based, locking in one global order (all dedup rows sorted, then all windows sorted), so that
    // concurrent batches and single records cannot deadlock; one row per pair reaches the upsert.
    const recordBatchPg = (messages: ReadonlyArray<SessionWindow.InboundMessage>) =>
      Effect.gen(function*() {
        const businesses = messages.map((message) => message.business)
        const ids = messages.map((message) => message.messageId)
        const inserted = yield* sql<{ readonly business: string; readonly message_id: string }>`WITH input AS (
  SELECT * FROM unnest(${businesses}::text[], ${messages.map((message) => message.customer)}::text[], ${ids}::text[],
    ${messages.map((message) => millis(message.sentAt))}::bigint[],
    ${messages.map((message) => millis(message.receivedAt))}::bigint[], ${messages.map((_, i) => i)}::int[])
    AS t(business, customer, message_id, sent_at, received_at, ord)
), firsts AS (
  SELECT DISTINCT ON (business, message_id) business, customer, message_id, sent_at, received_at
  FROM input ORDER BY business, message_id, ord
), ins AS (
  INSERT INTO wa_inbound (business, message_id, customer, sent_at, received_at)
  SELECT business, message_id, customer, sent_at, received_at FROM firsts
  ORDER BY business COLLATE "C", message_id COLLATE "C"
  ON CONFLICT DO NOTHING
  RETURNING business, customer, message_id, sent_at, received_at
), agg AS (
  SELECT DISTINCT ON (business, customer) business, customer, sent_at, message_id, received_at,
    MIN(received_at) OVER (PARTITION BY business, customer) AS first_seen
  FROM ins ORDER BY business, customer, sent_at DESC, message_id COLLATE "C" DESC
), up AS (
  INSERT INTO wa_windows (business, customer, last_inbound_at, expires_at, basis_message_id, basis_received_at,
    first_seen_at)
  SELECT business, customer, sent_at, sent_at + ${windowLength}, message_id, received_at, first_seen FROM agg
  ORDER BY business COLLATE "C", customer COLLATE "C"
  ${upsertSet}
)
SELECT business, message_id FROM ins`
        const isNew = new Set(inserted.map((row) => `${row.business}|${row.message_id}`))
        const rows = yield* sql<{ readonly k_business: string; readonly k_message_id: string }>`SELECT
  i.business AS k_business, i.message_id AS k_message_id, ${sql.literal(windowColumns("w."))}
FROM wa_inbound i JOIN wa_windows w ON w.business = i.business AND w.customer = i.customer
WHERE (i.business, i.message_id) IN (SELECT * FROM unnest(${businesses}::text[], ${ids}::text[]))`
        const windows = yield* fromRows(rows)
        const byKey = new Map(rows.map((row, i) => [`${row.k_business}|${row.k_message_id}`, windows[i]!]))
        return yield* Effect.forEach(messages, (message) => {
          const key = `${message.business}|${message.messageId}`
          const window = byKey.get(key)
          if (window === undefined) return Effect.dieMessage(`inbound message ${message.messageId} has no window`)
          const duplicate = !isNew.delete(key)
          return Effect.succeed<SessionStore.RecordedInbound>({ duplicate, window })
        })
      })

    const loadOutbound = (where: Statement.Fragment) =>
      Effect.flatMap(sql`${sql.literal(JOINED_SELECT)} WHERE ${where} ORDER BY s.status_rank`, fromJoinedRows)
    const loadById = (id: string) => loadOutbound(sql`o.id = ${id}`)
    const loadByKey = (business: string, key: string) =>
      loadOutbound(sql`o.business = ${business} AND o.idempotency_key = ${key}`)
    const mustExist = (id: string) => (found: Option.Option<Outbound.OutboundMessage>) =>
      Option.isSome(found)
        ? Effect.succeed(found.value)
        : Effect.dieMessage(`outbound message ${id} vanished inside its transaction`)

    const targetOf = (ref: SessionStore.OutboundRef) =>
      ref._tag === "ById"
        ? sql`${ref.id}`
        : sql`(SELECT id FROM wa_outbound WHERE provider_message_id = ${ref.providerMessageId}
ORDER BY created_at, id LIMIT 1)`

    const store: StorageShape = {
      backend,
      recordInbound: (message) =>
        recordInbound(message).pipe(
          Effect.mapError(toStorageError("recordInbound")),
          Effect.withSpan("Storage.recordInbound")
        ),
      recordInboundBatch: (messages) =>
        (messages.length === 0
          ? Effect.succeed([])
          : sql.withTransaction(isPg ? recordBatchPg(messages) : recordBatchSqlite(messages))).pipe(
            Effect.mapError(toStorageError("recordInboundBatch")),
            Effect.withSpan("Storage.recordInboundBatch", { attributes: { count: messages.length } })
          ),
      getWindow: (pair) =>
        sql`SELECT ${windowCols} FROM wa_windows WHERE business = ${pair.business} AND customer = ${pair.customer}`
          .pipe(
            Effect.flatMap(fromRow),
            Effect.mapError(toStorageError("getWindow")),
            Effect.withSpan("Storage.getWindow")
          ),
      closeByProvider: (pair, at) => {
        const closedAt = millis(at)
        return sql`UPDATE wa_windows SET closed_by_provider_at = CASE
  WHEN closed_by_provider_at IS NULL OR closed_by_provider_at < ${closedAt} THEN ${closedAt}
  ELSE closed_by_provider_at END
WHERE business = ${pair.business} AND customer = ${pair.customer}`.pipe(
          Effect.asVoid,
          Effect.mapError(toStorageError("closeByProvider")),
          Effect.withSpan("Storage.closeByProvider")
        )
      },
      listExpiring: (query) =>
        Effect.gen(function*() {
          const bounds = yield* Expiring.bounds(query)
          if (bounds.limit === 0) return { items: [], nextCursor: Option.none() }
          const conditions = [
            sql`expires_at > ${bounds.lower}`,
            sql`expires_at < ${bounds.upper}`,
            sql`(closed_by_provider_at IS NULL OR closed_by_provider_at < last_inbound_at)`,
            ...Option.match(bounds.business, { onNone: () => [], onSome: (business) => [sql`business = ${business}`] }),
            ...Option.match(bounds.after, {
              onNone: () => [],
              onSome: (after) => [
                sql`expires_at >= ${after.expiresAt}`,
                sql`(expires_at > ${after.expiresAt} OR (business, customer) > (${after.business}, ${after.customer}))`
              ]
            })
          ]
          const rows = yield* sql`SELECT ${windowCols} FROM wa_windows WHERE ${sql.and(conditions)}
ORDER BY expires_at, business, customer LIMIT ${bounds.limit + 1}`.pipe(
            Effect.mapError(toStorageError("listExpiring"))
          )
          const windows = yield* fromRows(rows)
          const items = windows.slice(0, bounds.limit)
          const last = items[items.length - 1]
          return {
            items,
            nextCursor: windows.length > bounds.limit && last !== undefined
              ? Option.some(
                Cursor.encode({ expiresAt: expiresAtMillis(last), business: last.business, customer: last.customer })
              )
              : Option.none()
          }
        }).pipe(Effect.withSpan("Storage.listExpiring")),
      countOpen: (now, safetyMargin) =>
        sql`SELECT COUNT(*) AS n FROM wa_windows
WHERE expires_at > ${millis(DateTime.addDuration(now, safetyMargin))}
AND (closed_by_provider_at IS NULL OR closed_by_provider_at < last_inbound_at)`.pipe(
          Effect.flatMap(decodeCount),
          Effect.mapError(toStorageError("countOpen")),
          Effect.withSpan("Storage.countOpen")
        ),
      insertOutbound: (message) =>
        Effect.gen(function*() {
          const { history, row } = yield* toRows(message)
          return yield* sql.withTransaction(Effect.gen(function*() {
            const inserted = yield* sql`INSERT INTO wa_outbound (${sql.literal(OUTBOUND_COLUMNS)}) VALUES (
  ${row.id}, ${row.business}, ${row.customer}, ${row.idempotency_key}, ${row.decision}, ${row.reason}, ${row.content},
  ${row.fallback}, ${row.provider_message_id}, ${row.status}, ${row.status_rank}, ${row.created_at}, ${row.dry_run},
  ${row.fallback_message_id}, ${row.extra}
) ON CONFLICT DO NOTHING RETURNING id`
            if (inserted.length > 0) {
              for (const event of history) {
                yield* sql`INSERT INTO wa_outbound_status (message_id, status, status_rank, at, code, detail)
VALUES (${row.id}, ${event.status}, ${event.status_rank}, ${event.at}, ${event.code}, ${event.detail})
ON CONFLICT DO NOTHING`
              }
              return { inserted: true, message: yield* Effect.flatMap(loadById(row.id), mustExist(row.id)) }
            }
            const byKey = row.idempotency_key === null
              ? Option.none<Outbound.OutboundMessage>()
              : yield* loadByKey(row.business, row.idempotency_key)
            const existing = Option.isSome(byKey) ? byKey : yield* loadById(row.id)
            return { inserted: false, message: yield* mustExist(row.id)(existing) }
          }))
        }).pipe(Effect.mapError(toStorageError("insertOutbound")), Effect.withSpan("Storage.insertOutbound")),
      findOutbound: (id) =>
        loadById(id).pipe(Effect.mapError(toStorageError("findOutbound")), Effect.withSpan("Storage.findOutbound")),
      findOutboundByIdempotencyKey: (business, key) =>
        loadByKey(business, key).pipe(
          Effect.mapError(toStorageError("findOutboundByIdempotencyKey")),
          Effect.withSpan("Storage.findOutboundByIdempotencyKey")
        ),
      setProviderMessageId: (id, providerMessageId) =>
        sql`UPDATE wa_outbound SET provider_message_id = ${providerMessageId} WHERE id = ${id}`.pipe(
          Effect.asVoid,
          Effect.mapError(toStorageError("setProviderMessageId")),
          Effect.withSpan("Storage.setProviderMessageId")
        ),
      recordStatus: (ref, event) => {
        const status = event.status
        const rank = Outbound.rank(status)
        return sql.withTransaction(Effect.gen(function*() {
          // The insert comes first: on SQLite a transaction that writes first waits for the write lock.
          const inserted = yield* sql<{ readonly message_id: string }>`INSERT INTO wa_outbound_status
  (message_id, status, status_rank, at, code, detail)
SELECT id, CAST(${status} AS TEXT), CAST(${rank} AS INTEGER), CAST(${millis(event.at)} AS BIGINT),
  CAST(${Option.getOrNull(event.code)} AS TEXT), CAST(${Option.getOrNull(event.detail)} AS TEXT)
FROM wa_outbound WHERE id = ${targetOf(ref)}
ON CONFLICT DO NOTHING RETURNING message_id`
          const first = inserted[0]
          if (first === undefined) {
            const found = yield* sql<{ readonly id: string }>`SELECT id FROM wa_outbound WHERE id = ${targetOf(ref)}`
            const id = found[0]?.id
            if (id === undefined) return Option.none<SessionStore.RecordedStatus>()
            return Option.some({ applied: false, message: yield* Effect.flatMap(loadById(id), mustExist(id)) })
          }
          yield* sql`UPDATE wa_outbound SET status = ${status}, status_rank = ${rank}
WHERE id = ${first.message_id} AND status_rank < ${rank}`
          return Option.some({
            applied: true,
            message: yield* Effect.flatMap(loadById(first.message_id), mustExist(first.message_id))
          })
        })).pipe(Effect.mapError(toStorageError("recordStatus")), Effect.withSpan("Storage.recordStatus"))
      },
      claimFallback: (id, fallbackMessageId) =>
        sql`UPDATE wa_outbound SET fallback_message_id = ${fallbackMessageId}
WHERE id = ${id} AND fallback_message_id IS NULL RETURNING id`.pipe(
          Effect.map((rows) => rows.length > 0),
          Effect.mapError(toStorageError("claimFallback")),
          Effect.withSpan("Storage.claimFallback")
        ),
      ping: sql`SELECT 1`.pipe(
        Effect.asVoid,
        Effect.mapError(toStorageError("ping")),
        Effect.withSpan("Storage.ping")
      )
    }
    return store
  }
)

/**
 * The store on the `SqlClient` in context, providing both `SessionStore` and `Storage`. Runs the migrations when
 * built.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<SessionStore.SessionStore | Storage, SessionStore.StorageError, SqlClient.SqlClient> =
  Layer.effectContext(Effect.map(make, context))
