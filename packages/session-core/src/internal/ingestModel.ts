// The data of a webhook batch on its way to the store: what an adapter decoded, the same prepared, the operations of
// a store transaction, what the store read for them (`State`), what to write (`Plan`) and what it answers.
import type * as DateTime from "effect/DateTime"
import type * as Duration from "effect/Duration"
import type * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Event from "../Event.js"
import type { OutboundMessage, OutboundRef, OutboundStatus, StatusEvent } from "../Outbound.js"
import type { Pair, PhoneNumber } from "../PhoneNumber.js"
import type * as SessionWindow from "../SessionWindow.js"
import type * as WindowEvents from "../WindowEvents.js"
import type * as WindowOpeners from "../WindowOpeners.js"

/**
 * A customer's message as the provider adapter decoded it. `content` is the content object as the provider sent it
 * (its `type`, the object named by the type, `context`, `referral`, …); `raw` the whole item as received; `groupId`
 * the group it was sent in, when it was (such a message is recorded but does not open the one-to-one window: see
 * `WindowOpeners`).
 *
 * @since 0.2.0
 * @category models
 */
export interface InboundItem {
  readonly _tag: "Inbound"
  readonly business: PhoneNumber
  readonly customer: PhoneNumber
  readonly messageId: string
  readonly providerTimestamp: Option.Option<DateTime.Utc>
  readonly contentType: string
  readonly content: Readonly<Record<string, unknown>>
  readonly profileName: Option.Option<string>
  readonly raw: unknown
  readonly groupId?: Option.Option<string> | undefined
}

/**
 * A delivery report, mapped to our statuses. `reengagement` marks the provider's "24-hour window is over" failure
 * (Exotel 30018); `at` is the provider's timestamp; `providerMessageId` the provider's id of the message when the
 * report names it besides our id (it fills in the id of a message whose send answer was lost).
 *
 * @since 0.2.0
 * @category models
 */
export interface StatusItem {
  readonly _tag: "Status"
  readonly ref: OutboundRef
  readonly providerMessageId?: Option.Option<string> | undefined
  /** A failure the provider documents as temporary (Exotel 30007, 30009): the message is sent again. Since 0.2.0. */
  readonly retryLater?: boolean | undefined
  readonly status: OutboundStatus
  readonly reengagement: boolean
  readonly code: Option.Option<string>
  readonly detail: Option.Option<string>
  readonly at: Option.Option<DateTime.Utc>
  readonly raw: unknown
}

/**
 * Something that could not be decoded: an item of a batch, or a whole body that is not a batch. `raw` is what was
 * received (the parsed JSON, or the text when it was not JSON).
 *
 * @since 0.2.0
 * @category models
 */
export interface UndecodableItem {
  readonly _tag: "Undecodable"
  readonly kind: "item" | "body"
  readonly reason: string
  readonly raw: unknown
}

/**
 * @since 0.2.0
 * @category models
 */
export type Item = InboundItem | StatusItem | UndecodableItem

/**
 * What a quarantine entry holds: an undecodable item or body, or a delivery report about a message we do not know.
 *
 * @since 0.2.0
 * @category models
 */
export const QuarantineKind = Schema.Literal("item", "body", "unknown_message")

/**
 * @since 0.2.0
 * @category models
 */
export type QuarantineKind = typeof QuarantineKind.Type

/**
 * A customer's message ready for the store.
 *
 * @since 0.2.0
 * @category models
 */
export interface PreparedInbound extends Event.ReceivedMessage {
  readonly _tag: "Inbound"
  /** the item as received, as JSON text */
  readonly raw: string
  /** the group it was sent in, when it was */
  readonly groupId?: Option.Option<string> | undefined
}

/**
 * A delivery report ready for the store. `quarantineId` is the entry it becomes when it names no message we sent.
 *
 * @since 0.2.0
 * @category models
 */
