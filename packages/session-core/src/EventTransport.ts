/**
 * The port that carries an event to an endpoint: one signed HTTP request (Standard Webhooks), bounded in time.
 * Implemented by `@wa-session/relay`.
 *
 * @since 0.2.0
 */
import * as Context from "effect/Context"
import type * as DateTime from "effect/DateTime"
import type * as Effect from "effect/Effect"
import type * as Delivery from "./Delivery.js"
import type * as Event from "./Event.js"

/**
 * @since 0.2.0
 * @category models
 */
export interface EventTransportShape {
  /**
   * POSTs the event's `body` to `endpoint`, signed with its secret at `attemptAt`, and says what came back: an HTTP
   * status, or no answer (refused, reset, timed out). Never fails: every outcome is an `AttemptResult`.
   */
  readonly post: (
    endpoint: Delivery.Endpoint,
    event: Event.Payload,
    attemptAt: DateTime.Utc
  ) => Effect.Effect<Delivery.AttemptResult>
}

/**
 * @since 0.2.0
 * @category tags
 */
export class EventTransport extends Context.Tag("@wa-session/session-core/EventTransport")<
  EventTransport,
  EventTransportShape
>() {}
