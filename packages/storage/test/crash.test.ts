/**
 * Crash safety: a child process records inbound messages and acknowledges each commit on stdout; the parent kills
 * it with SIGKILL mid-stream, reopens the database and finds every acknowledged message (and nothing torn: the
 * recorded ids are gap-free and the window matches them).
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { assert, describe, it } from "@effect/vitest"
import type { Layer } from "effect"
import { DateTime, Effect, Option, Redacted } from "effect"
import * as NodePath from "node:path"
import { PgStore, SqliteStore, Storage, StoreConfig } from "../src/index.js"
import { freshSchema, pgAvailable, schemaLayer, urlWithSchema } from "./pg.js"
import { CRASH_BASE, startFixture, tempDir } from "./processes.js"
import { freshNumber } from "./StoreContract.js"

const ACKS = 300

const crashAndCheck = (url: string, raw: Layer.Layer<SqlClient.SqlClient, unknown>) =>
  Effect.gen(function*() {
    const business = freshNumber()
    const customer = freshNumber()
    const writer = yield* startFixture("crashWriter.ts", [url, business, customer])
    yield* writer.waitForLine("ready")
    // kill -9 as soon as ACKS commits were acknowledged, wherever the writer is in the next one
    yield* writer.waitForLine(`ack ${ACKS - 1}`)
    writer.child.kill("SIGKILL")
    const outcome = yield* writer.finished
    assert.strictEqual(outcome.signal, "SIGKILL")
    const acked = outcome.stdout.split("\n")
      .filter((line) => line.startsWith("ack "))
      .map((line) => Number(line.slice(4)))
    const maxAcked = Math.max(...acked)
    assert.isAtLeast(acked.length, ACKS)

    const recorded = yield* Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const rows = yield* sql<{ message_id: string }>`SELECT message_id FROM wa_inbound WHERE business = ${business}`
      return rows.map((row) => Number(row.message_id.slice(1))).sort((a, b) => a - b)
    }).pipe(Effect.provide(raw))
    const present = new Set(recorded)
    const lost = acked.filter((n) => !present.has(n))
    assert.deepStrictEqual(lost, [], "acknowledged writes lost")
    // commits are sequential: what is there is m0..mk with no gap, k at most one unacknowledged batch ahead
    assert.deepStrictEqual(recorded, recorded.map((_, i) => i))
    assert.isAtMost(recorded.length - 1, maxAcked + 3)

    const window = yield* Effect.flatMap(Storage.Storage, (store) => store.getWindow({ business, customer } as never))
      .pipe(Effect.provide(StoreConfig.layerFromUrl(Redacted.make(url))))
    assert.deepStrictEqual(
      Option.map(window, (w) => [w.basisMessageId, DateTime.toEpochMillis(w.lastInboundAt)]),
      Option.some([`m${recorded.length - 1}`, CRASH_BASE + (recorded.length - 1) * 1000])
    )
  })

describe("crash safety", () => {
  it.scoped("SQLite: acknowledged writes survive kill -9", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir("crash")
      const filename = NodePath.join(dir, "crash.db")
      yield* crashAndCheck(`sqlite:${filename}`, SqliteStore.layerClient({ filename }))
      const integrity = yield* Effect.flatMap(
        SqlClient.SqlClient,
        (sql) => sql<{ integrity_check: string }>`PRAGMA integrity_check`
      ).pipe(Effect.provide(SqliteStore.layerClient({ filename })))
      assert.deepStrictEqual(integrity, [{ integrity_check: "ok" }])
    }), 120_000)

  it.effect.skipIf(!pgAvailable)(
    "PostgreSQL: acknowledged writes survive kill -9 of the client",
    () =>
      Effect.gen(function*() {
        const schema = freshSchema("crash")
        const url = urlWithSchema(schema)
        yield* crashAndCheck(url, PgStore.layerClient({ url: Redacted.make(url) })).pipe(
          Effect.provide(schemaLayer(schema))
        )
      }),
    120_000
  )
})
