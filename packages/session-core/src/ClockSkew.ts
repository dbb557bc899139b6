/**
 * The clock-skew guard: a provider timestamp is trusted only up to a tolerance past the moment we received it.
 *
 * @since 0.1.0
 */
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"

/**
 * How far a provider timestamp may lie in the future of our receive time before it is distrusted.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_TOLERANCE: Duration.Duration = Duration.minutes(5)

/**
 * What the guard did: kept the provider's time, or replaced a missing or too-late one by the receive time.
 *
 * @since 0.1.0
 * @category models
 */
export type Adjustment = "none" | "missing" | "future"

/**
 * @since 0.1.0
 * @category models
 */
export interface GuardedTimestamp {
  readonly sentAt: DateTime.Utc
  readonly adjustment: Adjustment
}

/**
 * The instant an inbound message counts from. A provider timestamp later than `receivedAt + tolerance` cannot be
 * true (the message cannot have been sent after we got it, beyond clock error), so the receive time is used; a
 * missing timestamp is replaced by the receive time too. Earlier timestamps are kept: late webhooks must not
 * stretch the window.
 *
 * @example
 * ```ts
 * import { ClockSkew } from "@wa-session/session-core"
 * import { DateTime, Option } from "effect"
 * const receivedAt = DateTime.unsafeMake("2026-01-20T04:30:00Z")
 * ClockSkew.guard(Option.some(DateTime.unsafeMake("2026-01-20T05:30:00Z")), receivedAt).adjustment // "future"
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const guard = (
  providerTimestamp: Option.Option<DateTime.Utc>,
  receivedAt: DateTime.Utc,
  tolerance: Duration.DurationInput = DEFAULT_TOLERANCE
): GuardedTimestamp =>
  Option.match(providerTimestamp, {
    onNone: () => ({ sentAt: receivedAt, adjustment: "missing" }),
    onSome: (sentAt) =>
      DateTime.greaterThan(sentAt, DateTime.addDuration(receivedAt, tolerance))
        ? { sentAt: receivedAt, adjustment: "future" }
        : { sentAt, adjustment: "none" }
  })
