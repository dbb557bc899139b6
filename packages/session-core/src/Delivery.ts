/**
 * Delivering events to the business: endpoints (where events go, which types, the signing secret), deliveries
 * (one per endpoint and event, with its attempts), and the rules: which answer counts as delivered, how long to wait
 * before the next attempt (exponential backoff with jitter, for a bounded time), and when to give up (a dead
 * letter). Pure: the store and the HTTP transport are ports.
 *
 * @since 0.2.0
 */
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { EventType } from "./Event.js"
import { hash128 } from "./internal/hash.js"

/**
 * The id of the endpoint configured by `WA_SESSION_EVENTS_URL` (the others are `ep_…`).
 *
 * @since 0.2.0
 * @category constants
 */
export const CONFIGURED_ENDPOINT_ID = "ep_configured"

/**
 * `enabled`, or `disabled` (it answered 410 Gone): a disabled endpoint is not posted to; its deliveries, pending and
 * new, wait until it is enabled again (the configured endpoint, at the next start) or deleted.
 *
 * @since 0.2.0
 * @category models
 */
export const EndpointState = Schema.Literal("enabled", "disabled")

/**
 * @since 0.2.0
 * @category models
 */
export type EndpointState = typeof EndpointState.Type

/**
 * Where events go. `events` is the list of types it wants (`None`: all); `secret` signs its deliveries (a
 * Standard Webhooks `whsec_…` secret) and never leaves the store except to sign.
 *
 * @since 0.2.0
 * @category models
 */
export class Endpoint extends Schema.Class<Endpoint>("@wa-session/session-core/Endpoint")({
  id: Schema.NonEmptyString,
  url: Schema.String,
  events: Schema.OptionFromNullOr(Schema.Array(EventType)),
  secret: Schema.Redacted(Schema.String),
  state: EndpointState,
  disabledReason: Schema.OptionFromNullOr(Schema.String),
  createdAt: Schema.DateTimeUtc
}) {}

/**
 * Whether an endpoint wants events of this type.
 *
 * @since 0.2.0
 * @category predicates
 */
export const wants = (endpoint: Pick<Endpoint, "events">, type: EventType): boolean =>
  Option.match(endpoint.events, { onNone: () => true, onSome: (types) => types.includes(type) })

/**
 * `pending` until delivered or given up; `delivered` after a 2xx answer; `failed` (a dead letter) after retrying
 * for the whole retry period, or when its endpoint was deleted.
 *
 * @since 0.2.0
 * @category models
 */
export const DeliveryState = Schema.Literal("pending", "delivered", "failed")

/**
 * @since 0.2.0
 * @category models
 */
export type DeliveryState = typeof DeliveryState.Type

/**
 * One event on its way to one endpoint.
 *
 * @since 0.2.0
 * @category models
 */
export class Delivery extends Schema.Class<Delivery>("@wa-session/session-core/Delivery")({
  endpointId: Schema.String,
  eventId: Schema.String,
  eventType: EventType,
  business: Schema.NullOr(Schema.String),
  customer: Schema.NullOr(Schema.String),
  state: DeliveryState,
  attempts: Schema.Number,
  createdAt: Schema.DateTimeUtc,
  nextAttemptAt: Schema.OptionFromNullOr(Schema.DateTimeUtc),
  lastAttemptAt: Schema.OptionFromNullOr(Schema.DateTimeUtc),
  lastStatus: Schema.OptionFromNullOr(Schema.Number),
  lastError: Schema.OptionFromNullOr(Schema.String),
  deliveredAt: Schema.OptionFromNullOr(Schema.DateTimeUtc)
}) {}

/**
 * How deliveries are retried: the first retry after `initialDelay`, each next one twice as late up to `maxDelay`
 * (each delay shortened by up to `jitter`, a fraction, so that retries of many deliveries spread out), for
 * `retryFor` after the first attempt; then the delivery is a dead letter. `timeout` bounds one attempt.
 *
 * @since 0.2.0
 * @category models
 */
export interface RetryPolicy {
  readonly initialDelay: Duration.Duration
  readonly maxDelay: Duration.Duration
  readonly retryFor: Duration.Duration
  readonly jitter: number
  readonly timeout: Duration.Duration
}

/**
 * 1 s, doubling up to 10 minutes, 20% jitter, for 24 hours; 10 s per attempt.
 *
 * @since 0.2.0
 * @category constants
 */
export const defaultRetryPolicy: RetryPolicy = {
  initialDelay: Duration.seconds(1),
  maxDelay: Duration.minutes(10),
  retryFor: Duration.hours(24),
  jitter: 0.2,
  timeout: Duration.seconds(10)
}

/** A number in [0, 1) derived from the key: the same delivery and attempt always get the same jitter. */
const unitOf = (key: string): number => parseInt(hash128(key).slice(0, 8), 16) / 0x1_0000_0000

/**
 * The delay before the next attempt after `attempts` failed attempts (1 or more).
 *
 * @since 0.2.0
 * @category getters
 */
