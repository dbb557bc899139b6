/**
 * @since 0.1.0
 */
export * as ExoStatus from "./ExoStatus.js"
/**
 * @since 0.1.0
 */
export * as ExotelApi from "./ExotelApi.js"
/**
 * @since 0.1.0
 */
export * as ExotelConfig from "./ExotelConfig.js"
/**
 * @since 0.1.0
 */
export * as ExotelSender from "./ExotelSender.js"
/**
 * @since 0.1.0
 */
export * as Webhook from "./Webhook.js"
