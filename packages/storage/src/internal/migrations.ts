import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Effect from "effect/Effect"

export const MIGRATIONS_TABLE = "wa_session_migrations"

/** Key of the PostgreSQL advisory lock that serializes migrations across processes (arbitrary, fixed). */
const PG_LOCK_KEY = "7761736573736"

const createTables = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // Keys compare byte-wise everywhere (SQLite BINARY, PostgreSQL "C"), as JavaScript compares ASCII strings.
  const key = sql.onDialectOrElse({ pg: () => `TEXT COLLATE "C"`, orElse: () => "TEXT" })
  const withoutRowid = sql.onDialectOrElse({ pg: () => "", orElse: () => " WITHOUT ROWID" })
  yield* sql.unsafe(`CREATE TABLE wa_windows (
  business ${key} NOT NULL,
  customer ${key} NOT NULL,
  last_inbound_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  basis_message_id ${key} NOT NULL,
  basis_received_at BIGINT NOT NULL,
  first_seen_at BIGINT NOT NULL,
  closed_by_provider_at BIGINT,
  PRIMARY KEY (business, customer)
)${withoutRowid}`)
  // Covers the provider-closure test too, so counting open windows never visits the table.
  yield* sql.unsafe(
    `CREATE INDEX wa_windows_expires_at ON wa_windows (expires_at, business, customer, last_inbound_at,
  closed_by_provider_at)`
  )
  yield* sql.unsafe(`CREATE INDEX wa_windows_business_expires_at ON wa_windows (business, expires_at, customer)`)
  yield* sql.unsafe(`CREATE TABLE wa_inbound (
  business ${key} NOT NULL,
  message_id ${key} NOT NULL,
  customer ${key} NOT NULL,
  sent_at BIGINT NOT NULL,
  received_at BIGINT NOT NULL,
  PRIMARY KEY (business, message_id)
)${withoutRowid}`)
  // SQLite: the dedup insert extends the window in the same statement (atomic without a transaction). The SET
  // clause is the one SqlStore uses on PostgreSQL; the contract suite checks both against the pure functions.
  yield* sql.onDialectOrElse({
    pg: () => Effect.void,
    orElse: () =>
      sql.unsafe(`CREATE TRIGGER wa_inbound_extends_window AFTER INSERT ON wa_inbound BEGIN
  INSERT INTO wa_windows (business, customer, last_inbound_at, expires_at, basis_message_id, basis_received_at,
    first_seen_at)
  VALUES (NEW.business, NEW.customer, NEW.sent_at, NEW.sent_at + 86400000, NEW.message_id, NEW.received_at,
    NEW.received_at)
  ON CONFLICT (business, customer) DO UPDATE SET
    last_inbound_at = MAX(wa_windows.last_inbound_at, excluded.last_inbound_at),
    expires_at = MAX(wa_windows.expires_at, excluded.expires_at),
    basis_message_id = CASE WHEN excluded.last_inbound_at > wa_windows.last_inbound_at
      OR (excluded.last_inbound_at = wa_windows.last_inbound_at
        AND excluded.basis_message_id > wa_windows.basis_message_id)
      THEN excluded.basis_message_id ELSE wa_windows.basis_message_id END,
    basis_received_at = CASE WHEN excluded.last_inbound_at > wa_windows.last_inbound_at
      OR (excluded.last_inbound_at = wa_windows.last_inbound_at
        AND excluded.basis_message_id > wa_windows.basis_message_id)
      THEN excluded.basis_received_at ELSE wa_windows.basis_received_at END,
    first_seen_at = MIN(wa_windows.first_seen_at, excluded.first_seen_at);
END`)
  })
  yield* sql.unsafe(`CREATE TABLE wa_outbound (
  id ${key} PRIMARY KEY NOT NULL,
  business ${key} NOT NULL,
  customer ${key} NOT NULL,
  idempotency_key ${key},
  decision TEXT NOT NULL,
  reason TEXT,
  content TEXT NOT NULL,
  fallback TEXT,
  provider_message_id ${key},
  status TEXT NOT NULL,
  status_rank INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  dry_run INTEGER NOT NULL,
  fallback_message_id TEXT,
  extra TEXT NOT NULL
)`)
  yield* sql.unsafe(`CREATE UNIQUE INDEX wa_outbound_idempotency ON wa_outbound (business, idempotency_key)`)
  yield* sql.unsafe(`CREATE INDEX wa_outbound_provider_message_id ON wa_outbound (provider_message_id)`)
  yield* sql.unsafe(`CREATE TABLE wa_outbound_status (
  message_id ${key} NOT NULL,
  status TEXT NOT NULL,
  status_rank INTEGER NOT NULL,
  at BIGINT NOT NULL,
  code TEXT,
  detail TEXT,
  PRIMARY KEY (message_id, status)
)${withoutRowid}`)
})

