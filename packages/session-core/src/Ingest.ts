/**
 * A webhook batch as the core sees it: what a provider adapter decoded (customers' messages, delivery reports, and
 * what it could not decode), prepared for the store, which records the whole batch in one transaction: the
 * messages with their content, the windows, the statuses, the quarantined items and the events they cause.
 *
 * @since 0.2.0
 */
import type * as DateTime from "effect/DateTime"
import type * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as ClockSkew from "./ClockSkew.js"
import * as Event from "./Event.js"
import { hash128 } from "./internal/hash.js"
import * as Outbound from "./Outbound.js"
import * as SendJobs from "./SendJobs.js"
import { type OutboundMessage, type OutboundRef, type OutboundStatus, StatusEvent } from "./Outbound.js"
import type { Pair, PhoneNumber } from "./PhoneNumber.js"
import * as SessionWindow from "./SessionWindow.js"
import * as WindowEvents from "./WindowEvents.js"
import * as WindowOpeners from "./WindowOpeners.js"

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
}

/**
 * JSON text of a received value; a value JSON cannot write (nested too deep for the engine) is described instead,
 * since what matters then is that it is kept at all.
 *
 * @since 0.2.0
 * @category constructors
 */
export const rawText = (raw: unknown): string => {
  if (typeof raw === "string") return raw
  try {
    return JSON.stringify(raw) ?? "null"
  } catch {
    return "\"[not representable as JSON text]\""
  }
}

/**
 * The quarantine id of something received: `q_` and a hash of what it is and its text, so the same thing received
 * twice (a provider's retry) is one entry.
 *
 * @since 0.2.0
 * @category constructors
 */
export const quarantineIdOf = (kind: QuarantineKind, raw: string): string => `q_${hash128(`${kind}|${raw}`)}`

/**
 * A status our own send path records (`accepted`, or a send that failed at once), as an item of a batch: never a
 * re-engagement failure by itself (the send path acts on those), and quarantined under an id of its own should its
 * message be gone.
 *
 * @since 0.2.0
 * @category constructors
 */
export const ownStatus = (ref: OutboundRef, event: StatusEvent): PreparedStatus => {
  const raw = rawText({ ref: ref._tag === "ById" ? ref.id : ref.providerMessageId, status: event.status })
  return { _tag: "Status", ref, event, reengagement: false, raw, item: null, quarantineId: quarantineIdOf("unknown_message", raw) }
}

/**
 * Prepares what an adapter decoded for the store, received at `receivedAt`: the clock-skew guard on every provider
 * timestamp, the raw text of every item, quarantine ids.
 *
 * @example
 * ```ts
 * import { Ingest, PhoneNumber } from "@wa-session/session-core"
 * import { DateTime, Option } from "effect"
 * const [prepared] = Ingest.prepare([{
 *   _tag: "Inbound",
 *   business: PhoneNumber.unsafeMake("+919876500001"),
 *   customer: PhoneNumber.unsafeMake("+919876543210"),
 *   messageId: "wamid.1",
 *   providerTimestamp: Option.none(),
 *   contentType: "text",
 *   content: { type: "text", text: { body: "Hi" } },
 *   profileName: Option.some("Asha"),
 *   raw: {}
 * }], DateTime.unsafeMake("2026-01-20T10:00:00Z"), "5 minutes")
 * ```
 * @since 0.2.0
 * @category constructors
 */
export const prepare = (
  items: ReadonlyArray<Item>,
  receivedAt: DateTime.Utc,
  skewTolerance: Duration.DurationInput
): ReadonlyArray<Prepared> =>
  items.map((item): Prepared => {
    switch (item._tag) {
      case "Inbound": {
        const guarded = ClockSkew.guard(item.providerTimestamp, receivedAt, skewTolerance)
        return {
          _tag: "Inbound",
          message: new SessionWindow.InboundMessage({
            business: item.business,
            customer: item.customer,
            messageId: item.messageId,
            sentAt: guarded.sentAt,
            receivedAt
          }, true),
          timestampAdjustment: guarded.adjustment,
          contentType: item.contentType,
          content: item.content,
          profileName: item.profileName,
          providerTimestamp: item.providerTimestamp,
          raw: rawText(item.raw),
          ...(item.groupId === undefined ? {} : { groupId: item.groupId })
        }
      }
      case "Status": {
        const raw = rawText(item.raw)
        return {
          _tag: "Status",
          ref: item.ref,
          providerMessageId: item.providerMessageId,
          retryLater: item.retryLater,
          event: new StatusEvent({
            status: item.status,
            at: ClockSkew.guard(item.at, receivedAt, skewTolerance).sentAt,
            code: item.code,
            detail: item.detail
          }),
          reengagement: item.reengagement,
          raw,
          item: item.raw,
          quarantineId: quarantineIdOf("unknown_message", raw)
        }
      }
      case "Undecodable": {
        const raw = rawText(item.raw)
        return {
          _tag: "Quarantine",
          id: quarantineIdOf(item.kind, raw),
          kind: item.kind,
          reason: item.reason,
          raw,
          item: typeof item.raw === "string" ? null : item.raw
        }
      }
    }
  })

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
 * The webhook counts of a batch's results.
 *
 * @since 0.2.0
 * @category getters
 */
