/**
 * Storage benchmark: inbound-recording throughput of every backend against raw better-sqlite3 doing the same
 * dedup insert + MAX upsert in the same run (ratios), single and batched commits; then the expiring-windows query
 * over 1,000,000 pairs. Rounds are interleaved so that load changes hit every variant alike; medians are printed
 * with min-max.
 *
 *   pnpm bench                                   (from the repo root: turbo runs every package's bench)
 *   node --import tsx bench/storage.ts [--quick] [--json <file>]   (from packages/storage)
 *
 * PostgreSQL figures need WA_SESSION_BENCH_PG_URL or the local server (postgres://postgres@127.0.0.1:5432/test);
 * the bench creates its own schema and drops it. Without a server those rows are skipped.
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import { PhoneNumber, SessionWindow } from "@wa-session/session-core"
import Sqlite from "better-sqlite3"
import { DateTime, Duration, Effect, Layer, ManagedRuntime, Option, Redacted } from "effect"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { GroupCommit, MemoryStore, PgStore, SqliteStore, Storage } from "../src/index.js"
import { recordInbound, recordInboundBatch } from "../test/support/ingest.js"

const args = process.argv.slice(2)
const QUICK = args.includes("--quick")
const jsonAt = args.indexOf("--json")
const JSON_OUT = jsonAt >= 0 ? args[jsonAt + 1] : undefined
const ROUNDS = QUICK ? 2 : 5
const SINGLE_OPS = QUICK ? 300 : 1000
const BATCH_OPS = QUICK ? 2000 : 10_000
const BATCH_SIZE = 100
const CALLERS = 64
const PAIRS = 1000
const QUERY_PAIRS = QUICK ? 100_000 : 1_000_000
const QUERY_RUNS = QUICK ? 20 : 60
const PG_URL = process.env["WA_SESSION_BENCH_PG_URL"] ?? "postgres://postgres@127.0.0.1:5432/test"
const DAY = 86_400_000

const dir = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "wa-storage-bench-"))
const log = (line: string) => process.stdout.write(line + "\n")

// ---------------------------------------------------------------------------------------------------------------
// Workload: unique messages over PAIRS pairs, random send times (so some extend, some do not)

const businesses = Array.from({ length: 10 }, (_, i) => PhoneNumber.unsafeMake(`+1555100${String(i).padStart(4, "0")}`))
const customers = Array.from(
  { length: PAIRS / 10 },
  (_, i) => PhoneNumber.unsafeMake(`+9198${String(i).padStart(8, "0")}`)
)
let sequence = 0
const T0 = Date.UTC(2035, 0, 1)
const messages = (count: number) =>
  Array.from({ length: count }, () => {
    const n = sequence++
    const at = T0 + Math.floor(Math.random() * 3_600_000)
    return new SessionWindow.InboundMessage({
      business: businesses[n % businesses.length]!,
      customer: customers[Math.floor(Math.random() * customers.length)]!,
      messageId: `wamid.bench.${n}`,
      sentAt: DateTime.unsafeMake(at),
      receivedAt: DateTime.unsafeMake(at + 5)
    })
  })

// ---------------------------------------------------------------------------------------------------------------
// Baseline: raw better-sqlite3, same schema (created by the store's migration), same pragmas, same statements

const makeRaw = (filename: string, synchronous: "FULL" | "NORMAL") => {
  const db = new Sqlite(filename)
  db.pragma("journal_mode = WAL")
  db.pragma("busy_timeout = 10000")
  db.pragma(`synchronous = ${synchronous}`)
  const dedup = db.prepare(
    "INSERT INTO wa_inbound (business, message_id, customer, sent_at, received_at) VALUES (?, ?, ?, ?, ?) " +
      "ON CONFLICT DO NOTHING RETURNING message_id"
  )
  const later = "(excluded.last_inbound_at > wa_windows.last_inbound_at OR " +
    "(excluded.last_inbound_at = wa_windows.last_inbound_at AND " +
    "excluded.basis_message_id > wa_windows.basis_message_id))"
  const upsert = db.prepare(
    "INSERT INTO wa_windows (business, customer, last_inbound_at, expires_at, basis_message_id, basis_received_at, " +
      "first_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (business, customer) DO UPDATE SET " +
      "last_inbound_at = MAX(wa_windows.last_inbound_at, excluded.last_inbound_at), " +
      "expires_at = MAX(wa_windows.expires_at, excluded.expires_at), " +
      `basis_message_id = CASE WHEN ${later} THEN excluded.basis_message_id ELSE wa_windows.basis_message_id END, ` +
      `basis_received_at = CASE WHEN ${later} THEN excluded.basis_received_at ELSE wa_windows.basis_received_at END, ` +
      "first_seen_at = MIN(wa_windows.first_seen_at, excluded.first_seen_at) " +
      "RETURNING business, customer, last_inbound_at, basis_message_id, basis_received_at, first_seen_at, " +
      "closed_by_provider_at"
  )
  const one = (message: SessionWindow.InboundMessage) => {
    const sent = DateTime.toEpochMillis(message.sentAt)
    const received = DateTime.toEpochMillis(message.receivedAt)
    if (dedup.get(message.business, message.messageId, message.customer, sent, received) === undefined) return
    upsert.get(message.business, message.customer, sent, sent + DAY, message.messageId, received, received)
  }
  const single = db.transaction(one)
  const batch = db.transaction((batch: ReadonlyArray<SessionWindow.InboundMessage>) => batch.forEach(one))
  return { db, single, batch }
}

// ---------------------------------------------------------------------------------------------------------------

interface QueryResult {
  readonly query: string
  readonly page: string
  readonly medianMs: number
  readonly minMs: number
  readonly maxMs: number
  readonly items: number
}

interface Variant {
  readonly name: string
  readonly backend: string
  readonly mode: "single" | "batch" | "group"
  /** the raw better-sqlite3 variant this one is compared with */
  readonly baseline: string
  readonly run: (batch: ReadonlyArray<SessionWindow.InboundMessage>) => Promise<void>
  readonly samples: Array<number>
}

