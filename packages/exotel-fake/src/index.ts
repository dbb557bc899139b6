/**
 * @since 0.2.0
 */
export * from "./Behaviour.js"
/**
 * @since 0.2.0
 */
export * from "./Callbacks.js"
/**
 * @since 0.1.0
 */
export * from "./FakeExotel.js"
/**
 * @since 0.2.0
 */
export * from "./Recorded.js"
/**
 * @since 0.1.0
 */
export * from "./WebhookRecorder.js"
