/**
 * Which window events are due: the rule that turns a window's state over time into `window.opened`,
 * `window.expiring` and `window.closed` events. A store keeps, per pair, what was last announced (`Announced`);
 * whenever a window changes (a customer message, a provider closure) and whenever time passes an announced window's
 * expiry, `reconcile` compares the window's real state with the announcement and gives the events that bring them
 * back in line. So, per pair, `window.opened` and `window.closed` alternate (starting with `window.opened`), at most
 * one `window.expiring` goes out per (pair, expiry) and only while announced open, and nothing is announced twice.
 *
 * @since 0.2.0
 */
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Event from "./Event.js"
import * as SessionWindow from "./SessionWindow.js"

/**
 * `safetyMargin`: as for the window state (the window stops being open at its expiry minus the margin);
 * `expiringLead`: how long before that `window.expiring` is due (zero: no `window.expiring` at all).
 *
 * @since 0.2.0
 * @category models
 */
export interface Policy {
  readonly safetyMargin: Duration.Duration
  readonly expiringLead: Duration.Duration
}

/**
 * The default lead of `window.expiring`: one hour.
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_EXPIRING_LEAD: Duration.Duration = Duration.hours(1)

/**
 * @since 0.2.0
 * @category constants
 */
export const defaultPolicy: Policy = { safetyMargin: Duration.zero, expiringLead: DEFAULT_EXPIRING_LEAD }

/**
 * What was last announced for a pair: whether the window is open (a `window.opened` without its `window.closed`),
 * and the expiry (epoch milliseconds) the last `window.expiring` was about.
 *
 * @since 0.2.0
 * @category models
 */
export interface Announced {
  readonly open: boolean
  readonly expiringFor: Option.Option<number>
}

/**
 * Nothing announced yet.
 *
 * @since 0.2.0
 * @category constants
 */
export const initial: Announced = { open: false, expiringFor: Option.none() }

/**
 * @since 0.2.0
 * @category models
 */
export interface Reconciled {
  readonly events: ReadonlyArray<Event.Draft>
  readonly announced: Announced
}

const sendableUntilOf = (window: SessionWindow.SessionWindow, policy: Policy): number =>
  SessionWindow.expiresAt(window).epochMillis - Duration.toMillis(policy.safetyMargin)

const expiringDueAt = (window: SessionWindow.SessionWindow, policy: Policy): number =>
  sendableUntilOf(window, policy) - Duration.toMillis(policy.expiringLead)

const expiringAnnounced = (window: SessionWindow.SessionWindow, announced: Announced): boolean =>
  Option.contains(announced.expiringFor, SessionWindow.expiresAt(window).epochMillis)

const expiringEnabled = (policy: Policy): boolean => Duration.toMillis(policy.expiringLead) > 0

/**
 * What a window is at `now`, in the terms of `window.opened`'s `previousState`: `none` without a window, `closed`
 * while a provider closure is in force (provider truth, even when the window had also run out and `window.closed`
 * said `expired`, because Exotel's 30018 came after that), else `expired` (an open window that was never announced,
 * as after an upgrade, counts as expired).
 *
 * @since 0.2.0
 * @category getters
 */
export const previousStateOf = (
  window: SessionWindow.Window,
  now: DateTime.Utc,
  policy: Policy
): Event.PreviousState => {
  const status = SessionWindow.statusAt(window, now, policy)
  return status.state === "none" ? "none" : status.closedByProvider ? "closed" : "expired"
}

/**
 * The events that bring the announcement of `window` in line with its state at `now`, in the order to record them,
 * and the announcement afterwards:
 * - announced open but not open any more: `window.closed` (`provider` when the provider closed it, else `expired`,
 *   preceded by the window's `window.expiring` if that was never announced);
 * - open but not announced: `window.opened` (from `previous`, default the window's own state before it opened);
 * - announced open, `window.expiring` due (the lead before it stops being open) and not yet announced for this
 *   expiry: `window.expiring`.
 *
 * @example
 * ```ts
 * import { SessionWindow, WindowEvents } from "@wa-session/session-core"
 * import { DateTime } from "effect"
 * declare const window: SessionWindow.Window
 * const now = DateTime.unsafeMake("2026-01-20T10:00:00Z")
 * const { events, announced } = WindowEvents.reconcile(window, WindowEvents.initial, now, WindowEvents.defaultPolicy)
 * // events: [window.opened] when the window is open at now; store `announced` with the window
 * ```
 * @since 0.2.0
 * @category combinators
 */
export const reconcile = (
  window: SessionWindow.Window,
  announced: Announced,
  now: DateTime.Utc,
  policy: Policy,
  previous?: Event.PreviousState
): Reconciled => {
  if (!SessionWindow.hasWindow(window)) return { events: [], announced }
  const events: Array<Event.Draft> = []
  let current = announced
  const status = SessionWindow.statusAt(window, now, policy)
  const open = status.state === "open"
  if (current.open && !open) {
    if (status.closedByProvider) {
      const closedAt = Option.getOrElse(window.closedByProviderAt, () => now)
      events.push(Event.windowClosed(window, "provider", closedAt, now))
    } else {
      if (expiringEnabled(policy) && !expiringAnnounced(window, current)) {
        events.push(Event.windowExpiring(window, now, policy.safetyMargin, policy.expiringLead))
        current = { ...current, expiringFor: Option.some(SessionWindow.expiresAt(window).epochMillis) }
      }
      events.push(
        Event.windowClosed(window, "expired", DateTime.unsafeMake(sendableUntilOf(window, policy)), now)
      )
    }
    current = { ...current, open: false }
  }
  if (!current.open && open) {
    events.push(
      Event.windowOpened(window, previous ?? previousStateOf(window, now, policy), now, policy.safetyMargin)
    )
    current = { ...current, open: true }
  }
  if (
    current.open && expiringEnabled(policy) && !expiringAnnounced(window, current) &&
    now.epochMillis >= expiringDueAt(window, policy)
  ) {
    events.push(Event.windowExpiring(window, now, policy.safetyMargin, policy.expiringLead))
    current = { ...current, expiringFor: Option.some(SessionWindow.expiresAt(window).epochMillis) }
  }
  return { events, announced: current }
}

/**
 * The next instant at which `reconcile` would give an event for this window if nothing else happened to it:
 * `window.expiring`'s due time, or the moment it stops being open. `None` when nothing is pending (not announced
 * open). Stores index windows by it so that a scheduler finds what is due without a timer per window.
 *
 * @since 0.2.0
 * @category getters
 */
export const nextDueAt = (
  window: SessionWindow.SessionWindow,
  announced: Announced,
  policy: Policy
): Option.Option<DateTime.Utc> => {
  if (!announced.open) return Option.none()
  const due = expiringEnabled(policy) && !expiringAnnounced(window, announced)
    ? expiringDueAt(window, policy)
    : sendableUntilOf(window, policy)
  return Option.some(DateTime.unsafeMake(due))
}

/**
 * Reconciles a window before and after a change made at `now` (a customer message): first what time did to the
 * window before the change (it may have run out meanwhile), then the change itself, with the window's state before
 * the change as `window.opened`'s `previousState`.
 *
 * @since 0.2.0
 * @category combinators
 */
export const reconcileChange = (
  before: SessionWindow.Window,
  after: SessionWindow.Window,
  announced: Announced,
  now: DateTime.Utc,
  policy: Policy
): Reconciled => {
  const first = reconcile(before, announced, now, policy)
  const second = reconcile(after, first.announced, now, policy, previousStateOf(before, now, policy))
  return { events: [...first.events, ...second.events], announced: second.announced }
}
