/**
 * The sending port: hands a decided message to the provider. Implemented by `@wa-session/exotel`.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { MessageContent } from "./MessageContent.js"
import type { PhoneNumber } from "./PhoneNumber.js"

/**
 * What went wrong with the provider. `Configuration`: credentials or account refused (401/403).
 * `BadRequest`: the provider rejected the request (400/422). `RateLimited` and `Unavailable`: still failing after
 * the bounded retries, each attempt known not to have been accepted. `Rejected`: the request was accepted but this
 * message failed (per-message failure). `Ambiguous` (since 0.2.0): the request may have reached the provider and its
 * answer was lost (a timeout or a dropped connection after the request was sent, an acceptance without a message
 * id): the message may be on its way, so it must never be sent again automatically; the provider's delivery report
 * (which carries our message id) settles it.
 *
 * @since 0.1.0
 * @category models
 */
export const ProviderErrorReason = Schema.Literal(
  "Configuration",
  "BadRequest",
  "RateLimited",
  "Unavailable",
  "Rejected",
  "Ambiguous"
)

/**
 * @since 0.1.0
 * @category errors
 */
export class ProviderError extends Schema.TaggedError<ProviderError>("@wa-session/session-core/ProviderError")(
  "ProviderError",
  {
    reason: ProviderErrorReason,
    providerCode: Schema.OptionFromNullOr(Schema.String),
    httpStatus: Schema.OptionFromNullOr(Schema.Number),
    detail: Schema.String,
    /** The provider refused because the 24-hour window is over (Exotel 30018, Meta 131047). */
    reengagement: Schema.optionalWith(Schema.Boolean, { default: () => false }),
    /**
     * The outbound message the failed send stored, now `failed` (when its fallback template failed after a
     * re-engagement refusal, still that message: its `fallbackMessageId` names the template). `SessionService.send`
     * sets it; a sender may leave it out. Since 0.2.0.
     */
    outboundId: Schema.optionalWith(Schema.OptionFromNullOr(Schema.String), { default: () => Option.none() })
  }
) {
  /** @since 0.1.0 */
  readonly code = "PROVIDER_ERROR" as const
  /** @since 0.1.0 */
  override get message(): string {
    return `provider error (${this.reason}): ${this.detail}`
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SendRequest {
  readonly outboundId: string
  readonly idempotencyKey: Option.Option<string>
  readonly from: PhoneNumber
  readonly to: PhoneNumber
  readonly content: MessageContent
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SendReceipt {
  readonly providerMessageId: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface MessageSenderShape {
  /**
   * Sends one message, within the sender's own overall deadline. Must not send twice: retries only happen where the
   * provider is known not to have accepted it; an outcome that may be an acceptance fails with `Ambiguous`.
   */
  readonly send: (request: SendRequest) => Effect.Effect<SendReceipt, ProviderError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class MessageSender extends Context.Tag("@wa-session/session-core/MessageSender")<
  MessageSender,
  MessageSenderShape
>() {}
