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

const loader = Migrator.fromRecord({
  "0001_create_tables": createTables
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
