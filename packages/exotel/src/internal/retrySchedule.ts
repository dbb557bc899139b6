/**
 * The retry schedule of one Exotel send (see `ExotelSender`): how long to wait before each retry, and when to stop.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type { RetryPolicy } from "../ExotelConfig.js"

/** What the schedule is given after a failed attempt that may be retried: Exotel's `Retry-After`, if any. */
export interface Input {
  readonly retryAfter: Option.Option<Duration.Duration>
}

/**
 * What the schedule decided after a failed attempt (`input`): retry number `retry` after `delay`, or give up (`why`
 * says why, to be appended to the last error's detail). The schedule stops at its first `GiveUp`, so that is the
 * last output, the one `Effect.retryOrElse` hands to its fallback.
 */
export type Decision<I> =
  | { readonly _tag: "Retry"; readonly input: I; readonly retry: number; readonly delay: Duration.Duration }
  | { readonly _tag: "GiveUp"; readonly why: string }

/**
 * The backoff: exponential from `baseDelay` (doubling per retry), capped at `maxDelay` (the union takes the shorter
 * delay), with jitter between half and all of it, in whole milliseconds.
 */
const backoff = (policy: RetryPolicy): Schedule.Schedule<unknown> =>
  Schedule.exponential(policy.baseDelay).pipe(
    Schedule.union(Schedule.spaced(policy.maxDelay)),
    Schedule.jitteredWith({ min: 0.5, max: 1 }),
    Schedule.modifyDelay((_, delay) => Duration.millis(Math.round(Duration.toMillis(delay))))
  )

/** The backoff, or Exotel's `Retry-After` instead when it gave one; outputs the wait. */
const waits = (policy: RetryPolicy): Schedule.Schedule<Duration.Duration, Input> =>
  Schedule.passthrough<unknown, Input, never>(backoff(policy)).pipe(
    Schedule.modifyDelay((input, delay) => Option.getOrElse(input.retryAfter, () => delay)),
    Schedule.delays
  )

/**
 * The retries of one send, bounded (checked in this order) by the policy's `maxRetries`, by its `maxRetryAfter`
 * (a longer `Retry-After` is not waited for at all), and by the send's deadline (`deadline`, in `Clock` millis): a
 * retry is made only if, after its wait, at least `minAttempt` is left before the deadline. Waits are on `Clock`.
 */
export const make = <I extends Input>(
  policy: RetryPolicy,
  options: {
    readonly deadline: number
    readonly sendDeadline: Duration.Duration
    readonly minAttempt: Duration.Duration
  }
): Schedule.Schedule<Decision<I>, I> =>
  Schedule.identity<I>().pipe(
    Schedule.intersect(Schedule.count),
    Schedule.intersect(waits(policy)),
    Schedule.mapEffect(([[input, retries], delay]) =>
      Effect.map(Clock.currentTimeMillis, (now): Decision<I> => {
        const attempts = `gave up after ${retries + 1} attempts`
        if (retries >= policy.maxRetries) return { _tag: "GiveUp", why: `(${attempts})` }
        if (Option.isSome(input.retryAfter) && Duration.greaterThan(input.retryAfter.value, policy.maxRetryAfter)) {
          return {
            _tag: "GiveUp",
            why: `(Exotel asked to retry after ${Duration.format(input.retryAfter.value)}, ` +
              `longer than the ${Duration.format(policy.maxRetryAfter)} we wait)`
          }
        }
        if (now + Duration.toMillis(delay) + Duration.toMillis(options.minAttempt) > options.deadline) {
          return {
            _tag: "GiveUp",
            why: `(${attempts}: the send deadline of ${Duration.format(options.sendDeadline)} ` +
              `leaves no time for a retry in ${Duration.format(delay)})`
          }
        }
        return { _tag: "Retry", input, retry: retries + 1, delay }
      })
    ),
    Schedule.whileOutput((decision) => decision._tag === "Retry")
  )