/**
 * The lossless relay: what customers sent (content, profile name, the raw item), the announcement state of window
 * events, queued sends, the quarantine, the event log, endpoints and deliveries. The window trigger goes: windows
 * are now written by the store from `Ingest.plan`, under the pairs' locks.
 */
const lossless = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const key = sql.onDialectOrElse({ pg: () => `TEXT COLLATE "C"`, orElse: () => "TEXT" })
  const isPg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
  if (!isPg) yield* sql.unsafe(`DROP TRIGGER IF EXISTS wa_inbound_extends_window`)
  for (
    const column of [
      "content_type TEXT",
      "content TEXT",
      "profile_name TEXT",
      "provider_timestamp BIGINT",
      "timestamp_adjustment TEXT",
      "raw TEXT"
    ]
  ) {
    yield* sql.unsafe(`ALTER TABLE wa_inbound ADD COLUMN ${column}`)
  }
  yield* sql.unsafe(`CREATE INDEX wa_inbound_pair_received ON wa_inbound (business, customer, received_at)`)
  yield* sql.unsafe(`CREATE INDEX wa_inbound_received_at ON wa_inbound (received_at)`)

  yield* sql.unsafe(`ALTER TABLE wa_windows ADD COLUMN announced_open INTEGER NOT NULL DEFAULT 0`)
  yield* sql.unsafe(`ALTER TABLE wa_windows ADD COLUMN announced_expiring_for BIGINT`)
  // Windows open now were open before the relay existed: announced, so that their expiry is reported.
  yield* sql.unsafe(`UPDATE wa_windows SET announced_open = 1
WHERE expires_at > ${Date.now()} AND (closed_by_provider_at IS NULL OR closed_by_provider_at < last_inbound_at)`)
  yield* sql.unsafe(`CREATE INDEX wa_windows_announced ON wa_windows (expires_at) WHERE announced_open = 1`)

  yield* sql.unsafe(`ALTER TABLE wa_outbound ADD COLUMN send_state TEXT`)
  yield* sql.unsafe(`CREATE INDEX wa_outbound_queued ON wa_outbound (created_at) WHERE send_state = 'queued'`)
  yield* sql.unsafe(`CREATE INDEX wa_outbound_pair_created ON wa_outbound (business, customer, created_at)`)
  yield* sql.unsafe(`CREATE INDEX wa_outbound_created_at ON wa_outbound (created_at)`)

  yield* sql.unsafe(`CREATE TABLE wa_quarantine (
  id ${key} PRIMARY KEY NOT NULL,
  kind TEXT NOT NULL,
  reason TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  raw TEXT NOT NULL,
  state TEXT NOT NULL,
  resolved_at BIGINT,
  retries INTEGER NOT NULL DEFAULT 0
)`)
  yield* sql.unsafe(`CREATE INDEX wa_quarantine_received_at ON wa_quarantine (received_at, id)`)

  // The log order: seq on SQLite (one writer at a time, so commit order); (txid, seq) on PostgreSQL, where
  // sequence numbers are taken before commit, read only below the oldest running transaction (see EventLog).
  yield* sql.unsafe(`CREATE TABLE wa_events (
  seq ${isPg ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT"},
  id ${key} NOT NULL UNIQUE,
  type TEXT NOT NULL,
  business ${key},
  customer ${key},
  created_at BIGINT NOT NULL,
  data TEXT NOT NULL${isPg ? ", txid xid8 NOT NULL DEFAULT pg_current_xact_id()" : ""}
)`)
  if (isPg) yield* sql.unsafe(`CREATE INDEX wa_events_txid_seq ON wa_events (txid, seq)`)
  yield* sql.unsafe(`CREATE INDEX wa_events_created_at ON wa_events (created_at)`)

  yield* sql.unsafe(`CREATE TABLE wa_endpoints (
  id ${key} PRIMARY KEY NOT NULL,
  url TEXT NOT NULL,
  events TEXT,
  secret TEXT NOT NULL,
  state TEXT NOT NULL,
  disabled_reason TEXT,
  created_at BIGINT NOT NULL
)`)

  yield* sql.unsafe(`CREATE TABLE wa_deliveries (
  endpoint_id ${key} NOT NULL,
  event_seq BIGINT NOT NULL,
  event_id ${key} NOT NULL,
  event_type TEXT NOT NULL,
  business ${key},
  customer ${key},
  pair_key ${key},
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  next_attempt_at BIGINT,
  lease_until BIGINT,
  last_attempt_at BIGINT,
  last_status INTEGER,
  last_error TEXT,
  delivered_at BIGINT,
  PRIMARY KEY (endpoint_id, event_seq)
)`)
  yield* sql.unsafe(
    `CREATE INDEX wa_deliveries_due ON wa_deliveries (next_attempt_at) WHERE state = 'pending'`
  )
  yield* sql.unsafe(
    `CREATE INDEX wa_deliveries_line ON wa_deliveries (endpoint_id, pair_key, event_seq) WHERE state = 'pending'`
  )
  yield* sql.unsafe(`CREATE INDEX wa_deliveries_state ON wa_deliveries (state, event_seq)`)
  yield* sql.unsafe(`CREATE INDEX wa_deliveries_event ON wa_deliveries (event_seq)`)
})

