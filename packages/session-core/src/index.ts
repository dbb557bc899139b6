/**
 * @since 0.1.0
 */
export * as ClockSkew from "./ClockSkew.js"
/**
 * @since 0.1.0
 */
export * as Decision from "./Decision.js"
/**
 * @since 0.1.0
 */
export * from "./Errors.js"
/**
 * @since 0.1.0
 */
export * as Ids from "./Ids.js"
/**
 * @since 0.2.0
 */
export * as Instant from "./Instant.js"
/**
 * @since 0.1.0
 */
export * as MessageContent from "./MessageContent.js"
/**
 * @since 0.1.0
 */
export * as MessageSender from "./MessageSender.js"
/**
 * @since 0.1.0
 */
export * as Outbound from "./Outbound.js"
/**
 * @since 0.1.0
 */
export * as PhoneNumber from "./PhoneNumber.js"
/**
 * @since 0.1.0
 */
export * as SessionStore from "./SessionStore.js"
/**
 * @since 0.1.0
 */
export * as SessionWindow from "./SessionWindow.js"
/**
 * @since 0.1.0
 */
export * as SessionService from "./SessionService.js"
