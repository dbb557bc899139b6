import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type * as Statement from "@effect/sql/Statement"
import {
  Ingest,
  Outbound,
  PhoneNumber,
  type SessionStore,
  type SessionWindow,
  type WindowEvents
} from "@wa-session/session-core"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as EventLogSql from "./eventLog.js"
import { fromJoinedRows, toRows } from "./outbound.js"
import { chunked, lockPairs, toMillisOrNull, tupleIn } from "./sql.js"
import { fromRows, millis, WINDOW_MILLIS } from "./window.js"

export const WINDOW_COLUMNS =
  "business, customer, last_inbound_at, basis_message_id, basis_received_at, first_seen_at, " +
  "closed_by_provider_at, announced_open, announced_expiring_for"

const JOINED_SELECT = `SELECT o.id, o.business, o.customer, o.idempotency_key, o.decision, o.reason, o.content,
  o.fallback, o.provider_message_id, o.status, o.created_at, o.dry_run, o.fallback_message_id, o.request_fingerprint,
  o.extra, s.status AS h_status, s.at AS h_at, s.code AS h_code, s.detail AS h_detail
FROM wa_outbound o LEFT JOIN wa_outbound_status s ON s.message_id = o.id`

const OUTBOUND_COLUMNS = "id, business, customer, idempotency_key, decision, reason, content, fallback, " +
  "provider_message_id, status, status_rank, created_at, dry_run, fallback_message_id, request_fingerprint, extra, " +
  "send_state, park_expires_at"

/** Groups joined outbound rows (ordered by id, then status rank) into messages. */
const messagesOf = (rows: ReadonlyArray<Record<string, unknown>>) =>
  Effect.gen(function*() {
    const byId = new Map<string, Array<Record<string, unknown>>>()
    for (const row of rows) {
      const id = String(row.id)
      const group = byId.get(id)
      if (group === undefined) byId.set(id, [row])
      else group.push(row)
    }
    const messages: Array<Outbound.OutboundMessage> = []
    for (const group of byId.values()) messages.push(...Option.toArray(yield* fromJoinedRows(group)))
    return messages
  })

/**
 * The outbound messages (with their status history) whose rows match `where`, in their pair's line order: oldest
 * first, ties by id.
 */
export const loadMessages = (sql: SqlClient.SqlClient, where: Statement.Fragment) =>
  Effect.flatMap(
    sql<Record<string, unknown>>`${sql.literal(JOINED_SELECT)} WHERE ${where}
ORDER BY o.created_at, o.id, s.status_rank`,
    messagesOf
  )

const announcedOf = (row: Record<string, unknown>): WindowEvents.Announced => ({
  open: Number(row.announced_open) === 1,
  expiringFor: Option.fromNullable(toMillisOrNull(row.announced_expiring_for))
})

/** The pairs of `wa_windows` rows; our own rows failing to decode is a defect. */
const decodePairs = Schema.decodeUnknown(Schema.Array(Schema.Struct({
  business: PhoneNumber.PhoneNumber,
  customer: PhoneNumber.PhoneNumber
})))

