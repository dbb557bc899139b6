/**
 * The 24-hour customer-service window of a (business, customer) pair: how inbound messages open and extend it,
 * how a provider closes it, and its state at an instant.
 *
 * @since 0.1.0
 */
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { type Pair, PhoneNumber } from "./PhoneNumber.js"

/**
 * WhatsApp's customer-service window: 24 hours from the customer's latest message.
 *
 * @since 0.1.0
 * @category constants
 */
export const WINDOW_LENGTH: Duration.Duration = Duration.hours(24)

const WINDOW_MILLIS = Duration.toMillis(WINDOW_LENGTH)

/**
 * A message the customer sent to the business. `sentAt` is the provider's timestamp (after the clock-skew guard),
 * `receivedAt` the moment it reached us.
 *
 * @since 0.1.0
 * @category models
 */
export class InboundMessage extends Schema.Class<InboundMessage>("@wa-session/session-core/InboundMessage")({
  business: PhoneNumber,
  customer: PhoneNumber,
  messageId: Schema.NonEmptyString,
  sentAt: Schema.DateTimeUtc,
  receivedAt: Schema.DateTimeUtc
}) {}

/**
 * A pair whose customer never wrote: no window at all.
 *
 * @since 0.1.0
 * @category models
 */
export class EmptyWindow extends Schema.TaggedClass<EmptyWindow>("@wa-session/session-core/EmptyWindow")(
  "EmptyWindow",
  { business: PhoneNumber, customer: PhoneNumber }
) {}

/**
 * A pair whose customer has written. `lastInboundAt` is the latest provider timestamp of the customer's messages
 * and `basis*` describe that message; `firstSeenAt` is when we first received any message of the pair.
 * `closedByProviderAt` is the time of the latest provider re-engagement failure: it closes the window until a
 * message sent after it arrives.
 *
 * @since 0.1.0
 * @category models
 */
export class SessionWindow extends Schema.TaggedClass<SessionWindow>("@wa-session/session-core/SessionWindow")(
  "SessionWindow",
  {
    business: PhoneNumber,
    customer: PhoneNumber,
    lastInboundAt: Schema.DateTimeUtc,
    basisMessageId: Schema.NonEmptyString,
    basisReceivedAt: Schema.DateTimeUtc,
    firstSeenAt: Schema.DateTimeUtc,
    closedByProviderAt: Schema.OptionFromNullOr(Schema.DateTimeUtc)
  }
) {}

/**
 * What is known about a pair's window.
 *
 * @since 0.1.0
 * @category models
 */
export type Window = EmptyWindow | SessionWindow

/**
 * The window state of a pair at an instant.
 *
 * @since 0.1.0
 * @category models
 */
export const WindowState = Schema.Literal("none", "open", "expired")

/**
 * @since 0.1.0
 * @category models
 */
export type WindowState = typeof WindowState.Type

/**
 * Options of the window rules. `safetyMargin` closes the window that much before its true expiry, to absorb
 * webhook latency and clock differences (default zero).
 *
 * @since 0.1.0
 * @category models
 */
export interface WindowOptions {
  readonly safetyMargin?: Duration.DurationInput | undefined
}

/**
 * @example
 * ```ts
 * import { PhoneNumber, SessionWindow } from "@wa-session/session-core"
 * const none = SessionWindow.empty({
 *   business: PhoneNumber.unsafeMake("+919876500001"),
 *   customer: PhoneNumber.unsafeMake("+919876543210")
 * }) // statusAt(none, now).state === "none"
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const empty = (pair: { readonly business: PhoneNumber; readonly customer: PhoneNumber }): EmptyWindow =>
  new EmptyWindow({ business: pair.business, customer: pair.customer })

/**
 * The window as a store returns it: `None` when the customer never wrote.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromOption = (pair: Pair | EmptyWindow, window: Option.Option<SessionWindow>): Window =>
  Option.getOrElse(window, () => empty(pair))

/**
 * @since 0.1.0
 * @category predicates
 */
export const hasWindow = (window: Window): window is SessionWindow => window._tag === "SessionWindow"

/**
 * `lastInboundAt + 24h`.
 *
 * @since 0.1.0
 * @category getters
 */
export const expiresAt = (window: SessionWindow): DateTime.Utc =>
  DateTime.addDuration(window.lastInboundAt, WINDOW_LENGTH)

// The rules combine values that were validated when they were made (typed windows, messages and instants): making the
// result does not validate them again. This is the hot path of every recorded message.
const VALID = true

const isLaterBasis = (message: InboundMessage, window: SessionWindow): boolean => {
  const order = DateTime.Order(message.sentAt, window.lastInboundAt)
  return order > 0 || (order === 0 && message.messageId > window.basisMessageId)
}

