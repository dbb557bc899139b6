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
 * @since 0.2.0
 */
export * as Durations from "./Durations.js"
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
 * @since 0.2.0
 */
export * as Pacing from "./Pacing.js"
/**
 * @since 0.2.0
 */
export * as Parking from "./Parking.js"

/**
 * @since 0.2.0
 */
export * as SendJobs from "./SendJobs.js"
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
/**
 * @since 0.2.0
 */
export * as Delivery from "./Delivery.js"
/**
 * @since 0.2.0
 */
export * as Event from "./Event.js"
/**
 * @since 0.2.0
 */
export * as EventLog from "./EventLog.js"
/**
 * @since 0.2.0
 */
export * as EventTransport from "./EventTransport.js"
/**
 * @since 0.2.0
 */
export * as Ingest from "./Ingest.js"
/**
 * @since 0.2.0
 */
export * as Tokens from "./Tokens.js"
/**
 * @since 0.2.0
 */
export * as WindowEvents from "./WindowEvents.js"
/**
 * @since 0.2.0
 */
export * as RelayService from "./RelayService.js"
/**
 * @since 0.2.0
 */
export * as WindowOpeners from "./WindowOpeners.js"
/**
 * @since 0.2.0
 */
export * as MemoryStore from "./MemoryStore.js"
/**
 * @since 0.2.0
 */
export * as StoreCursor from "./StoreCursor.js"
/**
 * @since 0.3.0
 */
export * as StorableText from "./StorableText.js"
