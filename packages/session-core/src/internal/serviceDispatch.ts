// Sending a queued message: claim, pace, send, record the outcome; a re-engagement refusal's fallback template.
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import { MessageSender, ProviderError } from "../MessageSender.js"
import * as Outbound from "../Outbound.js"
import * as Pacing from "../Pacing.js"
import * as Parking from "../Parking.js"
import * as SendJobs from "../SendJobs.js"
import { SessionStore, type StorageError } from "../SessionStore.js"
import { reload } from "./serviceReads.js"
import { policyOf, SEND_RETRY_FOR, SessionConfig } from "./serviceSettings.js"

export const statusEvent = (
  status: Outbound.OutboundStatus,
  at: DateTime.Utc,
  code: Option.Option<string> = Option.none(),
  detail: Option.Option<string> = Option.none()
) => new Outbound.StatusEvent({ status, at, code, detail })

/** The provider error, naming the outbound message the caller's send stored (callers report it with the error). */
export const naming = (error: ProviderError, outboundId: string): ProviderError =>
  new ProviderError({
    reason: error.reason,
    providerCode: error.providerCode,
    httpStatus: error.httpStatus,
    detail: error.detail,
    reengagement: error.reengagement,
    outboundId: Option.some(outboundId)
  })

const record = (id: string, event: Outbound.StatusEvent) =>
  Effect.flatMap(SessionStore, (store) => store.recordStatus({ _tag: "ById", id }, event, event.at))

const INTERRUPTED = "the send was stopped while its request was in flight (the server shut down): it may have " +
  "reached the provider, whose delivery report settles it"

const recordOutcome = (id: string, outcome: Either.Either<{ readonly providerMessageId: string }, ProviderError>) =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const at = yield* DateTime.now
    if (Either.isRight(outcome)) {
      yield* store.setProviderMessageId(id, outcome.right.providerMessageId)
      yield* record(id, statusEvent("accepted", at))
    } else if (outcome.left.reason === "Ambiguous") {
      yield* record(id, statusEvent("unknown", at, Option.none(), Option.some(outcome.left.detail)))
    } else {
      yield* record(id, statusEvent("failed", at, outcome.left.providerCode, Option.some(outcome.left.detail)))
    }
    yield* store.finishSend(id)
    const after = yield* reload(id)
    const result: Either.Either<Outbound.OutboundMessage, ProviderError> =
      Either.isLeft(outcome) && outcome.left.reason !== "Ambiguous" ? Either.left(outcome.left) : Either.right(after)
    return result
  })

/**
 * What `dispatch` did with a queued message: `Sent` (the provider accepted it, or its outcome is `unknown`: either
 * way it is not sent again), `Failed` (the provider refused it; `message` is the message that carries the outcome,
 * the fallback template's after a re-engagement refusal), `Deferred` (the provider is known not to have taken it
 * and was unavailable or rate-limiting: the job is queued again for later, see `sendRetryFor`; `message` is still
 * `queued`), or `NotClaimed` (it was not this caller's to send: not queued any more, not yet due, or not yet next in
 * its pair's line).
 *
 * @since 0.2.0
 * @category models
 */
export type Dispatched =
  | { readonly _tag: "Sent"; readonly message: Outbound.OutboundMessage }
  | { readonly _tag: "Failed"; readonly message: Outbound.OutboundMessage; readonly error: ProviderError }
  | { readonly _tag: "Deferred"; readonly message: Outbound.OutboundMessage; readonly error: ProviderError }
  | { readonly _tag: "NotClaimed" }

/**
 * When a job that failed before the provider took it is tried again, or `None` when its retry period is over or
 * the failure is not one to retry (only `Unavailable` and `RateLimited` are): `SendJobs.retryAt`.
 *
 * @example
 * ```ts
 * import { SessionService } from "@wa-session/session-core"
 * import { DateTime, Duration, Option } from "effect"
 * const created = DateTime.unsafeMake("2026-01-20T10:00:00Z")
 * SessionService.retryAt(created, DateTime.unsafeMake("2026-01-20T10:01:00Z"), "Unavailable", Duration.hours(1))
 * // Option.some(10:01:30): half of its minute of age
 * ```
 * @since 0.2.0
 * @category getters
 */