const storeRunner = (
  runtime: ManagedRuntime.ManagedRuntime<Storage.Storage, unknown>,
  mode: "single" | "batch" | "group"
) =>
(all: ReadonlyArray<SessionWindow.InboundMessage>) =>
  runtime.runPromise(Effect.gen(function*() {
    const store = yield* Storage.Storage
    if (mode === "group") {
      yield* Effect.forEach(all, (message) => recordInbound(store, message), { concurrency: CALLERS, discard: true })
    } else if (mode === "single") {
      for (const message of all) yield* recordInbound(store, message)
    } else {
      for (let i = 0; i < all.length; i += BATCH_SIZE) yield* recordInboundBatch(store, all.slice(i, i + BATCH_SIZE))
    }
  }))

const median = (xs: ReadonlyArray<number>) => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })

const pgReachable = async () => {
  try {
    await Effect.runPromise(
      Layer.build(PgStore.layerClient({ url: Redacted.make(PG_URL), connectTimeout: "3 seconds" })).pipe(Effect.scoped)
    )
    return true
  } catch {
    return false
  }
}

const pgAdmin = (statement: string) =>
  Effect.runPromise(
    Effect.flatMap(PgClient.PgClient, (sql) => sql.unsafe(statement)).pipe(
      Effect.provide(PgStore.layerClient({ url: Redacted.make(PG_URL) }))
    )
  )

const withSearchPath = (schema: string) => {
  const url = new URL(PG_URL)
  url.searchParams.set("options", `-c search_path=${schema}`)
  return url.toString()
}

