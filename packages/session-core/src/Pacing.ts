/**
 * Pacing of sends under the provider's account limit (Exotel: 200 requests a minute by default), shared by every
 * server on one store: a generic cell rate algorithm whose one number of state, the theoretical arrival time (`tat`,
 * epoch milliseconds), lives in the store and is moved forward atomically by each reservation. A send waits until
 * the slot its reservation gives it. A burst of up to `burstOf(policy)` sends goes at once after a quiet spell; the
 * interval is chosen so that no 60-second window ever holds more than `perMinute` slots.
 *
 * @since 0.2.0
 */

/**
 * At most `perMinute` sends in any 60 seconds.
 *
 * @since 0.2.0
 * @category models
 */
export interface Policy {
  readonly perMinute: number
}

/**
 * Exotel's default account limit: 200 requests a minute.
 *
 * @since 0.2.0
 * @category constants
 */
export const defaultPolicy: Policy = { perMinute: 200 }

const MINUTE_MILLIS = 60_000

/**
 * The whole number of sends a minute the policy allows (at least 1).
 *
 * @since 0.2.0
 * @category getters
 */
export const limitOf = (policy: Policy): number => Math.max(1, Math.floor(policy.perMinute))

/**
 * How many sends beyond the first may go at once after a quiet spell: a twentieth of the limit, rounded down.
 *
 * @since 0.2.0
 * @category getters
 */
export const burstOf = (policy: Policy): number => Math.floor(limitOf(policy) / 20)

/**
 * The spacing of slots once the burst is used: 60 s over (limit - burst) in whole milliseconds, rounded up, so that
 * the burst and the steady slots of
 * any minute add up to the limit at most.
 *
 * @since 0.2.0
 * @category getters
 */
export const intervalMillis = (policy: Policy): number => Math.ceil(MINUTE_MILLIS / (limitOf(policy) - burstOf(policy)))

/**
 * The state after one reservation at `now` from state `tat` (never read before: 0). A store applies exactly this
 * arithmetic in one atomic statement: `max(tat, now) + interval`.
 *
 * @example
 * ```ts
 * import { Pacing } from "@wa-session/session-core"
 * // 60 a minute: a burst of 3 more, then a slot every ceil(60000 / 57) = 1053 ms
 * const tat = Pacing.next(0, 1_000, { perMinute: 60 }) // 2_053
 * Pacing.slotOf(tat, 1_000, { perMinute: 60 }) // 1_000: the first send goes at once
 * ```
 * @since 0.2.0
 * @category combinators
 */
export const next = (tat: number, now: number, policy: Policy): number => Math.max(tat, now) + intervalMillis(policy)

/**
 * When the send whose reservation moved the state to `nextTat` at `now` may go (epoch milliseconds, never before
 * `now`): the slot `max(now, tat - burst * interval)` of the generic cell rate algorithm, from the state after it.
 *
 * @since 0.2.0
 * @category getters
 */
export const slotOf = (nextTat: number, now: number, policy: Policy): number => {
  const interval = intervalMillis(policy)
  return Math.max(now, nextTat - interval - burstOf(policy) * interval)
}