export const retryAt = (
  createdAt: DateTime.Utc,
  now: DateTime.Utc,
  reason: ProviderError["reason"],
  retryFor: Duration.Duration
): Option.Option<DateTime.Utc> =>
  reason === "Unavailable" || reason === "RateLimited" ? SendJobs.retryAt(createdAt, now, retryFor) : Option.none()

/**
 * Waits for a pacing slot, then starts and sends a claimed job, recording the outcome (`recordOutcome`). Only the wait
 * and the provider's request can be interrupted: during the wait the claim goes back to the queue (nothing was sent);
 * during the request the message becomes `unknown` (it may have reached the provider). Everything between is not
 * interruptible, so a job never ends started without its request, nor sent without its outcome recorded.
 */
const sendClaimed = (message: Outbound.OutboundMessage) =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const store = yield* SessionStore
      const settings = yield* SessionConfig
      const sender = yield* MessageSender
      const now = yield* DateTime.now
      const slot = yield* store.reserveSendSlot(now, settings.sendPacing ?? Pacing.defaultPolicy)
      const waited = yield* Effect.exit(
        restore(Effect.sleep(Duration.millis(Math.max(0, DateTime.distance(now, slot)))))
      )
      if (Exit.isFailure(waited)) {
        yield* Effect.ignore(store.releaseSend(message.id))
        return yield* Effect.interrupt
      }
      if (!(yield* store.startSend(message.id, yield* DateTime.now))) return { _tag: "NotClaimed" } as const
      const sent = yield* Effect.exit(Effect.either(restore(sender.send({
        outboundId: message.id,
        idempotencyKey: message.idempotencyKey,
        from: message.business,
        to: message.customer,
        content: message.content
      }))))
      // stopped (or died) while the request was out: it may have reached the provider
      if (Exit.isFailure(sent)) {
        const at = yield* DateTime.now
        yield* Effect.ignore(record(message.id, statusEvent("unknown", at, Option.none(), Option.some(INTERRUPTED))))
        yield* Effect.ignore(store.finishSend(message.id))
        return yield* Effect.failCause(sent.cause)
      }
      if (Either.isLeft(sent.value)) {
        const error = sent.value.left
        const later = retryAt(
          Outbound.queuedAt(message),
          yield* DateTime.now,
          error.reason,
          settings.sendRetryFor ?? SEND_RETRY_FOR
        )
        if (Option.isSome(later)) {
          yield* store.retrySend(message.id, later.value)
          return { _tag: "Deferred", message: yield* reload(message.id), error } as const
        }
      }
      const outcome = yield* recordOutcome(message.id, sent.value)
      return yield* Either.match(outcome, {
        onRight: (done) => Effect.succeed<Dispatched>({ _tag: "Sent", message: done }),
        onLeft: (error) => restore(afterFailure(message, error))
      })
    })
  )

/** A definite failure: a re-engagement refusal closes the window and sends the fallback template, once. */
const afterFailure = (
  message: Outbound.OutboundMessage,
  error: ProviderError
): Effect.Effect<Dispatched, StorageError, SessionStore | SessionConfig | MessageSender> =>
  Effect.gen(function*() {
    const failed = yield* reload(message.id)
    if (!error.reengagement) return { _tag: "Failed", message: failed, error } as const
    const at = yield* DateTime.now
    const fallback = yield* afterReengagement(failed, at)
    return Option.match(fallback, {
      onNone: (): Dispatched => ({ _tag: "Failed", message: failed, error }),
      onSome: (dispatched) => dispatched._tag === "NotClaimed" ? { _tag: "Failed", message: failed, error } : dispatched
    })
  })

