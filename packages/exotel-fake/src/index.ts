/**
 * @since 0.1.0
 */
export * from "./FakeExotel.js"
/**
 * @since 0.1.0
 */
export * from "./WebhookRecorder.js"
