import * as SqlClient from "@effect/sql/SqlClient"
import { afterAll, assert, describe, it } from "@effect/vitest"
import Sqlite from "better-sqlite3"
import { Effect, Either, Layer, Option } from "effect"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { SqliteStore, Storage } from "../src/index.js"
import { relaySuite } from "./RelayContract.js"
import { freshNumber, inbound, outbound, recordInbound, suite } from "./StoreContract.js"

const dir = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "wa-storage-contract-"))
afterAll(() => NodeFs.rmSync(dir, { recursive: true, force: true }))

suite("SqliteStore", SqliteStore.layer({ filename: NodePath.join(dir, "nested", "contract.db") }))
relaySuite("SqliteStore", SqliteStore.layer({ filename: NodePath.join(dir, "relay.db") }))

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
        { migration_id: 3 }
      ])
      db.close()
    }))

  it.effect("a database from before request fingerprints gains the column; its messages read as none", () =>
    Effect.gen(function*() {
      const filename = NodePath.join(dir, "before-fingerprints.db")
      const b = freshNumber()
      const message = outbound(b, freshNumber(), { idempotencyKey: "old-key", requestFingerprint: "a".repeat(32) })
      yield* Effect.flatMap(Storage.Storage, (store) => store.insertOutbound(message))
        .pipe(Effect.provide(SqliteStore.layer({ filename })))
      // back to the schema of migration 0002, with the message written then
      const db = new Sqlite(filename)
      db.exec(`ALTER TABLE wa_outbound DROP COLUMN request_fingerprint;
DELETE FROM wa_session_migrations WHERE migration_id = 3`)
      db.close()
      const read = yield* Effect.flatMap(Storage.Storage, (store) =>
        Effect.all([store.findOutbound(message.id), store.findOutboundByIdempotencyKey(b, "old-key")])
      ).pipe(Effect.provide(SqliteStore.layer({ filename })))
      for (const found of read) {
        assert.strictEqual(Option.getOrThrow(found).id, message.id)
        assert.deepStrictEqual(Option.getOrThrow(found).requestFingerprint, Option.none())
      }
      const after = new Sqlite(filename, { readonly: true })
      const last = after.prepare("SELECT max(migration_id) AS id FROM wa_session_migrations").get()
      assert.deepStrictEqual(last, { id: 3 })
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
