/**
 * @since 0.1.0
 */
export * as RandomIds from "./RandomIds.js"
/**
 * @since 0.1.0
 */
export * as SystemClock from "./SystemClock.js"
/**
 * @since 0.1.0
 */
export * as VirtualClock from "./VirtualClock.js"
/**
 * @since 0.2.0
 */
export * as RandomTokens from "./RandomTokens.js"
/**
 * @since 0.2.0
 */
export * as Settings from "./Settings.js"
/**
 * @since 0.2.0
 */
export * as Logging from "./Logging.js"
