/**
 * Park and release: a session message for a pair whose window is not open waits, "parked", until the customer's
 * next message opens the window, then goes out in the order it was parked. A parked message carries a time to live
 * (7 days by default, at most 30); one re-engagement template per pair and interval may nudge the customer back.
 * The rules as pure functions, and `step`, the whole life of one pair's parked messages as a state machine over
 * commands (what the simulator runs, and what the property tests check the rules with).
 *
 * @since 0.2.0
 */
import * as Arr from "effect/Array"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Order from "effect/Order"
import * as Schema from "effect/Schema"
import type { PhoneNumber } from "./PhoneNumber.js"
import * as SessionWindow from "./SessionWindow.js"

/**
 * How long a parked message waits for the window when the request names no `ttl`.
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_TTL: Duration.Duration = Duration.days(7)

/**
 * The longest `ttl` a parked message may have.
 *
 * @since 0.2.0
 * @category constants
 */
export const MAX_TTL: Duration.Duration = Duration.days(30)

/**
 * `reengageInterval`: at most one re-engagement template per pair in this long (default 24 hours).
 *
 * @since 0.2.0
 * @category models
 */
export interface Policy {
  readonly reengageInterval: Duration.Duration
}

/**
 * @since 0.2.0
 * @category constants
 */
export const defaultPolicy: Policy = { reengageInterval: Duration.hours(24) }

/**
 * A `ttl` that is not over zero, or longer than `MAX_TTL` (`limit`, in seconds).
 *
 * @since 0.2.0
 * @category errors
 */
export class InvalidTtl extends Schema.TaggedError<InvalidTtl>("@wa-session/session-core/InvalidTtl")(
  "InvalidTtl",
  { field: Schema.String, seconds: Schema.Number, limit: Schema.Number }
) {
  /** @since 0.2.0 */
  readonly code = "INVALID_TTL" as const
  /** @since 0.2.0 */
  override get message(): string {
    return `${this.field}: ${this.seconds} seconds is not over 0 and at most ${this.limit} seconds (30 days)`
  }
}

/**
 * The time to live of a message to park: the requested one (over zero, at most `MAX_TTL`), else `DEFAULT_TTL`.
 *
 * @example
 * ```ts
 * import { Parking } from "@wa-session/session-core"
 * import { Duration, Option } from "effect"
 * Parking.ttl(Option.some(Duration.days(2))) // Either.right(2 days)
 * Parking.ttl(Option.none()) // Either.right(7 days)
 * ```
 * @since 0.2.0
 * @category constructors
 */
export const ttl = (
  requested: Option.Option<Duration.Duration>,
  field = "ttl"
): Either.Either<Duration.Duration, InvalidTtl> =>
  Option.match(requested, {
    onNone: () => Either.right(DEFAULT_TTL),
    onSome: (duration) =>
      Duration.greaterThan(duration, Duration.zero) && Duration.lessThanOrEqualTo(duration, MAX_TTL)
        ? Either.right(duration)
        : Either.left(
          new InvalidTtl({
            field,
            seconds: Duration.toSeconds(duration),
            limit: Duration.toSeconds(MAX_TTL)
          })
        )
  })

/**
 * A parked message, as the rules see it: its id, when it was parked and when it stops waiting.
 *
 * @since 0.2.0
 * @category models
 */
export interface Parked {
  readonly id: string
  readonly parkedAt: DateTime.Utc
  readonly expiresAt: DateTime.Utc
}

/**
 * The release order: parked first, first out; messages parked at the same instant in id order.
 *
 * @since 0.2.0
 * @category instances
 */
export const ReleaseOrder: Order.Order<Parked> = Order.combine(
  Order.mapInput(DateTime.Order, (parked: Parked) => parked.parkedAt),
  Order.mapInput(Order.string, (parked: Parked) => parked.id)
)

/**
 * Whether a parked message has stopped waiting at `now`.
 *
 * @since 0.2.0
 * @category predicates
 */
export const isExpiredAt = (parked: Parked, now: DateTime.Utc): boolean =>
  parked.expiresAt.epochMillis <= now.epochMillis

/**
 * Whether a re-engagement template may go out at `now`, the pair's last one sent at `last`.
 *
 * @since 0.2.0
 * @category predicates
 */
export const mayReengage = (last: Option.Option<DateTime.Utc>, now: DateTime.Utc, policy: Policy): boolean =>
  Option.match(last, {
    onNone: () => true,
    onSome: (at) => now.epochMillis - at.epochMillis >= Duration.toMillis(policy.reengageInterval)
  })

/**
 * What becomes of a pair's parked messages at `now`: those still waiting are released, in `ReleaseOrder`, when the
 * window is open (nothing is released into a closed window); those past their time to live expire.
 *
 * @since 0.2.0
 * @category models
 */
export interface Due<A extends Parked> {
  readonly release: ReadonlyArray<A>
  readonly expire: ReadonlyArray<A>
}

/**
 * @example
 * ```ts
 * import { Parking, SessionWindow } from "@wa-session/session-core"
 * import { DateTime } from "effect"
 * declare const window: SessionWindow.Window
 * declare const parked: ReadonlyArray<Parking.Parked>
 * const { release, expire } = Parking.due(parked, window, DateTime.unsafeMake("2026-01-21T10:00:00Z"))
 * ```
 * @since 0.2.0
 * @category constructors
 */
