/**
 * The store over any `SqlClient` (SQLite or PostgreSQL): one implementation, dialect differences through
 * `sql.onDialectOrElse`. Building it runs the migrations. A webhook batch is one transaction that reads the state of
 * its pairs, plans every write with the core's pure `Ingest.plan` and writes the result back as absolute values: a
 * read-modify-write that is safe because the transaction first holds its pairs' locks (PostgreSQL: transaction-scoped
 * advisory locks, taken in one global order; SQLite: its single writer), so concurrent writers from several processes
 * cannot lose an extension. Other atomic writes are single statements.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type * as Statement from "@effect/sql/Statement"
import {
  type EventLog,
  Ingest,
  Outbound,
  Pacing,
  SessionStore,
  StoreCursor,
  WindowEvents
} from "@wa-session/session-core"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { toStorageError } from "./internal/errors.js"
import * as EventLogSql from "./internal/eventLog.js"
import * as IngestSql from "./internal/ingest.js"
import { context } from "./internal/layer.js"
import * as LightCommit from "./internal/lightCommit.js"
import * as Migrations from "./internal/migrations.js"
import { Millis } from "./internal/outbound.js"
import * as ParkingSql from "./internal/parking.js"
import * as Reads from "./internal/reads.js"
import { expiresAtMillis, fromRow, fromRows, millis } from "./internal/window.js"
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
    const windowCols = sql.literal(windowColumns(""))
    const bookkeeping = yield* Effect.mapError(LightCommit.make(sql, isPg), toStorageError("connect"))
    const eventLog = EventLogSql.make(sql, isPg, bookkeeping)
    const ingest = IngestSql.make(sql, isPg, eventLog)
    const reads = Reads.make(sql)
    const parking = ParkingSql.make(sql, isPg, ingest, eventLog)

    const loadOutbound = (where: Statement.Fragment) =>
      Effect.map(IngestSql.loadMessages(sql, where), (messages) => Option.fromNullable(messages[0]))
    const loadById = (id: string) => loadOutbound(sql`o.id = ${id}`)
    const loadByKey = (business: string, key: string) =>
      loadOutbound(sql`o.business = ${business} AND o.idempotency_key = ${key}`)
    const mustExist = (id: string) => (found: Option.Option<Outbound.OutboundMessage>) =>
      Option.isSome(found)
        ? Effect.succeed(found.value)
        : Effect.dieMessage(`outbound message ${id} vanished inside its transaction`)

    const traced = <A, E>(operation: string, effect: Effect.Effect<A, E | SqlError>) =>
      effect.pipe(
        Effect.mapError((error) =>
          error instanceof SessionStore.InvalidCursor ? error : toStorageError(operation)(error)
        ),
        Effect.withSpan(`Storage.${operation}`)
      )

    const store: StorageShape = {
      backend,
      ingest: (batch) =>
        traced(
          "ingest",
          Effect.map(ingest.run(batch), (plan) => ({ items: plan.results, released: plan.parking.released.length }))
        ),
      getWindow: (pair) =>
        traced(
          "getWindow",
          Effect.flatMap(
            sql`SELECT ${windowCols} FROM wa_windows WHERE business = ${pair.business} AND customer = ${pair.customer}`,
            fromRow
          )
        ),
      closeByProvider: (pair, at, now, policy) =>
        traced(
          "closeByProvider",
          Effect.asVoid(ingest.run({ now, policy, items: [{ _tag: "Close", pair, at }], resolves: [] }))
        ),
      listExpiring: (query) =>
        Effect.gen(function*() {
          const bounds = yield* StoreCursor.expiringBounds(query)
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
                StoreCursor.encodeExpiring({
                  expiresAt: expiresAtMillis(last),
                  business: last.business,
                  customer: last.customer
                })
              )
              : Option.none()
          }
        }).pipe(Effect.withSpan("Storage.listExpiring")),
      countOpen: (now, safetyMargin) =>
        traced(
          "countOpen",
          Effect.flatMap(
            sql`SELECT COUNT(*) AS n FROM wa_windows
WHERE expires_at > ${millis(DateTime.addDuration(now, safetyMargin))}
AND (closed_by_provider_at IS NULL OR closed_by_provider_at < last_inbound_at)`,
            decodeCount
          )
        ),
      insertOutbound: (message, options) =>
        traced(
          "insertOutbound",
          sql.withTransaction(Effect.gen(function*() {
            if (yield* ingest.insertOutboundRows(message, options?.queued === true ? "queued" : null)) {
              return { inserted: true, message: yield* Effect.flatMap(loadById(message.id), mustExist(message.id)) }
            }
            const byKey = Option.isNone(message.idempotencyKey)
              ? Option.none<Outbound.OutboundMessage>()
              : yield* loadByKey(message.business, message.idempotencyKey.value)
            const existing = Option.isSome(byKey) ? byKey : yield* loadById(message.id)
            return { inserted: false, message: yield* mustExist(message.id)(existing) }
          }))
        ),
      findOutbound: (id) => traced("findOutbound", loadById(id)),
      findOutboundByIdempotencyKey: (business, key) => traced("findOutboundByIdempotencyKey", loadByKey(business, key)),
      setProviderMessageId: (id, providerMessageId) =>
        traced(
          "setProviderMessageId",
          Effect.asVoid(sql`UPDATE wa_outbound SET provider_message_id = ${providerMessageId} WHERE id = ${id}`)
        ),
      recordStatus: (ref, event, recordedAt) =>
        traced(
          "recordStatus",
          Effect.gen(function*() {
            const known = yield* ingest.loadRefs([ref])
            if (known.size === 0) return Option.none<SessionStore.RecordedStatus>()
            const plan = yield* ingest.run({
              now: recordedAt,
              policy: WindowEvents.defaultPolicy,
              items: [Ingest.ownStatus(ref, event)],
              resolves: []
            })
            const result = plan.results[0]
            return result?._tag === "Status" && Option.isSome(result.message)
              ? Option.some({ applied: result.outcome === "applied", message: result.message.value })
              : Option.none<SessionStore.RecordedStatus>()
          })
        ),
      claimFallback: (id, fallbackMessageId) =>
        traced(
          "claimFallback",
          Effect.map(
            sql`UPDATE wa_outbound SET fallback_message_id = ${fallbackMessageId}
WHERE id = ${id} AND fallback_message_id IS NULL RETURNING id`,
            (rows) => rows.length > 0
          )
        ),
      claimSends: ({ id, limit, now }) =>
        traced(
          "claimSends",
          Effect.gen(function*() {
            const size = Math.max(0, Math.floor(limit))
            if (size === 0) return []
            // next in its pair's line: no other job of the pair claimed or in flight, and none queued before it.
            // The pick is a MATERIALIZED CTE, evaluated once: as `id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)`,
            // PostgreSQL re-ran the subquery when a concurrent claim had changed a row, and one claim of one job
            // took every queued job (handing back one, the others claimed by nobody until their lease ran out).
            const claimed = yield* sql<{ readonly id: string }>`WITH picked AS MATERIALIZED (
SELECT o.id FROM wa_outbound o WHERE o.send_state = 'queued'
  AND (o.send_since IS NULL OR o.send_since <= ${millis(now)})${
              id === undefined ? sql.literal("") : sql` AND o.id = ${id}`
            } AND NOT EXISTS (SELECT 1 FROM wa_outbound p WHERE p.business = o.business AND p.customer = o.customer
  AND p.send_state IS NOT NULL AND p.send_state <> 'parked' AND p.id <> o.id
  AND (p.send_state <> 'queued' OR p.created_at < o.created_at OR (p.created_at = o.created_at AND p.id < o.id)))
ORDER BY o.created_at, o.id LIMIT ${size}${sql.literal(isPg ? " FOR UPDATE SKIP LOCKED" : "")})
UPDATE wa_outbound SET send_state = 'claimed', send_since = ${millis(now)}
WHERE id IN (SELECT id FROM picked) AND send_state = 'queued' RETURNING id`
            if (claimed.length === 0) return []
            return yield* IngestSql.loadMessages(sql, sql.in("o.id", claimed.map((row) => row.id)))
          })
        ),
      startSend: (id, now) =>
        traced(
          "startSend",
          Effect.map(
            sql`UPDATE wa_outbound SET send_state = 'sending', send_since = ${millis(now)}
WHERE id = ${id} AND send_state = 'claimed' RETURNING id`,
            (rows) => rows.length > 0
          )
        ),
      releaseSend: (id) =>
        traced(
          "releaseSend",
          Effect.asVoid(sql`UPDATE wa_outbound SET send_state = 'queued', send_since = NULL
WHERE id = ${id} AND send_state = 'claimed'`)
        ),
      retrySend: (id, notBefore) =>
        traced(
          "retrySend",
          Effect.asVoid(sql`UPDATE wa_outbound SET send_state = 'queued', send_since = ${millis(notBefore)}
WHERE id = ${id} AND send_state = 'sending'`)
        ),
      finishSend: (id) =>
        traced(
          "finishSend",
          Effect.asVoid(sql`UPDATE wa_outbound SET send_state = NULL, send_since = NULL
WHERE id = ${id} AND send_state = 'sending'`)
        ),
      recoverSends: (before, now) =>
        traced(
          "recoverSends",
          sql.withTransaction(Effect.gen(function*() {
            const requeued = yield* sql`UPDATE wa_outbound SET send_state = 'queued', send_since = NULL
WHERE send_state = 'claimed' AND send_since < ${millis(before)} RETURNING id`
            const stale = yield* sql<{ readonly id: string; readonly status_rank: unknown }>`SELECT id, status_rank
FROM wa_outbound WHERE send_state = 'sending' AND send_since < ${millis(before)}`
            if (stale.length === 0) return { requeued: requeued.length, unknown: 0 }
            const open = stale.filter((row) => Number(row.status_rank) < Outbound.rank("unknown"))
            if (open.length > 0) {
              yield* ingest.run({
                now,
                policy: WindowEvents.defaultPolicy,
                items: open.map((row) => Ingest.ownStatus({ _tag: "ById", id: row.id }, Outbound.abandonedSend(now))),
                resolves: []
              })
            }
            yield* sql`UPDATE wa_outbound SET send_state = NULL, send_since = NULL
WHERE ${sql.in("id", stale.map((row) => row.id))} AND send_state = 'sending'`
            return { requeued: requeued.length, unknown: open.length }
          }))
        ),
      reserveSendSlot: (now, policy) =>
        traced(
          "reserveSendSlot",
          Effect.gen(function*() {
            const at = millis(now)
            const rows = yield* sql`UPDATE wa_send_pacing SET tat = ${
              sql.literal(isPg ? "GREATEST" : "MAX")
            }(tat, ${at}) + ${Pacing.intervalMillis(policy)} WHERE id = 1 RETURNING tat AS n`
            const tat = yield* decodeCount(rows)
            return DateTime.unsafeMake(Pacing.slotOf(tat, at, policy))
          })
        ),
      emitDueWindowEvents: (now, policy, limit) =>
        traced(
          "emitDueWindowEvents",
          Effect.gen(function*() {
            const due = yield* ingest.duePairs(now, policy, limit)
            if (due.length === 0) return 0
            const plan = yield* ingest.run({
              now,
              policy,
              items: due.map((pair): Ingest.Tick => ({ _tag: "Tick", pair })),
              resolves: []
            })
            return plan.events.length
          })
        ),
      listMessages: (pair, limit, cursor) => traced("listMessages", reads.listMessages(pair, limit, cursor)),
      listQuarantine: (query) => traced("listQuarantine", reads.listQuarantine(query)),
      findQuarantine: (id) => traced("findQuarantine", reads.findQuarantine(id)),
      requarantine: (id, reason) => traced("requarantine", reads.requarantine(id, reason)),
      prune: (before, limit) => traced("prune", reads.prune(before, limit)),
      park: (request) => traced("park", parking.park(request)),
      cancelParked: (id, now) => traced("cancelParked", parking.cancel(id, now)),
      expireParked: (now, limit) => traced("expireParked", parking.expire(now, limit)),
      listParked: (query) => traced("listParked", parking.list(query)),
      listEvents: (query) => traced("listEvents", eventLog.listEvents(query)),
      addEndpoint: (endpoint) => traced("addEndpoint", Effect.asVoid(eventLog.insertEndpoint(endpoint))),
      configureEndpoint: (endpoint, now) => traced("configureEndpoint", eventLog.configureEndpoint(endpoint, now)),
      listEndpoints: traced("listEndpoints", eventLog.listEndpoints),
      findEndpoint: (id) => traced("findEndpoint", eventLog.findEndpoint(id)),
      deleteEndpoint: (id, now) => traced("deleteEndpoint", eventLog.deleteEndpoint(id, now)),
      listDeliveries: (query) => traced("listDeliveries", eventLog.listDeliveries(query)),
      claimDeliveries: (query) => traced("claimDeliveries", eventLog.claimDeliveries(query)),
      completeDeliveries: (attempts) => traced("completeDeliveries", eventLog.completeDeliveries(attempts)),
      replay: (query) => traced("replay", eventLog.replay(query)),
      ping: traced("ping", Effect.asVoid(sql`SELECT 1`))
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
export const layer: Layer.Layer<
  SessionStore.SessionStore | EventLog.EventLog | Storage,
  SessionStore.StorageError,
  SqlClient.SqlClient
> = Layer.effectContext(Effect.map(make, context))
