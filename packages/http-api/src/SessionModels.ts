/**
 * The bodies of the `sessions` group: a pair's window, its explanation, the windows about to close, a customer's
 * message recorded by hand, and a pair's history.
 *
 * @since 0.2.0
 */
import { Event, SessionWindow } from "@wa-session/session-core"
import * as Schema from "effect/Schema"
import { DEFAULT_HISTORY_PAGE_SIZE, DEFAULT_PAGE_SIZE, Instant, Limit, QueryInteger } from "./internal/schemas.js"
import { MessageView } from "./MessageModels.js"

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
 * `GET /v1/sessions/{business}/{customer}`: the window, and (since 0.2.0) the pair's parked messages: how many
 * (`parked`) and when the first of them expires unsent (`nextParkedExpiresAt`).
 *
 * @since 0.2.0
 * @category models
 */
export const PairSessionView = Schema.Struct({
  ...SessionView.fields,
  // absent from an older server's answers: none
  parked: Schema.optionalWith(Schema.Number, { default: () => 0 }),
  nextParkedExpiresAt: Schema.optionalWith(Schema.NullOr(Schema.DateTimeUtc), { default: () => null })
}).annotations({ identifier: "PairSessionView" })

/**
 * @since 0.2.0
 * @category models
 */
export type PairSessionView = typeof PairSessionView.Type

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
  expiringWithin: Schema.optional(QueryInteger({
    minimum: 0,
    fallback: 90_000,
    description: "Seconds: windows that stop being open within this long (default 90000 = 25 h: every open window)"
  })),
  business: Schema.optional(Schema.String),
  limit: Schema.optional(QueryInteger({
    minimum: 1,
    maximum: 1000,
    fallback: DEFAULT_PAGE_SIZE,
    description: `Page size, 1 to 1000 (default ${DEFAULT_PAGE_SIZE})`
  })),
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
 * The query of `GET /v1/sessions/{business}/{customer}/messages`: `limit` (1 to 200, default 50) and `cursor`, the
 * `nextCursor` of the previous page.
 *
 * @since 0.2.0
 * @category models
 */
export const HistoryParams = Schema.Struct({
  limit: Limit(200, DEFAULT_HISTORY_PAGE_SIZE),
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
