import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Layer, Redacted } from "effect"
import { PgStore } from "../src/index.js"
import { freshSchema, pgAvailable, schemaLayer, urlWithSchema } from "./pg.js"
import { relaySuite } from "./RelayContract.js"
import { suite } from "./StoreContract.js"

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