export const counts = (results: ReadonlyArray<ItemResult>): Counts => {
  let accepted = 0
  let duplicates = 0
  let rejected = 0
  for (const result of results) {
    if (result._tag === "Window") continue
    if (result._tag === "Quarantined") rejected++
    else if (result._tag === "Status" ? result.outcome === "duplicate" : result.duplicate) duplicates++
    else accepted++
  }
  return { accepted, duplicates, rejected }
}


/**
 * The key of a pair in `State.pairs`.
 *
 * @since 0.2.0
 * @category getters
 */
export const pairKey = (pair: { readonly business: string; readonly customer: string }): string =>
  `${pair.business}|${pair.customer}`

/**
 * The key of an outbound reference in `State.outbound`.
 *
 * @since 0.2.0
 * @category getters
 */
export const refKey = (ref: OutboundRef): string =>
  ref._tag === "ById" ? `id:${ref.id}` : `provider:${ref.providerMessageId}`

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
 * the outbound messages the reports name (by `refKey`), and the quarantine ids already present among the batch's.
 *
 * @since 0.2.0
 * @category models
 */
export interface State {
  readonly pairs: ReadonlyMap<string, PairState>
  readonly inbound: ReadonlyMap<string, string>
  readonly outbound: ReadonlyMap<string, OutboundMessage>
  readonly quarantine: ReadonlySet<string>
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
  readonly windows: ReadonlyArray<{ readonly window: SessionWindow.SessionWindow; readonly announced: WindowEvents.Announced }>
  readonly statuses: ReadonlyArray<StatusWrite>
  readonly fallbacks: ReadonlyArray<{ readonly originalId: string; readonly fallback: OutboundMessage }>
  /** Messages to send again, not before `notBefore`: their latest send was reported failed for now (since 0.2.0). */
  readonly requeues: ReadonlyArray<{ readonly id: string; readonly notBefore: DateTime.Utc }>
  readonly quarantine: ReadonlyArray<PreparedQuarantine>
  readonly resolved: ReadonlyArray<string>
  readonly events: ReadonlyArray<Event.Draft>
  readonly results: ReadonlyArray<ItemResult>
}

/**
 * What a report of a retry-later failure does to its message: `Resend` it (not before `at`) when it is about the
 * message's latest send (the report names the provider id the message has now), a real send not yet delivered, within
 * the batch's retry period; nothing (`Superseded`) when it is about an earlier send that a newer one replaced; else
 * it is `Apply`-ed as any report (the message fails).
 */
const resendOf = (
  message: OutboundMessage,
  item: PreparedStatus,
  batch: Batch
): { readonly _tag: "Resend"; readonly at: DateTime.Utc } | { readonly _tag: "Superseded" | "Apply" } => {
  const apply = { _tag: "Apply" } as const
  if (batch.resend === undefined || item.retryLater !== true || item.event.status !== "failed") return apply
  const reported = item.providerMessageId ?? Option.none()
  if (message.dryRun || Option.isNone(reported) || Option.isNone(message.providerMessageId)) return apply
  if (message.providerMessageId.value !== reported.value) return { _tag: "Superseded" }
  if (Outbound.rank(message.status) >= Outbound.rank("delivered")) return apply
  return Option.match(SendJobs.retryAt(message.createdAt, batch.now, batch.resend.retryFor), {
    onNone: () => apply,
    onSome: (at) => ({ _tag: "Resend", at }) as const
  })
}

const NO_PAIR: PairState = { window: Option.none(), announced: WindowEvents.initial }

const unknownReason = (ref: OutboundRef): string =>
  ref._tag === "ById"
    ? `no outbound message ${ref.id}`
    : `no outbound message with provider id ${ref.providerMessageId}`

