import { PhoneNumber, SessionWindow } from "@wa-session/session-core"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"

export const WINDOW_MILLIS = Duration.toMillis(SessionWindow.WINDOW_LENGTH)

const millisOf = (value: unknown, column: string): number => {
  const millis = typeof value === "number" ? value : typeof value === "string" ? Number(value) : NaN
  if (!Number.isSafeInteger(millis)) throw new Error(`wa_windows.${column}: expected epoch milliseconds, got ${value}`)
  return millis
}

const unexpected = (column: string, value: unknown) =>
  new Error(`wa_windows.${column}: unexpected value ${String(value)}`)

const textOf = (value: unknown, column: string): string => {
  if (typeof value !== "string" || value.length === 0) throw unexpected(column, value)
  return value
}

const phoneOf = (value: unknown, column: string): PhoneNumber.PhoneNumber => {
  if (!PhoneNumber.isPhoneNumber(value)) throw unexpected(column, value)
  return value
}

// Hand-written rather than Schema-decoded: this runs for every recorded message (a third of the CPU otherwise).
const toWindow = (row: Readonly<Record<string, unknown>>): SessionWindow.SessionWindow =>
  new SessionWindow.SessionWindow({
    business: phoneOf(row.business, "business"),
    customer: phoneOf(row.customer, "customer"),
    lastInboundAt: DateTime.unsafeMake(millisOf(row.last_inbound_at, "last_inbound_at")),
    basisMessageId: textOf(row.basis_message_id, "basis_message_id"),
    basisReceivedAt: DateTime.unsafeMake(millisOf(row.basis_received_at, "basis_received_at")),
    firstSeenAt: DateTime.unsafeMake(millisOf(row.first_seen_at, "first_seen_at")),
    closedByProviderAt: row.closed_by_provider_at === null
      ? Option.none()
      : Option.some(DateTime.unsafeMake(millisOf(row.closed_by_provider_at, "closed_by_provider_at")))
  }, true)

/** Decodes `wa_windows` rows; our own rows failing to decode is a defect. */
export const fromRows = (rows: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<SessionWindow.SessionWindow>> =>
  Effect.try(() => rows.map((row) => toWindow(Predicate.isRecord(row) ? row : {}))).pipe(Effect.orDie)

/** The first decoded row, if any. */
export const fromRow = (rows: ReadonlyArray<unknown>): Effect.Effect<Option.Option<SessionWindow.SessionWindow>> =>
  Effect.map(fromRows(rows.slice(0, 1)), (windows) => Option.fromNullable(windows[0]))

export const millis = (at: DateTime.Utc): number => DateTime.toEpochMillis(at)

export const expiresAtMillis = (window: SessionWindow.SessionWindow): number =>
  millis(window.lastInboundAt) + WINDOW_MILLIS
