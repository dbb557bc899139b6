/**
 * A real in-memory store (tests, simulate): session-core's `MemoryStore` as a `Storage` of backend `memory`. It has
 * the same semantics as the SQL stores, because every transaction is planned by the same pure rule (`Ingest.plan`)
 * and only applied differently, here to maps. Nothing survives the process.
 *
 * @since 0.1.0
 */
import { type EventLog, MemoryStore, type SessionStore } from "@wa-session/session-core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { context } from "./internal/layer.js"
import type { Storage, StorageShape } from "./Storage.js"

/**
 * Builds an empty store.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<StorageShape> = Effect.map(
  MemoryStore.make,
  ({ sendJobs: _sendJobs, ...ports }): StorageShape => ({ ...ports, backend: "memory" })
)

/**
 * A fresh in-memory store providing `SessionStore`, `EventLog` and `Storage`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<SessionStore.SessionStore | EventLog.EventLog | Storage> = Layer.effectContext(
  Effect.map(make, context)
)