export const backoff = (policy: RetryPolicy, attempts: number, jitterKey: string): Duration.Duration => {
  const initial = Duration.toMillis(policy.initialDelay)
  const max = Math.max(initial, Duration.toMillis(policy.maxDelay))
  const exponent = Math.min(Math.max(0, attempts - 1), 40)
  const full = Math.min(max, initial * 2 ** exponent)
  const jitter = Math.min(Math.max(policy.jitter, 0), 1)
  return Duration.millis(Math.round(full * (1 - jitter * unitOf(`${jitterKey}#${attempts}`))))
}

/**
 * When to try again after a failed attempt at `now`: `None` when the retry period, counted from the delivery's
 * creation, is over (the delivery becomes a dead letter).
 *
 * @example
 * ```ts
 * import { Delivery } from "@wa-session/session-core"
 * import { DateTime } from "effect"
 * const created = DateTime.unsafeMake("2026-01-20T10:00:00Z")
 * Delivery.nextAttemptAt(Delivery.defaultRetryPolicy, 3, created, DateTime.unsafeMake("2026-01-20T10:00:07Z"), "d1")
 * // Some(about 10:00:10.2-10:00:11): the third retry waits about 4 s
 * ```
 * @since 0.2.0
 * @category getters
 */
export const nextAttemptAt = (
  policy: RetryPolicy,
  attempts: number,
  createdAt: DateTime.Utc,
  now: DateTime.Utc,
  jitterKey: string
): Option.Option<DateTime.Utc> => {
  const next = DateTime.addDuration(now, backoff(policy, attempts, jitterKey))
  const deadline = DateTime.addDuration(createdAt, policy.retryFor)
  return DateTime.greaterThan(next, deadline) ? Option.none() : Option.some(next)
}

/**
 * What an attempt got: an HTTP status (`Answered`), or no answer at all (`NoAnswer`: refused, reset, timed out,
 * a bad URL); `detail` says which.
 *
 * @since 0.2.0
 * @category models
 */
export type AttemptResult =
  | { readonly _tag: "Answered"; readonly status: number }
  | { readonly _tag: "NoAnswer"; readonly detail: string }

/**
 * What to do after an attempt: it was delivered (a 2xx); the endpoint is gone (410: disable it, keep the delivery
 * pending); retry at `at`; or give up (a dead letter).
 *
 * @since 0.2.0
 * @category models
 */
export type Verdict =
  | { readonly _tag: "Delivered" }
  | { readonly _tag: "Gone" }
  | { readonly _tag: "Retry"; readonly at: DateTime.Utc; readonly error: string }
  | { readonly _tag: "GiveUp"; readonly error: string }

/**
 * The verdict on an attempt made at `now`, the delivery's `attempts`-th.
 *
 * @example
 * ```ts
 * import { Delivery } from "@wa-session/session-core"
 * import { DateTime } from "effect"
 * const now = DateTime.unsafeMake("2026-01-20T10:00:00Z")
 * Delivery.judge(Delivery.defaultRetryPolicy, { _tag: "Answered", status: 503 }, 1, now, now, "d1")._tag // "Retry"
 * ```
 * @since 0.2.0
 * @category getters
 */
export const judge = (
  policy: RetryPolicy,
  result: AttemptResult,
  attempts: number,
  createdAt: DateTime.Utc,
  now: DateTime.Utc,
  jitterKey: string
): Verdict => {
  if (result._tag === "Answered" && result.status >= 200 && result.status < 300) return { _tag: "Delivered" }
  if (result._tag === "Answered" && result.status === 410) return { _tag: "Gone" }
  const error = result._tag === "Answered" ? `HTTP ${result.status}` : result.detail
  return Option.match(nextAttemptAt(policy, attempts, createdAt, now, jitterKey), {
    onNone: () => ({ _tag: "GiveUp", error }),
    onSome: (at) => ({ _tag: "Retry", at, error })
  })
}

/**
 * An endpoint URL as logs, errors and banners show it: without user info and query, which may hold credentials
 * (`https://u:p@host/hook?key=k` → `https://…@host/hook?…`). Works on text that is not a valid URL too.
 *
 * @since 0.2.0
 * @category utils
 */
export const redactUrl = (url: string): string => url.replace(/[^\s/?#@]+@/g, "…@").replace(/\?[^#]*/, "?…")

const SECRET_PREFIX = "whsec_"

/**
 * Whether `secret` is a Standard Webhooks secret: `whsec_` and the base64 of 24 to 64 random bytes.
 *
 * @since 0.2.0
 * @category predicates
 */
export const isValidSecret = (secret: string): boolean => {
  if (!secret.startsWith(SECRET_PREFIX)) return false
  const key = secret.slice(SECRET_PREFIX.length)
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key) || key.length % 4 !== 0) return false
  const bytes = (key.length / 4) * 3 - (key.endsWith("==") ? 2 : key.endsWith("=") ? 1 : 0)
  return bytes >= 24 && bytes <= 64
}
