/**
 * The bodies of the HTTP contract: what clients send and what the server answers.
 *
 * @since 0.1.0
 */
import {
  Delivery,
  Event,
  Ingest,
  Instant as CoreInstant,
  MessageContent,
  Outbound,
  SessionWindow
} from "@wa-session/session-core"
import * as DateTime from "effect/DateTime"
import * as Schema from "effect/Schema"

// An unencoded `+` in a query string arrives as a space: `?at=2026-01-21T09:00:00+05:30` still means +05:30.
const PlusRestored = Schema.transform(
  Schema.String.annotations({
    description: "An ISO-8601 instant with an offset (Z or ±hh:mm)",
    examples: ["2026-01-21T09:00:00+05:30"]
  }),
  Schema.String,
  { strict: true, decode: (input) => input.replace(/ (\d{2}:\d{2})$/, "+$1"), encode: (input) => input }
)

/**
 * An instant written as ISO-8601 with an explicit offset (`Z` or `+05:30`), e.g. `2026-01-21T09:00:00+05:30`,
 * decoded to a `DateTime.Utc` and encoded as ISO-8601 UTC: session-core's `Instant`, which refuses a time without
 * an offset (ambiguous) or an impossible date (30 February), after the `+` a query string lost is restored.
 *
 * @since 0.2.0
 * @category models
 */
export const Instant: Schema.Schema<DateTime.Utc, string> = Schema.compose(PlusRestored, CoreInstant.Instant)

/**
 * `POST /v1/messages`. Phone numbers may be written with or without `+`, with spaces or dashes. `content` is a
 * WhatsApp message (`{ "type": "text", "text": { "body": "…" } }`, a template, media…); `fallback` a template
 * sent instead when the window is not open. `idempotencyKey` (or the `Idempotency-Key` header) makes retries safe:
 * the same key with the same request replays the first result; with another request (another `to`, `content`,
 * `fallback` or `dryRun`; since 0.2.0) it is refused with 422 `IDEMPOTENCY_KEY_REUSED`. `dryRun` (since 0.2.0)
 * decides and records the message but sends nothing.
 *
 * @since 0.1.0
 * @category models
 */
export const SendMessageRequest = Schema.Struct({
  from: Schema.String.annotations({
    description: "The business number (E.164; + optional)",
    examples: ["+919876500001"]
  }),
  to: Schema.String.annotations({
    description: "The customer number (E.164; + optional)",
    examples: ["+919876543210"]
  }),
  content: Schema.Unknown.annotations({
    description: "The WhatsApp message content, validated against WhatsApp's rules",
    examples: [{ type: "text", text: { body: "Your order is out for delivery" } }]
  }),
  fallback: Schema.optional(Schema.Unknown.annotations({
    description: "A template content sent instead when the window is not open",
    examples: [{ type: "template", template: { name: "follow_up", language: { code: "en" } } }]
  })),
  idempotencyKey: Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200))),
  dryRun: Schema.optional(Schema.Boolean.annotations({
    description: "Decide and record, send nothing (always the case on a server without Exotel credentials)"
  }))
}).annotations({ identifier: "SendMessageRequest" })

/**
 * @since 0.1.0
 * @category models
 */
export type SendMessageRequest = typeof SendMessageRequest.Type

/**
 * The optional `Idempotency-Key` header of `POST /v1/messages` (the body's `idempotencyKey` wins when both are set).
 *
 * @since 0.1.0
 * @category models
 */
export const SendMessageHeaders = Schema.Struct({
  "idempotency-key": Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200)))
})

/**
 * The window of the pair when the decision was made.
 *
 * @since 0.1.0
 * @category models
 */
export const WindowAtDecision = Schema.Struct({
  state: SessionWindow.WindowState,
  expiresAt: Schema.NullOr(Schema.DateTimeUtc)
}).annotations({ identifier: "WindowAtDecision" })

/**
 * The answer to `POST /v1/messages` (202): how the message went out and what Exotel said. `dryRun` is true when
 * nothing was sent (asked for, or no Exotel credentials). `replayed` (since 0.2.0) is true when the idempotency key
 * was seen before: this is the first send's result, and nothing was sent again.
 *
 * @since 0.1.0
 * @category models
 */
