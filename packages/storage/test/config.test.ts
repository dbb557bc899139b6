import { assert, describe, it } from "@effect/vitest"
import Sqlite from "better-sqlite3"
import { ConfigProvider, Effect, Either, Exit, Layer, Redacted } from "effect"
import * as NodePath from "node:path"
import { Storage, StoreConfig } from "../src/index.js"
import { freshSchema, pgAvailable, schemaLayer, urlWithSchema } from "./pg.js"
import { tempDir } from "./processes.js"

const backendOf = (layer: Layer.Layer<Storage.Storage, unknown>) =>
  Effect.map(Storage.Storage, (store) => store.backend).pipe(Effect.provide(layer))

const withEnv = (env: Record<string, string>) =>
  Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

describe("StoreConfig", () => {
  it("parses the accepted URL forms", () => {
    const cases: ReadonlyArray<readonly [string, unknown]> = [
      ["memory:", { _tag: "Memory" }],
      ["sqlite:./data/wa-session.db", { _tag: "Sqlite", filename: "./data/wa-session.db", synchronous: "full" }],
      ["sqlite:/var/lib/wa/x.db", { _tag: "Sqlite", filename: "/var/lib/wa/x.db", synchronous: "full" }],
      ["sqlite:///var/lib/wa/x.db", { _tag: "Sqlite", filename: "/var/lib/wa/x.db", synchronous: "full" }],
      ["sqlite:x.db?synchronous=normal", { _tag: "Sqlite", filename: "x.db", synchronous: "normal" }],
      ["sqlite::memory:", { _tag: "Sqlite", filename: ":memory:", synchronous: "full" }]
    ]
    for (const [url, expected] of cases) {
      assert.deepStrictEqual(Either.getOrThrow(StoreConfig.parse(url)), expected as never, url)
    }
    for (const url of ["postgres://u:p@db:5432/app", "postgresql://db/app?sslmode=require"]) {
      const parsed = Either.getOrThrow(StoreConfig.parse(Redacted.make(url)))
      assert.strictEqual(parsed._tag, "Postgres")
      if (parsed._tag === "Postgres") assert.strictEqual(Redacted.value(parsed.url), url)
    }
    assert.strictEqual(StoreConfig.DEFAULT_URL, "sqlite:./data/wa-session.db")
  })

  it("rejects bad URLs with a typed error naming the setting and hiding secrets", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["", "Empty"],
      ["mysql://app:hunter2@db/app", "UnknownScheme"],
      ["just-a-path.db", "UnknownScheme"],
      ["sqlite:", "MissingPath"],
      ["sqlite:x.db?mode=ro", "UnknownParameter"],
      ["memory:foo", "Malformed"],
      ["postgres://app:hunter2@db:notaport/app", "Malformed"]
    ]
    for (const [url, reason] of cases) {
      const error = Either.flip(StoreConfig.parse(url)).pipe(Either.getOrThrow)
      assert.strictEqual(error._tag, "InvalidDatabaseUrl")
      assert.strictEqual(error.reason, reason, url)
      assert.include(error.message, "WA_SESSION_DATABASE_URL")
      assert.notInclude(error.message, "hunter2")
    }
    assert.strictEqual(StoreConfig.display("postgres://app:hunter2@db:5432/app"), "postgres://app:***@db:5432/app")
  })

  it.effect("the setting defaults to sqlite:./data/wa-session.db", () =>
    Effect.gen(function*() {
      const url = yield* StoreConfig.url.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map())))
      assert.strictEqual(Redacted.value(url), StoreConfig.DEFAULT_URL)
      assert.notInclude(String(url), "sqlite") // redacted when printed
    }))

  it.effect("layerConfig builds the memory store", () =>
    Effect.gen(function*() {
      const backend = yield* backendOf(
        StoreConfig.layerConfig().pipe(Layer.provide(withEnv({ WA_SESSION_DATABASE_URL: "memory:" })))
      )
      assert.strictEqual(backend, "memory")
    }))

  it.scoped("layerConfig builds a SQLite store in WAL mode, creating its directory", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir("config")
      const filename = NodePath.join(dir, "a", "b", "store.db")
      const backend = yield* backendOf(
        StoreConfig.layerConfig().pipe(Layer.provide(withEnv({ WA_SESSION_DATABASE_URL: `sqlite:${filename}` })))
      )
      assert.strictEqual(backend, "sqlite")
      const db = new Sqlite(filename, { readonly: true })
      assert.strictEqual(db.pragma("journal_mode", { simple: true }), "wal")
      db.close()
    }))

  it.effect("an invalid URL fails layer construction with InvalidDatabaseUrl", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(
        backendOf(
          StoreConfig.layerConfig().pipe(
            Layer.provide(withEnv({ WA_SESSION_DATABASE_URL: "mysql://app:hunter2@db/app" }))
          )
        )
      )
      assert.isTrue(Exit.isFailure(exit))
      const error = Exit.isFailure(exit) ? exit.cause : undefined
      assert.include(String(error), "WA_SESSION_DATABASE_URL")
      assert.include(String(error), "InvalidDatabaseUrl")
      assert.notInclude(String(error), "hunter2")
    }))

  it.effect.skipIf(!pgAvailable)("layerConfig builds the PostgreSQL store", () =>
    Effect.gen(function*() {
      const schema = freshSchema("config")
      const backend = yield* backendOf(
        StoreConfig.layerConfig().pipe(
          Layer.provide(withEnv({ WA_SESSION_DATABASE_URL: urlWithSchema(schema) })),
          Layer.provide(schemaLayer(schema))
        )
      )
      assert.strictEqual(backend, "pg")
    }))
})
