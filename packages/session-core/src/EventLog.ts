/**
 * The event log port: the events the store recorded, the endpoints they go to and their deliveries. Implemented by
 * `@wa-session/storage` next to `SessionStore`, in the same database, so that an event and its deliveries are
 * written in the transaction of the change they describe.
 *
 * @since 0.2.0
 */
import * as Context from "effect/Context"
import type * as DateTime from "effect/DateTime"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Delivery from "./Delivery.js"
import type * as Event from "./Event.js"
import type { InvalidCursor, StorageError } from "./SessionStore.js"

/**
 * Events in log order after the event `after` (from the start when `None`), of the given types (all when `None`).
 *
 * @since 0.2.0
 * @category models
 */
export interface EventQuery {
  readonly after: Option.Option<string>
  readonly types: Option.Option<ReadonlyArray<Event.EventType>>
  readonly limit: number
}

/**
 * A page of the log. `last` is the id of the last event of the page (the next `after`); `None` when the page is
 * empty.
 *
 * @since 0.2.0
 * @category models
 */
export interface EventPage {
  readonly items: ReadonlyArray<Event.Event>
  readonly last: Option.Option<string>
}

/**
 * @since 0.2.0
 * @category models
 */
export interface DeliveryQuery {
  readonly state: Option.Option<Delivery.DeliveryState>
  readonly endpointId: Option.Option<string>
  readonly limit: number
  readonly cursor: Option.Option<string>
}

/**
 * A page of deliveries, newest event first.
 *
 * @since 0.2.0
 * @category models
 */
export interface DeliveryPage {
  readonly items: ReadonlyArray<Delivery.Delivery>
  readonly nextCursor: Option.Option<string>
}

/**
 * A delivery handed to one caller until `leaseUntil`: with its event (ready to post) and endpoint, and the lease
 * token to complete it with (a caller whose lease ran out and was taken over cannot complete it any more).
 *
 * @since 0.2.0
 * @category models
 */
export interface Claimed {
  readonly delivery: Delivery.Delivery
  readonly event: Event.Payload
  readonly endpoint: Delivery.Endpoint
  readonly lease: number
  /** the event's position in the store's log (its key, with the endpoint, of the delivery) */
  readonly seq: number
}

/**
 * The deliveries to claim at `now`: pending, due, their endpoint enabled, not leased by another caller, and first in
 * line for their (endpoint, pair), so that a pair's events reach an endpoint in the order they were recorded.
 *
 * @since 0.2.0
 * @category models
 */
export interface ClaimQuery {
  readonly now: DateTime.Utc
  readonly limit: number
  readonly leaseFor: Duration.Duration
}

/**
 * The outcome of one attempt, to record: when it was made, the HTTP status or the error, and the verdict.
 *
 * @since 0.2.0
 * @category models
 */
export interface Attempt {
  readonly at: DateTime.Utc
  readonly status: Option.Option<number>
  readonly error: Option.Option<string>
  readonly verdict: Delivery.Verdict
}

/**
 * Which deliveries to send again: of one endpoint or all, of events recorded since an instant and/or of the given
 * events. Delivered and failed deliveries become pending again; events an endpoint never had a delivery for (it did
 * not exist yet, or did not want them then) get one if the endpoint wants them now.
 *
 * @since 0.2.0
 * @category models
 */
export interface ReplayQuery {
  readonly endpointId: Option.Option<string>
  readonly since: Option.Option<DateTime.Utc>
  readonly eventIds: Option.Option<ReadonlyArray<string>>
  readonly now: DateTime.Utc
}

/**
 * @since 0.2.0
 * @category models
 */
export interface EventLogShape {
  readonly listEvents: (query: EventQuery) => Effect.Effect<EventPage, StorageError | InvalidCursor>
  /** Adds an endpoint; it gets the events recorded from now on. */
  readonly addEndpoint: (endpoint: Delivery.Endpoint) => Effect.Effect<void, StorageError>
  /**
   * Sets the configured endpoint (`Delivery.CONFIGURED_ENDPOINT_ID`, from `WA_SESSION_EVENTS_URL`): created or
   * updated (URL, secret, enabled again), or, with `None`, removed like `deleteEndpoint`.
   */
  readonly configureEndpoint: (
    endpoint: Option.Option<Delivery.Endpoint>,
    now: DateTime.Utc
  ) => Effect.Effect<void, StorageError>
  readonly listEndpoints: Effect.Effect<ReadonlyArray<Delivery.Endpoint>, StorageError>
  readonly findEndpoint: (id: string) => Effect.Effect<Option.Option<Delivery.Endpoint>, StorageError>
  /** Removes an endpoint; its pending deliveries fail ("endpoint deleted"). False when there was none. */
  readonly deleteEndpoint: (id: string, now: DateTime.Utc) => Effect.Effect<boolean, StorageError>
  readonly listDeliveries: (query: DeliveryQuery) => Effect.Effect<DeliveryPage, StorageError | InvalidCursor>
  readonly claimDeliveries: (query: ClaimQuery) => Effect.Effect<ReadonlyArray<Claimed>, StorageError>
  /**
   * Records the attempts of a round, in one transaction: each delivered, to retry later, given up, or (`Gone`) its
   * endpoint disabled with the delivery left pending. An attempt whose claim's lease was taken over is ignored.
   */
  readonly completeDeliveries: (
    attempts: ReadonlyArray<{ readonly claimed: Claimed; readonly attempt: Attempt }>
  ) => Effect.Effect<void, StorageError>
  /** Makes deliveries pending again (see `ReplayQuery`); how many. */
  readonly replay: (query: ReplayQuery) => Effect.Effect<number, StorageError>
}

/**
 * @since 0.2.0
 * @category tags
 */
export class EventLog extends Context.Tag("@wa-session/session-core/EventLog")<EventLog, EventLogShape>() {}