export const SendMessageResponse = Schema.Struct({
  id: Schema.String,
  decision: Outbound.DecisionKind,
  reason: Schema.NullOr(Outbound.FallbackReason),
  window: WindowAtDecision,
  providerMessageId: Schema.NullOr(Schema.String),
  status: Outbound.OutboundStatus,
  dryRun: Schema.Boolean,
  replayed: Schema.Boolean
}).annotations({ identifier: "SendMessageResponse" })

/**
 * @since 0.1.0
 * @category models
 */
export type SendMessageResponse = typeof SendMessageResponse.Type

/**
 * One status an outbound message reached, with Exotel's code and description when it gave them.
 *
 * @since 0.1.0
 * @category models
 */
export const StatusEntry = Schema.Struct({
  status: Outbound.OutboundStatus,
  at: Schema.DateTimeUtc,
  code: Schema.NullOr(Schema.String),
  detail: Schema.NullOr(Schema.String)
}).annotations({ identifier: "StatusEntry" })

/**
 * `GET /v1/messages/{id}`: an outbound message with its status history (oldest first).
 *
 * @since 0.1.0
 * @category models
 */
export const MessageView = Schema.Struct({
  id: Schema.String,
  business: Schema.String,
  customer: Schema.String,
  idempotencyKey: Schema.NullOr(Schema.String),
  decision: Outbound.DecisionKind,
  reason: Schema.NullOr(Outbound.FallbackReason),
  window: WindowAtDecision,
  content: MessageContent.MessageContent,
  fallback: Schema.NullOr(MessageContent.MessageContent),
  providerMessageId: Schema.NullOr(Schema.String),
  status: Outbound.OutboundStatus,
  dryRun: Schema.Boolean,
  createdAt: Schema.DateTimeUtc,
  fallbackMessageId: Schema.NullOr(Schema.String),
  history: Schema.Array(StatusEntry)
}).annotations({ identifier: "MessageView" })

/**
 * @since 0.1.0
 * @category models
 */
export type MessageView = typeof MessageView.Type

/**
 * The window of a (business, customer) pair now. `state` is `none` when the customer never wrote;
 * `remainingSeconds` is the time left for session messages (after the safety margin), 0 unless open.
 *
 * @since 0.1.0
 * @category models
 */
export const SessionView = Schema.Struct({
  business: Schema.String,
  customer: Schema.String,
  state: SessionWindow.WindowState,
  lastInboundAt: Schema.NullOr(Schema.DateTimeUtc),
  expiresAt: Schema.NullOr(Schema.DateTimeUtc),
  remainingSeconds: Schema.Number,
  closedByProvider: Schema.Boolean
}).annotations({ identifier: "SessionView" })

/**
 * @since 0.1.0
 * @category models
 */
export type SessionView = typeof SessionView.Type

/**
 * The query of `GET /v1/sessions/{business}/{customer}` and of its `/explanation`: `at`, an instant to evaluate at
 * instead of now (read-only: nothing is recorded).
 *
 * @since 0.2.0
 * @category models
 */
export const AtParams = Schema.Struct({
  at: Schema.optional(Instant)
})

/**
 * The query of `GET /v1/sessions`: open windows that close within `expiringWithin` seconds (default 90000 = 25 h, i.e.
 * every open window), of one `business` number or all, `limit` per page (1 to 1000, default 100), `cursor` the
 * `nextCursor` of the previous page, `at` (since 0.2.0) an instant to evaluate at instead of now.
 *
 * @since 0.1.0
 * @category models
 */
export const ListExpiringParams = Schema.Struct({
  expiringWithin: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.nonNegative())),
  business: Schema.optional(Schema.String),
  limit: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 1000))),
  cursor: Schema.optional(Schema.String),
  at: Schema.optional(Instant)
})

/**
 * A page of expiring windows, soonest first. `nextCursor` is null on the last page.
 *
 * @since 0.1.0
 * @category models
 */
export const SessionPage = Schema.Struct({
  items: Schema.Array(SessionView),
  nextCursor: Schema.NullOr(Schema.String)
}).annotations({ identifier: "SessionPage" })

/**
 * @since 0.1.0
 * @category models
 */
export type SessionPage = typeof SessionPage.Type

