/**
 * @since 0.1.0
 */
export * from "./Api.js"
/**
 * @since 0.1.0
 */
export * from "./Errors.js"
/**
 * @since 0.1.0
 */
export * from "./Models.js"
/**
 * @since 0.2.0
 */
export * as Views from "./Views.js"