/**
 * Records an inbound message. The window never moves backwards: `lastInboundAt` only grows, so a late, replayed
 * or out-of-order webhook cannot shorten it, and a message sent earlier cannot stretch it. The same message
 * twice changes nothing. Ties between different messages with the same timestamp go to the larger message id, so
 * the result does not depend on arrival order. The message must belong to the window's pair.
 *
 * @example
 * ```ts
 * import { PhoneNumber, SessionWindow } from "@wa-session/session-core"
 * import { DateTime } from "effect"
 * const business = PhoneNumber.unsafeMake("+919876500001")
 * const customer = PhoneNumber.unsafeMake("+919876543210")
 * const at = DateTime.unsafeMake("2026-01-20T04:30:00Z")
 * const window = SessionWindow.record(
 *   SessionWindow.empty({ business, customer }),
 *   new SessionWindow.InboundMessage({ business, customer, messageId: "m1", sentAt: at, receivedAt: at })
 * )
 * ```
 * @since 0.1.0
 * @category combinators
 */
export const record = (window: Window, message: InboundMessage): SessionWindow => {
  if (!hasWindow(window)) {
    return new SessionWindow({
      business: window.business,
      customer: window.customer,
      lastInboundAt: message.sentAt,
      basisMessageId: message.messageId,
      basisReceivedAt: message.receivedAt,
      firstSeenAt: message.receivedAt,
      closedByProviderAt: Option.none()
    }, VALID)
  }
  const later = isLaterBasis(message, window)
  const earlierSeen = DateTime.lessThan(message.receivedAt, window.firstSeenAt)
  if (!later && !earlierSeen) return window
  return new SessionWindow({
    ...window,
    ...(later
      ? { lastInboundAt: message.sentAt, basisMessageId: message.messageId, basisReceivedAt: message.receivedAt }
      : {}),
    firstSeenAt: DateTime.min(window.firstSeenAt, message.receivedAt)
  }, VALID)
}

/**
 * Records a provider re-engagement failure (Exotel 30018, Meta 131047) at `at`: the provider says the window is
 * closed, so it stays closed whatever our clock says until the customer sends a message after `at`. A pair with no
 * window is unchanged.
 *
 * @example
 * ```ts
 * import { SessionWindow } from "@wa-session/session-core"
 * import { DateTime } from "effect"
 * declare const window: SessionWindow.Window
 * const closed = SessionWindow.closeByProvider(window, DateTime.unsafeMake("2026-01-20T11:00:00+05:30"))
 * SessionWindow.statusAt(closed, DateTime.unsafeMake("2026-01-20T11:01:00+05:30")).closedByProvider // true
 * ```
 * @since 0.1.0
 * @category combinators
 */
export const closeByProvider = (window: Window, at: DateTime.Utc): Window =>
  hasWindow(window)
    ? new SessionWindow({
      ...window,
      closedByProviderAt: Option.some(
        Option.match(window.closedByProviderAt, { onNone: () => at, onSome: (prev) => DateTime.max(prev, at) })
      )
    }, VALID)
    : window

/**
 * Whether a provider closure is in force: it happened at or after the latest inbound message.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isClosedByProvider = (window: SessionWindow): boolean =>
  Option.isSome(window.closedByProviderAt) &&
  window.closedByProviderAt.value.epochMillis >= window.lastInboundAt.epochMillis

/**
 * The window of a pair at an instant.
 *
 * @since 0.1.0
 * @category models
 */
export interface WindowStatus {
  readonly business: PhoneNumber
  readonly customer: PhoneNumber
  readonly state: WindowState
  readonly lastInboundAt: Option.Option<DateTime.Utc>
  readonly expiresAt: Option.Option<DateTime.Utc>
  /** Time left to send session messages (expiry minus safety margin minus now); zero unless open. */
  readonly remaining: Duration.Duration
  readonly closedByProvider: boolean
}

const marginOf = (options: WindowOptions | undefined): Duration.Duration =>
  Duration.decode(options?.safetyMargin ?? Duration.zero)

/**
 * The state of a window at `now`: open iff the provider has not closed it and `now < expiresAt - safetyMargin`.
 * At exactly 24 hours after the latest inbound message the window is closed.
 *
 * @example
 * ```ts
 * import { SessionWindow } from "@wa-session/session-core"
 * import { DateTime } from "effect"
 * declare const window: SessionWindow.Window
 * SessionWindow.statusAt(window, DateTime.unsafeMake("2026-01-21T04:29:59Z")).state
 * ```
 * @since 0.1.0
 * @category getters
 */
