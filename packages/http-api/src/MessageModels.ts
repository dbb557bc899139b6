/**
 * The bodies of the `messages` group: sending a message and reading it back.
 *
 * @since 0.2.0
 */
import { MessageContent, Outbound, SessionWindow } from "@wa-session/session-core"
import * as Schema from "effect/Schema"
import { DEFAULT_PAGE_SIZE, QueryInteger } from "./internal/schemas.js"

/**
 * `POST /v1/messages`. Phone numbers may be written with or without `+`, with spaces or dashes. `content` is a
 * WhatsApp message (`{ "type": "text", "text": { "body": "…" } }`, a template, media…); `fallback` a template
 * sent instead when the window is not open. `idempotencyKey` (or the `Idempotency-Key` header) makes retries safe:
 * the same key with the same request replays the first result; with another request (another `to`, `content`,
 * `fallback` or `dryRun`; since 0.2.0) it is refused with 422 `IDEMPOTENCY_KEY_REUSED`. `dryRun` (since 0.2.0)
 * decides and records the message but sends nothing. `whenClosed: "park"` (since 0.2.0) parks a session message for a
 * closed window until the customer writes again (`ttl` seconds at most).
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
  })),
  whenClosed: Schema.optional(
    Schema.Literal("park", "fallback").annotations({
      description: "What to do with a session message when the window is not open: `fallback` (the default) sends " +
        "the fallback template instead, or answers 409; `park` keeps the message until the customer's next message " +
        "opens the window, and sends the fallback (if any) as a re-engagement template, at most once per pair per " +
        "WA_SESSION_REENGAGE_INTERVAL"
    })
  ),
  ttl: Schema.optional(
    Schema.Int.pipe(Schema.positive()).annotations({
      description: "How long a parked message waits for the window, in seconds (default 604800 = 7 days, at most " +
        "2592000 = 30 days); then it expires unsent"
    })
  )
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
 * How a message goes out: a session message, a template, or (since 0.2.0) `parked`: a session message waiting for
 * the customer's next message (also once it expired or was cancelled unsent; released, it is a `session` message).
 *
 * @since 0.2.0
 * @category models
 */
export const SendDecision = Schema.Literal("session", "template", "parked")

/**
 * The answer to `POST /v1/messages` (202): how the message went out and what Exotel said. `dryRun` is true when
 * nothing was sent (asked for, or no Exotel credentials). `replayed` (since 0.2.0) is true when the idempotency key
 * was seen before: this is the first send's result, and nothing was sent again. `parkedUntil` and
 * `reengagementMessageId` (since 0.2.0) describe a parked message.
 *
 * @since 0.1.0
 * @category models
 */
export const SendMessageResponse = Schema.Struct({
  id: Schema.String,
  decision: SendDecision,
  reason: Schema.NullOr(Outbound.FallbackReason),
  window: WindowAtDecision,
  providerMessageId: Schema.NullOr(Schema.String),
  status: Outbound.OutboundStatus,
  dryRun: Schema.Boolean,
  replayed: Schema.Boolean,
  // absent from an older server's answers: read as null
  parkedUntil: Schema.optionalWith(
    Schema.NullOr(Schema.DateTimeUtc).annotations({
      description: "For a parked message, when it expires unsent if the customer has not written by then"
    }),
    { default: () => null }
  ),
  reengagementMessageId: Schema.optionalWith(
    Schema.NullOr(Schema.String).annotations({
      description: "The re-engagement template this request sent for its parked message (null when the pair was " +
        "nudged within WA_SESSION_REENGAGE_INTERVAL, or no fallback was given)"
    }),
    { default: () => null }
  )
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
  decision: SendDecision,
  reason: Schema.NullOr(Outbound.FallbackReason),
  window: WindowAtDecision,
  content: MessageContent.MessageContent,
  fallback: Schema.NullOr(MessageContent.MessageContent),
  providerMessageId: Schema.NullOr(Schema.String),
  status: Outbound.OutboundStatus,
  dryRun: Schema.Boolean,
  createdAt: Schema.DateTimeUtc,
  fallbackMessageId: Schema.NullOr(Schema.String),
  parkedUntil: Schema.optionalWith(Schema.NullOr(Schema.DateTimeUtc), { default: () => null }),
  history: Schema.Array(StatusEntry)
}).annotations({ identifier: "MessageView" })

/**
 * @since 0.1.0
 * @category models
 */
export type MessageView = typeof MessageView.Type

/**
 * The query of `GET /v1/messages`: `state=parked` (the only state listed), of one `business` (and `customer`) or all,
 * at most `limit` (1 to 1000, default 100), in release order.
 *
 * @since 0.2.0
 * @category models
 */
export const MessageListParams = Schema.Struct({
  state: Schema.Literal("parked"),
  business: Schema.optional(Schema.String),
  customer: Schema.optional(Schema.String),
  limit: Schema.optional(
    QueryInteger({
      minimum: 1,
      maximum: 1000,
      fallback: DEFAULT_PAGE_SIZE,
      description: `At most this many, 1 to 1000 (default ${DEFAULT_PAGE_SIZE})`
    })
  )
})

/**
 * @since 0.2.0
 * @category models
 */
export const MessageList = Schema.Struct({
  items: Schema.Array(MessageView)
}).annotations({ identifier: "MessageList" })
