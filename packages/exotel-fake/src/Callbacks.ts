/**
 * What the fake POSTs to a webhook, as Exotel does: delivery reports and inbound (customer) messages.
 *
 * @since 0.2.0
 */

/**
 * A delivery report to POST. Fields left out come from the accepted message with that `sid` (`to`,
 * `custom_data`) and from Exotel's status table (`exo_detailed_status`, `description`).
 *
 * @since 0.1.0
 * @category models
 */
export interface DeliveryReportInput {
  readonly sid: string
  readonly code: number
  readonly detailedStatus?: string
  readonly description?: string
  readonly to?: string
  readonly customData?: string
  /** ISO-8601 or Unix seconds; defaults to now in India time, as Exotel sends it. */
  readonly timestamp?: string | number
  /** Send `exo_status_code` as a string (seen in some captures). */
  readonly codeAsString?: boolean
}

/**
 * An inbound (customer) message to POST. `content` defaults to a text message with `text`.
 *
 * @since 0.1.0
 * @category models
 */
export interface InboundInput {
  /** The customer. */
  readonly from: string
  /** The business number. */
  readonly to: string
  readonly text?: string
  readonly content?: Readonly<Record<string, unknown>>
  readonly profileName?: string
  readonly sid?: string
  /** ISO-8601 or Unix seconds; defaults to now in India time. */
  readonly timestamp?: string | number
  /** Defaults to `incoming_message`, the value seen in production (the docs say `icm`). */
  readonly callbackType?: string
}

/**
 * The answer of the webhook the fake posted to.
 *
 * @since 0.1.0
 * @category models
 */
export interface WebhookDelivery {
  readonly status: number
  readonly body: string
}
