import * as SqlClient from "@effect/sql/SqlClient"
import { assert, describe, it } from "@effect/vitest"
import { Outbound } from "@wa-session/session-core"
import { DateTime, Effect, Either, Layer, Option, Redacted } from "effect"
import { PgStore, Storage } from "../src/index.js"
import { parkingSuite } from "./ParkingContract.js"
import { freshSchema, pgAvailable, schemaLayer, urlWithSchema } from "./pg.js"
import { relaySuite } from "./RelayContract.js"
import { freshNumber, outbound, suite } from "./StoreContract.js"
import { legacyRows, ROLLBACK_TO_0002 } from "./support/legacy.js"

const schema = freshSchema("contract")

describe.skipIf(!pgAvailable)("PostgreSQL", () => {
  suite(
    "PgStore",
    PgStore.layer({ url: Redacted.make(urlWithSchema(schema)) }).pipe(Layer.provide(schemaLayer(schema))),
    { numRuns: 25 }
  )
  const parkingSchema = freshSchema("parking")
  parkingSuite(
    "PgStore",
    PgStore.layer({ url: Redacted.make(urlWithSchema(parkingSchema)) }).pipe(Layer.provide(schemaLayer(parkingSchema)))
  )
  const relaySchema = freshSchema("relay")
  relaySuite(
    "PgStore",
    PgStore.layer({ url: Redacted.make(urlWithSchema(relaySchema)) }).pipe(Layer.provide(schemaLayer(relaySchema)))
  )

  it.scoped(
    "a database from 0.1 gains fingerprints and send jobs: ranks of 0.2, queued fallbacks, old claims over",
    () =>
      Effect.gen(function*() {
        const schema = freshSchema("legacy")
        yield* Layer.build(schemaLayer(schema))
        const url = Redacted.make(urlWithSchema(schema))
        const b = freshNumber()
        const message = outbound(b, freshNumber(), { idempotencyKey: "old-key", requestFingerprint: "a".repeat(32) })
        const queued = outbound(b, freshNumber())
        const claimed = outbound(b, freshNumber())
        yield* Effect.flatMap(Storage.Storage, (store) =>
          Effect.all([
            store.insertOutbound(message),
            store.insertOutbound(queued, { queued: true }),
            store.insertOutbound(claimed, { queued: true })
          ])).pipe(Effect.provide(PgStore.layer({ url })))
        yield* Effect.flatMap(SqlClient.SqlClient, (sql) =>
          Effect.forEach(
            [...ROLLBACK_TO_0002, ...legacyRows({ accepted: message.id, queued: queued.id, claimed: claimed.id })],
            (statement) => sql.unsafe(statement),
            { discard: true }
          )).pipe(Effect.provide(PgStore.layerClient({ url })), Effect.orDie)
        const [read, claims] = yield* Effect.flatMap(Storage.Storage, (store) =>
          Effect.all([
            Effect.all([store.findOutbound(message.id), store.findOutboundByIdempotencyKey(b, "old-key")]),
            store.claimSends({ now: DateTime.unsafeMake(Date.UTC(2031, 0, 1)), limit: 100 })
          ])).pipe(Effect.provide(PgStore.layer({ url })))
        for (const found of read) {
          assert.strictEqual(Option.getOrThrow(found).id, message.id)
          assert.deepStrictEqual(Option.getOrThrow(found).requestFingerprint, Option.none())
          assert.strictEqual(Option.getOrThrow(found).status, "accepted")
        }
        assert.deepStrictEqual(claims.filter((m) => m.business === b).map((m) => [m.id, m.status]), [[
          queued.id,
          "queued"
        ]])
        const rows = yield* Effect.flatMap(SqlClient.SqlClient, (sql) =>
          sql<{ id: string; status_rank: number; send_state: string | null }>`SELECT id, status_rank, send_state
FROM wa_outbound WHERE ${sql.in("id", [message.id, claimed.id])} ORDER BY id`).pipe(
            Effect.provide(PgStore.layerClient({ url })),
            Effect.orDie
          )
        const byId = new Map(rows.map((row) => [row.id, row]))
        assert.strictEqual(Number(byId.get(message.id)?.status_rank), Outbound.rank("accepted"))
        assert.strictEqual(byId.get(claimed.id)?.send_state, null)
      }),
    30_000
  )

  it.effect(
    "connections carry a statement_timeout (default 1 minute, configurable, the URL's own wins)",
    () =>
      Effect.gen(function*() {
        const show = (options: Partial<PgStore.PgStoreOptions> & { readonly url: Redacted.Redacted<string> }) =>
          Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ statement_timeout: string }>`SHOW statement_timeout`).pipe(
            Effect.map((rows) => rows[0]?.statement_timeout),
            Effect.provide(PgStore.layerClient(options)),
            Effect.orDie
          )
        const schema = freshSchema("timeouts")
        const withSchema = Redacted.make(urlWithSchema(schema))
        assert.strictEqual(yield* show({ url: withSchema }), "1min")
        assert.strictEqual(yield* show({ url: withSchema, statementTimeout: "1500 millis" }), "1500ms")
        const own = new URL(urlWithSchema(schema))
        own.searchParams.set("options", `${own.searchParams.get("options")} -c statement_timeout=7s`)
        assert.strictEqual(yield* show({ url: Redacted.make(own.toString()) }), "7s")
        // the search_path of the URL is kept beside it
        const path = yield* Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ search_path: string }>`SHOW search_path`)
          .pipe(
            Effect.provide(PgStore.layerClient({ url: withSchema })),
            Effect.orDie
          )
        assert.strictEqual(path[0]?.search_path, schema)
        // a statement longer than the bound is cancelled by the server
        const slow = yield* Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT pg_sleep(3)`).pipe(
          Effect.provide(PgStore.layerClient({ url: withSchema, statementTimeout: "300 millis" })),
          Effect.either
        )
        assert.isTrue(Either.isLeft(slow))
        if (Either.isLeft(slow)) assert.include(String(slow.left.cause ?? slow.left), "statement timeout")
      }),
    30_000
  )

  it.effect(
    "an unreachable server fails the layer with StorageError, without the password",
    () =>
      Effect.gen(function*() {
        const url = Redacted.make("postgres://app:s3cret-pw@127.0.0.1:1/db")
        const result = yield* Layer.build(PgStore.layer({ url })).pipe(Effect.scoped, Effect.either)
        assert.isTrue(Either.isLeft(result))
        if (Either.isLeft(result)) {
          assert.strictEqual(result.left._tag, "StorageError")
          assert.strictEqual(result.left.operation, "connect")
          assert.notInclude(result.left.message, "s3cret-pw")
        }
      }),
    20_000
  )
})
