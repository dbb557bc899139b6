/**
 * The storage port: windows, inbound-message dedup and outbound messages. Implemented by `@wa-session/storage`
 * (memory, SQLite, PostgreSQL); every implementation passes the same contract suite.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as DateTime from "effect/DateTime"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Ingest from "./Ingest.js"
import type * as Outbound from "./Outbound.js"
import type { OutboundMessage, StatusEvent } from "./Outbound.js"
import type * as Pacing from "./Pacing.js"
import type * as Parking from "./Parking.js"
import type { Pair, PhoneNumber } from "./PhoneNumber.js"
import type { InboundMessage, SessionWindow } from "./SessionWindow.js"
import type * as WindowEvents from "./WindowEvents.js"

/**
 * The store could not be read or written. Callers may retry; nothing was half-written.
 *
 * @since 0.1.0
 * @category errors
 */
export class StorageError extends Schema.TaggedError<StorageError>("@wa-session/session-core/StorageError")(
  "StorageError",
  { operation: Schema.String, detail: Schema.String }
) {
  /** @since 0.1.0 */
  readonly code = "STORAGE_ERROR" as const
  /** @since 0.1.0 */
  override get message(): string {
    return `storage failed during ${this.operation}: ${this.detail}`
  }
}

/**
 * A `cursor` that is not the `nextCursor` of an earlier page (altered, truncated, or from another API): bad input,
 * not a storage failure.
 *
 * @since 0.2.0
 * @category errors
 */
export class InvalidCursor extends Schema.TaggedError<InvalidCursor>("@wa-session/session-core/InvalidCursor")(
  "InvalidCursor",
  { cursor: Schema.String }
) {
  /** @since 0.2.0 */
  readonly code = "INVALID_CURSOR" as const
  /** @since 0.2.0 */
  readonly field = "cursor" as const
  /** @since 0.2.0 */
  override get message(): string {
    return `cursor "${this.cursor}" is not the nextCursor of an earlier page`
  }
}

/**
 * The result of recording an inbound message: whether its id was already known, and the window afterwards.
 *
 * @since 0.1.0
 * @category models
 */
export interface RecordedInbound {
  readonly duplicate: boolean
  readonly window: SessionWindow
}

/**
 * Windows that are open at `now` (with `safetyMargin`) and expire before `now + horizon`, soonest first.
 * `cursor` is the opaque `nextCursor` of the previous page.
 *
 * @since 0.1.0
 * @category models
 */