/**
 * The fingerprint of the send request that created an outbound message (`Outbound.requestFingerprint`), compared
 * when its idempotency key comes again. Null for the messages stored before, which replay as they always did.
 */
const requestFingerprint = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`ALTER TABLE wa_outbound ADD COLUMN request_fingerprint TEXT`)
})

/**
 * Durable sends: every real send is a job (`send_state`: queued, claimed, sending; null once settled) with the time
 * of its last move (`send_since`, for recovering the jobs of a server that died), the pacing state shared by all
 * servers, and the status ranks of 0.2.0 (`queued` and `unknown` joined the order). Send jobs claimed by a server
 * before this version are over (they were never handed out again); queued ones (fallback templates) become `queued`.
 */
const durableSends = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // the ranks of 0.2.0, written out: a migration must not move when the code's order changes again
  const rerank =
    "CASE status WHEN 'queued' THEN 0 WHEN 'pending' THEN 1 WHEN 'unknown' THEN 2 WHEN 'accepted' THEN 3 " +
    "WHEN 'sent' THEN 4 WHEN 'delivered' THEN 5 WHEN 'read' THEN 6 WHEN 'failed' THEN 7 ELSE status_rank END"
  yield* sql.unsafe(`ALTER TABLE wa_outbound ADD COLUMN send_since BIGINT`)
  yield* sql.unsafe(`UPDATE wa_outbound SET status_rank = ${rerank}`)
  yield* sql.unsafe(`UPDATE wa_outbound_status SET status_rank = ${rerank}`)
  yield* sql.unsafe(`UPDATE wa_outbound SET send_state = NULL WHERE send_state = 'claimed'`)
  yield* sql.unsafe(`UPDATE wa_outbound_status SET status = 'queued', status_rank = 0 WHERE status = 'pending'
AND message_id IN (SELECT id FROM wa_outbound WHERE send_state = 'queued')`)
  yield* sql.unsafe(`UPDATE wa_outbound SET status = 'queued', status_rank = 0 WHERE send_state = 'queued'
AND status = 'pending'`)
  yield* sql.unsafe(
    `CREATE INDEX wa_outbound_line ON wa_outbound (business, customer, created_at, id) WHERE send_state IS NOT NULL`
  )
  yield* sql.unsafe(
    `CREATE INDEX wa_outbound_send_since ON wa_outbound (send_since) WHERE send_state IN ('claimed', 'sending')`
  )
  yield* sql.unsafe(`CREATE TABLE wa_send_pacing (id INTEGER PRIMARY KEY NOT NULL, tat BIGINT NOT NULL)`)
  yield* sql.unsafe(`INSERT INTO wa_send_pacing (id, tat) VALUES (1, 0)`)
})

