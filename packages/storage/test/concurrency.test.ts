/**
 * Several writers, each with its own connection, race thousands of inbound events for a few pairs, in random order
 * and with duplicates (inside one writer and across writers). SQLite: separate processes (a synchronous driver
 * only overlaps across processes), released together after each opened - and raced to migrate - the file.
 * PostgreSQL: separate connection pools. Afterwards every window equals the oracle (the pure
 * `SessionWindow.record` folded over the unique events), every message was accepted as new by exactly one writer,
 * and no duplicate rows exist.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { assert, describe, it } from "@effect/vitest"
import type { Layer } from "effect"
import { Effect, Option, Redacted } from "effect"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import { PgStore, SqliteStore, Storage } from "../src/index.js"
import { toMessage, type WireEvent, writeAll } from "./fixtures/writeAll.js"
import { freshSchema, pgAvailable, schemaLayer, urlWithSchema } from "./pg.js"
import { startFixture, tempDir } from "./processes.js"
import { freshNumber, oracle } from "./StoreContract.js"

const WRITERS = 4
const UNIQUE = 2000

const randomInt = (n: number) => Math.floor(Math.random() * n)
const shuffle = <A>(items: Array<A>): Array<A> => {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(i + 1)
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
  return items
}

const makePlan = () => {
  const base = Date.UTC(2033, 0, 1)
  const pairs = [freshNumber(), freshNumber()].flatMap((business) =>
    [freshNumber(), freshNumber()].map((customer) => ({ business, customer }))
  )
  const events: Array<WireEvent> = Array.from({ length: UNIQUE }, (_, i) => {
    const pair = pairs[randomInt(pairs.length)]!
    // ~500 messages per pair over 300 distinct send times: many ties on the timestamp
    return {
      business: pair.business,
      customer: pair.customer,
      id: `wamid.${randomInt(1e9)}.${i}`,
      sent: base + randomInt(300) * 1000,
      received: base + randomInt(3600) * 1000
    }
  })
  const writers: Array<Array<WireEvent>> = Array.from({ length: WRITERS }, () => [])
  events.forEach((event, i) => {
    writers[i % WRITERS]!.push(event)
    if (Math.random() < 0.35) writers[randomInt(WRITERS)]!.push(event)
    if (Math.random() < 0.1) writers[i % WRITERS]!.push(event)
  })
  return { pairs, events, writers: writers.map(shuffle) }
}

type Plan = ReturnType<typeof makePlan>

const verify = (
  plan: Plan,
  accepted: ReadonlyArray<string>,
  store: Layer.Layer<Storage.Storage, unknown>,
  raw: Layer.Layer<SqlClient.SqlClient, unknown>
) =>
  Effect.gen(function*() {
    // each message was new for exactly one writer
    assert.strictEqual(accepted.length, UNIQUE)
    assert.strictEqual(new Set(accepted).size, UNIQUE)
    const expected = oracle(plan.events.map((event) => ({ _tag: "Inbound", message: toMessage(event) })))
    yield* Effect.gen(function*() {
      const storage = yield* Storage.Storage
      for (const pair of plan.pairs) {
        const window = Option.getOrThrow(yield* storage.getWindow(pair as never))
        const want = expected.get(`${pair.business}|${pair.customer}`)!
        assert.deepStrictEqual(
          [window.basisMessageId, window.lastInboundAt, window.basisReceivedAt, window.firstSeenAt],
          "basisMessageId" in want
            ? [want.basisMessageId, want.lastInboundAt, want.basisReceivedAt, want.firstSeenAt]
            : []
        )
      }
    }).pipe(Effect.provide(store))
    const businesses = [...new Set(plan.pairs.map((pair) => pair.business))]
    const counts = yield* Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const [inbound] = yield* sql<{ n: number | string; distinct_ids: number | string }>`
SELECT COUNT(*) AS n, COUNT(DISTINCT business || ' ' || message_id) AS distinct_ids
FROM wa_inbound WHERE ${sql.in("business", businesses)}`
      const [windows] = yield* sql<{ n: number | string; distinct_pairs: number | string }>`
SELECT COUNT(*) AS n, COUNT(DISTINCT business || ' ' || customer) AS distinct_pairs
FROM wa_windows WHERE ${sql.in("business", businesses)}`
      return [inbound!.n, inbound!.distinct_ids, windows!.n, windows!.distinct_pairs].map(Number)
    }).pipe(Effect.provide(raw))
    assert.deepStrictEqual(counts, [UNIQUE, UNIQUE, plan.pairs.length, plan.pairs.length])
  })

describe("concurrent writers", () => {
  it.scoped(
    "SQLite: 4 processes race 2000 inbound events with duplicates (and the migrations)",
    () =>
      Effect.gen(function*() {
        const plan = makePlan()
        const dir = yield* tempDir("race")
        const filename = NodePath.join(dir, "race.db")
        const file = NodePath.join(dir, "plan.json")
        NodeFs.writeFileSync(file, JSON.stringify(plan))
        // nothing migrated beforehand: the writers also race to migrate the new file
        const writers = yield* Effect.forEach(
          plan.writers,
          (_, i) => startFixture("writer.ts", [filename, file, String(i)])
        )
        yield* Effect.forEach(writers, (writer) => writer.waitForLine("ready"), { concurrency: "unbounded" })
        for (const writer of writers) writer.child.stdin?.write("go\n")
        const outcomes = yield* Effect.forEach(writers, (writer) => writer.finished, { concurrency: "unbounded" })
        for (const outcome of outcomes) assert.strictEqual(outcome.code, 0, outcome.stderr)
        const accepted = outcomes.flatMap((outcome) =>
          (JSON.parse(outcome.stdout.split("\n")[1]!) as { accepted: Array<string> }).accepted
        )
        yield* verify(plan, accepted, SqliteStore.layer({ filename }), SqliteStore.layerClient({ filename }))
      }),
    120_000
  )

  it.effect.skipIf(!pgAvailable)(
    "PostgreSQL: 4 connection pools race 2000 inbound events with duplicates",
    () =>
      Effect.gen(function*() {
        const plan = makePlan()
        const schema = freshSchema("race")
        const url = Redacted.make(urlWithSchema(schema))
        yield* Effect.gen(function*() {
          // every pool is built concurrently too: they race to migrate the empty schema
          const accepted = yield* Effect.forEach(
            plan.writers,
            (events) =>
              Effect.flatMap(Storage.Storage, (store) => writeAll(store, events)).pipe(
                Effect.provide(PgStore.layer({ url, maxConnections: 2 }))
              ),
            { concurrency: "unbounded" }
          )
          yield* verify(plan, accepted.flat(), PgStore.layer({ url }), PgStore.layerClient({ url }))
        }).pipe(Effect.provide(schemaLayer(schema)))
      }),
    120_000
  )
})
