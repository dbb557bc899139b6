import { assert, describe, it } from "@effect/vitest"
import { SessionStore } from "@wa-session/session-core"
import { Effect, Exit, Layer, Option } from "effect"
import * as NodePath from "node:path"
import { GroupCommit, MemoryStore, SqliteStore, Storage } from "../src/index.js"
import { tempDir } from "./processes.js"
import { freshNumber, inbound, oracle, recordInbound, suite } from "./StoreContract.js"

suite("GroupCommit over MemoryStore", GroupCommit.layer().pipe(Layer.provide(MemoryStore.layer)))

describe("GroupCommit", () => {
  it.scoped("groups concurrent calls into few transactions, each message accepted once", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir("group")
      const batches: Array<number> = []
      const counting = Layer.effect(
        Storage.Storage,
        Effect.map(Storage.Storage, (store): Storage.StorageShape => ({
          ...store,
          ingest: (batch) => {
            batches.push(batch.items.length)
            return store.ingest(batch)
          }
        }))
      ).pipe(Layer.provide(SqliteStore.layer({ filename: NodePath.join(dir, "group.db") })))
      const b = freshNumber()
      const customers = [freshNumber(), freshNumber(), freshNumber()]
      const t = Date.UTC(2034, 0, 1)
      const unique = Array.from({ length: 300 }, (_, i) =>
        inbound(b, customers[i % 3]!, `g${i}`, t + ((i * 7919) % 97) * 1000, t + i))
      const calls = [
        ...unique,
        ...unique.filter((_, i) =>
          i % 4 === 0
        )
      ].sort(() => Math.random() - 0.5)
      const results = yield* Effect.flatMap(
        Storage.Storage,
        (store) => Effect.forEach(calls, (message) => recordInbound(store, message), { concurrency: "unbounded" })
      ).pipe(
        Effect.provide(GroupCommit.layer({ maxBatch: 64 }).pipe(Layer.provide(counting)))
      )
      assert.strictEqual(results.filter((r) => !r.duplicate).length, unique.length)
      assert.isBelow(batches.length, calls.length / 4)
      assert.isAtMost(Math.max(...batches), 64)
      const expected = oracle(unique.map((message) => ({ _tag: "Inbound", message })))
      yield* Effect.gen(function*() {
        const store = yield* Storage.Storage
        for (const customer of customers) {
          const window = Option.getOrThrow(yield* store.getWindow({ business: b, customer } as never))
          const want = expected.get(`${b}|${customer}`)!
          assert.deepStrictEqual(
            [window.basisMessageId, window.lastInboundAt, window.firstSeenAt],
            "basisMessageId" in want ? [want.basisMessageId, want.lastInboundAt, want.firstSeenAt] : []
          )
        }
      }).pipe(Effect.provide(SqliteStore.layer({ filename: NodePath.join(dir, "group.db") })))
    }))

  /** A memory store whose ingest fails for batches `fails` says so; every ingest it was asked for counted. */
  const failing = (fails: (messageIds: ReadonlyArray<string>) => boolean) => {
    const calls: Array<number> = []
    const layer = Layer.effect(
      Storage.Storage,
      Effect.map(Storage.Storage, (store): Storage.StorageShape => ({
        ...store,
        ingest: (batch) => {
          const ids = batch.items.flatMap((item) => item._tag === "Inbound" ? [item.message.messageId] : [])
          calls.push(ids.length)
          return fails(ids)
            ? Effect.fail(new SessionStore.StorageError({ operation: "ingest", detail: "no" }))
            : store.ingest(batch)
        }
      }))
    ).pipe(Layer.provide(MemoryStore.layer))
    return { calls, layer: GroupCommit.layer().pipe(Layer.provide(layer)) }
  }
  const concurrently = (messageIds: ReadonlyArray<string>) =>
    Effect.flatMap(Storage.Storage, (store) => {
      const [b, c] = [freshNumber(), freshNumber()]
      const t = Date.UTC(2034, 0, 1)
      return Effect.forEach(messageIds, (id) => Effect.exit(recordInbound(store, inbound(b, c, id, t, t))), {
        concurrency: "unbounded"
      })
    })

  it.effect("one bad batch in a group fails alone: the others are written caller by caller", () =>
    Effect.gen(function*() {
      const { calls, layer } = failing((ids) => ids.includes("poison"))
      const ids = ["a", "b", "poison", "c", "d"]
      const exits = yield* concurrently(ids).pipe(Effect.provide(layer))
      assert.deepStrictEqual(exits.map(Exit.isSuccess), [true, true, false, true, true])
      assert.deepStrictEqual(calls, [5, 1, 1, 1, 1, 1])
    }))

  it.effect("a failing store fails a group after two callers in a row failed too, not after each caller's own try", () =>
    Effect.gen(function*() {
      const { calls, layer } = failing(() => true)
      const exits = yield* concurrently(Array.from({ length: 20 }, (_, i) => `m${i}`)).pipe(Effect.provide(layer))
      assert.isTrue(exits.every(Exit.isFailure))
      assert.deepStrictEqual(calls, [20, 1, 1])
    }))
})