export const due = <A extends Parked>(
  parked: ReadonlyArray<A>,
  window: SessionWindow.Window,
  now: DateTime.Utc,
  options?: SessionWindow.WindowOptions
): Due<A> => {
  const [waiting, expire] = Arr.partition(parked, (message) => isExpiredAt(message, now))
  return {
    release: SessionWindow.isOpenAt(window, now, options) ? Arr.sort(waiting, ReleaseOrder) : [],
    expire: Arr.sort(expire, ReleaseOrder)
  }
}

/**
 * One pair's parking: its window, the messages waiting, and when its last re-engagement template went out.
 *
 * @since 0.2.0
 * @category models
 */
export interface PairState {
  readonly window: SessionWindow.Window
  readonly parked: ReadonlyArray<Parked>
  readonly lastReengagedAt: Option.Option<DateTime.Utc>
}

/**
 * What can happen to a pair, in time order: a session message asked to park when the window is closed (`reengage`:
 * the request carries a template to nudge the customer with), a customer message, time passing, a cancellation.
 *
 * @since 0.2.0
 * @category models
 */
export type Command =
  | {
    readonly _tag: "Send"
    readonly id: string
    readonly at: DateTime.Utc
    readonly ttl: Duration.Duration
    readonly reengage: boolean
  }
  | { readonly _tag: "Inbound"; readonly message: SessionWindow.InboundMessage }
  | { readonly _tag: "Tick"; readonly at: DateTime.Utc }
  | { readonly _tag: "Cancel"; readonly id: string; readonly at: DateTime.Utc }

/**
 * What a command did, each at the command's instant: a message sent at once (the window was open) or parked; the
 * re-engagement template sent for a parked one; parked messages released, expired or cancelled; a cancellation of a
 * message no longer parked (it left, or was never parked), refused.
 *
 * @since 0.2.0
 * @category models
 */
export type Outcome =
  | { readonly _tag: "Sent"; readonly id: string; readonly at: DateTime.Utc }
  | { readonly _tag: "Parked"; readonly id: string; readonly at: DateTime.Utc }
  | { readonly _tag: "Reengaged"; readonly id: string; readonly at: DateTime.Utc }
  | { readonly _tag: "Released"; readonly id: string; readonly at: DateTime.Utc }
  | { readonly _tag: "Expired"; readonly id: string; readonly at: DateTime.Utc }
  | { readonly _tag: "Cancelled"; readonly id: string; readonly at: DateTime.Utc }
  | { readonly _tag: "NotParked"; readonly id: string; readonly at: DateTime.Utc }

/**
 * A pair with no window and nothing parked.
 *
 * @since 0.2.0
 * @category constructors
 */
export const initial = (pair: { readonly business: PhoneNumber; readonly customer: PhoneNumber }): PairState => ({
  window: SessionWindow.empty(pair),
  parked: [],
  lastReengagedAt: Option.none()
})

const instantOf = (command: Command): DateTime.Utc =>
  command._tag === "Inbound" ? command.message.receivedAt : command.at

/**
 * Applies one command at its instant: first what expired by then, then the command. A send while the window is open
 * goes out at once (nothing can be parked then: a window opens only with a customer message, which releases them
 * all); otherwise it is parked, and nudges the customer with its template when `mayReengage`. A customer message
 * that opens the window releases everything still waiting, in `ReleaseOrder`.
 *
 * @since 0.2.0
 * @category combinators
 */
export const step = (
  state: PairState,
  command: Command,
  policy: Policy = defaultPolicy,
  options?: SessionWindow.WindowOptions
): readonly [PairState, ReadonlyArray<Outcome>] => {
  const at = instantOf(command)
  const [waiting, expired] = Arr.partition(state.parked, (parked) => isExpiredAt(parked, at))
  const outcomes: Array<Outcome> = Arr.sort(expired, ReleaseOrder).map((parked) => ({
    _tag: "Expired",
    id: parked.id,
    at
  }))
  switch (command._tag) {
    case "Tick":
      return [{ ...state, parked: waiting }, outcomes]
    case "Cancel": {
      const found = waiting.some((parked) => parked.id === command.id)
      outcomes.push({ _tag: found ? "Cancelled" : "NotParked", id: command.id, at })
      return [{ ...state, parked: waiting.filter((parked) => parked.id !== command.id) }, outcomes]
    }
    case "Send": {
      if (SessionWindow.isOpenAt(state.window, at, options)) {
        outcomes.push({ _tag: "Sent", id: command.id, at })
        return [{ ...state, parked: waiting }, outcomes]
      }
      const parked: Parked = { id: command.id, parkedAt: at, expiresAt: DateTime.addDuration(at, command.ttl) }
      outcomes.push({ _tag: "Parked", id: command.id, at })
      const reengage = command.reengage && mayReengage(state.lastReengagedAt, at, policy)
      if (reengage) outcomes.push({ _tag: "Reengaged", id: command.id, at })
      return [{
        ...state,
        parked: [...waiting, parked],
        lastReengagedAt: reengage ? Option.some(at) : state.lastReengagedAt
      }, outcomes]
    }
    case "Inbound": {
      const window = SessionWindow.record(state.window, command.message)
      const { release } = due(waiting, window, at, options)
      for (const parked of release) outcomes.push({ _tag: "Released", id: parked.id, at })
      return [{ ...state, window, parked: waiting.filter((parked) => !release.includes(parked)) }, outcomes]
    }
  }
}
