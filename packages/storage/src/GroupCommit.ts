/**
 * Group commit for the inbound hot path: concurrent `recordInbound` calls (one per webhook request) are queued and
 * written together with `recordInboundBatch`, one transaction and one fsync per group. A lone call is written at
 * once (no timer, no added latency); calls that arrive while a group is being written form the next group. The
 * core port is unchanged: the server provides this layer instead of the plain store.
 *
 * @since 0.1.0
 */
import { SessionStore, type SessionWindow } from "@wa-session/session-core"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import { context } from "./internal/layer.js"
import { Storage, type StorageShape } from "./Storage.js"

/**
 * `maxBatch`: the most messages written in one transaction (default 256).
 *
 * @since 0.1.0
 * @category models
 */
export interface GroupCommitOptions {
  readonly maxBatch?: number | undefined
}

type Pending = readonly [
  SessionWindow.InboundMessage,
  Deferred.Deferred<SessionStore.RecordedInbound, SessionStore.StorageError>
]

/**
 * Wraps the `Storage` in context: the same store, with `recordInbound` grouped. A duplicate inside one group is a
 * duplicate as with `recordInboundBatch`, and the window returned is the one after the group. When the scope
 * closes, the group being written is finished first.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: GroupCommitOptions = {}
): Effect.Effect<StorageShape, never, Storage | Scope.Scope> =>
  Effect.gen(function*() {
    const store = yield* Storage
    const maxBatch = Math.max(1, Math.floor(options.maxBatch ?? 256))
    // released after the writer has stopped: whoever is still waiting learns that the store closed
    const queue = yield* Effect.acquireRelease(Queue.unbounded<Pending>(), (queue) =>
      Queue.takeAll(queue).pipe(
        Effect.flatMap((pending) =>
          Effect.forEach(pending, ([, deferred]) =>
            Deferred.fail(
              deferred,
              new SessionStore.StorageError({ operation: "recordInbound", detail: "the store was closed" })
            ), { discard: true })
        ),
        Effect.zipRight(Queue.shutdown(queue))
      ))
    const writeGroup = Effect.flatMap(Queue.takeBetween(queue, 1, maxBatch), (taken) => {
      const pending = Chunk.toReadonlyArray(taken)
      return Effect.exit(store.recordInboundBatch(pending.map(([message]) => message))).pipe(
        Effect.flatMap((exit) =>
          Effect.forEach(pending, ([, deferred], i) => {
            const result = Exit.isSuccess(exit) ? Exit.succeed(exit.value[i]!) : Exit.failCause(exit.cause)
            return Deferred.done(deferred, result)
          }, { discard: true })
        ),
        Effect.uninterruptible
      )
    })
    yield* Effect.forkScoped(Effect.forever(writeGroup))
    const recordInbound = (message: SessionWindow.InboundMessage) =>
      Effect.flatMap(
        Deferred.make<SessionStore.RecordedInbound, SessionStore.StorageError>(),
        (deferred) => Effect.zipRight(Queue.offer(queue, [message, deferred]), Deferred.await(deferred))
      )
    return { ...store, recordInbound }
  })

/**
 * Provides `SessionStore` and `Storage` with grouped inbound commits, over the `Storage` of `StoreConfig`,
 * `SqliteStore` or `PgStore`: `GroupCommit.layer().pipe(Layer.provide(StoreConfig.layerConfig()))`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: GroupCommitOptions = {}
): Layer.Layer<SessionStore.SessionStore | Storage, never, Storage> =>
  Layer.scopedContext(Effect.map(make(options), context))
