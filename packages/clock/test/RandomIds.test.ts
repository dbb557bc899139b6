import { assert, describe, it } from "@effect/vitest"
import { Ids } from "@wa-session/session-core"
import { Effect } from "effect"
import { RandomIds } from "../src/index.js"

const nextId = Effect.flatMap(Ids.Ids, (ids) => ids.next)

describe("RandomIds", () => {
  it.effect("layer gives msg_ + 32 hex digits, all different", () =>
    Effect.gen(function*() {
      const ids = yield* Effect.replicateEffect(nextId, 200)
      for (const id of ids) assert.match(id, /^msg_[0-9a-f]{32}$/)
      assert.strictEqual(new Set(ids).size, 200)
    }).pipe(Effect.provide(RandomIds.layer)))

  it.effect("layerWithPrefix uses the prefix", () =>
    Effect.gen(function*() {
      assert.match(yield* nextId, /^out_[0-9a-f]{32}$/)
    }).pipe(Effect.provide(RandomIds.layerWithPrefix("out_"))))

  it.effect("layerSequential counts from 1 per build", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* Effect.replicateEffect(nextId, 3), ["msg_1", "msg_2", "msg_3"])
      const again = yield* nextId.pipe(Effect.provide(RandomIds.layerSequential("sim_")))
      assert.strictEqual(again, "sim_1")
    }).pipe(Effect.provide(RandomIds.layerSequential())))
})

describe("RandomIds ordering", () => {
  const make = (now: () => number) => RandomIds.make("msg_", now).next

  it.effect("ids are UUID v7: the time, version 7, the RFC 9562 variant", () =>
    Effect.gen(function*() {
      const id = yield* make(() => Date.UTC(2026, 11, 5, 10, 0, 0, 123))
      const hex = id.slice(4)
      assert.strictEqual(parseInt(hex.slice(0, 12), 16), Date.UTC(2026, 11, 5, 10, 0, 0, 123))
      assert.strictEqual(hex[12], "7")
      assert.include(["8", "9", "a", "b"], hex[16])
    }))

  it.effect("ids made in one millisecond sort in the order they were made, past the counter's 4096", () =>
    Effect.gen(function*() {
      const next = make(() => 1_000)
      const ids = yield* Effect.replicateEffect(next, 5000)
      assert.deepStrictEqual([...ids].sort(), ids)
      assert.strictEqual(new Set(ids).size, 5000)
    }))

  it.effect("a clock that goes back never makes an id sort before an earlier one", () =>
    Effect.gen(function*() {
      const times = [5_000, 5_000, 4_000, 6_000, 3_000]
      let i = 0
      const next = make(() => times[i++]!)
      const ids = yield* Effect.replicateEffect(next, times.length)
      assert.deepStrictEqual([...ids].sort(), ids)
    }))
})
