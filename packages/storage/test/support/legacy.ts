/**
 * A database taken back to the schema of migration 0002 (before request fingerprints and durable sends), with rows as
 * 0.1 wrote them: the old status ranks, a queued fallback template still `pending`, a send claimed by an old server.
 */
export const ROLLBACK_TO_0002: ReadonlyArray<string> = [
  "DROP TABLE wa_reengagements",
  "DROP INDEX wa_outbound_parked",
  "ALTER TABLE wa_outbound DROP COLUMN park_expires_at",
  "DROP INDEX wa_deliveries_claim_order",
  "CREATE INDEX wa_deliveries_due ON wa_deliveries (next_attempt_at) WHERE state = 'pending'",
  "DROP INDEX wa_outbound_line",
  "DROP INDEX wa_outbound_send_since",
  "DROP TABLE wa_send_pacing",
  "ALTER TABLE wa_outbound DROP COLUMN send_since",
  "ALTER TABLE wa_outbound DROP COLUMN request_fingerprint",
  "DELETE FROM wa_session_migrations WHERE migration_id >= 3"
]

/** 0.1's rows: `accepted` ranked 1 (`sent` is 4 since 0.2.0), a queued fallback `pending` at rank 0, a claimed send. */
export const legacyRows = (ids: { readonly accepted: string; readonly queued: string; readonly claimed: string }) => [
  `UPDATE wa_outbound SET status = 'accepted', status_rank = 1 WHERE id = '${ids.accepted}'`,
  `UPDATE wa_outbound_status SET status = 'accepted', status_rank = 1 WHERE message_id = '${ids.accepted}'`,
  `UPDATE wa_outbound SET status = 'pending', status_rank = 0, send_state = 'queued' WHERE id = '${ids.queued}'`,
  `UPDATE wa_outbound_status SET status = 'pending', status_rank = 0 WHERE message_id = '${ids.queued}'`,
  `UPDATE wa_outbound SET send_state = 'claimed' WHERE id = '${ids.claimed}'`
]
