import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Delivery, Event, type EventLog, SessionStore, StoreCursor } from "@wa-session/session-core"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as LightCommit from "./lightCommit.js"
import { chunked, chunks, toMillis, toMillisOrNull } from "./sql.js"

const iso = (millis: number): string => new Date(millis).toISOString()

/** `events` column: `,a,b,` (so that one LIKE finds a type), or null for all types. */
export const eventsColumn = (events: Option.Option<ReadonlyArray<Event.EventType>>): string | null =>
  Option.match(events, { onNone: () => null, onSome: (types) => `,${types.join(",")},` })

const eventsOf = (column: unknown): Option.Option<ReadonlyArray<Event.EventType>> =>
  typeof column === "string"
    ? Option.some(column.split(",").filter((type): type is Event.EventType => Event.isEventType(type)))
    : Option.none()

// Rows are ours: built without validating them again (this runs for every claimed delivery).
const OWN_ROW = true

export const toEndpoint = (row: Record<string, unknown>): Delivery.Endpoint =>
  new Delivery.Endpoint({
    id: String(row.id),
    url: String(row.url),
    events: eventsOf(row.events),
    secret: Redacted.make(String(row.secret)),
    state: row.state === "disabled" ? "disabled" : "enabled",
    disabledReason: Option.fromNullable(row.disabled_reason as string | null),
    createdAt: DateTime.unsafeMake(toMillis(row.created_at))
  }, OWN_ROW)

/**
 * The JSON text of a stored event: the same text as `JSON.stringify(Event.encode(event))`, put together from the
 * columns without decoding `data` (stored as that JSON text).
 */
export const bodyOf = (row: Record<string, unknown>): string =>
  `{"id":${JSON.stringify(String(row.id))},"type":${JSON.stringify(String(row.type))},"createdAt":${
    JSON.stringify(iso(toMillis(row.created_at)))
  },"business":${JSON.stringify(row.business ?? null)},"customer":${JSON.stringify(row.customer ?? null)},"data":${
    String(row.data)
  }}`

/** A stored event type; our own rows holding another is a defect. */
const eventTypeOf = (value: unknown): Event.EventType => {
  if (typeof value === "string" && Event.isEventType(value)) return value
  throw new Error(`unexpected event type ${String(value)}`)
}

const textOrNull = (value: unknown): string | null => typeof value === "string" ? value : null

export const toPayload = (row: Record<string, unknown>): Event.Payload => ({
  id: String(row.id),
  type: eventTypeOf(row.type),
  business: textOrNull(row.business),
  customer: textOrNull(row.customer),
  body: bodyOf(row)
})

export const toEvent = (row: Record<string, unknown>): Event.Event =>
  Event.decode({
    id: row.id,
    type: row.type,
    createdAt: iso(toMillis(row.created_at)),
    business: row.business ?? null,
    customer: row.customer ?? null,
    data: JSON.parse(String(row.data))
  })

export const toDelivery = (row: Record<string, unknown>): Delivery.Delivery => {
  const instant = (value: unknown) => Option.map(Option.fromNullable(toMillisOrNull(value)), DateTime.unsafeMake)
  return new Delivery.Delivery({
    endpointId: String(row.endpoint_id),
    eventId: String(row.event_id),
    eventType: eventTypeOf(row.event_type),
    business: textOrNull(row.business),
    customer: textOrNull(row.customer),
    state: row.state === "delivered" ? "delivered" : row.state === "failed" ? "failed" : "pending",
    attempts: Number(row.attempts),
    createdAt: DateTime.unsafeMake(toMillis(row.created_at)),
    nextAttemptAt: instant(row.next_attempt_at),
    lastAttemptAt: instant(row.last_attempt_at),
    lastStatus: Option.map(Option.fromNullable(row.last_status as number | string | null), Number),
    lastError: Option.fromNullable(row.last_error as string | null),
    deliveredAt: instant(row.delivered_at)
  }, OWN_ROW)
}

const DELIVERY_COLUMNS = "d.endpoint_id, d.event_seq, d.event_id, d.event_type, d.business, d.customer, d.state, " +
  "d.attempts, d.created_at, d.next_attempt_at, d.lease_until, d.last_attempt_at, d.last_status, d.last_error, " +
  "d.delivered_at"

const EVENT_COLUMNS = "ev.id AS ev_id, ev.type AS ev_type, ev.business AS ev_business, ev.customer AS ev_customer, " +
  "ev.created_at AS ev_created_at, ev.data AS ev_data"

