import { assert, describe, it } from "@effect/vitest"
import { SessionStore } from "@wa-session/session-core"
import { Context, Deferred, Duration, Effect, Exit, Fiber, Layer, Option } from "effect"
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

  /**
   * A group commit over a memory store whose ingest tells `entered` it was called, then waits for `gate`; `written`
   * gets the message ids it then writes. `message` is a customer's message of one fresh pair.
   */
  const gated = (options?: GroupCommit.GroupCommitOptions) =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const entered = yield* Deferred.make<void>()
      const written: Array<string> = []
      const store = Layer.effect(
        Storage.Storage,
        Effect.map(Storage.Storage, (store): Storage.StorageShape => ({
          ...store,
          ingest: (batch) =>
            Effect.zipRight(
              Effect.zipRight(Deferred.succeed(entered, void 0), Deferred.await(gate)),
              Effect.suspend(() => {
                for (const item of batch.items) if (item._tag === "Inbound") written.push(item.message.messageId)
                return store.ingest(batch)
              })
            )
        }))
      ).pipe(Layer.provide(MemoryStore.layer))
      const [b, c] = [freshNumber(), freshNumber()]
      const t = Date.UTC(2034, 0, 1)
      return {
        gate,
        entered,
        written,
        layer: GroupCommit.layer(options).pipe(Layer.provide(store)),
        message: (id: string, offset = 0) => inbound(b, c, id, t + offset, t + offset)
      }
    })

  it.live("a caller waits at most the timeout, its group's time included; a caller still queued is not written", () =>
    Effect.gen(function*() {
      const { entered, gate, layer, message, written } = yield* gated({ timeout: Duration.millis(100) })
      yield* Effect.gen(function*() {
        const store = yield* Storage.Storage
        const first = yield* Effect.fork(Effect.exit(recordInbound(store, message("stuck"))))
        // the first group is in the store, stuck
        yield* Deferred.await(entered)
        // queued behind the group that is stuck in the store
        const started = Date.now()
        const second = yield* Effect.exit(recordInbound(store, message("queued")))
        assert.isBelow(Date.now() - started, 1_000)
        assert.isTrue(Exit.isFailure(second))
        if (Exit.isFailure(second)) assert.include(String(second.cause), "did not answer within 100")
        assert.isTrue(Exit.isFailure(yield* Fiber.join(first)))
        yield* Deferred.succeed(gate, void 0)
        // groups are written one after the other: once "later" is answered, the stuck group is done too
        const later = yield* recordInbound(store, message("later", 1))
        assert.isFalse(later.duplicate)
        // the stuck group still committed (as after `Bounded`), the caller that was still queued did not
        assert.deepStrictEqual(written, ["stuck", "later"])
      }).pipe(Effect.provide(layer))
    }))

  it.live("an interrupted caller that is still queued is not written; the others are", () =>
    Effect.gen(function*() {
      const { entered, gate, layer, message, written } = yield* gated()
      yield* Effect.gen(function*() {
        const store = yield* Storage.Storage
        const first = yield* Effect.fork(recordInbound(store, message("first")))
        yield* Deferred.await(entered)
        const interrupted = yield* Effect.fork(recordInbound(store, message("interrupted")))
        const kept = yield* Effect.fork(recordInbound(store, message("kept")))
        yield* Effect.sleep(Duration.millis(20))
        yield* Fiber.interrupt(interrupted)
        yield* Deferred.succeed(gate, void 0)
        yield* Fiber.join(first)
        yield* Fiber.join(kept)
      }).pipe(Effect.provide(layer))
      assert.deepStrictEqual(written, ["first", "kept"])
    }))

  it.live("closing the store finishes the group being written and fails the callers still queued", () =>
    Effect.gen(function*() {
      const { entered, gate, layer, message, written } = yield* gated()
      const [first, queued] = yield* Effect.scoped(Effect.gen(function*() {
        const store = Context.get(yield* Layer.build(layer), Storage.Storage)
        const first = yield* Effect.fork(Effect.exit(recordInbound(store, message("first"))))
        yield* Deferred.await(entered)
        const queued = yield* Effect.fork(Effect.exit(recordInbound(store, message("queued"))))
        yield* Effect.sleep(Duration.millis(20))
        // the scope closes while "first" is being written: its group is finished once the store answers
        yield* Effect.forkDaemon(Effect.zipRight(Effect.sleep(Duration.millis(50)), Deferred.succeed(gate, void 0)))
        return [first, queued] as const
      }))
      assert.isTrue(Exit.isSuccess(yield* Fiber.join(first)))
      const exit = yield* Fiber.join(queued)
      assert.isTrue(Exit.isFailure(exit) && String(exit.cause).includes("the store was closed"))
      assert.deepStrictEqual(written, ["first"])
    }))
})