/**
 * Plans a batch: the pure rule of what recording it means, given what the store read (see `State`). Customer
 * messages are deduplicated on (business, message id) and extend windows (`SessionWindow.record`), except those
 * `WindowOpeners.classify` finds stored-only (system notices, group messages, withdrawn reactions): those are
 * recorded, with their `message.received`, and leave the window as it was; reports move
 * statuses forward (a status already in a message's history is a duplicate); a re-engagement failure closes the
 * window (`SessionWindow.closeByProvider`) and queues the message's fallback template (`Outbound.fallbackFor`, once);
 * a report about no message we know goes to the quarantine; window events come from `WindowEvents.reconcile` at
 * `batch.now`. Every store applies the plan it gets, so all stores behave alike.
 *
 * @example
 * ```ts
 * import { Ingest } from "@wa-session/session-core"
 * declare const state: Ingest.State // read by the store under the pairs' locks
 * declare const batch: Ingest.Batch
 * const plan = Ingest.plan(state, batch) // then written in the same transaction
 * ```
 * @since 0.2.0
 * @category combinators
 */
export const plan = (state: State, batch: Batch): Plan => {
  const { now, policy } = batch
  const pairs = new Map(state.pairs)
  const seenInbound = new Map(state.inbound)
  const outbound = new Map(state.outbound)
  const seenQuarantine = new Set(state.quarantine)
  const touchedQuarantine = new Set<string>()
  const inbound: Array<PreparedInbound> = []
  const statuses: Array<StatusWrite> = []
  const fallbacks: Array<{ readonly originalId: string; readonly fallback: OutboundMessage }> = []
  const requeues: Array<{ readonly id: string; readonly notBefore: DateTime.Utc }> = []
  const quarantine: Array<PreparedQuarantine> = []
  const events: Array<Event.Draft> = []
  const results: Array<
    ItemResult | {
      readonly _tag: "Recorded"
      readonly duplicate: boolean
      readonly pair: string
      readonly storedOnly: WindowOpeners.StoredOnlyReason | undefined
    }
  > = []

  const pairOf = (key: string) => pairs.get(key) ?? NO_PAIR
  const windowOf = (key: string, pair: { readonly business: PhoneNumber; readonly customer: PhoneNumber }) =>
    SessionWindow.fromOption(pair as Pair, pairOf(key).window)
  const changedWindows = new Map<
    string,
    { readonly window: SessionWindow.SessionWindow; readonly announced: WindowEvents.Announced }
  >()
  const set = (key: string, window: SessionWindow.SessionWindow, announced: WindowEvents.Announced) => {
    pairs.set(key, { window: Option.some(window), announced })
    changedWindows.set(key, { window, announced })
  }
  const addQuarantine = (entry: PreparedQuarantine): ItemResult => {
    touchedQuarantine.add(entry.id)
    if (seenQuarantine.has(entry.id)) return { _tag: "Quarantined", id: entry.id, duplicate: true }
    seenQuarantine.add(entry.id)
    quarantine.push(entry)
    events.push(Event.webhookQuarantined({ ...entry, receivedAt: now }))
    return { _tag: "Quarantined", id: entry.id, duplicate: false }
  }
  const close = (pair: { readonly business: PhoneNumber; readonly customer: PhoneNumber }, at: DateTime.Utc) => {
    const key = pairKey(pair)
    const before = windowOf(key, pair)
    if (!SessionWindow.hasWindow(before)) return
    const after = SessionWindow.closeByProvider(before, at) as SessionWindow.SessionWindow
    const reconciled = WindowEvents.reconcileChange(before, after, pairOf(key).announced, now, policy)
    events.push(...reconciled.events)
    set(key, after, reconciled.announced)
  }
  /** Queues the fallback template of a message the provider refused for re-engagement, unless it has one already. */
  const queueFallback = (message: OutboundMessage): Option.Option<OutboundMessage> => {
    const due = Outbound.fallbackFor(message, now)
    if (Option.isNone(due) || Option.isSome(message.fallbackMessageId)) return Option.none()
    fallbacks.push({ originalId: message.id, fallback: due.value })
    const claimed = new Outbound.OutboundMessage({ ...message, fallbackMessageId: Option.some(due.value.id) })
    for (const [key, stored] of outbound) if (stored.id === message.id) outbound.set(key, claimed)
    return due
  }

  for (const item of batch.items) {
    switch (item._tag) {
      case "Inbound": {
        const { message } = item
        const classification = WindowOpeners.classify(item)
        const storedOnly = classification._tag === "StoredOnly" ? classification.reason : undefined
        const dedup = `${message.business}|${message.messageId}`
        const recordedUnder = seenInbound.get(dedup)
        if (recordedUnder !== undefined) {
          results.push({ _tag: "Recorded", duplicate: true, pair: recordedUnder, storedOnly })
          break
        }
        const key = pairKey(message)
        seenInbound.set(dedup, key)
        const before = windowOf(key, message)
        if (storedOnly !== undefined) {
          // recorded and announced like any message, its window as it was
          events.push(Event.messageReceived(item, before, policy.safetyMargin))
          inbound.push(item)
          results.push({ _tag: "Recorded", duplicate: false, pair: key, storedOnly })
          break
        }
        const after = SessionWindow.record(before, message)
        const lapsed = WindowEvents.reconcile(before, pairOf(key).announced, now, policy)
        const opened = WindowEvents.reconcile(
          after,
          lapsed.announced,
          now,
          policy,
          WindowEvents.previousStateOf(before, now, policy)
        )
        events.push(...lapsed.events, Event.messageReceived(item, after, policy.safetyMargin), ...opened.events)
        set(key, after, opened.announced)
        inbound.push(item)
        results.push({ _tag: "Recorded", duplicate: false, pair: key, storedOnly })
        break
      }
      case "Status": {
        const found = outbound.get(refKey(item.ref))
        if (found === undefined) {
          addQuarantine({
            _tag: "Quarantine",
            id: item.quarantineId,
            kind: "unknown_message",
            reason: unknownReason(item.ref),
            raw: item.raw,
            item: item.item
          })
          results.push({ _tag: "Status", outcome: "unknown", message: Option.none(), fallback: Option.none() })
          break
        }
        const resend = resendOf(found, item, batch)
        if (resend._tag !== "Apply") {
          if (resend._tag === "Resend") requeues.push({ id: found.id, notBefore: resend.at })
          results.push({
            _tag: "Status",
            outcome: resend._tag === "Resend" ? "applied" : "duplicate",
            message: Option.some(found),
            fallback: Option.none()
          })
          break
        }
        if (found.history.some((previous) => previous.status === item.event.status)) {
          // a re-engagement failure already recorded without its consequences (a send that failed at once and whose
          // process died before closing the window and queueing the fallback): they are applied now, once
          const fallback = item.reengagement ? queueFallback(found) : Option.none()
          if (Option.isSome(fallback)) close(found, item.event.at)
          const message = outbound.get(refKey(item.ref))!
          results.push({ _tag: "Status", outcome: "duplicate", message: Option.some(message), fallback })
          break
        }
        let updated = new Outbound.OutboundMessage({
          ...found,
          providerMessageId: Option.orElse(found.providerMessageId, () => item.providerMessageId ?? Option.none()),
          status: Outbound.advances(found.status, item.event.status) ? item.event.status : found.status,
          history: [...found.history, item.event].sort((a, b) => Outbound.rank(a.status) - Outbound.rank(b.status))
        })
        for (const [key, message] of outbound) if (message.id === updated.id) outbound.set(key, updated)
        if (item.reengagement) close(updated, item.event.at)
        const fallback = item.reengagement ? queueFallback(updated) : Option.none()
        updated = outbound.get(refKey(item.ref))!
        statuses.push({ message: updated, event: item.event })
        events.push(...Option.toArray(Event.messageStatus(updated, item.event, now)))
        results.push({ _tag: "Status", outcome: "applied", message: Option.some(updated), fallback })
        break
      }
      case "Quarantine": {
        results.push(addQuarantine(item))
        break
      }
      case "Close": {
        close(item.pair, item.at)
        results.push({ _tag: "Window" })
        break
      }
      case "Tick": {
        const key = pairKey(item.pair)
        const current = pairOf(key)
        if (Option.isSome(current.window)) {
          const reconciled = WindowEvents.reconcile(current.window.value, current.announced, now, policy)
          if (reconciled.events.length > 0) {
            events.push(...reconciled.events)
            set(key, current.window.value, reconciled.announced)
          }
        }
        results.push({ _tag: "Window" })
      }
    }
  }

  return {
    inbound,
    windows: [...changedWindows.values()],
    statuses,
    fallbacks,
    requeues,
    quarantine,
    resolved: batch.resolves.filter((id) => !touchedQuarantine.has(id)),
    events,
    results: results.map((result): ItemResult => {
      if (result._tag !== "Recorded") return result
      const window = pairOf(result.pair).window
      const reason = result.storedOnly === undefined ? {} : { storedOnly: result.storedOnly }
      return Option.isSome(window)
        ? { _tag: "Inbound", duplicate: result.duplicate, window: window.value, ...reason }
        : { _tag: "InboundWithoutWindow", duplicate: result.duplicate, ...reason }
    })
  }
}

/**
 * The pairs a batch touches directly (its customer messages, closures and ticks); a store adds the pairs of the
 * messages its reports name and of the duplicates' first records.
 *
 * @since 0.2.0
 * @category getters
 */
export const pairsOf = (operations: ReadonlyArray<Operation>): ReadonlyArray<Pair> => {
  const found = new Map<string, Pair>()
  for (const operation of operations) {
    const pair = operation._tag === "Inbound"
      ? operation.message
      : operation._tag === "Close" || operation._tag === "Tick"
      ? operation.pair
      : undefined
    if (pair !== undefined) found.set(pairKey(pair), pair as Pair)
  }
  return [...found.values()]
}