const ENDPOINT_COLUMNS = "ep.id AS ep_id, ep.url AS ep_url, ep.events AS ep_events, ep.secret AS ep_secret, " +
  "ep.state AS ep_state, ep.disabled_reason AS ep_disabled_reason, ep.created_at AS ep_created_at"

const prefixed = (row: Record<string, unknown>, prefix: string): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(row)) if (key.startsWith(prefix)) out[key.slice(prefix.length)] = value
  return out
}

/** The key a delivery's (endpoint, pair) queue is ordered under, as stored in `pair_key`. */
const PAIR_KEY_SQL = "CASE WHEN ev.business IS NULL OR ev.customer IS NULL THEN NULL " +
  "ELSE ev.business || '|' || ev.customer END"

/**
 * The endpoints that want an event: `events` null or naming its type. A disabled endpoint gets its deliveries too
 * (they wait, in order, until it is enabled again): nothing recorded meanwhile is skipped.
 */
const WANTS_SQL = "(ep.events IS NULL OR ep.events LIKE '%,' || ev.type || ',%')"

/** `bookkeeping`: the transaction of delivery claims and verdicts (see `LightCommit`). */
export const make = (
  sql: SqlClient.SqlClient,
  isPg: boolean,
  bookkeeping: LightCommit.Transaction = sql.withTransaction
) => {
  /**
   * Records the events (an event already recorded, same id, is skipped) and a pending delivery of each new one to
   * every endpoint that wants it. Runs inside the caller's transaction.
   */
  const record = (drafts: ReadonlyArray<Event.Draft>, now: DateTime.Utc): Effect.Effect<number, SqlError> =>
    Effect.gen(function*() {
      if (drafts.length === 0) return 0
      const rows = drafts.map(({ event }) => {
        const encoded = Event.encode(event)
        return {
          id: encoded.id,
          type: encoded.type,
          business: encoded.business,
          customer: encoded.customer,
          created_at: DateTime.toEpochMillis(event.createdAt),
          data: JSON.stringify(encoded.data)
        }
      })
      const inserted = yield* chunked(
        rows,
        (chunk) =>
          sql<{ readonly seq: unknown }>`INSERT INTO wa_events ${sql.insert(chunk)}
ON CONFLICT (id) DO NOTHING RETURNING seq`
      )
      if (inserted.length === 0) return 0
      const seqs = inserted.map((row) => toMillis(row.seq))
      const at = DateTime.toEpochMillis(now)
      yield* chunked(
        seqs,
        (chunk) =>
          sql`INSERT INTO wa_deliveries (endpoint_id, event_seq, event_id, event_type, business, customer, pair_key, state,
  attempts, created_at, next_attempt_at)
SELECT ep.id, ev.seq, ev.id, ev.type, ev.business, ev.customer, ${sql.literal(PAIR_KEY_SQL)}, 'pending', 0, ${at}, ${at}
FROM wa_events ev JOIN wa_endpoints ep ON ${sql.literal(WANTS_SQL)}
WHERE ${sql.in("ev.seq", chunk)}
ON CONFLICT DO NOTHING`
      )
      return inserted.length
    })

  const positionOf = (id: string) => (isPg
    ? sql<
      { readonly seq: unknown; readonly txid: unknown }
    >`SELECT seq, txid::text AS txid FROM wa_events WHERE id = ${id}`
    : sql<{ readonly seq: unknown; readonly txid: unknown }>`SELECT seq, NULL AS txid FROM wa_events WHERE id = ${id}`)

  const listEvents = (
    query: EventLog.EventQuery
  ): Effect.Effect<EventLog.EventPage, SqlError | SessionStore.InvalidCursor> =>
    Effect.gen(function*() {
      const limit = Math.max(0, Math.floor(query.limit))
      const conditions = []
      if (Option.isSome(query.after)) {
        const [position] = yield* positionOf(query.after.value)
        if (position === undefined) return yield* new SessionStore.InvalidCursor({ cursor: query.after.value })
        conditions.push(
          isPg
            ? sql`(txid, seq) > (${position.txid}::xid8, ${toMillis(position.seq)})`
            : sql`seq > ${toMillis(position.seq)}`
        )
      }
      if (isPg) conditions.push(sql`txid < pg_snapshot_xmin(pg_current_snapshot())`)
      if (Option.isSome(query.types)) {
        if (query.types.value.length === 0) return { items: [], last: Option.none() }
        conditions.push(sql.in("type", query.types.value))
      }
      const where = conditions.length === 0 ? sql`` : sql`WHERE ${sql.and(conditions)}`
      const rows = yield* sql<Record<string, unknown>>`SELECT id, type, business, customer, created_at, data
FROM wa_events ${where} ORDER BY ${sql.literal(isPg ? "txid, seq" : "seq")} LIMIT ${limit}`
      const items = rows.map(toEvent)
      return { items, last: Option.fromNullable(items[items.length - 1]?.id) }
    })

  const insertEndpoint = (endpoint: Delivery.Endpoint) =>
    sql`INSERT INTO wa_endpoints ${
      sql.insert({
        id: endpoint.id,
        url: endpoint.url,
        events: eventsColumn(endpoint.events),
        secret: Redacted.value(endpoint.secret),
        state: endpoint.state,
        disabled_reason: Option.getOrNull(endpoint.disabledReason),
        created_at: DateTime.toEpochMillis(endpoint.createdAt)
      })
    }`

  const deleteEndpoint = (id: string, now: DateTime.Utc) =>
    sql.withTransaction(Effect.gen(function*() {
      yield* sql`UPDATE wa_deliveries SET state = 'failed', last_error = 'endpoint deleted', next_attempt_at = NULL,
  lease_until = NULL, last_attempt_at = COALESCE(last_attempt_at, ${DateTime.toEpochMillis(now)})
WHERE endpoint_id = ${id} AND state = 'pending'`
      const deleted = yield* sql`DELETE FROM wa_endpoints WHERE id = ${id} RETURNING id`
      return deleted.length > 0
    }))

  const configureEndpoint = (endpoint: Option.Option<Delivery.Endpoint>, now: DateTime.Utc) =>
    Option.match(endpoint, {
      onNone: () => Effect.asVoid(deleteEndpoint(Delivery.CONFIGURED_ENDPOINT_ID, now)),
      onSome: (endpoint) =>
        sql`INSERT INTO wa_endpoints ${
          sql.insert({
            id: endpoint.id,
            url: endpoint.url,
            events: eventsColumn(endpoint.events),
            secret: Redacted.value(endpoint.secret),
            state: "enabled",
            disabled_reason: null,
            created_at: DateTime.toEpochMillis(endpoint.createdAt)
          })
        }
ON CONFLICT (id) DO UPDATE SET url = excluded.url, events = excluded.events, secret = excluded.secret,
  state = 'enabled', disabled_reason = NULL`.pipe(Effect.asVoid)
    })

  const listDeliveries = (
    query: EventLog.DeliveryQuery
  ): Effect.Effect<EventLog.DeliveryPage, SqlError | SessionStore.InvalidCursor> =>
    Effect.gen(function*() {
      const limit = Math.max(0, Math.floor(query.limit))
      const conditions = []
      if (Option.isSome(query.state)) conditions.push(sql`d.state = ${query.state.value}`)
      if (Option.isSome(query.endpointId)) conditions.push(sql`d.endpoint_id = ${query.endpointId.value}`)
      if (Option.isSome(query.cursor)) {
        const [seq, endpoint] = yield* StoreCursor.decodeNumberKey(query.cursor.value)
        conditions.push(sql`(d.event_seq < ${seq} OR (d.event_seq = ${seq} AND d.endpoint_id > ${endpoint}))`)
      }
      const where = conditions.length === 0 ? sql`` : sql`WHERE ${sql.and(conditions)}`
      const rows = yield* sql<Record<string, unknown>>`SELECT ${sql.literal(DELIVERY_COLUMNS)} FROM wa_deliveries d
${where} ORDER BY d.event_seq DESC, d.endpoint_id LIMIT ${limit + 1}`
      const page = rows.slice(0, limit)
      const last = page[page.length - 1]
      return {
        items: page.map(toDelivery),
        nextCursor: rows.length > limit && last !== undefined
          ? Option.some(StoreCursor.encodeNumberKey(toMillis(last.event_seq), String(last.endpoint_id)))
          : Option.none()
      }
    })

  const claimDeliveries = (query: EventLog.ClaimQuery): Effect.Effect<ReadonlyArray<EventLog.Claimed>, SqlError> =>
    bookkeeping(Effect.gen(function*() {
      const now = DateTime.toEpochMillis(query.now)
      const lease = now + Math.max(1, Duration.toMillis(query.leaseFor))
      const limit = Math.max(0, Math.floor(query.limit))
      if (limit === 0) return []
      // SQLite's planner prefers the index on state, which reads every pending delivery to sort them
      const candidates = sql`SELECT d.endpoint_id, d.event_seq FROM wa_deliveries d${
        sql.literal(isPg ? "" : " INDEXED BY wa_deliveries_claim_order")
      }
JOIN wa_endpoints ep ON ep.id = d.endpoint_id AND ep.state = 'enabled'
WHERE d.state = 'pending' AND d.next_attempt_at <= ${now} AND (d.lease_until IS NULL OR d.lease_until <= ${now})
AND NOT EXISTS (SELECT 1 FROM wa_deliveries e WHERE e.endpoint_id = d.endpoint_id AND e.pair_key = d.pair_key
  AND e.state = 'pending' AND e.event_seq < d.event_seq)
ORDER BY d.next_attempt_at, d.event_seq LIMIT ${limit}${sql.literal(isPg ? " FOR UPDATE OF d SKIP LOCKED" : "")}`
      const claimed = yield* (
        isPg
          ? sql<Record<string, unknown>>`WITH picked AS MATERIALIZED (${candidates})
UPDATE wa_deliveries d SET lease_until = ${lease} FROM picked
WHERE d.endpoint_id = picked.endpoint_id AND d.event_seq = picked.event_seq
RETURNING d.endpoint_id, d.event_seq`
          : Effect.gen(function*() {
            yield* sql`UPDATE wa_deliveries SET business = business WHERE 0 = 1`
            const picked = yield* sql<Record<string, unknown>>`${candidates}`
            if (picked.length === 0) return []
            return yield* sql<Record<string, unknown>>`UPDATE wa_deliveries SET lease_until = ${lease}
WHERE ${sql.or(picked.map((row) => sql`(endpoint_id = ${row.endpoint_id} AND event_seq = ${row.event_seq})`))}
RETURNING endpoint_id, event_seq`
          })
      )
      if (claimed.length === 0) return []
      const rows = yield* sql<Record<string, unknown>>`SELECT ${sql.literal(DELIVERY_COLUMNS)}, ${
        sql.literal(EVENT_COLUMNS)
      }, ${sql.literal(ENDPOINT_COLUMNS)}
FROM wa_deliveries d JOIN wa_events ev ON ev.seq = d.event_seq JOIN wa_endpoints ep ON ep.id = d.endpoint_id
WHERE ${sql.or(claimed.map((row) => sql`(d.endpoint_id = ${row.endpoint_id} AND d.event_seq = ${row.event_seq})`))}
ORDER BY d.event_seq`
      return rows.map((row): EventLog.Claimed => ({
        delivery: toDelivery(row),
        event: toPayload(prefixed(row, "ev_")),
        endpoint: toEndpoint(prefixed(row, "ep_")),
        lease: toMillis(row.lease_until),
        seq: toMillis(row.event_seq)
      }))
    }))

  /** One attempt's update, inside the caller's transaction. */
  const completeOne = (claimed: EventLog.Claimed, attempt: EventLog.Attempt): Effect.Effect<void, SqlError> => {
    const at = DateTime.toEpochMillis(attempt.at)
    const status = Option.getOrNull(attempt.status)
    const error = Option.getOrNull(attempt.error)
    const mine = sql`endpoint_id = ${claimed.delivery.endpointId} AND event_seq = ${claimed.seq}
AND state = 'pending' AND lease_until = ${claimed.lease}`
    const verdict = attempt.verdict
    switch (verdict._tag) {
      case "Delivered":
        return Effect.void // all delivered ones of a round in one statement, below
      case "Retry":
        return Effect.asVoid(sql`UPDATE wa_deliveries SET attempts = attempts + 1, last_attempt_at = ${at},
  last_status = ${status}, last_error = ${verdict.error}, next_attempt_at = ${DateTime.toEpochMillis(verdict.at)},
  lease_until = NULL WHERE ${mine}`)
      case "GiveUp":
        return Effect.asVoid(sql`UPDATE wa_deliveries SET state = 'failed', attempts = attempts + 1,
  last_attempt_at = ${at}, last_status = ${status}, last_error = ${verdict.error}, next_attempt_at = NULL,
  lease_until = NULL WHERE ${mine}`)
      case "Gone":
        return Effect.gen(function*() {
          const updated = yield* sql`UPDATE wa_deliveries SET attempts = attempts + 1, last_attempt_at = ${at},
  last_status = ${status}, last_error = ${error ?? "410 Gone"}, next_attempt_at = ${at}, lease_until = NULL
WHERE ${mine} RETURNING endpoint_id`
          if (updated.length > 0) {
            yield* sql`UPDATE wa_endpoints SET state = 'disabled',
  disabled_reason = ${`answered 410 Gone at ${iso(at)}`} WHERE id = ${claimed.delivery.endpointId}`
          }
        })
    }
  }

  const completeDeliveries = (
    attempts: ReadonlyArray<{ readonly claimed: EventLog.Claimed; readonly attempt: EventLog.Attempt }>
  ): Effect.Effect<void, SqlError> =>
    attempts.length === 0 ? Effect.void : bookkeeping(Effect.gen(function*() {
      const delivered = attempts.filter(({ attempt }) => attempt.verdict._tag === "Delivered")
      for (const chunk of chunks(delivered, 200)) {
        // one row of values per delivery, joined on the primary key: a CASE per column with an OR per delivery
        // took SQLite 15 times longer (3 ms for 25 deliveries); typed, or PostgreSQL reads the values as text
        const values = sql.join(", ", false)(chunk.map(({ attempt, claimed }) =>
          sql`(CAST(${claimed.delivery.endpointId} AS TEXT), CAST(${claimed.seq} AS BIGINT),
  CAST(${claimed.lease} AS BIGINT), CAST(${DateTime.toEpochMillis(attempt.at)} AS BIGINT),
  CAST(${Option.getOrNull(attempt.status)} AS INTEGER))`
        ))
        yield* sql`UPDATE wa_deliveries SET state = 'delivered', attempts = attempts + 1, last_attempt_at = v.column4,
  last_status = v.column5, delivered_at = v.column4, last_error = NULL, next_attempt_at = NULL, lease_until = NULL
FROM (VALUES ${values}) AS v
WHERE wa_deliveries.endpoint_id = v.column1 AND wa_deliveries.event_seq = v.column2
  AND wa_deliveries.lease_until = v.column3 AND wa_deliveries.state = 'pending'`
      }
      for (const { attempt, claimed } of attempts) {
        yield* completeOne(claimed, attempt)
      }
    }))

  const replay = (query: EventLog.ReplayQuery): Effect.Effect<number, SqlError> =>
    sql.withTransaction(Effect.gen(function*() {
      const now = DateTime.toEpochMillis(query.now)
      const eventConditions = []
      if (Option.isSome(query.since)) {
        eventConditions.push(sql`ev.created_at >= ${DateTime.toEpochMillis(query.since.value)}`)
      }
      if (Option.isSome(query.eventIds)) {
        if (query.eventIds.value.length === 0) return 0
        eventConditions.push(sql.in("ev.id", query.eventIds.value))
      }
      const endpointCondition = Option.match(query.endpointId, {
        onNone: () => sql`1 = 1`,
        onSome: (id) => sql`ep.id = ${id}`
      })
      const events = eventConditions.length === 0 ? sql`1 = 1` : sql.and(eventConditions)
      const reset = yield* sql`UPDATE wa_deliveries SET state = 'pending', attempts = 0, created_at = ${now},
  next_attempt_at = ${now}, lease_until = NULL, delivered_at = NULL
WHERE state <> 'pending' AND EXISTS (
  SELECT 1 FROM wa_events ev JOIN wa_endpoints ep ON ep.id = wa_deliveries.endpoint_id
  WHERE ev.seq = wa_deliveries.event_seq AND ${events} AND ${endpointCondition}
) RETURNING endpoint_id`
      const added = yield* sql`INSERT INTO wa_deliveries (endpoint_id, event_seq, event_id, event_type, business,
  customer, pair_key, state, attempts, created_at, next_attempt_at)
SELECT ep.id, ev.seq, ev.id, ev.type, ev.business, ev.customer, ${
        sql.literal(PAIR_KEY_SQL)
      }, 'pending', 0, ${now}, ${now}
FROM wa_events ev JOIN wa_endpoints ep ON ${sql.literal(WANTS_SQL)} AND ${endpointCondition}
WHERE ${events} AND NOT EXISTS (
  SELECT 1 FROM wa_deliveries d WHERE d.endpoint_id = ep.id AND d.event_seq = ev.seq
) RETURNING endpoint_id`
      return reset.length + added.length
    }))

  return {
    record,
    listEvents,
    insertEndpoint,
    deleteEndpoint,
    configureEndpoint,
    listEndpoints: Effect.map(
      sql<Record<string, unknown>>`SELECT id, url, events, secret, state, disabled_reason, created_at
FROM wa_endpoints ORDER BY created_at, id`,
      (rows) => rows.map(toEndpoint)
    ),
    findEndpoint: (id: string) =>
      Effect.map(
        sql<Record<string, unknown>>`SELECT id, url, events, secret, state, disabled_reason, created_at
FROM wa_endpoints WHERE id = ${id}`,
        (rows) => Option.map(Option.fromNullable(rows[0]), toEndpoint)
      ),
    listDeliveries,
    claimDeliveries,
    completeDeliveries,
    replay
  }
}
