/**
 * The storage adapters' own service: the core's `SessionStore` and `EventLog` ports, in one database, plus which
 * database it is. Every layer of this package provides the three tags with the same implementation.
 *
 * @since 0.1.0
 */
import type { EventLog, SessionStore } from "@wa-session/session-core"
import * as Context from "effect/Context"

/**
 * Which database is behind the store.
 *
 * @since 0.1.0
 * @category models
 */
export type Backend = "memory" | "sqlite" | "pg"

/**
 * @since 0.1.0
 * @category models
 */
export interface StorageShape extends SessionStore.SessionStoreShape, EventLog.EventLogShape {
  readonly backend: Backend
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Storage extends Context.Tag("@wa-session/storage/Storage")<Storage, StorageShape>() {}
