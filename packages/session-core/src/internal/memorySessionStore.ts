import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Event from "../Event.js"
import * as Ingest from "../Ingest.js"
import * as Outbound from "../Outbound.js"
import * as Pacing from "../Pacing.js"
import * as Parking from "../Parking.js"
import type { Pair } from "../PhoneNumber.js"
import * as SendJobs from "../SendJobs.js"
import type * as SessionStore from "../SessionStore.js"
import * as SessionWindow from "../SessionWindow.js"
import * as StoreCursor from "../StoreCursor.js"
import * as WindowEvents from "../WindowEvents.js"
import {
  byCreatedAt,
  compareIds,
  decodeOption,
  deleteOutbound,
  expiresAtMillis,
  findByRef,
  insertOutbound,
  moveJob,
  pageOf,
  parkedOf,
  record,
  run,
  sizeOf,
  type State
} from "./memoryState.js"

const cursorOf = (window: SessionWindow.SessionWindow): StoreCursor.ExpiringCursor => ({
  expiresAt: expiresAtMillis(window),
  business: window.business,
  customer: window.customer
})

const isOpenAbove = (window: SessionWindow.SessionWindow, lower: number): boolean =>
  expiresAtMillis(window) > lower && !SessionWindow.isClosedByProvider(window)

interface HistoryEntry {
  readonly time: number
  readonly kind: "inbound" | "outbound"
  readonly id: string
  readonly item: SessionStore.HistoryItem
}

type Position = Pick<HistoryEntry, "time" | "kind" | "id">

/** Newest first: time, then kind, then id, descending. */
const historyOrder = (a: Position, b: Position): number =>
  b.time - a.time || compareIds(b.kind, a.kind) || compareIds(b.id, a.id)

const historyOf = (state: State, pair: Pair): Array<HistoryEntry> => {
  const key = Ingest.pairKey(pair)
  return [
    ...[...state.inbound.values()].filter((stored) => stored.pair === key).map(({ item }): HistoryEntry => ({
      time: item.message.receivedAt.epochMillis,
      kind: "inbound",
      id: item.message.messageId,
      item: {
        _tag: "Inbound",
        message: item.message,
        contentType: item.contentType,
        content: item.content,
        profileName: item.profileName
      }
    })),
    ...[...state.outbound.values()].filter((message) => Ingest.pairKey(message) === key).map((
      message
    ): HistoryEntry => ({
      time: message.createdAt.epochMillis,
      kind: "outbound",
      id: message.id,
      item: { _tag: "Outbound", message }
    }))
  ]
}

const prune = (state: State, before: DateTime.Utc, limit: number): SessionStore.Pruned => {
  const cutoff = before.epochMillis
  let inbound = 0
  for (const [key, stored] of state.inbound) {
    if (inbound >= limit) break
    if (stored.item.message.receivedAt.epochMillis < cutoff) {
      state.inbound.delete(key)
      inbound++
    }
  }
  let outbound = 0
  for (const [id, message] of state.outbound) {
    if (outbound >= limit) break
    if (message.createdAt.epochMillis < cutoff && !state.jobs.has(id) && !Outbound.isParked(message)) {
      deleteOutbound(state, message)
      outbound++
    }
  }
  let deliveries = 0
  for (const [key, delivery] of state.deliveries) {
    if (deliveries >= limit) break
    if (delivery.state !== "pending" && delivery.event.createdAt.epochMillis < cutoff) {
      state.deliveries.delete(key)
      deliveries++
    }
  }
  const waitedFor = new Set([...state.deliveries.values()].map((delivery) => delivery.seq))
  let events = 0
  for (let i = state.events.length - 1; i >= 0 && events < limit; i--) {
    const stored = state.events[i]!
    if (stored.event.createdAt.epochMillis < cutoff && !waitedFor.has(stored.seq)) {
      state.events.splice(i, 1)
      state.eventIds.delete(stored.event.id)
      events++
    }
  }
  let quarantine = 0
  for (const [id, entry] of state.quarantine) {
    if (quarantine >= limit) break
    if (entry.receivedAt.epochMillis < cutoff) {
      state.quarantine.delete(id)
      quarantine++
    }
  }
  return { inbound, outbound, deliveries, events, quarantine }
}