const main = async () => {
  const started = Date.now()
  const sqliteVersion = (new Sqlite(":memory:").prepare("select sqlite_version() v").get() as { v: string }).v
  const pg = await pgReachable()
  const schema = `wa_bench_${Date.now().toString(36)}`
  let pgVersion: string | undefined
  if (pg) {
    await pgAdmin(`CREATE SCHEMA ${schema}`)
    pgVersion = String(((await pgAdmin("SHOW server_version")) as Array<{ server_version: string }>)[0]?.server_version)
  }
  const machine = {
    cpu: NodeOs.cpus()[0]?.model ?? "unknown",
    cores: NodeOs.cpus().length,
    memoryGiB: Math.round(NodeOs.totalmem() / 2 ** 30),
    os: `${NodeOs.type()} ${NodeOs.release()}`,
    node: process.version,
    sqlite: sqliteVersion,
    postgres: pgVersion ?? "not reachable",
    loadAverageAtStart: NodeOs.loadavg().map((x) => Number(x.toFixed(2)))
  }
  log(`# wa-session storage bench${QUICK ? " (quick)" : ""}`)
  log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}`)
  log(`SQLite ${machine.sqlite}, PostgreSQL ${machine.postgres}, load average ${machine.loadAverageAtStart.join(" ")}`)

  const runtimes: Array<ManagedRuntime.ManagedRuntime<Storage.Storage, unknown>> = []
  const runtime = async (layer: Layer.Layer<Storage.Storage, unknown>) => {
    const rt = ManagedRuntime.make(layer)
    await rt.runPromise(Effect.void)
    runtimes.push(rt)
    return rt
  }
  const sqliteFull = await runtime(SqliteStore.layer({ filename: NodePath.join(dir, "store.db") }))
  const sqliteNormal = await runtime(
    SqliteStore.layer({ filename: NodePath.join(dir, "store-normal.db"), synchronous: "normal" })
  )
  const memory = await runtime(MemoryStore.layer)
  // the raw baselines get their own files with the store's schema (created by a store, then used directly)
  await runtime(SqliteStore.layer({ filename: NodePath.join(dir, "raw.db") }))
  await runtime(SqliteStore.layer({ filename: NodePath.join(dir, "raw-normal.db") }))
  const raw = makeRaw(NodePath.join(dir, "raw.db"), "FULL")
  const rawNormal = makeRaw(NodePath.join(dir, "raw-normal.db"), "NORMAL")
  const pgStore = pg ? await runtime(PgStore.layer({ url: Redacted.make(withSearchPath(schema)) })) : undefined
  const sqliteGroup = await runtime(
    GroupCommit.layer().pipe(Layer.provide(SqliteStore.layer({ filename: NodePath.join(dir, "store-group.db") })))
  )
  const pgGroup = pg
    ? await runtime(
      GroupCommit.layer().pipe(Layer.provide(PgStore.layer({ url: Redacted.make(withSearchPath(schema)) })))
    )
    : undefined

  const RAW = "raw better-sqlite3"
  const RAW_NORMAL = "raw better-sqlite3 synchronous=normal"
  const RAW_BATCH = `raw better-sqlite3, ${BATCH_SIZE}/tx`
  const rawBatch = (target: typeof raw) => async (m: ReadonlyArray<SessionWindow.InboundMessage>) => {
    for (let i = 0; i < m.length; i += BATCH_SIZE) target.batch(m.slice(i, i + BATCH_SIZE))
  }
  const variant = (
    name: string,
    backend: string,
    mode: "single" | "batch" | "group",
    baseline: string,
    run: Variant["run"]
  ): Variant => ({ name, backend, mode, baseline, run, samples: [] })
  const variants: Array<Variant> = [
    variant(RAW, "raw", "single", RAW, async (m) => m.forEach(raw.single)),
    variant("SqliteStore", "sqlite", "single", RAW, storeRunner(sqliteFull, "single")),
    ...(pgStore ? [variant("PgStore", "pg", "single", RAW, storeRunner(pgStore, "single"))] : []),
    variant("MemoryStore", "memory", "single", RAW, storeRunner(memory, "single")),
    variant(RAW_NORMAL, "raw", "single", RAW_NORMAL, async (m) => m.forEach(rawNormal.single)),
    variant("SqliteStore synchronous=normal", "sqlite", "single", RAW_NORMAL, storeRunner(sqliteNormal, "single")),
    variant(RAW_BATCH, "raw", "batch", RAW_BATCH, rawBatch(raw)),
    variant(`SqliteStore batch ${BATCH_SIZE}`, "sqlite", "batch", RAW_BATCH, storeRunner(sqliteFull, "batch")),
    ...(pgStore
      ? [variant(`PgStore batch ${BATCH_SIZE}`, "pg", "batch", RAW_BATCH, storeRunner(pgStore, "batch"))]
      : []),
    variant(`MemoryStore batch ${BATCH_SIZE}`, "memory", "batch", RAW_BATCH, storeRunner(memory, "batch")),
    variant(
      `SqliteStore + GroupCommit, ${CALLERS} callers`,
      "sqlite",
      "group",
      RAW_BATCH,
      storeRunner(sqliteGroup, "group")
    ),
    ...(pgGroup
      ? [variant(`PgStore + GroupCommit, ${CALLERS} callers`, "pg", "group", RAW_BATCH, storeRunner(pgGroup, "group"))]
      : [])
  ]

  // warm-up, then interleaved rounds
  for (const variant of variants) await variant.run(messages(variant.mode === "single" ? 100 : BATCH_SIZE * 5))
  for (let round = 0; round < ROUNDS; round++) {
    for (const variant of variants) {
      const workload = messages(variant.mode === "single" ? SINGLE_OPS : BATCH_OPS)
      const start = performance.now()
      await variant.run(workload)
      variant.samples.push(workload.length / ((performance.now() - start) / 1000))
    }
    log(`round ${round + 1}/${ROUNDS} done`)
  }

  const commits = (mode: Variant["mode"]) =>
    mode === "single" ? "1 per message" : mode === "batch" ? `1 per ${BATCH_SIZE}` : "1 per group of waiting callers"
  const baseline = (name: string) => median(variants.find((v) => v.name === name)!.samples)
  const inbound = variants.map((variant) => ({
    name: variant.name,
    backend: variant.backend,
    mode: variant.mode,
    baseline: variant.baseline,
    opsPerSecMedian: Math.round(median(variant.samples)),
    opsPerSecMin: Math.round(Math.min(...variant.samples)),
    opsPerSecMax: Math.round(Math.max(...variant.samples)),
    ratioToRawSqlite: Number((median(variant.samples) / baseline(variant.baseline)).toFixed(3))
  }))
  log("")
  log(
    `## Inbound recording (dedup + MAX upsert), ${ROUNDS} interleaved rounds, ` +
      `${SINGLE_OPS} single / ${BATCH_OPS} batched ops each`
  )
  log("| variant | commits | ops/s median | min-max | ratio | baseline |")
  log("|---|---|---:|---:|---:|---|")
  for (const row of inbound) {
    log(
      `| ${row.name} | ${commits(row.mode)} | ` +
        `${fmt(row.opsPerSecMedian)} | ` +
        `${fmt(row.opsPerSecMin)}-${fmt(row.opsPerSecMax)} | ${row.ratioToRawSqlite.toFixed(2)}x | ${row.baseline} |`
    )
  }

  // -------------------------------------------------------------------------------------------------------------
  // Expiring query over QUERY_PAIRS pairs

  log("")
  log(`## Expiring-windows query over ${fmt(QUERY_PAIRS)} pairs (limit 100, median of ${QUERY_RUNS})`)
  const NOW = Date.UTC(2040, 0, 1)
  const queryBusinesses = Array.from({ length: 100 }, (_, i) => `+1666${String(i).padStart(7, "0")}`)
  const queries = (first: string) =>
    [
      { name: "all businesses, 1 h horizon", horizon: Duration.hours(1), business: Option.none<string>() },
      { name: "one business, 6 h horizon", horizon: Duration.hours(6), business: Option.some(first) },
      { name: "all businesses, 24 h horizon", horizon: Duration.hours(24), business: Option.none<string>() }
    ] as const

  const measureQueries = async (runtime: ManagedRuntime.ManagedRuntime<Storage.Storage, unknown>) => {
    const results: Array<QueryResult> = []
    for (const query of queries(queryBusinesses[0]!)) {
      for (const page of ["first page", "second page (cursor)"]) {
        const times: Array<number> = []
        let items = 0
        for (let i = 0; i < QUERY_RUNS; i++) {
          await runtime.runPromise(Effect.gen(function*() {
            const store = yield* Storage.Storage
            const base = {
              now: DateTime.unsafeMake(NOW),
              horizon: query.horizon,
              safetyMargin: Duration.minutes(5),
              business: query.business as Option.Option<PhoneNumber.PhoneNumber>,
              limit: 100
            }
            const cursor = page === "first page"
              ? Option.none<string>()
              : (yield* store.listExpiring({ ...base, cursor: Option.none() })).nextCursor
            if (page !== "first page" && Option.isNone(cursor)) {
              return yield* Effect.dieMessage(`${query.name}: one page only`)
            }
            const start = performance.now()
            const result = yield* store.listExpiring({ ...base, cursor })
            times.push(performance.now() - start)
            items = result.items.length
          }))
        }
        results.push({
          query: query.name,
          page,
          medianMs: Number(median(times).toFixed(3)),
          minMs: Number(Math.min(...times).toFixed(3)),
          maxMs: Number(Math.max(...times).toFixed(3)),
          items
        })
      }
    }
    const times: Array<number> = []
    let open = 0
    for (let i = 0; i < Math.ceil(QUERY_RUNS / 4); i++) {
      await runtime.runPromise(Effect.gen(function*() {
        const store = yield* Storage.Storage
        const start = performance.now()
        open = yield* store.countOpen(DateTime.unsafeMake(NOW), Duration.minutes(5))
        times.push(performance.now() - start)
      }))
    }
    results.push({
      query: "countOpen (open-windows gauge)",
      page: "-",
      medianMs: Number(median(times).toFixed(3)),
      minMs: Number(Math.min(...times).toFixed(3)),
      maxMs: Number(Math.max(...times).toFixed(3)),
      items: open
    })
    return results
  }

  // SQLite: seed through raw better-sqlite3 in one transaction (the store's schema)
  const queryFile = NodePath.join(dir, "query.db")
  const sqliteQueryStore = await runtime(SqliteStore.layer({ filename: queryFile }))
  let seedStart = performance.now()
  {
    const db = new Sqlite(queryFile)
    db.pragma("synchronous = OFF")
    // bulk load without the secondary indexes, then rebuild them from their definitions in the schema
    const indexes = db.prepare(
      "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'wa_windows' " +
        "AND sql IS NOT NULL"
    ).all() as Array<{ name: string; sql: string }>
    for (const index of indexes) db.exec(`DROP INDEX ${index.name}`)
    const insert = db.prepare(
      "INSERT INTO wa_windows (business, customer, last_inbound_at, expires_at, basis_message_id, basis_received_at, " +
        "first_seen_at, closed_by_provider_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    )
    db.transaction(() => {
      for (let i = 0; i < QUERY_PAIRS; i++) {
        const last = NOW - 2 * DAY + Math.floor(Math.random() * 2 * DAY) // in the last 48 h: half expired at NOW
        insert.run(
          queryBusinesses[i % queryBusinesses.length],
          `+91${String(7_000_000_000 + i)}`,
          last,
          last + DAY,
          `wamid.q${i}`,
          last,
          last,
          i % 47 === 3 ? last + 1 : null // 2 % closed by the provider
        )
      }
    })()
    for (const index of indexes) db.exec(index.sql)
    db.exec("ANALYZE")
    db.close()
  }
  const sqliteSeedSeconds = (performance.now() - seedStart) / 1000
  log(`SQLite seeded in ${sqliteSeedSeconds.toFixed(1)} s`)
  const expiring: Array<QueryResult & { readonly backend: string }> = []
  for (const row of await measureQueries(sqliteQueryStore)) expiring.push({ backend: "sqlite", ...row })

  let pgSeedSeconds: number | undefined
  if (pg) {
    const querySchema = `${schema}_q`
    await pgAdmin(`CREATE SCHEMA ${querySchema}`)
    try {
      const pgQueryStore = await runtime(PgStore.layer({ url: Redacted.make(withSearchPath(querySchema)) }))
      seedStart = performance.now()
      const indexes = (await pgAdmin(
        `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = '${querySchema}' ` +
          `AND tablename = 'wa_windows' AND indexname <> 'wa_windows_pkey'`
      )) as Array<{ indexname: string; indexdef: string }>
      for (const index of indexes) await pgAdmin(`DROP INDEX ${querySchema}.${index.indexname}`)
      await pgAdmin(`INSERT INTO ${querySchema}.wa_windows (business, customer, last_inbound_at, expires_at,
  basis_message_id, basis_received_at, first_seen_at, closed_by_provider_at)
SELECT '+1666' || lpad(((i - 1) % 100)::text, 7, '0'), '+91' || (7000000000 + i)::text, last, last + ${DAY},
  'wamid.q' || i, last, last, CASE WHEN i % 47 = 3 THEN last + 1 END
FROM (SELECT i, ${NOW - 2 * DAY} + floor(random() * ${2 * DAY})::bigint AS last
  FROM generate_series(1, ${QUERY_PAIRS}) i) s`)
      for (const index of indexes) await pgAdmin(index.indexdef)
      await pgAdmin(`VACUUM ANALYZE ${querySchema}.wa_windows`)
      pgSeedSeconds = (performance.now() - seedStart) / 1000
      log(`PostgreSQL seeded in ${pgSeedSeconds.toFixed(1)} s`)
      for (const row of await measureQueries(pgQueryStore)) expiring.push({ backend: "pg", ...row })
    } finally {
      await pgAdmin(`DROP SCHEMA IF EXISTS ${querySchema} CASCADE`)
    }
  }

  log("| backend | query | page | median ms | min-max ms | items |")
  log("|---|---|---|---:|---:|---:|")
  for (const row of expiring) {
    log(
      `| ${row.backend} | ${row.query} | ${row.page} | ${row.medianMs.toFixed(2)} | ` +
        `${row.minMs.toFixed(2)}-${row.maxMs.toFixed(2)} | ${row.items} |`
    )
  }

  for (const rt of runtimes) await rt.dispose()
  raw.db.close()
  rawNormal.db.close()
  if (pg) await pgAdmin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  NodeFs.rmSync(dir, { recursive: true, force: true })

  const seconds = (Date.now() - started) / 1000
  log("")
  log(`total ${seconds.toFixed(0)} s, load average at end ${NodeOs.loadavg().map((x) => x.toFixed(2)).join(" ")}`)
  if (JSON_OUT !== undefined) {
    const report = {
      generatedAt: new Date().toISOString(),
      command: "pnpm bench (packages/storage: node --import tsx bench/storage.ts)",
      quick: QUICK,
      machine: { ...machine, loadAverageAtEnd: NodeOs.loadavg().map((x) => Number(x.toFixed(2))) },
      settings: { rounds: ROUNDS, singleOps: SINGLE_OPS, batchOps: BATCH_OPS, batchSize: BATCH_SIZE, pairs: PAIRS },
      inbound,
      expiring: { pairs: QUERY_PAIRS, runs: QUERY_RUNS, sqliteSeedSeconds, pgSeedSeconds, results: expiring },
      totalSeconds: Math.round(seconds)
    }
    NodeFs.mkdirSync(NodePath.dirname(NodePath.resolve(JSON_OUT)), { recursive: true })
    NodeFs.writeFileSync(JSON_OUT, JSON.stringify(report, null, 2) + "\n")
    log(`wrote ${JSON_OUT}`)
  }
}

main().catch((error) => {
  console.error(error)
  NodeFs.rmSync(dir, { recursive: true, force: true })
  process.exit(1)
})
