/**
 * The storage adapters' own service: the core `SessionStore` port plus what only a storage adapter offers
 * (grouped commits for the inbound hot path). Every layer of this package provides both tags with the same
 * implementation.
 *
 * @since 0.1.0
 */
import type { SessionStore, SessionWindow } from "@wa-session/session-core"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"

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
export interface StorageShape extends SessionStore.SessionStoreShape {
  readonly backend: Backend
  /**
   * Records several inbound messages in ONE transaction (one commit, one fsync): all of them or none, with the same
   * dedup and max semantics as `recordInbound`. Results are in input order: `duplicate` is true when the message id
   * was recorded before the batch or earlier in it (the first occurrence wins); `window` is the window after the
   * whole batch of the pair the message id is recorded under. On PostgreSQL the batch takes its row locks in one
   * global order (dedup rows, then windows, each sorted), so concurrent batches cannot deadlock.
   */
  readonly recordInboundBatch: (
    messages: ReadonlyArray<SessionWindow.InboundMessage>
  ) => Effect.Effect<ReadonlyArray<SessionStore.RecordedInbound>, SessionStore.StorageError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Storage extends Context.Tag("@wa-session/storage/Storage")<Storage, StorageShape>() {}
