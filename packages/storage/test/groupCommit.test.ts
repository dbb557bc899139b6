import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import * as NodePath from "node:path"
import { GroupCommit, MemoryStore, SqliteStore, Storage } from "../src/index.js"
import { tempDir } from "./processes.js"
import { freshNumber, inbound, oracle, suite } from "./StoreContract.js"

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
          recordInboundBatch: (messages) => {
            batches.push(messages.length)
            return store.recordInboundBatch(messages)
          }
        }))
      ).pipe(Layer.provide(SqliteStore.layer({ filename: NodePath.join(dir, "group.db") })))
      const b = freshNumber()
      const customers = [freshNumber(), freshNumber(), freshNumber()]
      const t = Date.UTC(2034, 0, 1)
      const unique = Array.from({ length: 300 }, (_, i) =>
        inbound(b, customers[i % 3]!, `g${i}`, t + ((i * 7919) % 97) * 1000, t + i))
      const calls = [...unique, ...unique.filter((_, i) => i % 4 === 0)].sort(() => Math.random() - 0.5)
      const results = yield* Effect.flatMap(Storage.Storage, (store) =>
        Effect.forEach(calls, store.recordInbound, { concurrency: "unbounded" })).pipe(
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
})
