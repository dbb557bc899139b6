/**
 * Group commit for the webhook hot path: concurrent `ingest` calls (one per webhook request) are queued and written
 * together in one `ingest`, one transaction and one fsync per group, then each caller gets its own results. A group
 * is formed after one turn of the event loop (a SQLite commit blocks the loop, so the requests that arrived
 * meanwhile are still unread; this lets node read them into the same group). A group that fails is written again
 * caller by caller, so one bad batch cannot fail the others (unless two in a row fail too: then the store is failing,
 * and the rest fail at once). The ports are unchanged: the server provides this layer instead of the plain store.
 *
 * @since 0.1.0
 */
import type { Ingest, SessionStore } from "@wa-session/session-core"
import { type EventLog, SessionStore as Store } from "@wa-session/session-core"
import * as DateTime from "effect/DateTime"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import { context } from "./internal/layer.js"
import { Storage, type StorageShape } from "./Storage.js"

/**
 * `maxBatch`: the most operations written in one transaction (default 1000; a single larger batch is written alone).
 *
 * @since 0.1.0
 * @category models
 */
export interface GroupCommitOptions {
  readonly maxBatch?: number | undefined
}

type Pending = readonly [Ingest.Batch, Deferred.Deferred<Ingest.BatchResult, SessionStore.StorageError>]

const nextTurn = Effect.async<void>((resume) => {
  setImmediate(() => resume(Effect.void))
})

/** One batch for several callers' batches: their items in order, the latest `now`, every `resolves`. */
export const merge = (batches: ReadonlyArray<Ingest.Batch>): Ingest.Batch => ({
  now: batches.reduce((latest, batch) => DateTime.max(latest, batch.now), batches[0]!.now),
  policy: batches[0]!.policy,
  items: batches.flatMap((batch) => batch.items),
  resolves: batches.flatMap((batch) => batch.resolves)
})

/**
 * Wraps the `Storage` in context: the same store, with `ingest` grouped. When the scope closes, the group being
 * written is finished first; callers still queued then fail with a StorageError (nothing of theirs was written).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: GroupCommitOptions = {}
): Effect.Effect<StorageShape, never, Storage | Scope.Scope> =>
  Effect.gen(function*() {
    const store = yield* Storage
    const maxBatch = Math.max(1, Math.floor(options.maxBatch ?? 1000))
    const queue = yield* Effect.acquireRelease(Queue.unbounded<Pending>(), (queue) =>
      Queue.takeAll(queue).pipe(
        Effect.flatMap((pending) =>
          Effect.forEach(
            pending,
            ([, deferred]) =>
              Deferred.fail(deferred, new Store.StorageError({ operation: "ingest", detail: "the store was closed" })),
            {
              discard: true
            }
          )
        ),
        Effect.zipRight(Queue.shutdown(queue))
      ))

    const writeOne = ([batch, deferred]: Pending) =>
      Effect.flatMap(Effect.exit(store.ingest(batch)), (exit) => Effect.as(Deferred.done(deferred, exit), exit))

    // A failed group is written again caller by caller, so that one bad batch cannot fail the others; but after two
    // callers in a row fail too, the store itself is failing (down, timing out): the rest fail at once with that
    // error instead of each waiting for its own failure.
    const writeOneByOne = (group: ReadonlyArray<Pending>) =>
      Effect.gen(function*() {
        let failuresInARow = 0
        for (const [index, pending] of group.entries()) {
          const exit = yield* writeOne(pending)
          failuresInARow = Exit.isFailure(exit) ? failuresInARow + 1 : 0
          if (failuresInARow === 2) {
            for (const [, deferred] of group.slice(index + 1)) yield* Deferred.done(deferred, exit)
            return
          }
        }
      })

    const writeGroup = (group: ReadonlyArray<Pending>) => {
      if (group.length === 1) return Effect.asVoid(writeOne(group[0]!))
      return Effect.flatMap(Effect.exit(store.ingest(merge(group.map(([batch]) => batch)))), (exit) => {
        if (Exit.isFailure(exit)) return writeOneByOne(group)
        let offset = 0
        return Effect.forEach(group, ([batch, deferred]) => {
          const items = exit.value.items.slice(offset, offset + batch.items.length)
          offset += batch.items.length
          return Deferred.succeed(deferred, { items })
        }, { discard: true })
      })
    }

    const takeGroup = (waitForFirst: Effect.Effect<Pending>) =>
      Effect.gen(function*() {
        const first = yield* waitForFirst
        yield* nextTurn
        const group: Array<Pending> = [first]
        let size = first[0].items.length
        while (size < maxBatch) {
          const next = yield* Queue.poll(queue)
          if (next._tag === "None") break
          group.push(next.value)
          size += next.value[0].items.length
        }
        return group
      })

    // only waiting for the first caller can be interrupted: a group taken from the queue is always written (else its
    // callers would wait forever)
    yield* Effect.forkScoped(Effect.forever(
      Effect.uninterruptibleMask((restore) => Effect.flatMap(takeGroup(restore(Queue.take(queue))), writeGroup))
    ))

    const ingest = (batch: Ingest.Batch) =>
      Effect.flatMap(
        Deferred.make<Ingest.BatchResult, SessionStore.StorageError>(),
        (deferred) => Effect.zipRight(Queue.offer(queue, [batch, deferred]), Deferred.await(deferred))
      )
    return { ...store, ingest }
  })

/**
 * Provides `SessionStore`, `EventLog` and `Storage` with grouped ingests, over the `Storage` of `StoreConfig`,
 * `SqliteStore` or `PgStore`: `GroupCommit.layer().pipe(Layer.provide(StoreConfig.layerConfig()))`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: GroupCommitOptions = {}
): Layer.Layer<SessionStore.SessionStore | EventLog.EventLog | Storage, never, Storage> =>
  Layer.scopedContext(Effect.map(make(options), context))
