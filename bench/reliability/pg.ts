/**
 * PostgreSQL for the suite: a schema of its own per test, dropped afterwards. Unreachable: the PostgreSQL tests
 * are skipped loudly, except under CI=true where that is a failure.
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import { Effect, Redacted } from "effect"
import { PG_URL } from "./harness.js"

const run = <A>(f: (sql: PgClient.PgClient) => Effect.Effect<A, unknown>): Promise<A> =>
  Effect.runPromise(
    Effect.flatMap(PgClient.PgClient, f).pipe(
      Effect.provide(PgClient.layer({ url: Redacted.make(PG_URL), connectTimeout: "3 seconds", maxConnections: 1 }))
    ) as Effect.Effect<A, unknown>
  )

export const pgAvailable: boolean = await run((sql) => sql`SELECT 1`).then(
  () => true,
  (error) => (console.error(String(error)), false)
)

if (!pgAvailable) {
  const banner = `PostgreSQL is not reachable at ${PG_URL.replace(/:[^:@/]*@/, ":***@")}`
  if (process.env["CI"] === "true") {
    throw new Error(`${banner}: the PostgreSQL reliability tests cannot be skipped under CI=true`)
  }
  console.warn(`\n${"!".repeat(80)}\n!! ${banner}: SKIPPING the PostgreSQL reliability tests\n${"!".repeat(80)}\n`)
}

export const freshSchema = (label: string): string =>
  `wa_rel_${label}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`

export const urlWithSchema = (schema: string): string => {
  const url = new URL(PG_URL)
  url.searchParams.set("options", `-c search_path=${schema}`)
  return url.toString()
}

export const createSchema = (schema: string) => run((sql) => sql.unsafe(`CREATE SCHEMA ${schema}`))
export const dropSchema = (schema: string) => run((sql) => sql.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`))
export const query = <A extends object>(text: string): Promise<ReadonlyArray<A>> => run((sql) => sql.unsafe<A>(text))
