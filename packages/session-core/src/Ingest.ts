/**
 * A webhook batch as the core sees it: what a provider adapter decoded (customers' messages, delivery reports, and
 * what it could not decode), prepared for the store, which records the whole batch in one transaction: the
 * messages with their content, the windows, the statuses, the quarantined items and the events they cause.
 *
 * @since 0.2.0
 */
import type * as DateTime from "effect/DateTime"
import * as Option from "effect/Option"
import * as Event from "./Event.js"
import type {
  Batch,
  Counts,
  ItemResult,
  Operation,
  PairState,
  Plan,
  PreparedInbound,
  PreparedQuarantine,
  PreparedStatus,
  State,
  StatusWrite
} from "./internal/ingestModel.js"
import * as Outbound from "./Outbound.js"
import type { OutboundMessage, OutboundRef } from "./Outbound.js"
import * as Parking from "./Parking.js"
import type { Pair, PhoneNumber } from "./PhoneNumber.js"
import * as SendJobs from "./SendJobs.js"
import * as SessionWindow from "./SessionWindow.js"
import * as WindowEvents from "./WindowEvents.js"
import * as WindowOpeners from "./WindowOpeners.js"

export {
  type Batch,
  type BatchResult,
  type CloseWindow,
  type Counts,
  type InboundItem,
  type Item,
  type ItemResult,
  type Operation,
  type PairState,
  type Plan,
  type Prepared,
  type PreparedInbound,
  type PreparedQuarantine,
  type PreparedStatus,
  QuarantineEntry,
  QuarantineKind,
  type State,
  type StatusItem,
  type StatusWrite,
  type Tick,
  type UndecodableItem
} from "./internal/ingestModel.js"
export { ownStatus, prepare, quarantineIdOf, rawText } from "./internal/ingestPrepare.js"

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
  return Option.match(SendJobs.retryAt(Outbound.queuedAt(message), batch.now, batch.resend.retryFor), {
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
 * The parked messages of the pairs whose customer messages the batch recorded: `Parking.due` at `now` with each
 * pair's window after the batch. Released messages become `queued` (their `message.released` events, in release
 * order, then the customer's message is answered in it); expired ones `expired`.
 */
const leaveParking = (
  state: State,
  openers: ReadonlySet<string>,
  pairs: ReadonlyMap<string, PairState>,
  now: DateTime.Utc,
  policy: WindowEvents.Policy
) => {
  const released: Array<OutboundMessage> = []
  const expired: Array<OutboundMessage> = []
  const statuses: Array<StatusWrite> = []
  const events: Array<Event.Draft> = []
  for (const key of openers) {
    const parked = state.parked?.get(key) ?? []
    const window = pairs.get(key)?.window
    if (parked.length === 0 || window === undefined || Option.isNone(window)) continue
    const due = Parking.due(parked.map(parkedOf), window.value, now, { safetyMargin: policy.safetyMargin })
    for (const { message } of due.release) {
      const change = Outbound.release(message, now)
      released.push(change.message)
      statuses.push(change)
      events.push(Event.messageReleased(change.message, now, Option.some(window.value.basisMessageId)))
    }
    for (const { expiresAt, message } of due.expire) {
      const change = Outbound.moveTo(message, "expired", now)
      expired.push(change.message)
      statuses.push(change)
      events.push(Event.messageExpired(change.message, expiresAt, now))
    }
  }
  return { released, expired, statuses, events }
}

const parkedOf = (message: OutboundMessage) => ({
  id: message.id,
  parkedAt: message.createdAt,
  expiresAt: Option.getOrElse(message.parkedUntil, () => message.createdAt),
  message
})

/**
 * Plans a batch: the pure rule of what recording it means, given what the store read (see `State`). Customer
 * messages are deduplicated on (business, message id) and extend windows (`SessionWindow.record`), except those
 * `WindowOpeners.classify` finds stored-only (system notices, group messages, withdrawn reactions): those are
 * recorded, with their `message.received`, and leave the window as it was; reports move
 * statuses forward (a status already in a message's history is a duplicate); a re-engagement failure closes the
 * window (`SessionWindow.closeByProvider`) and queues the message's fallback template (`Outbound.fallbackFor`, once);
 * a report about no message we know goes to the quarantine; window events come from `WindowEvents.reconcile` at
 * `batch.now`; a customer message that opens its pair's window releases the pair's parked messages (`Parking.due`). Every store applies the plan it gets, so all stores behave alike.
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
  const openers = new Set<string>()
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
    SessionWindow.fromOption(pair, pairOf(key).window)
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
    const after = SessionWindow.closeByProvider(before, at)
    // no window yet: closeByProvider leaves it as it is, and there is nothing to close
    if (!SessionWindow.hasWindow(after)) return
    const reconciled = WindowEvents.reconcileChange(before, after, pairOf(key).announced, now, policy)
    events.push(...reconciled.events)
    set(key, after, reconciled.announced)
  }
  /**
   * Queues what follows a message the provider refused for re-engagement (its fallback template, or its copy parked
   * again: `Outbound.afterRefusal`), unless something followed already.
   */
  const queueFallback = (message: OutboundMessage): Option.Option<OutboundMessage> => {
    const due = Outbound.afterRefusal(message, now)
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
        openers.add(key)
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

  const parking = leaveParking(state, openers, pairs, now, policy)
  statuses.push(...parking.statuses)
  events.push(...parking.events)

  return {
    inbound,
    windows: [...changedWindows.values()],
    statuses,
    fallbacks,
    requeues,
    quarantine,
    resolved: batch.resolves.filter((id) => !touchedQuarantine.has(id)),
    parking: { released: parking.released, expired: parking.expired },
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
    if (pair !== undefined) found.set(pairKey(pair), pair)
  }
  return [...found.values()]
}
