/**
 * The errors of wa-session's domain. Each carries a stable `code`: the value clients match on.
 * Renaming a code is a breaking change.
 *
 * @since 0.1.0
 */
import * as DateTime from "effect/DateTime"
import * as Schema from "effect/Schema"

/**
 * One broken rule of a message: where (`path`, dotted with array indexes), what the rule is, the limit
 * and the actual value when the rule has them. Lengths are counted in Unicode code points.
 *
 * @since 0.1.0
 * @category models
 */
export class Violation extends Schema.Class<Violation>("@wa-session/session-core/Violation")({
  path: Schema.String,
  message: Schema.String,
  limit: Schema.optional(Schema.Number),
  actual: Schema.optional(Schema.Union(Schema.Number, Schema.String))
}) {}

/**
 * The 24-hour customer-service window of the pair has closed: only a template may go out.
 *
 * @since 0.1.0
 * @category errors
 */
export class SessionExpired extends Schema.TaggedError<SessionExpired>("@wa-session/session-core/SessionExpired")(
  "SessionExpired",
  {
    business: Schema.String,
    customer: Schema.String,
    expiredAt: Schema.DateTimeUtc,
    closedByProvider: Schema.Boolean
  }
) {
  /** @since 0.1.0 */
  readonly code = "SESSION_EXPIRED" as const
  /** @since 0.1.0 */
  override get message(): string {
    return this.closedByProvider
      ? `The customer-service window of ${this.customer} was closed by the provider (re-engagement required); send a template`
      : `The 24-hour customer-service window of ${this.customer} closed at ${
        DateTime.formatIso(this.expiredAt)
      }; send a template`
  }
}

/**
 * The customer never wrote to the business number: a session message is impossible, start with a template.
 *
 * @since 0.1.0
 * @category errors
 */
export class NoActiveSession extends Schema.TaggedError<NoActiveSession>("@wa-session/session-core/NoActiveSession")(
  "NoActiveSession",
  { business: Schema.String, customer: Schema.String }
) {
  /** @since 0.1.0 */
  readonly code = "NO_ACTIVE_SESSION" as const
  /** @since 0.1.0 */
  override get message(): string {
    return `${this.customer} has never written to ${this.business}; initiate the conversation with a template`
  }
}

/**
 * The content's `type` is not one WhatsApp accepts in a session (or at all).
 *
 * @since 0.1.0
 * @category errors
 */
export class MessageTypeNotSupported
  extends Schema.TaggedError<MessageTypeNotSupported>("@wa-session/session-core/MessageTypeNotSupported")(
    "MessageTypeNotSupported",
    { path: Schema.String, type: Schema.String, supported: Schema.Array(Schema.String) }
  )
{
  /** @since 0.1.0 */
  readonly code = "MESSAGE_TYPE_NOT_SUPPORTED" as const
  /** @since 0.1.0 */
  override get message(): string {
    return `${this.path}: message type "${this.type}" is not supported; use one of ${this.supported.join(", ")}`
  }
}

/**
 * The content breaks one or more of WhatsApp's rules. `violations` lists every one; `path`, `limit` and `actual`
 * describe the first.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidMessage extends Schema.TaggedError<InvalidMessage>("@wa-session/session-core/InvalidMessage")(
  "InvalidMessage",
  { violations: Schema.NonEmptyArray(Violation) }
) {
  /** @since 0.1.0 */
  readonly code = "INVALID_MESSAGE" as const
  /** @since 0.1.0 */
  get path(): string {
    return this.violations[0].path
  }
  /** @since 0.1.0 */
  get limit(): number | undefined {
    return this.violations[0].limit
  }
  /** @since 0.1.0 */
  get actual(): number | string | undefined {
    return this.violations[0].actual
  }
  /** @since 0.1.0 */
  override get message(): string {
    return this.violations.map((v) => `${v.path === "" ? "content" : v.path}: ${v.message}`).join("; ")
  }
}

/**
 * A phone number that is not a valid E.164 number once spaces, dashes and parentheses are removed.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidPhoneNumber extends Schema.TaggedError<InvalidPhoneNumber>(
  "@wa-session/session-core/InvalidPhoneNumber"
)("InvalidPhoneNumber", { field: Schema.String, input: Schema.String, reason: Schema.String }) {
  /** @since 0.1.0 */
  readonly code = "INVALID_PHONE_NUMBER" as const
  /** @since 0.1.0 */
  override get message(): string {
    return `${this.field}: "${this.input}" is not a phone number in E.164 form (${this.reason})`
  }
}

/**
 * Why content cannot be sent as given.
 *
 * @since 0.1.0
 * @category errors
 */
export type ContentError = InvalidMessage | MessageTypeNotSupported

/**
 * Why a send was refused by the window rules.
 *
 * @since 0.1.0
 * @category errors
 */
export type WindowError = SessionExpired | NoActiveSession

/**
 * Every error a send decision can give.
 *
 * @since 0.1.0
 * @category errors
 */
export type DecisionError = ContentError | WindowError

/**
 * The stable codes of the domain errors, the public contract clients match on.
 *
 * @since 0.1.0
 * @category models
 */
export const ErrorCode = Schema.Literal(
  "SESSION_EXPIRED",
  "NO_ACTIVE_SESSION",
  "MESSAGE_TYPE_NOT_SUPPORTED",
  "INVALID_MESSAGE",
  "INVALID_PHONE_NUMBER"
)

/**
 * @since 0.1.0
 * @category models
 */
export type ErrorCode = typeof ErrorCode.Type
