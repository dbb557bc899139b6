import * as SqlClient from "@effect/sql/SqlClient"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Layer, Option, Redacted } from "effect"
import { PgStore, Storage } from "../src/index.js"
import { freshSchema, pgAvailable, schemaLayer, urlWithSchema } from "./pg.js"
import { relaySuite } from "./RelayContract.js"
import { freshNumber, outbound, suite } from "./StoreContract.js"

const schema = freshSchema("contract")

describe.skipIf(!pgAvailable)("PostgreSQL", () => {
  suite(
    "PgStore",
    PgStore.layer({ url: Redacted.make(urlWithSchema(schema)) }).pipe(Layer.provide(schemaLayer(schema))),
    { numRuns: 25 }
  )
  const relaySchema = freshSchema("relay")
  relaySuite(
    "PgStore",
    PgStore.layer({ url: Redacted.make(urlWithSchema(relaySchema)) }).pipe(Layer.provide(schemaLayer(relaySchema)))
  )

  it.scoped("a database from before request fingerprints gains the column; its messages read as none", () =>
    Effect.gen(function*() {
      const schema = freshSchema("fingerprint")
      yield* Layer.build(schemaLayer(schema))
      const url = Redacted.make(urlWithSchema(schema))
      const b = freshNumber()
      const message = outbound(b, freshNumber(), { idempotencyKey: "old-key", requestFingerprint: "a".repeat(32) })
      yield* Effect.flatMap(Storage.Storage, (store) => store.insertOutbound(message))
        .pipe(Effect.provide(PgStore.layer({ url })))
      // back to the schema of migration 0002, with the message written then
      yield* Effect.flatMap(SqlClient.SqlClient, (sql) =>
        Effect.zipRight(
          sql`ALTER TABLE wa_outbound DROP COLUMN request_fingerprint`,
          sql`DELETE FROM wa_session_migrations WHERE migration_id = 3`
        )).pipe(Effect.provide(PgStore.layerClient({ url })), Effect.orDie)
      const read = yield* Effect.flatMap(Storage.Storage, (store) =>
        Effect.all([store.findOutbound(message.id), store.findOutboundByIdempotencyKey(b, "old-key")])
      ).pipe(Effect.provide(PgStore.layer({ url })))
      for (const found of read) {
        assert.strictEqual(Option.getOrThrow(found).id, message.id)
        assert.deepStrictEqual(Option.getOrThrow(found).requestFingerprint, Option.none())
      }
    }), 30_000)

  it.effect("an unreachable server fails the layer with StorageError, without the password", () =>
    Effect.gen(function*() {
      const url = Redacted.make("postgres://app:s3cret-pw@127.0.0.1:1/db")
      const result = yield* Layer.build(PgStore.layer({ url })).pipe(Effect.scoped, Effect.either)
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) {
        assert.strictEqual(result.left._tag, "StorageError")
        assert.strictEqual(result.left.operation, "connect")
        assert.notInclude(result.left.message, "s3cret-pw")
      }
    }), 20_000)
})
