import { Outbound } from "@wa-session/session-core"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"

const COLUMNS = new Set([
  "id",
  "business",
  "customer",
  "idempotencyKey",
  "decision",
  "reason",
  "content",
  "fallback",
  "providerMessageId",
  "status",
  "history",
  "createdAt",
  "dryRun",
  "fallbackMessageId",
  "requestFingerprint"
])

/** An outbound message as a row of `wa_outbound`. */
export interface OutboundRow {
  readonly id: string
  readonly business: string
  readonly customer: string
  readonly idempotency_key: string | null
  readonly decision: string
  readonly reason: string | null
  readonly content: string
  readonly fallback: string | null
  readonly provider_message_id: string | null
  readonly status: string
  readonly status_rank: number
  readonly created_at: number
  readonly dry_run: number
  readonly fallback_message_id: string | null
  readonly request_fingerprint: string | null
  /** the encoded fields that have no column of their own, as a JSON object */
  readonly extra: string
}

/** A row of `wa_outbound_status`. */
export interface StatusRow {
  readonly status: string
  readonly status_rank: number
  readonly at: number
  readonly code: string | null
  readonly detail: string | null
}

const encodeMessage = Schema.encode(Outbound.OutboundMessage)

/** The row and history rows of a message; content and unknown fields are stored as their Schema encoding. */
export const toRows = (
  message: Outbound.OutboundMessage
): Effect.Effect<{ readonly row: OutboundRow; readonly history: ReadonlyArray<StatusRow> }> =>
  Effect.map(Effect.orDie(encodeMessage(message)), (encoded) => {
    const extra: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(encoded)) {
      if (!COLUMNS.has(key)) extra[key] = value
    }
    return {
      row: {
        id: message.id,
        business: message.business,
        customer: message.customer,
        idempotency_key: Option.getOrNull(message.idempotencyKey),
        decision: message.decision,
        reason: Option.getOrNull(message.reason),
        content: JSON.stringify(encoded.content),
        fallback: encoded.fallback === null ? null : JSON.stringify(encoded.fallback),
        provider_message_id: Option.getOrNull(message.providerMessageId),
        status: message.status,
        status_rank: Outbound.rank(message.status),
        created_at: DateTime.toEpochMillis(message.createdAt),
        dry_run: message.dryRun ? 1 : 0,
        fallback_message_id: Option.getOrNull(message.fallbackMessageId),
        request_fingerprint: Option.getOrNull(message.requestFingerprint),
        extra: JSON.stringify(extra)
      },
      history: Outbound.normalizeHistory(message.history).map((event) => ({
        status: event.status,
        status_rank: Outbound.rank(event.status),
        at: DateTime.toEpochMillis(event.at),
        code: Option.getOrNull(event.code),
        detail: Option.getOrNull(event.detail)
      }))
    }
  })

/** Epoch milliseconds as the drivers return them: a number (SQLite) or a decimal string (PostgreSQL BIGINT). */
export const Millis = Schema.Union(Schema.Number, Schema.NumberFromString)

const Json = Schema.parseJson()

/** A `wa_outbound` row joined with one of its history rows (`h_*`, null when the history is empty). */
const JoinedRow = Schema.Struct({
  id: Schema.String,
  business: Schema.String,
  customer: Schema.String,
  idempotency_key: Schema.NullOr(Schema.String),
  decision: Schema.String,
  reason: Schema.NullOr(Schema.String),
  content: Json,
  fallback: Schema.NullOr(Json),
  provider_message_id: Schema.NullOr(Schema.String),
  status: Schema.String,
  created_at: Millis,
  dry_run: Schema.Union(Schema.Number, Schema.Boolean),
  fallback_message_id: Schema.NullOr(Schema.String),
  request_fingerprint: Schema.NullOr(Schema.String),
  extra: Schema.parseJson(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  h_status: Schema.NullOr(Schema.String),
  h_at: Schema.NullOr(Millis),
  h_code: Schema.NullOr(Schema.String),
  h_detail: Schema.NullOr(Schema.String)
})

const decodeJoined = Schema.decodeUnknown(Schema.Array(JoinedRow))
const decodeMessage = Schema.decodeUnknown(Outbound.OutboundMessage)
const iso = (millis: number): string => new Date(millis).toISOString()

/**
 * Rebuilds a message from its joined rows (ordered by status rank). Our own rows failing to decode is a defect.
 */
export const fromJoinedRows = (
  rows: ReadonlyArray<unknown>
): Effect.Effect<Option.Option<Outbound.OutboundMessage>> =>
  Effect.gen(function*() {
    const joined = yield* decodeJoined(rows)
    const first = joined[0]
    if (first === undefined) return Option.none()
    const history = joined.flatMap((row) =>
      row.h_status === null || row.h_at === null
        ? []
        : [{ status: row.h_status, at: iso(row.h_at), code: row.h_code, detail: row.h_detail }]
    )
    const message = yield* decodeMessage({
      ...first.extra,
      id: first.id,
      business: first.business,
      customer: first.customer,
      idempotencyKey: first.idempotency_key,
      decision: first.decision,
      reason: first.reason,
      content: first.content,
      fallback: first.fallback,
      providerMessageId: first.provider_message_id,
      status: first.status,
      history,
      createdAt: iso(first.created_at),
      dryRun: first.dry_run === true || first.dry_run === 1,
      fallbackMessageId: first.fallback_message_id,
      requestFingerprint: first.request_fingerprint
    })
    return Option.some(message)
  }).pipe(Effect.orDie)
