import type * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Delivery from "../Delivery.js"
import * as Event from "../Event.js"
import * as Ingest from "../Ingest.js"
import * as Outbound from "../Outbound.js"
import type * as SendJobs from "../SendJobs.js"
import type { OutboundRef } from "../SessionStore.js"
import * as SessionWindow from "../SessionWindow.js"

export interface StoredInbound {
  readonly pair: string
  readonly item: Ingest.PreparedInbound
}

export interface StoredEvent {
  readonly seq: number
  readonly event: Event.Event
}

export interface StoredDelivery {
  readonly endpointId: string
  readonly seq: number
  readonly event: Event.Event
  readonly pairKey: string | null
  state: Delivery.DeliveryState
  attempts: number
  createdAt: number
  nextAttemptAt: number | null
  leaseUntil: number | null
  lastAttemptAt: number | null
  lastStatus: number | null
  lastError: string | null
  deliveredAt: number | null
}

export type StoredJob = SendJobs.Job & { readonly since: number }

/** Runs `f` alone: no other transaction of the store in between. */
export type Atomically = <A>(f: () => A) => Effect.Effect<A>

/** Everything the in-memory store holds, as the tables of the SQL stores. */
export interface State {
  readonly atomically: Atomically
  readonly pairs: Map<string, Ingest.PairState>
  readonly inbound: Map<string, StoredInbound>
  readonly outbound: Map<string, Outbound.OutboundMessage>
  readonly idempotency: Map<string, string>
  readonly jobs: Map<string, StoredJob>
  readonly quarantine: Map<string, Ingest.QuarantineEntry>
  readonly events: Array<StoredEvent>
  readonly eventIds: Set<string>
  readonly endpoints: Map<string, Delivery.Endpoint>
  readonly deliveries: Map<string, StoredDelivery>
  readonly counters: { seq: number; pacingTat: number }
  /** the last re-engagement template of each pair (`pairKey` → epoch milliseconds) */
  readonly reengagedAt: Map<string, number>
}

export const makeState: Effect.Effect<State> = Effect.map(Effect.makeSemaphore(1), (lock) => ({
  atomically: (f) => lock.withPermits(1)(Effect.sync(f)),
  pairs: new Map(),
  inbound: new Map(),
  outbound: new Map(),
  idempotency: new Map(),
  jobs: new Map(),
  quarantine: new Map(),
  events: [],
  eventIds: new Set(),
  endpoints: new Map(),
  deliveries: new Map(),
  counters: { seq: 0, pacingTat: 0 },
  reengagedAt: new Map()
}))

export const expiresAtMillis = (window: SessionWindow.SessionWindow): number =>
  SessionWindow.expiresAt(window).epochMillis

/** Strings in code-unit (C collation) order, as the SQL stores sort their keys. */
export const compareIds = (a: string, b: string): number => a < b ? -1 : a > b ? 1 : 0

export const byCreatedAt = (
  a: { readonly createdAt: DateTime.Utc; readonly id: string },
  b: { readonly createdAt: DateTime.Utc; readonly id: string }
): number => a.createdAt.epochMillis - b.createdAt.epochMillis || compareIds(a.id, b.id)

export const findByRef = (state: State, ref: OutboundRef): Option.Option<Outbound.OutboundMessage> => {
  if (ref._tag === "ById") return Option.fromNullable(state.outbound.get(ref.id))
  const matching = [...state.outbound.values()]
    .filter((message) => Option.contains(message.providerMessageId, ref.providerMessageId))
    .sort(byCreatedAt)
  return Option.fromNullable(matching[0])
}

export const queueJob = (state: State, message: Outbound.OutboundMessage, notBefore?: number): void => {
  state.jobs.set(message.id, {
    id: message.id,
    business: message.business,
    customer: message.customer,
    createdAt: message.createdAt.epochMillis,
    state: "queued",
    since: notBefore ?? message.createdAt.epochMillis,
    ...(notBefore === undefined ? {} : { notBefore })
  })
}

export const moveJob = (state: State, id: string, from: SendJobs.JobState, to: SendJobs.JobState, at: number) => {
  const job = state.jobs.get(id)
  if (job?.state !== from) return false
  state.jobs.set(id, { ...job, state: to, since: at })
  return true
}

const idempotencyKey = (message: Outbound.OutboundMessage, key: string) => `${message.business}|${key}`

export const insertOutbound = (state: State, message: Outbound.OutboundMessage, queued: boolean) => {
  const existing = Option.orElse(
    Option.flatMap(
      message.idempotencyKey,
      (key) => Option.fromNullable(state.idempotency.get(idempotencyKey(message, key)))
    ),
    () => state.outbound.has(message.id) ? Option.some(message.id) : Option.none()
  )
  if (Option.isSome(existing)) return { inserted: false, message: state.outbound.get(existing.value)! }
  const stored = new Outbound.OutboundMessage({ ...message, history: Outbound.normalizeHistory(message.history) })
  state.outbound.set(stored.id, stored)
  if (queued) queueJob(state, stored)
  Option.map(message.idempotencyKey, (key) => state.idempotency.set(idempotencyKey(message, key), message.id))
  return { inserted: true, message: stored }
}

export const deleteOutbound = (state: State, message: Outbound.OutboundMessage): void => {
  state.outbound.delete(message.id)
  Option.map(message.idempotencyKey, (key) => state.idempotency.delete(idempotencyKey(message, key)))
}