export const statusAt = (window: Window, now: DateTime.Utc, options?: WindowOptions): WindowStatus => {
  if (!hasWindow(window)) {
    return {
      business: window.business,
      customer: window.customer,
      state: "none",
      lastInboundAt: Option.none(),
      expiresAt: Option.none(),
      remaining: Duration.zero,
      closedByProvider: false
    }
  }
  // epoch-millisecond arithmetic: this is the hot path of every decision
  const expiry = window.lastInboundAt.epochMillis + WINDOW_MILLIS
  const sendableUntil = expiry - Duration.toMillis(marginOf(options))
  const closedByProvider = isClosedByProvider(window)
  const open = !closedByProvider && now.epochMillis < sendableUntil
  return {
    business: window.business,
    customer: window.customer,
    state: open ? "open" : "expired",
    lastInboundAt: Option.some(window.lastInboundAt),
    expiresAt: Option.some(DateTime.unsafeMake(expiry)),
    remaining: open ? Duration.millis(sendableUntil - now.epochMillis) : Duration.zero,
    closedByProvider
  }
}

/**
 * Whether session messages may be sent at `now`.
 *
 * @example
 * ```ts
 * import { SessionWindow } from "@wa-session/session-core"
 * import { DateTime } from "effect"
 * declare const window: SessionWindow.Window
 * SessionWindow.isOpenAt(window, DateTime.unsafeMake("2026-01-21T09:59:59+05:30"), { safetyMargin: "5 minutes" })
 * ```
 * @since 0.1.0
 * @category predicates
 */
export const isOpenAt = (window: Window, now: DateTime.Utc, options?: WindowOptions): boolean =>
  hasWindow(window) && !isClosedByProvider(window) &&
  now.epochMillis < window.lastInboundAt.epochMillis + WINDOW_MILLIS - Duration.toMillis(marginOf(options))

/**
 * Why a window is in its state: the facts and a sentence a person can read.
 *
 * @since 0.1.0
 * @category models
 */
export interface Explanation {
  readonly status: WindowStatus
  readonly basisMessageId: Option.Option<string>
  readonly basisReceivedAt: Option.Option<DateTime.Utc>
  readonly firstSeenAt: Option.Option<DateTime.Utc>
  readonly closedByProviderAt: Option.Option<DateTime.Utc>
  readonly safetyMargin: Duration.Duration
  readonly summary: string
}

const iso = (at: DateTime.Utc): string => DateTime.formatIso(at)

/** A time left in whole seconds (rounded down), as people read it: "6h 36m 33s", not "… 33s 19ms". */
const wholeSeconds = (remaining: Duration.Duration): string => {
  const seconds = Math.floor(Duration.toSeconds(remaining))
  return seconds === 0 ? "under a second" : Duration.format(Duration.seconds(seconds))
}

/**
 * Explains the state of a window at `now`: which message set it, which timestamps, whether the provider closed it.
 *
 * @example
 * ```ts
 * import { SessionWindow } from "@wa-session/session-core"
 * import { DateTime } from "effect"
 * declare const window: SessionWindow.Window
 * console.log(SessionWindow.explain(window, DateTime.unsafeMake("2026-01-21T05:00:00Z")).summary)
 * ```
 * @since 0.1.0
 * @category getters
 */
export const explain = (window: Window, now: DateTime.Utc, options?: WindowOptions): Explanation => {
  const status = statusAt(window, now, options)
  const safetyMargin = marginOf(options)
  if (!hasWindow(window)) {
    return {
      status,
      basisMessageId: Option.none(),
      basisReceivedAt: Option.none(),
      firstSeenAt: Option.none(),
      closedByProviderAt: Option.none(),
      safetyMargin,
      summary:
        `No window: ${window.customer} has never written to ${window.business}. Only a template can start the conversation.`
    }
  }
  const expiry = iso(expiresAt(window))
  const basis = `The latest customer message ${window.basisMessageId} was sent at ${
    iso(window.lastInboundAt)
  } (received ${iso(window.basisReceivedAt)}), so the window runs to ${expiry}`
  const margin = Duration.isZero(safetyMargin) ? "" : ` minus a safety margin of ${Duration.format(safetyMargin)}`
  const closure = Option.filter(window.closedByProviderAt, () => status.closedByProvider)
  const verdict = Option.match(closure, {
    onSome: (closedAt) =>
      `, but the provider reported the window closed at ${
        iso(closedAt)
      } (re-engagement failure) and no newer customer message has arrived: closed.`,
    onNone: () =>
      status.state === "open"
        ? `${margin}: open at ${iso(now)}, ${wholeSeconds(status.remaining)} left.`
        : `${margin}: expired at ${iso(now)}.`
  })
  return {
    status,
    basisMessageId: Option.some(window.basisMessageId),
    basisReceivedAt: Option.some(window.basisReceivedAt),
    firstSeenAt: Option.some(window.firstSeenAt),
    closedByProviderAt: window.closedByProviderAt,
    safetyMargin,
    summary: `${basis}${verdict}`
  }
}