/**
 * `GET /v1/sessions/{business}/{customer}/explanation`: why the window is what it is. The customer message it counts
 * from (`basisMessageId`, sent at `status.lastInboundAt`, received at `basisReceivedAt`), when the pair was first
 * seen, the latest closure reported by the provider (it closes the window only when `status.closedByProvider`),
 * the safety margin in seconds, and a sentence summing it up. The `basis*`, `firstSeenAt` and `closedByProviderAt`
 * fields are null when the customer never wrote.
 *
 * @since 0.2.0
 * @category models
 */
export const ExplanationView = Schema.Struct({
  status: SessionView,
  basisMessageId: Schema.NullOr(Schema.String),
  basisReceivedAt: Schema.NullOr(Schema.DateTimeUtc),
  firstSeenAt: Schema.NullOr(Schema.DateTimeUtc),
  closedByProviderAt: Schema.NullOr(Schema.DateTimeUtc),
  safetyMarginSeconds: Schema.Number,
  summary: Schema.String
}).annotations({ identifier: "ExplanationView" })

/**
 * @since 0.2.0
 * @category models
 */
export type ExplanationView = typeof ExplanationView.Type

/**
 * `POST /v1/sessions/{business}/{customer}/inbound`: a customer's message recorded by hand (imports, backfill after
 * a webhook outage), as the webhook would record it. `messageId` is the provider's id (the same id twice is recorded
 * once; default: a generated `manual_…` id); `sentAt` when the customer sent it (the provider timestamp; default
 * now). It is received now, so the clock-skew guard applies.
 *
 * @since 0.2.0
 * @category models
 */
export const RecordInboundRequest = Schema.Struct({
  messageId: Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200))),
  sentAt: Schema.optional(Instant)
}).annotations({ identifier: "RecordInboundRequest" })

/**
 * @since 0.2.0
 * @category models
 */
export type RecordInboundRequest = typeof RecordInboundRequest.Type

/**
 * What the clock-skew guard did to an inbound message's timestamp: `none` (kept), `missing` (none given: the receive
 * time is used), `future` (more than the tolerance ahead of the receive time: the receive time is used).
 *
 * @since 0.2.0
 * @category models
 */
export const InboundAdjustment = Schema.Literal("none", "missing", "future").annotations({
  identifier: "InboundAdjustment"
})

/**
 * The answer to `POST /v1/sessions/{business}/{customer}/inbound`: the message id (given or generated), whether it
 * was already recorded, what the clock-skew guard did, and the window afterwards.
 *
 * @since 0.2.0
 * @category models
 */
export const RecordInboundResponse = Schema.Struct({
  messageId: Schema.String,
  duplicate: Schema.Boolean,
  adjustment: InboundAdjustment,
  window: SessionView
}).annotations({ identifier: "RecordInboundResponse" })

/**
 * @since 0.2.0
 * @category models
 */
export type RecordInboundResponse = typeof RecordInboundResponse.Type

/**
 * What Exotel POSTs: inbound messages and delivery reports, batched.
 *
 * @since 0.1.0
 * @category models
 */
export const ExotelWebhookBody = Schema.Struct({
  whatsapp: Schema.Struct({
    messages: Schema.Array(Schema.Unknown.annotations({
      description: "An inbound message (callback_type incoming_message) or a delivery report (callback_type dlr)"
    }))
  })
}).annotations({ identifier: "ExotelWebhookBody" })

/**
 * The answer to a webhook, sent once every accepted item is durably stored. `duplicates` were already known (same
 * message id, or the same status again); `rejected` items were malformed and are ignored.
 *
 * @since 0.1.0
 * @category models
 */
export const WebhookAck = Schema.Struct({
  accepted: Schema.Number,
  duplicates: Schema.Number,
  rejected: Schema.Number
}).annotations({ identifier: "WebhookAck" })

/**
 * @since 0.1.0
 * @category models
 */
export type WebhookAck = typeof WebhookAck.Type

/**
 * `GET /healthz`: the process is up.
 *
 * @since 0.1.0
 * @category models
 */
export const Health = Schema.Struct({ status: Schema.Literal("ok") }).annotations({ identifier: "Health" })