/** The `SessionStore` port over the state: every write a transaction, planned by the core's rules. */
export const makeSessionStore = (state: State): SessionStore.SessionStoreShape => {
  const { atomically, jobs, outbound, pairs, quarantine } = state
  const update = (id: string, f: (message: Outbound.OutboundMessage) => Partial<Outbound.OutboundMessage>) => {
    const message = outbound.get(id)
    if (message === undefined) return false
    outbound.set(id, new Outbound.OutboundMessage({ ...message, ...f(message) }))
    return true
  }
  const ownStatuses = (now: DateTime.Utc, items: ReadonlyArray<Ingest.PreparedStatus>) =>
    run(state, { now, policy: WindowEvents.defaultPolicy, items, resolves: [] })

  return {
    ingest: (batch) =>
      Effect.map(run(state, batch), (plan) => ({ items: plan.results, released: plan.parking.released.length })),
    getWindow: (pair) =>
      Effect.sync(() =>
        Option.flatMap(Option.fromNullable(pairs.get(Ingest.pairKey(pair))), (pairState) => pairState.window)
      ),
    closeByProvider: (pair, at, now, policy) =>
      Effect.asVoid(run(state, { now, policy, items: [{ _tag: "Close", pair, at }], resolves: [] })),
    listExpiring: (query) =>
      Effect.map(StoreCursor.expiringBounds(query), (bounds) => {
        const matching = [...pairs.values()].flatMap((pairState) => Option.toArray(pairState.window)).filter((window) =>
          isOpenAbove(window, bounds.lower) &&
          expiresAtMillis(window) < bounds.upper &&
          Option.match(bounds.business, { onNone: () => true, onSome: (business) => window.business === business }) &&
          Option.match(bounds.after, {
            onNone: () => true,
            onSome: (after) => StoreCursor.compareExpiring(cursorOf(window), after) > 0
          })
        )
        const sorted = matching.sort((a, b) => StoreCursor.compareExpiring(cursorOf(a), cursorOf(b)))
        return pageOf(sorted, bounds.limit, (last) => StoreCursor.encodeExpiring(cursorOf(last)))
      }),
    countOpen: (now, safetyMargin) =>
      Effect.sync(() => {
        const lower = DateTime.addDuration(now, safetyMargin).epochMillis
        let count = 0
        for (const { window } of pairs.values()) if (Option.isSome(window) && isOpenAbove(window.value, lower)) count++
        return count
      }),
    insertOutbound: (message, options) => atomically(() => insertOutbound(state, message, options?.queued === true)),
    findOutbound: (id) => Effect.sync(() => Option.fromNullable(outbound.get(id))),
    findOutboundByIdempotencyKey: (business, key) =>
      Effect.sync(() =>
        Option.flatMap(
          Option.fromNullable(state.idempotency.get(`${business}|${key}`)),
          (id) => Option.fromNullable(outbound.get(id))
        )
      ),
    setProviderMessageId: (id, providerMessageId) =>
      atomically(() => void update(id, () => ({ providerMessageId: Option.some(providerMessageId) }))),
    recordStatus: (ref, event, recordedAt) =>
      Effect.gen(function*() {
        if (Option.isNone(findByRef(state, ref))) return Option.none()
        const plan = yield* ownStatuses(recordedAt, [Ingest.ownStatus(ref, event)])
        return Option.fromNullable(plan.results[0]).pipe(
          Option.filter((result) => result._tag === "Status"),
          Option.flatMap((result) =>
            Option.map(result.message, (message) => ({ applied: result.outcome === "applied", message }))
          )
        )
      }),
    claimFallback: (id, fallbackMessageId) =>
      atomically(() =>
        Option.isNone(Option.flatMap(Option.fromNullable(outbound.get(id)), (message) => message.fallbackMessageId)) &&
        update(id, () => ({ fallbackMessageId: Option.some(fallbackMessageId) }))
      ),
    claimSends: ({ id, limit, now }) =>
      atomically(() => {
        const claimed = SendJobs.claimable(jobs.values(), limit, id, now.epochMillis)
        for (const claim of claimed) moveJob(state, claim, "queued", "claimed", now.epochMillis)
        return claimed.map((claim) => outbound.get(claim)!)
      }),
    startSend: (id, now) => atomically(() => moveJob(state, id, "claimed", "sending", now.epochMillis)),
    releaseSend: (id) => atomically(() => void moveJob(state, id, "claimed", "queued", 0)),
    finishSend: (id) => atomically(() => void (jobs.get(id)?.state === "sending" && jobs.delete(id))),
    retrySend: (id, notBefore) =>
      atomically(() => {
        const job = jobs.get(id)
        if (job?.state === "sending") jobs.set(id, { ...job, state: "queued", notBefore: notBefore.epochMillis })
      }),
    recoverSends: (before, now) =>
      Effect.gen(function*() {
        const { requeued, stale } = yield* atomically(() => {
          let requeued = 0
          const stale: Array<string> = []
          for (const job of [...jobs.values()]) {
            if (job.since >= before.epochMillis) continue
            if (moveJob(state, job.id, "claimed", "queued", now.epochMillis)) requeued++
            if (job.state !== "sending") continue
            jobs.delete(job.id)
            const message = outbound.get(job.id)
            if (message !== undefined && Outbound.rank(message.status) < Outbound.rank("unknown")) stale.push(job.id)
          }
          return { requeued, stale }
        })
        if (stale.length > 0) {
          yield* ownStatuses(
            now,
            stale.map((id) => Ingest.ownStatus({ _tag: "ById", id }, Outbound.abandonedSend(now)))
          )
        }
        return { requeued, unknown: stale.length }
      }),
    reserveSendSlot: (now, policy) =>
      atomically(() => {
        state.counters.pacingTat = Pacing.next(state.counters.pacingTat, now.epochMillis, policy)
        return DateTime.unsafeMake(Pacing.slotOf(state.counters.pacingTat, now.epochMillis, policy))
      }),
    emitDueWindowEvents: (now, policy, limit) =>
      Effect.gen(function*() {
        const due = [...pairs.values()]
          .flatMap(({ announced, window }) =>
            Option.isSome(window) && Option.exists(
                WindowEvents.nextDueAt(window.value, announced, policy),
                (at) => at.epochMillis <= now.epochMillis
              )
              ? [window.value]
              : []
          )
          .sort((a, b) => expiresAtMillis(a) - expiresAtMillis(b))
          .slice(0, sizeOf(limit))
        if (due.length === 0) return 0
        const plan = yield* run(state, {
          now,
          policy,
          items: due.map((window): Ingest.Tick => ({ _tag: "Tick", pair: window })),
          resolves: []
        })
        return plan.events.length
      }),
    listMessages: (pair, limit, cursor) =>
      Effect.map(decodeOption(cursor, StoreCursor.decodeHistory), (after) => {
        const sorted = historyOf(state, pair)
          .filter((entry) =>
            Option.match(after, {
              onNone: () => true,
              onSome: ([time, kind, id]) => historyOrder(entry, { time, kind, id }) > 0
            })
          )
          .sort(historyOrder)
        const page = pageOf(sorted, sizeOf(limit), (last) => StoreCursor.encodeHistory(last.time, last.kind, last.id))
        return { items: page.items.map((entry) => entry.item), nextCursor: page.nextCursor }
      }),
    listQuarantine: (query) =>
      Effect.map(decodeOption(query.cursor, StoreCursor.decodeNumberKey), (after) => {
        const sorted = [...quarantine.values()]
          .filter((entry) =>
            Option.match(query.state, { onNone: () => true, onSome: (state) => entry.state === state }) &&
            Option.match(after, {
              onNone: () => true,
              onSome: ([t, id]) =>
                entry.receivedAt.epochMillis < t || (entry.receivedAt.epochMillis === t && entry.id < id)
            })
          )
          .sort((a, b) => b.receivedAt.epochMillis - a.receivedAt.epochMillis || compareIds(b.id, a.id))
        return pageOf(sorted, sizeOf(query.limit), (last) =>
          StoreCursor.encodeNumberKey(last.receivedAt.epochMillis, last.id))
      }),
    findQuarantine: (id) => Effect.sync(() => Option.fromNullable(quarantine.get(id))),
    requarantine: (id, reason) =>
      atomically(() => {
        const entry = quarantine.get(id)
        if (entry !== undefined) {
          quarantine.set(id, new Ingest.QuarantineEntry({ ...entry, reason, retries: entry.retries + 1 }))
        }
      }),
    prune: (before, limit) => atomically(() => prune(state, before, limit)),
    park: ({ message, now, policy, reengagement, safetyMargin }) =>
      atomically((): SessionStore.ParkResult => {
        const key = Ingest.pairKey(message)
        const window = Option.flatMap(Option.fromNullable(pairs.get(key)), (pairState) => pairState.window)
        if (Option.exists(window, (open) => SessionWindow.isOpenAt(open, now, { safetyMargin }))) {
          return { _tag: "WindowOpen" }
        }
        const inserted = insertOutbound(state, message, false)
        if (!inserted.inserted) return { _tag: "Parked", ...inserted, reengagement: Option.none() }
        const last = Option.map(Option.fromNullable(state.reengagedAt.get(key)), DateTime.unsafeMake)
        const nudge = Option.filter(reengagement, () => Parking.mayReengage(last, now, policy))
        if (Option.isSome(nudge)) {
          insertOutbound(state, nudge.value, !nudge.value.dryRun)
          state.reengagedAt.set(key, now.epochMillis)
        }
        return { _tag: "Parked", ...inserted, reengagement: nudge }
      }),
    cancelParked: (id, now) =>
      atomically(() =>
        Option.map(Option.fromNullable(outbound.get(id)), (message): SessionStore.CancelResult => {
          if (!Outbound.isParked(message)) return { cancelled: false, message }
          const cancelled = Outbound.moveTo(message, "cancelled", now).message
          outbound.set(id, cancelled)
          return { cancelled: true, message: cancelled }
        })
      ),
    expireParked: (now, limit) =>
      atomically(() => {
        const due = [...parkedOf(state).values()].flat()
          .filter((message) => Option.exists(message.parkedUntil, (until) => until.epochMillis <= now.epochMillis))
          .sort((a, b) =>
            Option.getOrThrow(a.parkedUntil).epochMillis - Option.getOrThrow(b.parkedUntil).epochMillis ||
            compareIds(a.id, b.id)
          )
          .slice(0, sizeOf(limit))
        for (const message of due) {
          const expired = Outbound.moveTo(message, "expired", now).message
          outbound.set(message.id, expired)
          record(state, [Event.messageExpired(expired, Option.getOrThrow(message.parkedUntil), now)], now)
        }
        return due.length
      }),
    listParked: ({ business, customer, limit }) =>
      Effect.sync(() =>
        [...parkedOf(state).values()].flat().filter((message) =>
          Option.match(business, { onNone: () => true, onSome: (number) => message.business === number }) &&
          Option.match(customer, { onNone: () => true, onSome: (number) => message.customer === number })
        ).sort(byCreatedAt).slice(0, sizeOf(limit))
      ),
    ping: Effect.void
  }
}
