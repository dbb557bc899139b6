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
