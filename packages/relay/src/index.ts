/**
 * @since 0.1.0
 */
export * as StandardWebhooks from "./StandardWebhooks.js"
