// Parked messages (`"whenClosed": "park"`): parking one under its pair's lock, cancelling, expiring and listing them.
// Every move of a parked message happens under its pair's lock (the webhook transaction that releases them takes it
// too), and every update is conditional on the message still being parked.
import type * as SqlClient from "@effect/sql/SqlClient"
import type * as Statement from "@effect/sql/Statement"
import { Event, Ingest, Outbound, type SessionStore, SessionWindow } from "@wa-session/session-core"
import type * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as EventLogSql from "./eventLog.js"
import * as IngestSql from "./ingest.js"
import { lockPairs } from "./sql.js"
import { fromRow, millis } from "./window.js"

export const make = (
  sql: SqlClient.SqlClient,
  isPg: boolean,
  ingest: ReturnType<typeof IngestSql.make>,
  events: ReturnType<typeof EventLogSql.make>
) => {
  const load = (where: Statement.Fragment) => IngestSql.loadMessages(sql, where)
  const loadOne = (id: string) => Effect.map(load(sql`o.id = ${id}`), (messages) => Option.fromNullable(messages[0]))

  const park = ({ message, now, policy, reengagement, safetyMargin }: SessionStore.ParkRequest) =>
    sql.withTransaction(Effect.gen(function*() {
      yield* lockPairs(sql, isPg, [Ingest.pairKey(message)])
      const window = yield* Effect.flatMap(
        sql`SELECT ${sql.literal(IngestSql.WINDOW_COLUMNS)} FROM wa_windows
WHERE business = ${message.business} AND customer = ${message.customer}`,
        fromRow
      )
      if (Option.exists(window, (open) => SessionWindow.isOpenAt(open, now, { safetyMargin }))) {
        return { _tag: "WindowOpen" } as const
      }
      if (!(yield* ingest.insertOutboundRows(message, "parked"))) {
        const byKey = Option.isNone(message.idempotencyKey)
          ? []
          : yield* load(sql`o.business = ${message.business} AND o.idempotency_key = ${message.idempotencyKey.value}`)
        const taken = byKey[0] ?? Option.getOrUndefined(yield* loadOne(message.id))
        if (taken === undefined) return yield* Effect.dieMessage(`outbound message ${message.id} vanished`)
        return { _tag: "Parked", inserted: false, message: taken, reengagement: Option.none() } as const
      }
      let queued = Option.none<Outbound.OutboundMessage>()
      if (Option.isSome(reengagement)) {
        const lastBefore = millis(now) - Duration.toMillis(policy.reengageInterval)
        const nudged = yield* sql`INSERT INTO wa_reengagements (business, customer, reengaged_at)
VALUES (${message.business}, ${message.customer}, ${millis(now)})
ON CONFLICT (business, customer) DO UPDATE SET reengaged_at = excluded.reengaged_at
WHERE wa_reengagements.reengaged_at <= ${lastBefore} RETURNING business`
        const sendState = reengagement.value.dryRun ? null : "queued"
        if (nudged.length > 0 && (yield* ingest.insertOutboundRows(reengagement.value, sendState))) {
          queued = reengagement
        }
      }
      const parked = yield* loadOne(message.id)
      if (Option.isNone(parked)) return yield* Effect.dieMessage(`outbound message ${message.id} vanished`)
      return { _tag: "Parked", inserted: true, message: parked.value, reengagement: queued } as const
    }))

  /** Ends parked messages (`expired` or `cancelled`) that are still parked; the messages after, and their events. */
  const end = (
    messages: ReadonlyArray<Outbound.OutboundMessage>,
    status: "expired" | "cancelled",
    now: DateTime.Utc
  ) =>
    Effect.gen(function*() {
      if (messages.length === 0) return []
      yield* lockPairs(sql, isPg, messages.map(Ingest.pairKey))
      const ended = new Set(
        (yield* sql<{ readonly id: string }>`UPDATE wa_outbound SET send_state = NULL, send_since = NULL
WHERE ${sql.in("id", messages.map((message) => message.id))} AND send_state = 'parked' RETURNING id`)
          .map((row) => row.id)
      )
      const changes = messages.filter((message) => ended.has(message.id))
        .map((message) => ({ before: message, ...Outbound.moveTo(message, status, now) }))
      yield* ingest.writeStatuses(changes)
      if (status === "expired") {
        yield* events.record(
          changes.map(({ before, message }) =>
            Event.messageExpired(message, Option.getOrElse(before.parkedUntil, () => now), now)
          ),
          now
        )
      }
      return changes.map((change) => change.message)
    })

  const cancel = (id: string, now: DateTime.Utc) =>
    sql.withTransaction(Effect.gen(function*() {
      const found = yield* loadOne(id)
      if (Option.isNone(found)) return Option.none<SessionStore.CancelResult>()
      const [cancelled] = yield* end([found.value], "cancelled", now)
      if (cancelled !== undefined) return Option.some({ cancelled: true, message: cancelled })
      return Option.map(yield* loadOne(id), (message) => ({ cancelled: false, message }))
    }))

  const expire = (now: DateTime.Utc, limit: number) =>
    sql.withTransaction(Effect.gen(function*() {
      const size = Math.max(0, Math.floor(limit))
      if (size === 0) return 0
      const due = yield* load(sql`o.id IN (SELECT id FROM wa_outbound WHERE send_state = 'parked'
  AND park_expires_at <= ${millis(now)} ORDER BY park_expires_at, id LIMIT ${size})`)
      return (yield* end(due.filter(Outbound.isParked), "expired", now)).length
    }))

  const list = ({ business, customer, limit }: SessionStore.ParkedQuery) => {
    const size = Math.max(0, Math.floor(limit))
    const conditions = [
      sql`send_state = 'parked'`,
      ...Option.toArray(Option.map(business, (number) => sql`business = ${number}`)),
      ...Option.toArray(Option.map(customer, (number) => sql`customer = ${number}`))
    ]
    return size === 0 ?
      Effect.succeed([]) :
      load(sql`o.id IN (SELECT id FROM wa_outbound WHERE ${sql.and(conditions)} ORDER BY created_at, id LIMIT ${size})`)
  }

  return { park, cancel, expire, list }
}
