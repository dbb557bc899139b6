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
import type { Ingest } from "@wa-session/session-core"
import { type EventLog, SessionStore as Store } from "@wa-session/session-core"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { context } from "./internal/layer.js"
import { Storage, type StorageShape } from "./Storage.js"

/**
 * `maxBatch`: the most operations written in one transaction (default 1000; a single larger batch is written alone).
 * `timeout` (since 0.2.0): the longest a caller waits for its group, queueing included; then it fails with a
 * `StorageError` (default: no bound). A caller still queued then is taken out of the queue: nothing of its batch is
 * written. One taken into a group may still be committed, as with `Bounded`.
 *
 * @since 0.1.0
 * @category models
 */
export interface GroupCommitOptions {
  readonly maxBatch?: number | undefined
  readonly timeout?: Duration.DurationInput | undefined
}

type Answer = Exit.Exit<Ingest.BatchResult, Store.StorageError>

/** A caller waiting for its group: `answer` resumes it (once; later answers are ignored). */
interface Pending {
  readonly batch: Ingest.Batch
  readonly answer: (exit: Answer) => void
}

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
 * Callers wait in a plain queue, each resumed by a callback: a webhook costs no fiber, queue or deferred of its own
 * (they were a tenth of the CPU of a webhook on the no-store benchmark).
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
    const bound = options.timeout === undefined ? undefined : Duration.decode(options.timeout)
    const queue: Array<Pending> = []
    let closed = false
    let wakeWriter: (() => void) | undefined

    const closedError = new Store.StorageError({ operation: "ingest", detail: "the store was closed" })
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        closed = true
        for (const pending of queue.splice(0)) pending.answer(Exit.fail(closedError))
      })
    )

    const waitForWork = Effect.async<void>((resume) => {
      if (queue.length > 0) return resume(Effect.void)
      wakeWriter = () => resume(Effect.void)
      return Effect.sync(() => {
        wakeWriter = undefined
      })
    })

    const writeOne = (pending: Pending) =>
      Effect.tap(Effect.exit(store.ingest(pending.batch)), (exit) => Effect.sync(() => pending.answer(exit)))

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
            for (const rest of group.slice(index + 1)) rest.answer(exit)
            return
          }
        }
      })

    const writeGroup = (group: ReadonlyArray<Pending>) => {
      if (group.length === 1) return Effect.asVoid(writeOne(group[0]!))
      return Effect.flatMap(Effect.exit(store.ingest(merge(group.map((pending) => pending.batch)))), (exit) => {
        if (Exit.isFailure(exit)) return writeOneByOne(group)
        let offset = 0
        for (const pending of group) {
          const items = exit.value.items.slice(offset, offset + pending.batch.items.length)
          offset += pending.batch.items.length
          pending.answer(Exit.succeed({ items }))
        }
        return Effect.void
      })
    }

    // the first caller, then the next ones while their items fit in `maxBatch`, taken from the queue at once
    const takeGroup = Effect.sync(() => {
      let count = 0
      let size = 0
      while (count < queue.length && (count === 0 || size + queue[count]!.batch.items.length <= maxBatch)) {
        size += queue[count]!.batch.items.length
        count++
      }
      return queue.splice(0, count)
    })

    // only waiting for work can be interrupted: a group taken from the queue is always written (else its callers
    // would wait forever)
    yield* Effect.forkScoped(Effect.forever(
      Effect.uninterruptibleMask((restore) =>
        restore(Effect.zipRight(waitForWork, nextTurn)).pipe(
          Effect.zipRight(takeGroup),
          Effect.flatMap((group) => group.length === 0 ? Effect.void : writeGroup(group))
        )
      )
    ))

    const timedOut = (limit: Duration.Duration) =>
      new Store.StorageError({
        operation: "ingest",
        detail: `the database did not answer within ${Duration.format(limit)}`
      })

    const ingest = (batch: Ingest.Batch) =>
      Effect.async<Ingest.BatchResult, Store.StorageError>((resume) => {
        if (closed) return resume(Exit.fail(closedError))
        let answered = false
        let timer: ReturnType<typeof setTimeout> | undefined
        const pending: Pending = {
          batch,
          answer: (exit) => {
            if (answered) return
            answered = true
            if (timer !== undefined) clearTimeout(timer)
            resume(exit)
          }
        }
        const leaveQueue = () => {
          const index = queue.indexOf(pending)
          if (index !== -1) queue.splice(index, 1)
        }
        queue.push(pending)
        if (bound !== undefined) {
          timer = setTimeout(() => {
            leaveQueue()
            pending.answer(Exit.fail(timedOut(bound)))
          }, Duration.toMillis(bound))
        }
        if (wakeWriter !== undefined) {
          const wake = wakeWriter
          wakeWriter = undefined
          wake()
        }
        return Effect.sync(() => {
          answered = true
          if (timer !== undefined) clearTimeout(timer)
          leaveQueue()
        })
      })
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
): Layer.Layer<Store.SessionStore | EventLog.EventLog | Storage, never, Storage> =>
  Layer.scopedContext(Effect.map(make(options), context))
