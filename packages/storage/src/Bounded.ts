/**
 * Every store operation bounded in time: a database that stops answering (a frozen PostgreSQL, a network partition)
 * gives a `StorageError` within the bound, so callers answer 503 and Exotel retries, instead of requests piling up
 * for as long as the TCP connection lives. The operation is interrupted in the background, and may still have
 * committed: that is safe for every bounded operation (an ingest that commits late comes back as duplicates when
 * Exotel retries; statuses, closures, window events and delivery completions are idempotent), so the operations
 * whose late commit would strand work are left unbounded: starting a send (a job marked in flight that never went
 * out would end `unknown`) and claiming a fallback (its template would never be queued). A new outbound message is a
 * send job that the worker sends even when its caller was told 503 (a retry with the same key replays it); a claim
 * that commits late goes back to the queue when its lease runs out (`recoverSends`).
 *
 * @since 0.2.0
 */
import { type EventLog, SessionStore } from "@wa-session/session-core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import { context, mapOperations } from "./internal/layer.js"
import { Storage, type StorageShape } from "./Storage.js"

/**
 * @since 0.2.0
 * @category models
 */
export interface BoundedOptions {
  /** The bound of every operation (default 5 s). */
  readonly timeout?: Duration.DurationInput | undefined
  /** The bound of the batch jobs, which may touch many rows: `prune` and `replay` (default 60 s). */
  readonly batchTimeout?: Duration.DurationInput | undefined
}

const BATCH_OPERATIONS: ReadonlySet<string> = new Set(["prune", "replay"])

/** Operations whose commit after the caller gave up would strand work (see the module's description). */
const UNBOUNDED: ReadonlySet<string> = new Set(["startSend", "claimFallback"])

/**
 * `operation`, or `onTimeout()` once `millis` have passed without its answer; the caller's interruption or the
 * timeout interrupts it in the background (as `Effect.disconnect` with `Effect.timeoutFail`). The operation runs in a
 * fiber of its own watched by one timer: the combinators cost several fibers and a scheduled sleep per call, about
 * four times the CPU, and every webhook crosses two bounds (docs/performance.md).
 */
const withDeadline = <A, E, R, E2>(
  operation: Effect.Effect<A, E, R>,
  millis: number,
  onTimeout: () => E2
): Effect.Effect<A, E | E2, R> =>
  // masked from the fork to the wait (an interruption in between would leave the operation running unwatched); the
  // operation itself runs as interruptible as its caller was
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(Effect.forkDaemon(restore(operation)), (fiber) =>
      restore(Effect.async<A, E | E2>((resume) => {
        let answered = false
        const answer = (effect: Effect.Effect<A, E | E2>) => {
          if (answered) return
          answered = true
          clearTimeout(timer)
          resume(effect)
        }
        const timer = setTimeout(() => {
          answer(Effect.fail(onTimeout()))
          fiber.unsafeInterruptAsFork(FiberId.none)
        }, millis)
        fiber.addObserver(answer)
        return Effect.sync(() => {
          answered = true
          clearTimeout(timer)
          fiber.unsafeInterruptAsFork(FiberId.none)
        })
      })))
  )

/**
 * @since 0.2.0
 * @category constructors
 */
export const bound = (store: StorageShape, options: BoundedOptions = {}): StorageShape => {
  const timeout = Duration.decode(options.timeout ?? Duration.seconds(5))
  const batchTimeout = Duration.decode(options.batchTimeout ?? Duration.seconds(60))
  return mapOperations(store, (name, operation) => {
    if (UNBOUNDED.has(name)) return operation
    const limit = BATCH_OPERATIONS.has(name) ? batchTimeout : timeout
    return withDeadline(operation, Duration.toMillis(limit), () =>
      new SessionStore.StorageError({
        operation: name,
        detail: `the database did not answer within ${Duration.format(limit)}`
      }))
  })
}

/**
 * Provides `SessionStore`, `EventLog` and `Storage` bounded in time, over the `Storage` in context (e.g.
 * `GroupCommit.layer()`).
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (
  options: BoundedOptions = {}
): Layer.Layer<SessionStore.SessionStore | EventLog.EventLog | Storage, never, Storage> =>
  Layer.effectContext(Effect.map(Storage, (store) => context(bound(store, options))))
