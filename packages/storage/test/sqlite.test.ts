import * as SqlClient from "@effect/sql/SqlClient"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Outbound } from "@wa-session/session-core"
import Sqlite from "better-sqlite3"
import { DateTime, Duration, Effect, Either, Layer, Option } from "effect"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { SqliteStore, SqlStore, Storage } from "../src/index.js"
import * as LightCommit from "../src/internal/lightCommit.js"
import { parkingSuite } from "./ParkingContract.js"
import { relaySuite } from "./RelayContract.js"
import { freshNumber, inbound, outbound, recordInbound, suite } from "./StoreContract.js"
import { legacyRows, ROLLBACK_TO_0002 } from "./support/legacy.js"

const dir = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "wa-storage-contract-"))
afterAll(() => NodeFs.rmSync(dir, { recursive: true, force: true }))

suite("SqliteStore", SqliteStore.layer({ filename: NodePath.join(dir, "nested", "contract.db") }))
relaySuite("SqliteStore", SqliteStore.layer({ filename: NodePath.join(dir, "relay.db") }))
parkingSuite("SqliteStore", SqliteStore.layer({ filename: NodePath.join(dir, "parking.db") }))

describe("SqliteStore on a file", () => {
  it.effect("what was written survives closing and reopening; migrations run once", () =>
    Effect.gen(function*() {
      const filename = NodePath.join(dir, "reopen.db")
      const b = freshNumber()
      const c = freshNumber()
      const first = yield* Effect.flatMap(Storage.Storage, (store) => recordInbound(store, inbound(b, c, "m1", 1_000)))
        .pipe(Effect.provide(SqliteStore.layer({ filename })))
      const again = yield* Effect.flatMap(
        Storage.Storage,
        (store) => store.getWindow({ business: b, customer: c } as never)
      ).pipe(Effect.provide(SqliteStore.layer({ filename })))
      assert.deepStrictEqual(Option.map(again, (w) => w.basisMessageId), Option.some(first.window.basisMessageId))
      const db = new Sqlite(filename, { readonly: true })
      assert.deepStrictEqual(db.prepare("SELECT migration_id FROM wa_session_migrations").all(), [
        { migration_id: 1 },
        { migration_id: 2 },
        { migration_id: 3 },
        { migration_id: 4 },
        { migration_id: 5 },
        { migration_id: 6 }
      ])
      db.close()
    }))

  it.effect("a database from 0.1 gains fingerprints and send jobs: ranks of 0.2, queued fallbacks, old claims over", () =>
    Effect.gen(function*() {
      const filename = NodePath.join(dir, "from-0.1.db")
      const b = freshNumber()
      const message = outbound(b, freshNumber(), { idempotencyKey: "old-key", requestFingerprint: "a".repeat(32) })
      const queued = outbound(b, freshNumber())
      const claimed = outbound(b, freshNumber())
      yield* Effect.flatMap(Storage.Storage, (store) =>
        Effect.all([
          store.insertOutbound(message),
          store.insertOutbound(queued, { queued: true }),
          store.insertOutbound(claimed, { queued: true })
        ])).pipe(Effect.provide(SqliteStore.layer({ filename })))
      const db = new Sqlite(filename)
      for (
        const statement of [
          ...ROLLBACK_TO_0002,
          ...legacyRows({ accepted: message.id, queued: queued.id, claimed: claimed.id })
        ]
      ) db.exec(statement)
      db.close()
      const [read, claims] = yield* Effect.flatMap(Storage.Storage, (store) =>
        Effect.all([
          Effect.all([store.findOutbound(message.id), store.findOutboundByIdempotencyKey(b, "old-key")]),
          store.claimSends({ now: DateTime.unsafeMake(Date.UTC(2031, 0, 1)), limit: 100 })
        ])).pipe(Effect.provide(SqliteStore.layer({ filename })))
      for (const found of read) {
        assert.strictEqual(Option.getOrThrow(found).id, message.id)
        assert.deepStrictEqual(Option.getOrThrow(found).requestFingerprint, Option.none())
        assert.strictEqual(Option.getOrThrow(found).status, "accepted")
      }
      const mine = claims.filter((m) => m.business === b)
      assert.deepStrictEqual(mine.map((m) => [m.id, m.status]), [[queued.id, "queued"]])
      const after = new Sqlite(filename, { readonly: true })
      assert.deepStrictEqual(after.prepare("SELECT max(migration_id) AS id FROM wa_session_migrations").get(), {
        id: 6
      })
      assert.deepStrictEqual(
        after.prepare("SELECT status_rank FROM wa_outbound WHERE id = ?").get(message.id),
        { status_rank: Outbound.rank("accepted") }
      )
      assert.deepStrictEqual(
        after.prepare("SELECT send_state FROM wa_outbound WHERE id = ?").get(claimed.id),
        { send_state: null }
      )
      after.close()
    }))

  it.effect("the connection uses a busy timeout and synchronous=FULL by default, NORMAL on request", () =>
    Effect.gen(function*() {
      const pragmas = (synchronous?: "normal") =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const [sync] = yield* sql<{ synchronous: number }>`PRAGMA synchronous`
          const [timeout] = yield* sql<{ timeout: number }>`PRAGMA busy_timeout`
          return [sync?.synchronous, timeout?.timeout]
        }).pipe(Effect.provide(SqliteStore.layerClient({ filename: NodePath.join(dir, "pragmas.db"), synchronous })))
      assert.deepStrictEqual(yield* pragmas(), [2, 10_000])
      assert.deepStrictEqual(yield* pragmas("normal"), [1, 10_000])
    }))

  it.effect("relay bookkeeping commits without syncing; every other statement keeps the configured level", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const level = Effect.map(sql<{ synchronous: number }>`PRAGMA synchronous`, (rows) => rows[0]?.synchronous)
      yield* sql`CREATE TABLE leases (id INTEGER PRIMARY KEY)`
      const light = yield* LightCommit.make(sql, false)
      // a statement issued while a light transaction is open waits for it, so it never runs at the relaxed level
      const [inside, outsideMeanwhile] = yield* Effect.all([
        light(Effect.zipLeft(level, sql`INSERT INTO leases (id) VALUES (1)`)),
        level
      ], { concurrency: 2 })
      assert.deepStrictEqual([inside, outsideMeanwhile, yield* level], [1, 2, 2])
      const failed = yield* Effect.either(
        light(Effect.zipRight(sql`INSERT INTO leases (id) VALUES (2)`, Effect.fail("no")))
      )
      assert.deepStrictEqual(failed, Either.left("no"))
      assert.deepStrictEqual(yield* sql`SELECT id FROM leases`, [{ id: 1 }])
      assert.strictEqual(yield* level, 2)
      // claims run in it: the level is back afterwards
      const store = yield* SqlStore.make
      yield* store.claimDeliveries({ now: DateTime.unsafeMake(0), limit: 5, leaseFor: Duration.minutes(1) })
      assert.strictEqual(yield* level, 2)
    }).pipe(Effect.provide(SqliteStore.layerClient({ filename: NodePath.join(dir, "light.db") }))))

  it.effect("with synchronous=NORMAL configured, bookkeeping is a plain transaction", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      assert.strictEqual(yield* LightCommit.make(sql, false), sql.withTransaction)
    }).pipe(
      Effect.provide(SqliteStore.layerClient({ filename: NodePath.join(dir, "normal.db"), synchronous: "normal" }))
    ))

  it.effect("the file deleted or replaced while open: every operation fails with StorageError, nothing is written", () =>
    Effect.gen(function*() {
      for (const replace of [false, true]) {
        const filename = NodePath.join(dir, `vanishing-${replace}.db`)
        const outcome = yield* Effect.gen(function*() {
          const store = yield* Storage.Storage
          yield* store.ping
          NodeFs.rmSync(filename)
          if (replace) NodeFs.writeFileSync(filename, "")
          const ping = yield* Effect.either(store.ping)
          const write = yield* Effect.either(
            Effect.asVoid(recordInbound(store, inbound(freshNumber(), freshNumber(), "m1", 1_000)))
          )
          return { ping, write }
        }).pipe(Effect.provide(SqliteStore.layer({ filename })))
        for (const result of [outcome.ping, outcome.write]) {
          assert.isTrue(Either.isLeft(result), `replace=${replace}`)
          if (Either.isLeft(result)) {
            assert.strictEqual(result.left._tag, "StorageError")
            assert.include(result.left.message, "deleted or replaced")
          }
        }
      }
    }))

  it.effect("a file that cannot be opened fails with StorageError", () =>
    Effect.gen(function*() {
      const notADatabase = NodePath.join(dir, "garbage.db")
      NodeFs.writeFileSync(notADatabase, "this is not a database, not at all, just some text ".repeat(100))
      for (const filename of [dir, notADatabase]) {
        const result = yield* Effect.either(Layer.build(SqliteStore.layer({ filename })).pipe(Effect.scoped))
        assert.isTrue(Either.isLeft(result) && result.left._tag === "StorageError", filename)
      }
    }))
})