/**
 * Sends a queued message now, if it is this caller's to send: claims it (only when it is still queued and next in its
 * pair's line), waits for a slot under the pacing policy (shared by every server on the store), sends it and records
 * the outcome (see `Dispatched`). A re-engagement refusal closes the window and sends the message's fallback
 * template in the same way, once.
 *
 * @since 0.2.0
 * @category use cases
 */
export const dispatch = (
  id: string
): Effect.Effect<Dispatched, StorageError, SessionStore | SessionConfig | MessageSender> =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const [claimed] = yield* store.claimSends({ now: yield* DateTime.now, limit: 1, id })
    if (claimed === undefined) return { _tag: "NotClaimed" } as const
    return yield* sendClaimed(claimed)
  })

/**
 * The provider said the window is over: close it (provider truth) and, for a session message with a fallback
 * template, send that template once. `None` when there is nothing to send (or it was already sent).
 */
const afterReengagement = (
  message: Outbound.OutboundMessage,
  at: DateTime.Utc
): Effect.Effect<Option.Option<Dispatched>, StorageError, SessionStore | SessionConfig | MessageSender> =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const settings = yield* SessionConfig
    const pair = { business: message.business, customer: message.customer }
    yield* store.closeByProvider(pair, at, yield* DateTime.now, policyOf(settings))
    const now = yield* DateTime.now
    const fallback = Outbound.afterRefusal(message, now)
    if (Option.isNone(fallback)) return Option.none()
    if (!(yield* store.claimFallback(message.id, fallback.value.id))) return Option.none()
    if (Outbound.isParked(fallback.value)) {
      const parked = yield* store.park({
        message: fallback.value,
        reengagement: Option.none(),
        now,
        safetyMargin: settings.safetyMargin,
        // no re-engagement template: the customer was nudged when the message was first parked
        policy: Parking.defaultPolicy
      })
      // the customer wrote since the refusal: the window is open again, so the copy goes as a session message (the
      // claim sends it once, whoever queued it)
      if (parked._tag !== "WindowOpen") return Option.none()
      const released = Outbound.release(fallback.value, now).message
      yield* store.insertOutbound(released, { queued: true })
      return Option.some(yield* dispatch(released.id))
    }
    // a report of the same failure may have queued it meanwhile (same id): then the send worker sends it, once
    if (!(yield* store.insertOutbound(fallback.value, { queued: true })).inserted) return Option.none()
    return Option.some(yield* dispatch(fallback.value.id))
  })

/**
 * What a round of queued sends did: accepted by the provider, failed, sent with an `unknown` outcome, and deferred.
 *
 * @since 0.2.0
 * @category models
 */
export interface SendRound {
  readonly sent: number
  readonly failed: number
  readonly unknown: number
  /** queued again for later: the provider was unavailable or rate-limiting (since 0.2.0) */
  readonly deferred: number
}

/**
 * Sends up to `limit` queued messages, one after the other, each claimed when it is next in its pair's line and
 * paced like `dispatch`; outcomes are recorded on the messages (with their `message.status` events).
 *
 * @since 0.2.0
 * @category use cases
 */
export const sendQueued = (
  limit: number
): Effect.Effect<SendRound, StorageError, SessionStore | SessionConfig | MessageSender> =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const round = { sent: 0, failed: 0, unknown: 0, deferred: 0 }
    for (let i = 0; i < limit; i++) {
      const [claimed] = yield* store.claimSends({ now: yield* DateTime.now, limit: 1 })
      if (claimed === undefined) break
      const outcome = yield* sendClaimed(claimed)
      if (outcome._tag === "Failed") round.failed++
      else if (outcome._tag === "Deferred") round.deferred++
      else if (outcome._tag === "Sent" && outcome.message.status === "unknown") round.unknown++
      else if (outcome._tag === "Sent") round.sent++
    }
    return round
  })