/**
 * The due deliveries in the order they are claimed (`next_attempt_at`, then `event_seq`): a claim reads as many as
 * it takes instead of every pending one, however long the backlog. Supersedes the index on `next_attempt_at` alone.
 */
const claimOrder = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(
    `CREATE INDEX wa_deliveries_claim_order ON wa_deliveries (next_attempt_at, event_seq) WHERE state = 'pending'`
  )
  yield* sql.unsafe(`DROP INDEX wa_deliveries_due`)
})

/**
 * Park and release: a parked message is a row with `send_state = 'parked'` and the end of its time to live
 * (`park_expires_at`, what the scheduler scans), and each pair's last re-engagement template (at most one per
 * interval).
 */
const parking = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const key = sql.onDialectOrElse({ pg: () => `TEXT COLLATE "C"`, orElse: () => "TEXT" })
  const withoutRowid = sql.onDialectOrElse({ pg: () => "", orElse: () => " WITHOUT ROWID" })
  yield* sql.unsafe(`ALTER TABLE wa_outbound ADD COLUMN park_expires_at BIGINT`)
  yield* sql.unsafe(
    `CREATE INDEX wa_outbound_parked ON wa_outbound (park_expires_at, id) WHERE send_state = 'parked'`
  )
  yield* sql.unsafe(`CREATE TABLE wa_reengagements (
  business ${key} NOT NULL,
  customer ${key} NOT NULL,
  reengaged_at BIGINT NOT NULL,
  PRIMARY KEY (business, customer)
)${withoutRowid}`)
})

const loader = Migrator.fromRecord({
  "0001_create_tables": createTables,
  "0002_lossless_relay": lossless,
  "0003_request_fingerprint": requestFingerprint,
  "0004_durable_sends": durableSends,
  "0005_delivery_claim_order": claimOrder,
  "0006_parking": parking
})

const migrate = Migrator.make({})({ loader, table: MIGRATIONS_TABLE })

/**
 * Runs the migrations once per database even when several processes start together. The @effect/sql migrator alone
 * is not enough: on PostgreSQL two processes can both try to create its table, and on SQLite a deferred
 * transaction that read first cannot take the write lock, which the migrator reports as "already running" and
 * then continues before the tables exist. So the whole run happens in one transaction that first takes a lock:
 * an advisory lock on PostgreSQL, the SQLite write lock (a write as first statement waits on busy_timeout).
 */
export const run: Effect.Effect<
  ReadonlyArray<readonly [id: number, name: string]>,
  Migrator.MigrationError | SqlError,
  SqlClient.SqlClient
> = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  return yield* sql.onDialectOrElse({
    pg: () =>
      sql.withTransaction(Effect.gen(function*() {
        yield* sql`SELECT pg_advisory_xact_lock(${sql.literal(PG_LOCK_KEY)})`
        yield* sql.unsafe(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
  migration_id integer primary key,
  created_at timestamp with time zone not null default now(),
  name text not null
)`)
        return yield* migrate
      })),
    orElse: () =>
      Effect.gen(function*() {
        yield* sql.unsafe(`CREATE TABLE IF NOT EXISTS wa_migration_lock (id INTEGER PRIMARY KEY NOT NULL)`)
        return yield* sql.withTransaction(Effect.gen(function*() {
          yield* sql.unsafe(`INSERT OR REPLACE INTO wa_migration_lock (id) VALUES (1)`)
          return yield* migrate
        }))
      })
  })
})