/**
 * `GET /readyz`: the store answers.
 *
 * @since 0.1.0
 * @category models
 */
export const Readiness = Schema.Struct({ status: Schema.Literal("ready") }).annotations({ identifier: "Readiness" })

const Limit = (max: number, fallback: number) =>
  Schema.optional(
    Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, max)).annotations({
      description: `Page size, 1 to ${max} (default ${fallback})`
    })
  )

/**
 * The query of `GET /v1/sessions/{business}/{customer}/messages`: `limit` (1 to 200, default 50) and `cursor`, the
 * `nextCursor` of the previous page.
 *
 * @since 0.2.0
 * @category models
 */
export const HistoryParams = Schema.Struct({
  limit: Limit(200, 50),
  cursor: Schema.optional(Schema.String)
})

/**
 * A customer's message in a pair's history: its content as the provider sent it.
 *
 * @since 0.2.0
 * @category models
 */
export const InboundEntry = Schema.Struct({
  direction: Schema.Literal("inbound"),
  id: Schema.String,
  business: Schema.String,
  customer: Schema.String,
  contentType: Schema.String,
  content: Event.JsonObject,
  profileName: Schema.NullOr(Schema.String),
  sentAt: Schema.DateTimeUtc,
  receivedAt: Schema.DateTimeUtc
}).annotations({ identifier: "InboundEntry" })

/**
 * One of our messages in a pair's history: as `GET /v1/messages/{id}` shows it.
 *
 * @since 0.2.0
 * @category models
 */
export const OutboundEntry = Schema.extend(
  Schema.Struct({ direction: Schema.Literal("outbound") }),
  MessageView
).annotations({ identifier: "OutboundEntry" })

/**
 * `GET /v1/sessions/{business}/{customer}/messages`: the pair's messages, inbound and outbound, newest first.
 *
 * @since 0.2.0
 * @category models
 */
export const HistoryPage = Schema.Struct({
  items: Schema.Array(Schema.Union(InboundEntry, OutboundEntry)),
  nextCursor: Schema.NullOr(Schema.String)
}).annotations({ identifier: "HistoryPage" })

/**
 * @since 0.2.0
 * @category models
 */
export type HistoryPage = typeof HistoryPage.Type

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
  limit: Limit(1000, 100)
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
  events: Schema.optional(Schema.Array(Schema.String).annotations({
    description: `Event types to deliver: ${Event.EVENT_TYPES.join(", ")} (default all)`
  })),
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
  limit: Limit(1000, 100),
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

/**
 * The query of `GET /v1/quarantine`: by `state`, `limit` (1 to 1000, default 100), `cursor`.
 *
 * @since 0.2.0
 * @category models
 */
export const QuarantineParams = Schema.Struct({
  state: Schema.optional(Schema.Literal("quarantined", "resolved")),
  limit: Limit(1000, 100),
  cursor: Schema.optional(Schema.String)
})

/**
 * A quarantine entry: what was received (`raw`, the item or body as text), why it is there, and whether a retry
 * settled it.
 *
 * @since 0.2.0
 * @category models
 */
export const QuarantineView = Schema.Struct({
  id: Schema.String,
  kind: Ingest.QuarantineKind,
  reason: Schema.String,
  receivedAt: Schema.DateTimeUtc,
  raw: Schema.String,
  state: Schema.Literal("quarantined", "resolved"),
  resolvedAt: Schema.NullOr(Schema.DateTimeUtc),
  retries: Schema.Number
}).annotations({ identifier: "QuarantineView" })

/**
 * A page of quarantine entries, newest first.
 *
 * @since 0.2.0
 * @category models
 */
export const QuarantinePage = Schema.Struct({
  items: Schema.Array(QuarantineView),
  nextCursor: Schema.NullOr(Schema.String)
}).annotations({ identifier: "QuarantinePage" })

/**
 * The answer to `POST /v1/quarantine/{id}/retry`: the entry afterwards (`resolved`, or still `quarantined` with
 * today's reason) and what its items did, in the webhook's counts.
 *
 * @since 0.2.0
 * @category models
 */
export const QuarantineRetryResponse = Schema.Struct({
  entry: QuarantineView,
  result: WebhookAck
}).annotations({ identifier: "QuarantineRetryResponse" })