/** A pending delivery of the event for every endpoint that wants it (or only `only`) and has none yet. */
export const addDeliveries = (state: State, stored: StoredEvent, at: number, only?: string): void => {
  for (const endpoint of state.endpoints.values()) {
    if (!Delivery.wants(endpoint, stored.event.type)) continue
    if (only !== undefined && endpoint.id !== only) continue
    const key = `${endpoint.id}|${stored.seq}`
    if (state.deliveries.has(key)) continue
    state.deliveries.set(key, {
      endpointId: endpoint.id,
      seq: stored.seq,
      event: stored.event,
      pairKey: Option.getOrNull(Event.orderingKey(stored.event)),
      state: "pending",
      attempts: 0,
      createdAt: at,
      nextAttemptAt: at,
      leaseUntil: null,
      lastAttemptAt: null,
      lastStatus: null,
      lastError: null,
      deliveredAt: null
    })
  }
}

/** Appends the events not recorded yet, each with its deliveries. */
export const record = (state: State, drafts: ReadonlyArray<Event.Draft>, now: DateTime.Utc): void => {
  for (const { event } of drafts) {
    if (state.eventIds.has(event.id)) continue
    state.eventIds.add(event.id)
    const stored = { seq: ++state.counters.seq, event }
    state.events.push(stored)
    addDeliveries(state, stored, now.epochMillis)
  }
}

/** The first `size` of the sorted items, and a cursor after the last of them when more follow. */
export const pageOf = <A>(sorted: ReadonlyArray<A>, size: number, cursor: (last: A) => string) => {
  const items = sorted.slice(0, size)
  const last = items[items.length - 1]
  return {
    items,
    nextCursor: sorted.length > size && last !== undefined ? Option.some(cursor(last)) : Option.none<string>()
  }
}

export const sizeOf = (limit: number): number => Math.max(0, Math.floor(limit))

export const decodeOption = <A, E>(cursor: Option.Option<string>, decode: (cursor: string) => Effect.Effect<A, E>) =>
  Option.match(cursor, { onNone: () => Effect.succeedNone, onSome: (cursor) => Effect.asSome(decode(cursor)) })

/** Every parked message, by pair, in release order. */
export const parkedOf = (state: State): Map<string, Array<Outbound.OutboundMessage>> => {
  const parked = new Map<string, Array<Outbound.OutboundMessage>>()
  for (const message of [...state.outbound.values()].sort(byCreatedAt)) {
    if (!Outbound.isParked(message)) continue
    const key = Ingest.pairKey(message)
    const list = parked.get(key)
    if (list === undefined) parked.set(key, [message])
    else list.push(message)
  }
  return parked
}

/** One transaction: read what the plan needs, plan, apply. */
export const run = (state: State, batch: Ingest.Batch): Effect.Effect<Ingest.Plan> =>
  state.atomically(() => {
    const refs = new Map<string, Outbound.OutboundMessage>()
    const known = new Map<string, string>()
    const present = new Set<string>()
    for (const item of batch.items) {
      if (item._tag === "Status") {
        Option.map(findByRef(state, item.ref), (message) => refs.set(Ingest.refKey(item.ref), message))
        if (state.quarantine.has(item.quarantineId)) present.add(item.quarantineId)
      } else if (item._tag === "Inbound") {
        const dedup = `${item.message.business}|${item.message.messageId}`
        const stored = state.inbound.get(dedup)
        if (stored !== undefined) known.set(dedup, stored.pair)
      } else if (item._tag === "Quarantine" && state.quarantine.has(item.id)) {
        present.add(item.id)
      }
    }
    const plan = Ingest.plan(
      { pairs: new Map(state.pairs), inbound: known, outbound: refs, quarantine: present, parked: parkedOf(state) },
      batch
    )
    for (const item of plan.inbound) {
      const dedup = `${item.message.business}|${item.message.messageId}`
      if (!state.inbound.has(dedup)) state.inbound.set(dedup, { pair: Ingest.pairKey(item.message), item })
    }
    for (const { announced, window } of plan.windows) {
      state.pairs.set(Ingest.pairKey(window), { window: Option.some(window), announced })
    }
    for (const { message } of plan.statuses) {
      state.outbound.set(
        message.id,
        new Outbound.OutboundMessage({ ...message, history: Outbound.normalizeHistory(message.history) })
      )
    }
    for (const message of plan.parking.released) if (!message.dryRun) queueJob(state, message)
    for (const { id, notBefore } of plan.requeues) {
      const message = state.outbound.get(id)
      if (message !== undefined && !state.jobs.has(id)) queueJob(state, message, notBefore.epochMillis)
    }
    for (const { fallback, originalId } of plan.fallbacks) {
      const original = state.outbound.get(originalId)
      if (original !== undefined && Option.isNone(original.fallbackMessageId)) {
        state.outbound.set(
          originalId,
          new Outbound.OutboundMessage({ ...original, fallbackMessageId: Option.some(fallback.id) })
        )
      }
      insertOutbound(state, fallback, !Outbound.isParked(fallback))
    }
    for (const item of plan.quarantine) {
      state.quarantine.set(
        item.id,
        new Ingest.QuarantineEntry({
          id: item.id,
          kind: item.kind,
          reason: item.reason,
          receivedAt: batch.now,
          raw: item.raw,
          state: "quarantined",
          resolvedAt: Option.none(),
          retries: 0
        })
      )
    }
    for (const id of plan.resolved) {
      const entry = state.quarantine.get(id)
      if (entry !== undefined && entry.state === "quarantined") {
        state.quarantine.set(
          id,
          new Ingest.QuarantineEntry({ ...entry, state: "resolved", resolvedAt: Option.some(batch.now) })
        )
      }
    }
    record(state, plan.events, batch.now)
    return plan
  })
