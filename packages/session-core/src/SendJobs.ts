/**
 * The line of send jobs, as a pure rule that in-memory stores apply (the SQL stores say the same in SQL, and the
 * store contract suite holds them all to it): queued jobs go oldest first, and a job is claimable only when it is
 * next in its pair's line (no older job of the pair queued, and none claimed or in flight), so that a customer
 * receives a business's messages in the order they were sent.
 *
 * @since 0.2.0
 */
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"

/**
 * Where a send job is: waiting, claimed by a sender (nothing sent yet), or started (its request may be out).
 *
 * @since 0.2.0
 * @category models
 */
export type JobState = "queued" | "claimed" | "sending"

/**
 * A send job: its message's id, pair and creation time (epoch milliseconds), its state, and for a queued job sent
 * again later (its provider was unavailable), the time before which it is not sent (`notBefore`).
 *
 * @since 0.2.0
 * @category models
 */
export interface Job {
  readonly id: string
  readonly business: string
  readonly customer: string
  readonly createdAt: number
  readonly state: JobState
  readonly notBefore?: number | undefined
}

const before = (a: Job, b: Job): number => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/**
 * The ids of the jobs to claim at `now`, at most `limit`, oldest first; with `id`, that job only if it is claimable.
 * A queued job waiting for its `notBefore` is not claimable and still holds its pair's line.
 *
 * @example
 * ```ts
 * import { SendJobs } from "@wa-session/session-core"
 * SendJobs.claimable([
 *   { id: "a", business: "+1", customer: "+2", createdAt: 1, state: "sending" },
 *   { id: "b", business: "+1", customer: "+2", createdAt: 2, state: "queued" },
 *   { id: "c", business: "+1", customer: "+3", createdAt: 3, state: "queued" }
 * ], 10) // ["c"]: "b" waits for "a", which is in flight
 * ```
 * @since 0.2.0
 * @category getters
 */
export const claimable = (
  jobs: Iterable<Job>,
  limit: number,
  id?: string,
  now: number = Number.POSITIVE_INFINITY
): ReadonlyArray<string> => {
  const busy = new Set<string>()
  const chosen: Array<string> = []
  const size = Math.max(0, Math.floor(limit))
  for (const job of [...jobs].sort(before)) {
    const pair = `${job.business}|${job.customer}`
    if (busy.has(pair)) continue
    busy.add(pair)
    if (job.state !== "queued" || chosen.length >= size || (job.notBefore ?? 0) > now) continue
    if (id === undefined || job.id === id) chosen.push(job.id)
  }
  return chosen
}

const RETRY_MIN_MILLIS = 5_000
const RETRY_MAX_MILLIS = 300_000

/**
 * When a job the provider did not take (or reported failed with a retry-later code) is sent again, or `None` when its
 * retry period (`retryFor`, counted from its creation) is over: half its age, between 5 seconds and 5 minutes, so the
 * waits grow like an exponential backoff without a counter.
 *
 * @example
 * ```ts
 * import { SendJobs } from "@wa-session/session-core"
 * import { DateTime, Duration } from "effect"
 * SendJobs.retryAt(DateTime.unsafeMake("2026-01-20T10:00:00Z"), DateTime.unsafeMake("2026-01-20T10:01:00Z"), Duration.hours(1))
 * // Option.some(10:01:30): half of its minute of age
 * ```
 * @since 0.2.0
 * @category getters
 */
export const retryAt = (
  createdAt: DateTime.Utc,
  now: DateTime.Utc,
  retryFor: Duration.Duration
): Option.Option<DateTime.Utc> => {
  const age = Math.max(0, now.epochMillis - createdAt.epochMillis)
  if (age >= Duration.toMillis(retryFor)) return Option.none()
  const wait = Math.min(RETRY_MAX_MILLIS, Math.max(RETRY_MIN_MILLIS, Math.round(age / 2)))
  return Option.some(DateTime.unsafeMake(now.epochMillis + wait))
}
