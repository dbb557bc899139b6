/**
 * The in-memory implementation of the `SessionStore` and `EventLog` ports, for tests and simulations: the same
 * semantics as the SQL stores (the store contract suite holds them all to it), because every transaction is planned
 * by the same pure rule (`Ingest.plan`) and only applied differently, here to maps. It reads no clock and nothing
 * survives the process. `@wa-session/storage` wraps it as its `MemoryStore`.
 *
 * @since 0.2.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { EventLog, type EventLogShape } from "./EventLog.js"
import { makeEventLog } from "./internal/memoryEventLog.js"
import { makeSessionStore } from "./internal/memorySessionStore.js"
import { makeState } from "./internal/memoryState.js"
import type { Job } from "./SendJobs.js"
import { SessionStore, type SessionStoreShape } from "./SessionStore.js"

/**
 * Both ports over one state, and what a test may look at that the ports do not show.
 *
 * @since 0.2.0
 * @category models
 */
export interface MemoryStore extends SessionStoreShape, EventLogShape {
  /** The send jobs queued, claimed or in flight now, by message id (a finished job is gone). */
  readonly sendJobs: Effect.Effect<ReadonlyMap<string, Job>>
}

/**
 * An empty store.
 *
 * @example
 * ```ts
 * import { MemoryStore } from "@wa-session/session-core"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const store = yield* MemoryStore.make
 *   return (yield* store.sendJobs).size // 0
 * })
 * ```
 * @since 0.2.0
 * @category constructors
 */
export const make: Effect.Effect<MemoryStore> = Effect.map(makeState, (state) => ({
  ...makeSessionStore(state),
  ...makeEventLog(state),
  sendJobs: Effect.sync(() => new Map(state.jobs))
}))

/**
 * A fresh empty store providing `SessionStore` and `EventLog`.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer: Layer.Layer<SessionStore | EventLog> = Layer.effectContext(
  Effect.map(make, (store) => Context.make(SessionStore, store).pipe(Context.add(EventLog, store)))
)
