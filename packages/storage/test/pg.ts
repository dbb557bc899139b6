/**
 * PostgreSQL for tests: the server from WA_SESSION_TEST_PG_URL (default the local one), a schema of its own per
 * run, dropped afterwards. When the server cannot be reached the PostgreSQL tests are skipped with a loud message,
 * except under CI=true, where that is a failure.
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import { Effect, Layer, Redacted } from "effect"
import { PgStore } from "../src/index.js"

export const PG_URL = process.env["WA_SESSION_TEST_PG_URL"] ?? "postgres://postgres@127.0.0.1:5432/test"

const probe = PgStore.layerClient({ url: Redacted.make(PG_URL), connectTimeout: "3 seconds" }).pipe(
  Layer.build,
  Effect.scoped,
  Effect.as(true),
  Effect.catchAll((error) => Effect.sync(() => (console.error(error.message), false)))
)

export const pgAvailable: boolean = await Effect.runPromise(probe)

if (!pgAvailable) {
  const banner = `PostgreSQL is not reachable at ${PG_URL.replace(/:[^:@/]*@/, ":***@")}`
  if (process.env["CI"] === "true") {
    throw new Error(`${banner}: the PostgreSQL tests cannot be skipped under CI=true`)
  }
  console.warn(`\n${"!".repeat(80)}\n!! ${banner}: SKIPPING the PostgreSQL tests\n${"!".repeat(80)}\n`)
}

/** A fresh schema name. */
export const freshSchema = (label: string): string =>
  `wa_test_${label}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`

/** The test URL with `search_path` set to `schema`. */
export const urlWithSchema = (schema: string): string => {
  const url = new URL(PG_URL)
  url.searchParams.set("options", `-c search_path=${schema}`)
  return url.toString()
}

const admin = <A, E>(f: (sql: PgClient.PgClient) => Effect.Effect<A, E>) =>
  Effect.flatMap(PgClient.PgClient, f).pipe(
    Effect.provide(PgStore.layerClient({ url: Redacted.make(PG_URL) })),
    Effect.orDie
  )

export const createSchema = (schema: string) => admin((sql) => sql.unsafe(`CREATE SCHEMA ${schema}`))
export const dropSchema = (schema: string) => admin((sql) => sql.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`))

/** A layer that owns a schema: created when built, dropped when released (after the layers built on it). */
export const schemaLayer = (schema: string): Layer.Layer<never> =>
  Layer.scopedDiscard(Effect.acquireRelease(createSchema(schema), () => dropSchema(schema)))
