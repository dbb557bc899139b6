/**
 * The send decision: session message, template, or refusal, from the window at decision time.
 *
 * @since 0.1.0
 */
import type * as DateTime from "effect/DateTime"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { type DecisionError, InvalidMessage, NoActiveSession, SessionExpired, Violation } from "./Errors.js"
import * as MessageContent from "./MessageContent.js"
import type { DecisionKind, FallbackReason } from "./Outbound.js"
import * as SessionWindow from "./SessionWindow.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface DecideOptions extends SessionWindow.WindowOptions {
  /** The template to send instead when the window is not open. */
  readonly fallback?: unknown
  /**
   * `"park"` (since 0.2.0): a session message for a window that is not open is parked until the customer's next
   * message (the fallback, if any, becomes its re-engagement template); `"fallback"` (the default): the fallback
   * template goes instead, or the message is refused.
   */
  readonly whenClosed?: "park" | "fallback" | undefined
}

/**
 * The outcome of a decision: how to send, what to send, why a fallback was used, and the window at decision time.
 *
 * @since 0.1.0
 * @category models
 */
export interface Decision {
  readonly kind: DecisionKind
  readonly content: MessageContent.MessageContent
  readonly reason: Option.Option<FallbackReason>
  /** The validated fallback template, kept for a later provider re-engagement failure (session decisions only). */
  readonly fallback: Option.Option<MessageContent.TemplateContent>
  readonly window: SessionWindow.WindowStatus
  /** The session message waits for the window (`whenClosed: "park"`); `reason` says why. Since 0.2.0. */
  readonly parked: boolean
}

const validateFallback = (
  fallback: unknown
): Either.Either<Option.Option<MessageContent.TemplateContent>, DecisionError> => {
  if (fallback === undefined || fallback === null) return Either.right(Option.none())
  return Either.flatMap(MessageContent.validate(fallback, "fallback"), (content) =>
    MessageContent.isTemplate(content)
      ? Either.right(Option.some(content))
      : Either.left(
        new InvalidMessage({
          violations: [
            new Violation({ path: "fallback.type", message: "a fallback must be a template", actual: content.type })
          ]
        })
      ))
}

/**
 * Decides how `content` may go to the pair of `window` at `now`:
 * - invalid content (or an invalid fallback) is rejected with its error;
 * - a template is always allowed;
 * - a session message goes as a session message when the window is open;
 * - otherwise, with `whenClosed: "park"`, it is parked (`parked`, with reason `SESSION_EXPIRED` or
 *   `NO_ACTIVE_SESSION`); else it goes as the fallback template when one is given, with that reason, else it is
 *   rejected with that error.
 *
 * @example
 * ```ts
 * import { Decision, PhoneNumber, SessionWindow } from "@wa-session/session-core"
 * import { DateTime } from "effect"
 * const window = SessionWindow.empty({
 *   business: PhoneNumber.unsafeMake("+919876500001"),
 *   customer: PhoneNumber.unsafeMake("+919876543210")
 * })
 * const decision = Decision.decide(window, { type: "text", text: { body: "Hi" } }, DateTime.unsafeMake(0), {
 *   fallback: { type: "template", template: { name: "follow_up", language: { code: "en" } } }
 * })
 * // Either.right({ kind: "template", reason: Option.some("NO_ACTIVE_SESSION"), ... })
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const decide = (
  window: SessionWindow.Window,
  content: unknown,
  now: DateTime.Utc,
  options?: DecideOptions
): Either.Either<Decision, DecisionError> =>
  Either.gen(function*() {
    const message = yield* MessageContent.validate(content)
    const fallback = yield* validateFallback(options?.fallback)
    const status = SessionWindow.statusAt(window, now, options)
    if (MessageContent.isTemplate(message)) {
      return {
        kind: "template",
        content: message,
        reason: Option.none(),
        fallback: Option.none(),
        window: status,
        parked: false
      }
    }
    if (status.state === "open") {
      return { kind: "session", content: message, reason: Option.none(), fallback, window: status, parked: false }
    }
    const reason: FallbackReason = status.state === "none" ? "NO_ACTIVE_SESSION" : "SESSION_EXPIRED"
    if (options?.whenClosed === "park") {
      return { kind: "session", content: message, reason: Option.some(reason), fallback, window: status, parked: true }
    }
    if (Option.isSome(fallback)) {
      return {
        kind: "template",
        content: fallback.value,
        reason: Option.some(reason),
        fallback,
        window: status,
        parked: false
      }
    }
    return yield* Either.left(refusal(status))
  })

/**
 * The error for a pair whose window is not open.
 *
 * @example
 * ```ts
 * import { Decision, SessionWindow } from "@wa-session/session-core"
 * import { DateTime } from "effect"
 * declare const window: SessionWindow.Window
 * const error = Decision.refusal(SessionWindow.statusAt(window, DateTime.unsafeMake("2026-01-22T00:00:00Z")))
 * error.code // "SESSION_EXPIRED" or "NO_ACTIVE_SESSION"
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const refusal = (status: SessionWindow.WindowStatus): SessionExpired | NoActiveSession =>
  Option.match(status.expiresAt, {
    onNone: () => new NoActiveSession({ business: status.business, customer: status.customer }),
    onSome: (expiredAt) =>
      new SessionExpired({
        business: status.business,
        customer: status.customer,
        expiredAt,
        closedByProvider: status.closedByProvider
      })
  })