export const make = (sql: SqlClient.SqlClient, isPg: boolean, events: ReturnType<typeof EventLogSql.make>) => {
  /** The messages named by the refs, each under every ref that names it. */
  const loadRefs = (refs: ReadonlyArray<SessionStore.OutboundRef>) =>
    Effect.gen(function*() {
      const ids = [...new Set(refs.flatMap((ref) => ref._tag === "ById" ? [ref.id] : []))]
      const providerIds = [
        ...new Set(refs.flatMap((ref) => ref._tag === "ByProviderId" ? [ref.providerMessageId] : []))
      ]
      const load = (where: Statement.Fragment) => loadMessages(sql, where)
      const byId = yield* chunked(ids, (chunk) => load(sql.in("o.id", chunk)))
      const byProviderId = yield* chunked(providerIds, (chunk) => load(sql.in("o.provider_message_id", chunk)))
      const messages = [...new Map([...byId, ...byProviderId].map((message) => [message.id, message])).values()]
      const found = new Map<string, Outbound.OutboundMessage>()
      for (const ref of refs) {
        // by provider id: the oldest message with it
        const message = messages.filter((m) =>
          ref._tag === "ById" ? m.id === ref.id : Option.contains(m.providerMessageId, ref.providerMessageId)
        ).sort((a, b) =>
          a.createdAt.epochMillis - b.createdAt.epochMillis || (a.id < b.id ? -1 : 1)
        )[0]
        if (message !== undefined) found.set(Ingest.refKey(ref), message)
      }
      return found
    })

  const loadPairs = (keys: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const tuples = [...new Set(keys)].map((key) => key.split("|"))
      const rows = yield* chunked(tuples, (chunk) =>
        sql<Record<string, unknown>>`SELECT ${sql.literal(WINDOW_COLUMNS)}, EXISTS (SELECT 1 FROM wa_outbound o
  WHERE o.send_state = 'parked' AND o.business = wa_windows.business AND o.customer = wa_windows.customer) AS has_parked
FROM wa_windows WHERE ${tupleIn(sql, "business, customer", chunk)}`)
      const windows = yield* fromRows(rows)
      const pairs = new Map<string, Ingest.PairState>()
      const withParked = new Set<string>()
      rows.forEach((row, i) => {
        const window = windows[i]!
        const key = Ingest.pairKey(window)
        pairs.set(key, { window: Option.some(window), announced: announcedOf(row) })
        if (row.has_parked === true || Number(row.has_parked) === 1) {
          withParked.add(key)
        }
      })
      return { pairs, withParked }
    })

  /** The parked messages of the pairs, by pair, in release order (under the pairs' locks: nothing else moves them). */
  const loadParked = (pairs: ReadonlyArray<readonly [string, string]>) =>
    Effect.gen(function*() {
      const unique = [...new Map(pairs.map((pair) => [`${pair[0]}|${pair[1]}`, pair])).values()]
      const parked = yield* chunked(unique, (chunk) =>
        loadMessages(sql, sql`o.send_state = 'parked' AND ${tupleIn(sql, "o.business, o.customer", chunk)}`))
      const byPair = new Map<string, Array<Outbound.OutboundMessage>>()
      for (const message of parked) {
        const key = Ingest.pairKey(message)
        const line = byPair.get(key)
        if (line === undefined) {
          byPair.set(key, [message])
        } else {
          line.push(message)
        }
      }
      return byPair
    })

  const readState = (batch: Ingest.Batch, refs: ReadonlyArray<SessionStore.OutboundRef>) =>
    Effect.gen(function*() {
      const outbound = yield* loadRefs(refs)
      const inboundItems = batch.items.filter((item): item is Ingest.PreparedInbound => item._tag === "Inbound")
      const known = yield* chunked(inboundItems, (chunk) =>
        sql<{ readonly business: string; readonly message_id: string; readonly customer: string }>`SELECT business,
  message_id, customer FROM wa_inbound WHERE ${
          tupleIn(sql, "business, message_id", chunk.map((item) => [item.message.business, item.message.messageId]))
        }`)
      const inbound = new Map(
        known.map((row) => [`${row.business}|${row.message_id}`, `${row.business}|${row.customer}`])
      )
      const pairKeys = [
        ...Ingest.pairsOf(batch.items).map(Ingest.pairKey),
        ...[...outbound.values()].map(Ingest.pairKey),
        ...inbound.values()
      ]
      const quarantineIds = batch.items.flatMap((item) =>
        item._tag === "Quarantine" ? [item.id] : item._tag === "Status" ? [item.quarantineId] : []
      )
      const present = yield* chunked(quarantineIds, (chunk) =>
        sql<{ readonly id: string }>`SELECT id FROM wa_quarantine WHERE ${sql.in("id", chunk)}`)
      const { pairs, withParked } = yield* loadPairs(pairKeys)
      // parked messages can wait only for a pair without a window yet, or one the windows read saw some for
      const mayHaveParked = inboundItems.filter((item) => {
        const key = Ingest.pairKey(item.message)
        return !pairs.has(key) || withParked.has(key)
      })
      return {
        pairs,
        inbound,
        outbound,
        quarantine: new Set(present.map((row) =>
          row.id
        )),
        parked: yield* loadParked(mayHaveParked.map((item) => [item.message.business, item.message.customer]))
      } satisfies Ingest.State
    })

  const writeInbound = (items: ReadonlyArray<Ingest.PreparedInbound>) =>
    chunked(items, (chunk) =>
      sql`INSERT INTO wa_inbound ${
        sql.insert(chunk.map((item) => ({
          business: item.message.business,
          message_id: item.message.messageId,
          customer: item.message.customer,
          sent_at: millis(item.message.sentAt),
          received_at: millis(item.message.receivedAt),
          content_type: item.contentType,
          content: JSON.stringify(item.content),
          profile_name: Option.getOrNull(item.profileName),
          provider_timestamp: Option.getOrNull(Option.map(item.providerTimestamp, millis)),
          timestamp_adjustment: item.timestampAdjustment,
          raw: item.raw
        })))
      } ON CONFLICT DO NOTHING`)

  const writeWindows = (windows: Ingest.Plan["windows"]) =>
    chunked(
      windows,
      (chunk) =>
        sql`INSERT INTO wa_windows ${
          sql.insert(chunk.map(({ announced, window }) => windowRow(window, announced)))
        } ON CONFLICT (business, customer) DO UPDATE SET last_inbound_at = excluded.last_inbound_at,
  expires_at = excluded.expires_at, basis_message_id = excluded.basis_message_id,
  basis_received_at = excluded.basis_received_at, first_seen_at = excluded.first_seen_at,
  closed_by_provider_at = excluded.closed_by_provider_at, announced_open = excluded.announced_open,
  announced_expiring_for = excluded.announced_expiring_for`
    )

  const writeStatuses = (statuses: ReadonlyArray<Ingest.StatusWrite>) =>
    Effect.forEach(statuses, ({ event, message }) =>
      Effect.zipRight(
        sql`INSERT INTO wa_outbound_status (message_id, status, status_rank, at, code, detail) VALUES (${message.id},
  ${event.status}, ${Outbound.rank(event.status)}, ${millis(event.at)}, ${Option.getOrNull(event.code)},
  ${Option.getOrNull(event.detail)}) ON CONFLICT DO NOTHING`,
        sql`UPDATE wa_outbound SET status = ${message.status}, status_rank = ${Outbound.rank(message.status)},
provider_message_id = COALESCE(provider_message_id, ${Option.getOrNull(message.providerMessageId)})
WHERE id = ${message.id}`
      ), { discard: true })

  /**
   * Inserts a message and its history; `queued` marks it a send job, `parked` a message waiting for its window.
   * Inside the caller's transaction.
   */
  const insertOutboundRows = (message: Outbound.OutboundMessage, sendState: "queued" | "parked" | null) =>
    Effect.gen(function*() {
      const { history, row } = yield* toRows(message)
      const inserted = yield* sql`INSERT INTO wa_outbound (${sql.literal(OUTBOUND_COLUMNS)}) VALUES (
  ${row.id}, ${row.business}, ${row.customer}, ${row.idempotency_key}, ${row.decision}, ${row.reason}, ${row.content},
  ${row.fallback}, ${row.provider_message_id}, ${row.status}, ${row.status_rank}, ${row.created_at}, ${row.dry_run},
  ${row.fallback_message_id}, ${row.request_fingerprint}, ${row.extra}, ${sendState},
  ${Option.getOrNull(Option.map(message.parkedUntil, millis))}
) ON CONFLICT DO NOTHING RETURNING id`
      if (inserted.length > 0) {
        for (const event of history) {
          yield* sql`INSERT INTO wa_outbound_status (message_id, status, status_rank, at, code, detail)
VALUES (${row.id}, ${event.status}, ${event.status_rank}, ${event.at}, ${event.code}, ${event.detail})
ON CONFLICT DO NOTHING`
        }
      }
      return inserted.length > 0
    })

  // in id order: entries have no pair lock, and two servers inserting the same ones in opposite orders would deadlock
  const writeQuarantine = (items: ReadonlyArray<Ingest.PreparedQuarantine>, now: number) =>
    chunked(
      [...items].sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      (chunk) =>
        sql`INSERT INTO wa_quarantine ${
          sql.insert(chunk.map((item) => ({
            id: item.id,
            kind: item.kind,
            reason: item.reason,
            received_at: now,
            raw: item.raw,
            state: "quarantined",
            resolved_at: null,
            retries: 0
          })))
        } ON CONFLICT DO NOTHING`
    )

  /**
   * Released messages become send jobs (a dry run's are settled: decided, never sent), expired ones are settled; only
   * those still parked (their statuses are written with the plan's).
   */
  const leaveParking = ({ expired, released }: Ingest.Plan["parking"]) =>
    Effect.zipRight(
      chunked(released.map((message) => message.id), (ids) =>
        sql`UPDATE wa_outbound SET send_state = CASE WHEN dry_run = 0 THEN 'queued' ELSE NULL END, send_since = NULL
WHERE ${sql.in("id", ids)} AND send_state = 'parked' RETURNING id`),
      chunked(
        expired.map((message) =>
          message.id
        ),
        (ids) =>
          sql`UPDATE wa_outbound SET send_state = NULL, send_since = NULL
WHERE ${sql.in("id", ids)} AND send_state = 'parked' RETURNING id`
      )
    )

  /**
   * Records a batch in one transaction: locks its pairs, reads what `Ingest.plan` needs, plans, and writes the plan
   * with its events and deliveries.
   */
  const run = (batch: Ingest.Batch): Effect.Effect<Ingest.Plan, SqlError> =>
    Effect.gen(function*() {
      const refs = batch.items.flatMap((item) => item._tag === "Status" ? [item.ref] : [])
      return yield* sql.withTransaction(Effect.gen(function*() {
        // the pairs of the reports' messages, for the locks: read inside the transaction, so that a message committed
        // since is locked too (a message never changes pair)
        const refPairs = isPg && refs.length > 0 ? [...(yield* loadRefs(refs)).values()].map(Ingest.pairKey) : []
        yield* lockPairs(sql, isPg, [...Ingest.pairsOf(batch.items).map(Ingest.pairKey), ...refPairs])
        const state = yield* readState(batch, refs)
        const plan = Ingest.plan(state, batch)
        const now = DateTime.toEpochMillis(batch.now)
        yield* writeInbound(plan.inbound)
        yield* writeWindows(plan.windows)
        yield* writeStatuses(plan.statuses)
        for (const { fallback, originalId } of plan.fallbacks) {
          // the fallback's id is derived from the original's: whoever inserts it first sends it, once
          yield* sql`UPDATE wa_outbound SET fallback_message_id = COALESCE(fallback_message_id, ${fallback.id})
WHERE id = ${originalId}`
          yield* insertOutboundRows(fallback, Outbound.isParked(fallback) ? "parked" : "queued")
        }
        yield* leaveParking(plan.parking)
        for (const { id, notBefore } of plan.requeues) {
          // a job still queued or in flight is left as it is: this report is about a send it already replaced
          yield* sql`UPDATE wa_outbound SET send_state = 'queued', send_since = ${millis(notBefore)}
WHERE id = ${id} AND send_state IS NULL AND dry_run = 0`
        }
        yield* writeQuarantine(plan.quarantine, now)
        if (plan.resolved.length > 0) {
          yield* sql`UPDATE wa_quarantine SET state = 'resolved', resolved_at = ${now}
WHERE ${sql.in("id", plan.resolved)} AND state = 'quarantined'`
        }
        yield* events.record(plan.events, batch.now)
        return plan
      }))
    })

  /** The pairs whose window events are due at `now` (see `WindowEvents.nextDueAt`), soonest first. */
  const duePairs = (now: DateTime.Utc, policy: WindowEvents.Policy, limit: number) => {
    const sendableBy = DateTime.toEpochMillis(now) + Duration.toMillis(policy.safetyMargin)
    const lead = Duration.toMillis(policy.expiringLead)
    return sql`SELECT business, customer FROM wa_windows
WHERE announced_open = 1 AND (expires_at <= ${sendableBy} OR (${lead} > 0 AND expires_at <= ${sendableBy + lead}
  AND (announced_expiring_for IS NULL OR announced_expiring_for <> expires_at)))
ORDER BY expires_at LIMIT ${Math.max(0, Math.floor(limit))}`.pipe(
      Effect.flatMap((rows) => Effect.orDie(decodePairs(rows)))
    )
  }

  return { run, duePairs, insertOutboundRows, loadRefs, writeStatuses }
}

export const windowRow = (window: SessionWindow.SessionWindow, announced: WindowEvents.Announced) => ({
  business: window.business,
  customer: window.customer,
  last_inbound_at: millis(window.lastInboundAt),
  expires_at: millis(window.lastInboundAt) + WINDOW_MILLIS,
  basis_message_id: window.basisMessageId,
  basis_received_at: millis(window.basisReceivedAt),
  first_seen_at: millis(window.firstSeenAt),
  closed_by_provider_at: Option.getOrNull(Option.map(window.closedByProviderAt, millis)),
  announced_open: announced.open ? 1 : 0,
  announced_expiring_for: Option.getOrNull(announced.expiringFor)
})
