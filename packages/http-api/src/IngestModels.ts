/**
 * The bodies of the `webhooks` and `quarantine` groups: what Exotel POSTs and the answer, and the items set aside
 * because they could not be recorded.
 *
 * @since 0.2.0
 */
import { Ingest } from "@wa-session/session-core"
import * as Schema from "effect/Schema"
import { DEFAULT_PAGE_SIZE, Limit } from "./internal/schemas.js"

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
 * The query of `GET /v1/quarantine`: by `state`, `limit` (1 to 1000, default 100), `cursor`.
 *
 * @since 0.2.0
 * @category models
 */
export const QuarantineParams = Schema.Struct({
  state: Schema.optional(Schema.Literal("quarantined", "resolved")),
  limit: Limit(1000, DEFAULT_PAGE_SIZE),
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
