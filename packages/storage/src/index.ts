/**
 * @since 0.2.0
 */
export * as Bounded from "./Bounded.js"
/**
 * @since 0.2.0
 */
export * as Directory from "./Directory.js"
/**
 * @since 0.1.0
 */
export * as GroupCommit from "./GroupCommit.js"
/**
 * @since 0.1.0
 */
export * as MemoryStore from "./MemoryStore.js"
/**
 * @since 0.1.0
 */
export * as PgStore from "./PgStore.js"
/**
 * @since 0.1.0
 */
export * as SqliteStore from "./SqliteStore.js"
/**
 * @since 0.1.0
 */
export * as SqlStore from "./SqlStore.js"
/**
 * @since 0.1.0
 */
export * as Storage from "./Storage.js"
/**
 * @since 0.1.0
 */
export * as StoreConfig from "./StoreConfig.js"