export interface ExpiringQuery {
  readonly now: DateTime.Utc
  readonly horizon: Duration.Duration
  readonly safetyMargin: Duration.Duration
  readonly business: Option.Option<PhoneNumber>
  readonly limit: number
  readonly cursor: Option.Option<string>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ExpiringPage {
  readonly items: ReadonlyArray<SessionWindow>
  readonly nextCursor: Option.Option<string>
}

/**
 * Which outbound message a status report is about: our id (echoed back by the provider in `custom_data`) or the
 * provider's message id (the same as `Outbound.OutboundRef`).
 *
 * @since 0.1.0
 * @category models
 */
export type OutboundRef = Outbound.OutboundRef

/**
 * @since 0.1.0
 * @category models
 */
export interface RecordedStatus {
  /** false when the same status was already recorded for the message */
  readonly applied: boolean
  readonly message: OutboundMessage
}

/**
 * One message of a pair's history: a customer's message (`inbound`, with its content as the provider sent it) or
 * one of ours (`outbound`, with its status history).
 *
 * @since 0.2.0
 * @category models
 */
export type HistoryItem =
  | {
    readonly _tag: "Inbound"
    readonly message: InboundMessage
    readonly contentType: string
    readonly content: Readonly<Record<string, unknown>>
    readonly profileName: Option.Option<string>
  }
  | { readonly _tag: "Outbound"; readonly message: OutboundMessage }

/**
 * A page of a pair's history, newest first; `nextCursor` continues with older messages.
 *
 * @since 0.2.0
 * @category models
 */
export interface HistoryPage {
  readonly items: ReadonlyArray<HistoryItem>
  readonly nextCursor: Option.Option<string>
}

/**
 * @since 0.2.0
 * @category models
 */
export interface QuarantineQuery {
  readonly state: Option.Option<"quarantined" | "resolved">
  readonly limit: number
  readonly cursor: Option.Option<string>
}

/**
 * A page of quarantine entries, newest first.
 *
 * @since 0.2.0
 * @category models
 */
export interface QuarantinePage {
  readonly items: ReadonlyArray<Ingest.QuarantineEntry>
  readonly nextCursor: Option.Option<string>
}

/**
 * What a retention run removed (rows of each kind; the finished deliveries of the events removed are counted
 * apart). A count that reached the run's limit means there may be more.
 *
 * @since 0.2.0
 * @category models
 */
export interface Pruned {
  readonly inbound: number
  readonly outbound: number
  readonly deliveries: number
  readonly events: number
  readonly quarantine: number
}

/**
 * Send jobs to claim: queued messages, oldest first, each only when it is next in its pair's line (no older message
 * of the pair queued, claimed or in flight), so that a customer receives a business's messages in the order they
 * were sent. `id` restricts the claim to one message (a send request claiming its own).
 *
 * @since 0.2.0
 * @category models
 */
export interface SendClaim {
  readonly now: DateTime.Utc
  readonly limit: number
  readonly id?: string | undefined
}

/**
 * What `recoverSends` did: claims given back to the queue (their holder died before sending), and sends that were
 * in flight when their holder died, now `unknown`.
 *
 * @since 0.2.0
 * @category models
 */
export interface RecoveredSends {
  readonly requeued: number
  readonly unknown: number
}

/**
 * A session message to park for a pair whose window was not open at decision time (see `SessionStoreShape.park`):
 * `message` is `parked`, with its `parkedUntil`; `reengagement` the template to send now to bring the customer back,
 * when the request carried one (a queued template message); `safetyMargin` how the window is judged at `now`.
 *
 * @since 0.2.0
 * @category models
 */
export interface ParkRequest {
  readonly message: OutboundMessage
  readonly reengagement: Option.Option<OutboundMessage>
  readonly now: DateTime.Utc
  readonly safetyMargin: Duration.Duration
  readonly policy: Parking.Policy
}

/**
 * What `park` did: nothing (`WindowOpen`: the window opened since the decision, so decide again), or the message
 * parked (`inserted: false` when its idempotency key was taken: `message` is that key's message) with the
 * re-engagement template it queued, if the pair may be nudged again (`Parking.mayReengage`).
 *
 * @since 0.2.0
 * @category models
 */
export type ParkResult =
  | { readonly _tag: "WindowOpen" }
  | {
    readonly _tag: "Parked"
    readonly inserted: boolean
    readonly message: OutboundMessage
    readonly reengagement: Option.Option<OutboundMessage>
  }

/**
 * @since 0.2.0
 * @category models
 */
export interface ParkedQuery {
  readonly business: Option.Option<PhoneNumber>
  readonly customer: Option.Option<PhoneNumber>
  readonly limit: number
}

/**
 * What `cancelParked` did: the message, `cancelled` when it was still parked (now `cancelled`), else as it is (it
 * left the parking: released, expired, cancelled before, or it was never parked).
 *
 * @since 0.2.0
 * @category models
 */
export interface CancelResult {
  readonly cancelled: boolean
  readonly message: OutboundMessage
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SessionStoreShape {
  /**
   * Records a webhook batch in ONE transaction: every inbound message with its content (deduplicated on
   * (business, message id); windows only move forward), every delivery report (statuses forward only; a
   * re-engagement failure closes the window and queues the fallback template of a session message, once), every
   * quarantined item, and the events all of it causes (`window.*` through `WindowEvents.reconcile` at `now`); a
   * customer message that opens a window releases the pair's parked messages (`Ingest.plan`). All of it, or none.
   */
  readonly ingest: (batch: Ingest.Batch) => Effect.Effect<Ingest.BatchResult, StorageError>
  readonly getWindow: (pair: Pair) => Effect.Effect<Option.Option<SessionWindow>, StorageError>
  /**
   * Marks the pair's window closed by the provider at `at` (keeps the latest closure) and records the window events
   * that causes at `now`. No window: no effect.
   */
  readonly closeByProvider: (
    pair: Pair,
    at: DateTime.Utc,
    now: DateTime.Utc,
    policy: WindowEvents.Policy
  ) => Effect.Effect<void, StorageError>
  readonly listExpiring: (query: ExpiringQuery) => Effect.Effect<ExpiringPage, StorageError | InvalidCursor>
  /** How many windows are open at `now` (for the open-windows gauge). */
  readonly countOpen: (now: DateTime.Utc, safetyMargin: Duration.Duration) => Effect.Effect<number, StorageError>
  /**
   * Inserts an outbound message; with `queued` (since 0.2.0) as a send job, in the same transaction. When another
   * message of the same business already has its idempotency key, nothing is written and that message is returned
   * with `inserted: false`.
   */
  readonly insertOutbound: (
    message: OutboundMessage,
    options?: { readonly queued?: boolean | undefined }
  ) => Effect.Effect<{ readonly inserted: boolean; readonly message: OutboundMessage }, StorageError>
  readonly findOutbound: (id: string) => Effect.Effect<Option.Option<OutboundMessage>, StorageError>
  readonly findOutboundByIdempotencyKey: (
    business: PhoneNumber,
    key: string
  ) => Effect.Effect<Option.Option<OutboundMessage>, StorageError>
  readonly setProviderMessageId: (id: string, providerMessageId: string) => Effect.Effect<void, StorageError>
  /**
   * Adds a status to a message's history (a status already there is ignored) and moves its status forward when the
   * new one ranks higher (see `Outbound.rank`), recording its `message.status` event at `recordedAt`. `None` when
   * no such message exists.
   */
  readonly recordStatus: (
    ref: OutboundRef,
    event: StatusEvent,
    recordedAt: DateTime.Utc
  ) => Effect.Effect<Option.Option<RecordedStatus>, StorageError>
  /** Atomically sets the fallback message id if none is set yet; true when this call set it. */
  readonly claimFallback: (id: string, fallbackMessageId: string) => Effect.Effect<boolean, StorageError>
  /**
   * Takes queued send jobs for this caller (see `SendClaim`), marked claimed at `now`: nothing has been sent yet, so
   * a claim can be given back (`releaseSend`, or `recoverSends` once its holder is gone).
   */
  readonly claimSends: (claim: SendClaim) => Effect.Effect<ReadonlyArray<OutboundMessage>, StorageError>
  /**
   * Marks a claimed job in flight at `now`, just before its request goes out: from here on it is never handed out
   * again (it may have reached the provider). False when the claim was lost meanwhile (then nothing may be sent).
   */
  readonly startSend: (id: string, now: DateTime.Utc) => Effect.Effect<boolean, StorageError>
  /** Gives a claimed job that was not started back to the queue. */
  readonly releaseSend: (id: string) => Effect.Effect<void, StorageError>
  /**
   * Puts a started job whose send failed before the provider took it back in the queue, not to be claimed before
   * `notBefore` (it keeps its place in its pair's line).
   */
  readonly retrySend: (id: string, notBefore: DateTime.Utc) => Effect.Effect<void, StorageError>
  /** Ends a started job once its outcome is recorded. */
  readonly finishSend: (id: string) => Effect.Effect<void, StorageError>
  /**
   * Settles jobs whose holder died (claimed or started before `before`): a claim goes back to the queue; a started
   * job whose outcome was never recorded becomes `unknown` (with its `message.status` event at `now`): it may have
   * been sent, so it is never sent again.
   */
  readonly recoverSends: (before: DateTime.Utc, now: DateTime.Utc) => Effect.Effect<RecoveredSends, StorageError>
  /**
   * Reserves the next send slot under the pacing policy, shared by every user of the store: moves the stored state
   * with `Pacing.next` atomically and answers the slot (`Pacing.slotOf`), not before `now`.
   */
  readonly reserveSendSlot: (now: DateTime.Utc, policy: Pacing.Policy) => Effect.Effect<DateTime.Utc, StorageError>
  /**
   * Records the window events that are due at `now` (`window.expiring`, `window.closed` when a window ran out), at
   * most `limit` windows' worth; the number of events recorded.
   */
  readonly emitDueWindowEvents: (
    now: DateTime.Utc,
    policy: WindowEvents.Policy,
    limit: number
  ) => Effect.Effect<number, StorageError>
  /** A pair's messages, inbound and outbound, newest first. */
  readonly listMessages: (
    pair: Pair,
    limit: number,
    cursor: Option.Option<string>
  ) => Effect.Effect<HistoryPage, StorageError | InvalidCursor>
  readonly listQuarantine: (query: QuarantineQuery) => Effect.Effect<QuarantinePage, StorageError | InvalidCursor>
  readonly findQuarantine: (id: string) => Effect.Effect<Option.Option<Ingest.QuarantineEntry>, StorageError>
  /** A retry that failed again: the entry stays quarantined with the new reason, one more retry counted. */
  readonly requarantine: (id: string, reason: string) => Effect.Effect<void, StorageError>
  /**
   * Removes what is older than `before`, at most `limit` rows of each kind in one transaction: inbound messages
   * (content and dedup ids), outbound messages (not a send job still queued, claimed or in flight), finished deliveries, events no delivery waits
   * for, and quarantine entries. Windows are kept.
   */
  readonly prune: (before: DateTime.Utc, limit: number) => Effect.Effect<Pruned, StorageError>
  /**
   * Parks a session message (see `ParkRequest`), under its pair's lock, so that no customer message can open the
   * window and release the pair's parked messages in between: when the window is open at `now` nothing is written
   * (`WindowOpen`); else the message is inserted as `parked` (idempotency keys as in `insertOutbound`), and when it
   * was and the pair was not nudged within `policy.reengageInterval`, the re-engagement template is queued and the
   * pair's last re-engagement set to `now`. Since 0.2.0.
   */
  readonly park: (request: ParkRequest) => Effect.Effect<ParkResult, StorageError>
  /** Cancels a parked message at `now` (see `CancelResult`); `None` when there is no such message. Since 0.2.0. */
  readonly cancelParked: (
    id: string,
    now: DateTime.Utc
  ) => Effect.Effect<Option.Option<CancelResult>, StorageError>
  /**
   * Ends the parked messages whose time to live is over at `now` (`expired`, with their `message.expired` events),
   * at most `limit`; how many. Since 0.2.0.
   */
  readonly expireParked: (now: DateTime.Utc, limit: number) => Effect.Effect<number, StorageError>
  /** Parked messages (of a business, of a pair), in release order, at most `limit`. Since 0.2.0. */
  readonly listParked: (query: ParkedQuery) => Effect.Effect<ReadonlyArray<OutboundMessage>, StorageError>
  /** Succeeds when the store answers (readiness). */
  readonly ping: Effect.Effect<void, StorageError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class SessionStore extends Context.Tag("@wa-session/session-core/SessionStore")<
  SessionStore,
  SessionStoreShape
>() {}
