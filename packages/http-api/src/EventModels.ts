/**
 * The bodies of the `events` group: the event log, the endpoints events are delivered to, the deliveries and their
 * replay.
 *
 * @since 0.2.0
 */
import { Delivery, Event } from "@wa-session/session-core"
import * as Schema from "effect/Schema"
import { DEFAULT_PAGE_SIZE, Instant, Limit } from "./internal/schemas.js"

/**
 * The query of `GET /v1/events`: events after the event `after` (from the oldest kept when absent), of the
 * comma-separated `type`s (all when absent), `limit` per page (1 to 1000, default 100).
 *
 * @since 0.2.0
 * @category models
 */
export const EventsParams = Schema.Struct({
  after: Schema.optional(Schema.String.annotations({ description: "The id of the last event already seen" })),
  type: Schema.optional(Schema.String.annotations({
    description: "Comma-separated event types, e.g. message.received,window.expiring"
  })),
  limit: Limit(1000, DEFAULT_PAGE_SIZE)
})

/**
 * A page of the event log, in log order. `last` is the id to pass as `after` for the next page (null when the page
 * is empty: poll again later with the same `after`).
 *
 * @since 0.2.0
 * @category models
 */
export const EventsPage = Schema.Struct({
  items: Schema.Array(Event.Event),
  last: Schema.NullOr(Schema.String)
}).annotations({ identifier: "EventsPage" })

/**
 * @since 0.2.0
 * @category models
 */
export type EventsPage = typeof EventsPage.Type

/**
 * `POST /v1/endpoints`: where to deliver events (`url`, http or https), which types (`events`, all when absent), and
 * the Standard Webhooks signing secret (`secret`, `whsec_…`; generated when absent).
 *
 * @since 0.2.0
 * @category models
 */
export const AddEndpointRequest = Schema.Struct({
  url: Schema.String.annotations({ examples: ["https://example.com/wa-events"] }),
  events: Schema.optional(
    Schema.Array(Schema.String).annotations({
      description: `Event types to deliver: ${Event.EVENT_TYPES.join(", ")} (default all)`
    })
  ),
  secret: Schema.optional(Schema.String.annotations({ description: "whsec_ and the base64 of 24 to 64 random bytes" }))
}).annotations({ identifier: "AddEndpointRequest" })

/**
 * An endpoint. `events` is null for every type; `state` is `disabled` after it answered 410 Gone.
 *
 * @since 0.2.0
 * @category models
 */
export const EndpointView = Schema.Struct({
  id: Schema.String,
  url: Schema.String,
  events: Schema.NullOr(Schema.Array(Event.EventType)),
  state: Delivery.EndpointState,
  disabledReason: Schema.NullOr(Schema.String),
  configured: Schema.Boolean.annotations({ description: "true for the endpoint of WA_SESSION_EVENTS_URL" }),
  createdAt: Schema.DateTimeUtc
}).annotations({ identifier: "EndpointView" })

/**
 * The answer to `POST /v1/endpoints` (201): the endpoint with the signing `secret` generated for it, shown this once
 * (`null` when the request gave one: a secret is never echoed back).
 *
 * @since 0.2.0
 * @category models
 */
export const AddedEndpoint = Schema.extend(
  EndpointView,
  Schema.Struct({
    secret: Schema.NullOr(Schema.String).annotations({
      description: "the generated whsec_ secret, shown this once; null when the request gave one"
    })
  })
).annotations({ identifier: "AddedEndpoint" })

/**
 * `GET /v1/endpoints`.
 *
 * @since 0.2.0
 * @category models
 */
export const EndpointList = Schema.Struct({ items: Schema.Array(EndpointView) }).annotations({
  identifier: "EndpointList"
})

/**
 * The query of `GET /v1/deliveries`: by `state`, by `endpoint` id, `limit` (1 to 1000, default 100), `cursor`.
 *
 * @since 0.2.0
 * @category models
 */
export const DeliveriesParams = Schema.Struct({
  state: Schema.optional(Delivery.DeliveryState),
  endpoint: Schema.optional(Schema.String),
  limit: Limit(1000, DEFAULT_PAGE_SIZE),
  cursor: Schema.optional(Schema.String)
})

/**
 * A delivery of an event to an endpoint.
 *
 * @since 0.2.0
 * @category models
 */
export const DeliveryView = Schema.Struct({
  endpointId: Schema.String,
  eventId: Schema.String,
  eventType: Event.EventType,
  business: Schema.NullOr(Schema.String),
  customer: Schema.NullOr(Schema.String),
  state: Delivery.DeliveryState,
  attempts: Schema.Number,
  createdAt: Schema.DateTimeUtc,
  nextAttemptAt: Schema.NullOr(Schema.DateTimeUtc),
  lastAttemptAt: Schema.NullOr(Schema.DateTimeUtc),
  lastStatus: Schema.NullOr(Schema.Number),
  lastError: Schema.NullOr(Schema.String),
  deliveredAt: Schema.NullOr(Schema.DateTimeUtc)
}).annotations({ identifier: "DeliveryView" })

/**
 * A page of deliveries, newest event first.
 *
 * @since 0.2.0
 * @category models
 */
export const DeliveryPage = Schema.Struct({
  items: Schema.Array(DeliveryView),
  nextCursor: Schema.NullOr(Schema.String)
}).annotations({ identifier: "DeliveryPage" })

/**
 * `POST /v1/deliveries/replay`: deliver again the events recorded `since` an instant and/or the events `eventIds`
 * (at least one of the two), to one `endpoint` or all.
 *
 * @since 0.2.0
 * @category models
 */
export const ReplayRequest = Schema.Struct({
  endpoint: Schema.optional(Schema.String),
  since: Schema.optional(Instant),
  eventIds: Schema.optional(Schema.Array(Schema.String).pipe(Schema.minItems(1), Schema.maxItems(1000)))
}).annotations({ identifier: "ReplayRequest" })

/**
 * How many deliveries the replay made pending.
 *
 * @since 0.2.0
 * @category models
 */
export const ReplayResponse = Schema.Struct({ replayed: Schema.Number }).annotations({ identifier: "ReplayResponse" })
