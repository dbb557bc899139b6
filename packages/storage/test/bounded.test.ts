import { assert, describe, it } from "@effect/vitest"
import { DateTime, Duration, Effect, Either, Layer, Option } from "effect"
import { Bounded, MemoryStore, Storage } from "../src/index.js"
import { suite } from "./StoreContract.js"

suite("Bounded over MemoryStore", Bounded.layer().pipe(Layer.provide(MemoryStore.layer)))

describe("Bounded", () => {
  it.live("an operation that never answers fails with StorageError naming it, within the bound", () =>
    Effect.gen(function*() {
      const store = yield* Storage.Storage
      const frozen = Bounded.bound(
        { ...store, ping: Effect.never, prune: () => Effect.never },
        { timeout: Duration.millis(50), batchTimeout: Duration.millis(150) }
      )
      const started = Date.now()
      const ping = yield* Effect.either(frozen.ping)
      const pingMs = Date.now() - started
      assert.isTrue(Either.isLeft(ping))
      if (Either.isLeft(ping)) {
        assert.strictEqual(ping.left.operation, "ping")
        assert.include(ping.left.detail, "did not answer within 50")
      }
      assert.isBelow(pingMs, 1_000)
      const prune = yield* Effect.either(frozen.prune(DateTime.unsafeMake(0), 10))
      assert.isTrue(Either.isLeft(prune) && prune.left._tag === "StorageError" && prune.left.detail.includes("150"))
      // claiming work and storing a new message are not bounded: a late commit after a 503 would strand them
      const claims = Bounded.bound({ ...store, claimFallback: () => Effect.never }, { timeout: Duration.millis(50) })
      const claim = yield* Effect.timeoutOption(claims.claimFallback("m", "f"), Duration.millis(300))
      assert.isTrue(Option.isNone(claim))
      // what answers in time is untouched
      yield* frozen.listEndpoints
      assert.strictEqual(frozen.backend, store.backend)
    }).pipe(Effect.provide(MemoryStore.layer)))

  it.live("the operation that timed out is interrupted in the background; one that answers in time is not", () =>
    Effect.gen(function*() {
      const store = yield* Storage.Storage
      let interrupted = 0
      const watched = (operation: Effect.Effect<void>) =>
        Effect.onInterrupt(operation, () =>
          Effect.sync(() => {
            interrupted++
          }))
      const bounded = Bounded.bound(
        {
          ...store,
          ping: watched(Effect.never),
          listEndpoints: Effect.as(watched(Effect.sleep(Duration.millis(10))), [])
        },
        { timeout: Duration.millis(50) }
      )
      assert.isTrue(Either.isLeft(yield* Effect.either(bounded.ping)))
      yield* Effect.sleep(Duration.millis(50))
      assert.strictEqual(interrupted, 1)
      yield* bounded.listEndpoints
      yield* Effect.sleep(Duration.millis(100))
      assert.strictEqual(interrupted, 1)
    }).pipe(Effect.provide(MemoryStore.layer)))
})