export interface PreparedStatus {
  readonly _tag: "Status"
  readonly ref: OutboundRef
  readonly providerMessageId?: Option.Option<string> | undefined
  readonly retryLater?: boolean | undefined
  readonly event: StatusEvent
  readonly reengagement: boolean
  readonly raw: string
  readonly item: unknown
  readonly quarantineId: string
}

/**
 * An item for the quarantine.
 *
 * @since 0.2.0
 * @category models
 */
export interface PreparedQuarantine {
  readonly _tag: "Quarantine"
  readonly id: string
  readonly kind: QuarantineKind
  readonly reason: string
  readonly raw: string
  readonly item: unknown
}

/**
 * @since 0.2.0
 * @category models
 */
export type Prepared = PreparedInbound | PreparedStatus | PreparedQuarantine

/**
 * A batch for `SessionStore.ingest`: its items, the instant it was received (`now` of the window events), the
 * window-event policy, and the quarantine entries it settles (a retry): those are marked resolved unless the batch
 * quarantined them again.
 *
 * @since 0.2.0
 * @category models
 */
export interface Batch {
  readonly now: DateTime.Utc
  readonly policy: WindowEvents.Policy
  readonly items: ReadonlyArray<Operation>
  readonly resolves: ReadonlyArray<string>
  /**
   * When given, a report of a retry-later failure about the latest send of one of our messages queues the message
   * again (see `Plan.requeues`) while its retry period lasts, instead of failing it. Since 0.2.0.
   */
  readonly resend?: { readonly retryFor: Duration.Duration } | undefined
}

/**
 * The provider closed a pair's window at `at` (a re-engagement failure the send call itself reported).
 *
 * @since 0.2.0
 * @category models
 */
export interface CloseWindow {
  readonly _tag: "Close"
  readonly pair: Pair
  readonly at: DateTime.Utc
}

/**
 * Time passed: record the window events of the pair that are due (the scheduler).
 *
 * @since 0.2.0
 * @category models
 */
export interface Tick {
  readonly _tag: "Tick"
  readonly pair: Pair
}

/**
 * What a store transaction applies: prepared webhook items, provider closures and scheduler ticks.
 *
 * @since 0.2.0
 * @category models
 */
export type Operation = Prepared | CloseWindow | Tick

/**
 * What the store did with one item: an inbound message recorded (or a `duplicate` of one recorded before, with
 * the window of its pair after the batch, or `InboundWithoutWindow` when its pair has none: the message opened
 * none); a report `applied`, a `duplicate` (the same status again) or `unknown` (quarantined), with the fallback
 * template it queued; an item quarantined (`duplicate`: it was already there). `storedOnly` says why an inbound
 * message left its window as it was (`WindowOpeners.classify`).
 *
 * @since 0.2.0
 * @category models
 */
export type ItemResult =
  | {
    readonly _tag: "Inbound"
    readonly duplicate: boolean
    readonly window: SessionWindow.SessionWindow
    readonly storedOnly?: WindowOpeners.StoredOnlyReason | undefined
  }
  | {
    readonly _tag: "InboundWithoutWindow"
    readonly duplicate: boolean
    readonly storedOnly?: WindowOpeners.StoredOnlyReason | undefined
  }
  | {
    readonly _tag: "Status"
    readonly outcome: "applied" | "duplicate" | "unknown"
    /** the message after the report */
    readonly message: Option.Option<OutboundMessage>
    readonly fallback: Option.Option<OutboundMessage>
  }
  | { readonly _tag: "Quarantined"; readonly id: string; readonly duplicate: boolean }
  | { readonly _tag: "Window" }

/**
 * @since 0.2.0
 * @category models
 */
export interface BatchResult {
  /** in the order of the batch's items */
  readonly items: ReadonlyArray<ItemResult>
  /** how many parked messages the batch released (since 0.2.0; absent: none) */
  readonly released?: number | undefined
}

/**
 * A quarantine entry: what was received, why it is there, and whether a retry settled it.
 *
 * @since 0.2.0
 * @category models
 */
export class QuarantineEntry extends Schema.Class<QuarantineEntry>("@wa-session/session-core/QuarantineEntry")({
  id: Schema.String,
  kind: QuarantineKind,
  reason: Schema.String,
  receivedAt: Schema.DateTimeUtc,
  raw: Schema.String,
  state: Schema.Literal("quarantined", "resolved"),
  resolvedAt: Schema.OptionFromNullOr(Schema.DateTimeUtc),
  retries: Schema.Number
}) {}

/**
 * The counts a webhook answers with: `accepted` items recorded (or reports about messages we do not know, kept in
 * the quarantine), `duplicates` already known, `rejected` items that could not be decoded (kept in the quarantine).
 *
 * @since 0.2.0
 * @category models
 */
export interface Counts {
  readonly accepted: number
  readonly duplicates: number
  readonly rejected: number
}

/**
 * A pair's window and what was announced about it.
 *
 * @since 0.2.0
 * @category models
 */
export interface PairState {
  readonly window: Option.Option<SessionWindow.SessionWindow>
  readonly announced: WindowEvents.Announced
}

/**
 * What a store reads, under the lock of every pair involved, before planning a batch: the pairs (by `pairKey`;
 * missing pairs have no window), the inbound messages already recorded among the batch's (`business|messageId` →
 * the `pairKey` they were recorded under, whose pair is read too: it has no window when the message opened none),
 * the outbound messages the reports name (by `refKey`), the quarantine ids already present among the batch's, and
 * the messages parked for the pairs of the batch's customer messages (by `pairKey`; a pair with none may be missing).
 *
 * @since 0.2.0
 * @category models
 */
export interface State {
  readonly pairs: ReadonlyMap<string, PairState>
  readonly inbound: ReadonlyMap<string, string>
  readonly outbound: ReadonlyMap<string, OutboundMessage>
  readonly quarantine: ReadonlySet<string>
  /** Since 0.2.0's parking; a store that parks nothing may leave it out. */
  readonly parked?: ReadonlyMap<string, ReadonlyArray<OutboundMessage>> | undefined
}

/**
 * A status reached by a message: the history row to add and the message afterwards (its `status` moved forward
 * when the new one ranks higher, its `fallbackMessageId` set when the report queued the fallback).
 *
 * @since 0.2.0
 * @category models
 */
export interface StatusWrite {
  readonly message: OutboundMessage
  readonly event: StatusEvent
}

/**
 * What to write for a batch, all in one transaction: new inbound messages, the final state of every changed pair,
 * status history rows with their messages, fallback templates to queue (and the original each belongs to), new
 * quarantine entries, entries to mark resolved, and the events, in the order to record them. `results` answers each
 * operation, in order.
 *
 * @since 0.2.0
 * @category models
 */
export interface Plan {
  readonly inbound: ReadonlyArray<PreparedInbound>
  readonly windows: ReadonlyArray<
    { readonly window: SessionWindow.SessionWindow; readonly announced: WindowEvents.Announced }
  >
  readonly statuses: ReadonlyArray<StatusWrite>
  /** what follows a 30018 refusal: a fallback template to queue, or a released message parked again (`parked`) */
  readonly fallbacks: ReadonlyArray<{ readonly originalId: string; readonly fallback: OutboundMessage }>
  /** Messages to send again, not before `notBefore`: their latest send was reported failed for now (since 0.2.0). */
  readonly requeues: ReadonlyArray<{ readonly id: string; readonly notBefore: DateTime.Utc }>
  readonly quarantine: ReadonlyArray<PreparedQuarantine>
  readonly resolved: ReadonlyArray<string>
  /**
   * Parked messages that leave the parking (since 0.2.0): `released` into a window a customer message opened (now
   * `queued` send jobs, their `statuses` written too), `expired` past their time to live; each only if still parked.
   */
  readonly parking: {
    readonly released: ReadonlyArray<OutboundMessage>
    readonly expired: ReadonlyArray<OutboundMessage>
  }
  readonly events: ReadonlyArray<Event.Draft>
  readonly results: ReadonlyArray<ItemResult>
}
