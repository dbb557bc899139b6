/**
 * A real in-memory store (tests, simulate): the same semantics as the SQL stores, because every transaction is
 * planned by the same pure rule (`Ingest.plan`) and only applied differently, here to maps. Nothing survives the
 * process.
 *
 * @since 0.1.0
 */
import {
  Delivery,
  Event,
  type EventLog,
  Ingest,
  Outbound,
  Pacing,
  SendJobs,
  SessionStore,
  SessionWindow,
  WindowEvents
} from "@wa-session/session-core"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Cursor from "./internal/cursor.js"
import * as Expiring from "./internal/expiring.js"
import { context } from "./internal/layer.js"
import { normalizeHistory } from "./internal/outbound.js"
import { expiresAtMillis } from "./internal/window.js"
import type { Storage, StorageShape } from "./Storage.js"

interface StoredInbound {
  readonly pair: string
  readonly item: Ingest.PreparedInbound
}

interface StoredDelivery {
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

const cursorOf = (window: SessionWindow.SessionWindow): Cursor.ExpiringCursor => ({
  expiresAt: expiresAtMillis(window),
  business: window.business,
  customer: window.customer
})

const isOpenAbove = (window: SessionWindow.SessionWindow, lower: number): boolean =>
  expiresAtMillis(window) > lower && !SessionWindow.isClosedByProvider(window)

const toDelivery = (stored: StoredDelivery): Delivery.Delivery =>
  new Delivery.Delivery({
    endpointId: stored.endpointId,
    eventId: stored.event.id,
    eventType: stored.event.type,
    business: stored.event.business,
    customer: stored.event.customer,
    state: stored.state,
    attempts: stored.attempts,
    createdAt: DateTime.unsafeMake(stored.createdAt),
    nextAttemptAt: Option.map(Option.fromNullable(stored.nextAttemptAt), DateTime.unsafeMake),
    lastAttemptAt: Option.map(Option.fromNullable(stored.lastAttemptAt), DateTime.unsafeMake),
    lastStatus: Option.fromNullable(stored.lastStatus),
    lastError: Option.fromNullable(stored.lastError),
    deliveredAt: Option.map(Option.fromNullable(stored.deliveredAt), DateTime.unsafeMake)
  })

/**
 * Builds an empty store.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<StorageShape> = Effect.gen(function*() {
  const lock = yield* Effect.makeSemaphore(1)
  const atomically = <A>(f: () => A) => lock.withPermits(1)(Effect.sync(f))

  const pairs = new Map<string, Ingest.PairState>()
  const inbound = new Map<string, StoredInbound>()
  const outbound = new Map<string, Outbound.OutboundMessage>()
  const idempotency = new Map<string, string>()
  const jobs = new Map<string, SendJobs.Job & { readonly since: number }>()
  let pacingTat = 0
  const moveJob = (id: string, from: SendJobs.JobState, to: SendJobs.JobState, at: number) => {
    const job = jobs.get(id)
    if (job?.state !== from) return false
    jobs.set(id, { ...job, state: to, since: at })
    return true
  }
  const quarantine = new Map<string, Ingest.QuarantineEntry>()
  const events: Array<{ readonly seq: number; readonly event: Event.Event }> = []
  const eventIds = new Set<string>()
  const endpoints = new Map<string, Delivery.Endpoint>()
  const deliveries = new Map<string, StoredDelivery>()
  let seq = 0

  const windowOf = (key: string) => Option.flatMap(Option.fromNullable(pairs.get(key)), (state) => state.window)
  const findByRef = (ref: SessionStore.OutboundRef): Option.Option<Outbound.OutboundMessage> => {
    if (ref._tag === "ById") return Option.fromNullable(outbound.get(ref.id))
    const matching = [...outbound.values()]
      .filter((message) => Option.contains(message.providerMessageId, ref.providerMessageId))
      .sort((a, b) => a.createdAt.epochMillis - b.createdAt.epochMillis || (a.id < b.id ? -1 : 1))
    return Option.fromNullable(matching[0])
  }

  const addDeliveries = (stored: { readonly seq: number; readonly event: Event.Event }, at: number, only?: string) => {
    for (const endpoint of endpoints.values()) {
      if (!Delivery.wants(endpoint, stored.event.type)) continue
      if (only !== undefined && endpoint.id !== only) continue
      const key = `${endpoint.id}|${stored.seq}`
      if (deliveries.has(key)) continue
      deliveries.set(key, {
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

  const record = (drafts: ReadonlyArray<Event.Draft>, now: DateTime.Utc) => {
    for (const { event } of drafts) {
      if (eventIds.has(event.id)) continue
      eventIds.add(event.id)
      const stored = { seq: ++seq, event }
      events.push(stored)
      addDeliveries(stored, now.epochMillis)
    }
  }

  const insertOutbound = (message: Outbound.OutboundMessage, queued: boolean) => {
    const existing = Option.orElse(
      Option.flatMap(
        message.idempotencyKey,
        (key) => Option.fromNullable(idempotency.get(`${message.business}|${key}`))
      ),
      () => outbound.has(message.id) ? Option.some(message.id) : Option.none()
    )
    if (Option.isSome(existing)) return { inserted: false, message: outbound.get(existing.value)! }
    const stored = new Outbound.OutboundMessage({ ...message, history: normalizeHistory(message.history) })
    outbound.set(stored.id, stored)
    if (queued) {
      jobs.set(stored.id, {
        id: stored.id,
        business: stored.business,
        customer: stored.customer,
        createdAt: stored.createdAt.epochMillis,
        state: "queued",
        since: stored.createdAt.epochMillis
      })
    }
    Option.map(message.idempotencyKey, (key) => idempotency.set(`${message.business}|${key}`, message.id))
    return { inserted: true, message: stored }
  }

  /** One transaction: read what the plan needs, plan, apply. */
  const run = (batch: Ingest.Batch) =>
    atomically(() => {
      const refs = new Map<string, Outbound.OutboundMessage>()
      const known = new Map<string, string>()
      const present = new Set<string>()
      for (const item of batch.items) {
        if (item._tag === "Status") {
          Option.map(findByRef(item.ref), (message) => refs.set(Ingest.refKey(item.ref), message))
          if (quarantine.has(item.quarantineId)) present.add(item.quarantineId)
        } else if (item._tag === "Inbound") {
          const dedup = `${item.message.business}|${item.message.messageId}`
          const stored = inbound.get(dedup)
          if (stored !== undefined) known.set(dedup, stored.pair)
        } else if (item._tag === "Quarantine" && quarantine.has(item.id)) {
          present.add(item.id)
        }
      }
      const plan = Ingest.plan({ pairs: new Map(pairs), inbound: known, outbound: refs, quarantine: present }, batch)
      for (const item of plan.inbound) {
        const dedup = `${item.message.business}|${item.message.messageId}`
        if (!inbound.has(dedup)) inbound.set(dedup, { pair: Ingest.pairKey(item.message), item })
      }
      for (const { announced, window } of plan.windows) {
        pairs.set(Ingest.pairKey(window), { window: Option.some(window), announced })
      }
      for (const { message } of plan.statuses) {
        outbound.set(message.id, new Outbound.OutboundMessage({ ...message, history: normalizeHistory(message.history) }))
      }
      for (const { id, notBefore } of plan.requeues) {
        const message = outbound.get(id)
        if (message === undefined || jobs.has(id)) continue
        jobs.set(id, {
          id,
          business: message.business,
          customer: message.customer,
          createdAt: message.createdAt.epochMillis,
          state: "queued",
          since: notBefore.epochMillis,
          notBefore: notBefore.epochMillis
        })
      }
      for (const { fallback, originalId } of plan.fallbacks) {
        const original = outbound.get(originalId)
        if (original !== undefined && Option.isNone(original.fallbackMessageId)) {
          outbound.set(originalId, new Outbound.OutboundMessage({ ...original, fallbackMessageId: Option.some(fallback.id) }))
        }
        insertOutbound(fallback, true)
      }
      for (const item of plan.quarantine) {
        if (quarantine.has(item.id)) continue
        quarantine.set(
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
        const entry = quarantine.get(id)
        if (entry !== undefined && entry.state === "quarantined") {
          quarantine.set(id, new Ingest.QuarantineEntry({ ...entry, state: "resolved", resolvedAt: Option.some(batch.now) }))
        }
      }
      record(plan.events, batch.now)
      return plan
    })

  const complete = (claimed: EventLog.Claimed, attempt: EventLog.Attempt) => {
    const stored = deliveries.get(`${claimed.delivery.endpointId}|${claimed.seq}`)
    if (stored === undefined || stored.state !== "pending" || stored.leaseUntil !== claimed.lease) return
    const at = attempt.at.epochMillis
    stored.attempts++
    stored.lastAttemptAt = at
    stored.lastStatus = Option.getOrNull(attempt.status)
    stored.leaseUntil = null
    const verdict = attempt.verdict
    switch (verdict._tag) {
      case "Delivered":
        stored.state = "delivered"
        stored.lastError = null
        stored.deliveredAt = at
        stored.nextAttemptAt = null
        return
      case "Retry":
        stored.lastError = verdict.error
        stored.nextAttemptAt = verdict.at.epochMillis
        return
      case "GiveUp":
        stored.state = "failed"
        stored.lastError = verdict.error
        stored.nextAttemptAt = null
        return
      case "Gone": {
        stored.lastError = Option.getOrElse(attempt.error, () => "410 Gone")
        stored.nextAttemptAt = at
        const endpoint = endpoints.get(stored.endpointId)
        if (endpoint !== undefined) {
          endpoints.set(
            endpoint.id,
            new Delivery.Endpoint({
              ...endpoint,
              state: "disabled",
              disabledReason: Option.some(`answered 410 Gone at ${new Date(at).toISOString()}`)
            })
          )
        }
      }
    }
  }

  const eventLog: EventLog.EventLogShape = {
    listEvents: (query) =>
      Effect.suspend(() => {
        let start = 0
        if (Option.isSome(query.after)) {
          const index = events.findIndex((stored) => stored.event.id === query.after.pipe(Option.getOrThrow))
          if (index === -1) return Effect.fail(new SessionStore.InvalidCursor({ cursor: Option.getOrThrow(query.after) }))
          start = index + 1
        }
        const items = events.slice(start)
          .filter((stored) => Option.match(query.types, { onNone: () => true, onSome: (types) => types.includes(stored.event.type) }))
          .slice(0, Math.max(0, Math.floor(query.limit)))
          .map((stored) => stored.event)
        return Effect.succeed({ items, last: Option.fromNullable(items[items.length - 1]?.id) })
      }),
    addEndpoint: (endpoint) => atomically(() => void endpoints.set(endpoint.id, endpoint)),
    configureEndpoint: (endpoint, now) =>
      Option.match(endpoint, {
        onNone: () => Effect.asVoid(eventLog.deleteEndpoint(Delivery.CONFIGURED_ENDPOINT_ID, now)),
        onSome: (endpoint) =>
          atomically(() => {
            const existing = endpoints.get(endpoint.id)
            endpoints.set(
              endpoint.id,
              new Delivery.Endpoint({
                ...endpoint,
                state: "enabled",
                disabledReason: Option.none(),
                createdAt: existing?.createdAt ?? endpoint.createdAt
              })
            )
          })
      }),
    listEndpoints: Effect.sync(() =>
      [...endpoints.values()].sort((a, b) => a.createdAt.epochMillis - b.createdAt.epochMillis || (a.id < b.id ? -1 : 1))
    ),
    findEndpoint: (id) => Effect.sync(() => Option.fromNullable(endpoints.get(id))),
    deleteEndpoint: (id, now) =>
      atomically(() => {
        for (const delivery of deliveries.values()) {
          if (delivery.endpointId === id && delivery.state === "pending") {
            delivery.state = "failed"
            delivery.lastError = "endpoint deleted"
            delivery.nextAttemptAt = null
            delivery.leaseUntil = null
            delivery.lastAttemptAt = delivery.lastAttemptAt ?? now.epochMillis
          }
        }
        return endpoints.delete(id)
      }),
    listDeliveries: (query) =>
      Effect.gen(function*() {
        const after = Option.isSome(query.cursor) ? Option.some(yield* Cursor.decodeNumberKey(query.cursor.value)) : Option.none()
        const size = Math.max(0, Math.floor(query.limit))
        const matching = [...deliveries.values()]
          .filter((d) =>
            Option.match(query.state, { onNone: () => true, onSome: (state) => d.state === state }) &&
            Option.match(query.endpointId, { onNone: () => true, onSome: (id) => d.endpointId === id }) &&
            Option.match(after, {
              onNone: () => true,
              onSome: ([s, endpoint]) => d.seq < s || (d.seq === s && d.endpointId > endpoint)
            })
          )
          .sort((a, b) => b.seq - a.seq || (a.endpointId < b.endpointId ? -1 : 1))
        const page = matching.slice(0, size)
        const last = page[page.length - 1]
        return {
          items: page.map(toDelivery),
          nextCursor: matching.length > size && last !== undefined
            ? Option.some(Cursor.encodeNumberKey(last.seq, last.endpointId))
            : Option.none()
        }
      }),
    claimDeliveries: (query) =>
      atomically(() => {
        const now = query.now.epochMillis
        const lease = now + Math.max(1, Duration.toMillis(query.leaseFor))
        const pending = [...deliveries.values()].filter((d) => d.state === "pending")
        const due = pending
          .filter((d) =>
            endpoints.get(d.endpointId)?.state === "enabled" && d.nextAttemptAt !== null && d.nextAttemptAt <= now &&
            (d.leaseUntil === null || d.leaseUntil <= now) &&
            !pending.some((e) => e.endpointId === d.endpointId && d.pairKey !== null && e.pairKey === d.pairKey && e.seq < d.seq)
          )
          .sort((a, b) => a.nextAttemptAt! - b.nextAttemptAt! || a.seq - b.seq)
          .slice(0, Math.max(0, Math.floor(query.limit)))
          .sort((a, b) => a.seq - b.seq)
        return due.map((d): EventLog.Claimed => {
          d.leaseUntil = lease
          return {
            delivery: toDelivery(d),
            event: Event.payloadOf(d.event),
            endpoint: endpoints.get(d.endpointId)!,
            lease,
            seq: d.seq
          }
        })
      }),
    completeDeliveries: (attempts) =>
      atomically(() => {
        for (const { attempt, claimed } of attempts) complete(claimed, attempt)
      }),
    replay: (query) =>
      atomically(() => {
        const now = query.now.epochMillis
        const matches = (event: { readonly seq: number; readonly event: Event.Event }) =>
          Option.match(query.since, { onNone: () => true, onSome: (since) => event.event.createdAt.epochMillis >= since.epochMillis }) &&
          Option.match(query.eventIds, { onNone: () => true, onSome: (ids) => ids.includes(event.event.id) })
        const endpointMatches = (id: string) => Option.match(query.endpointId, { onNone: () => true, onSome: (only) => only === id })
        let count = 0
        for (const stored of events) {
          if (!matches(stored)) continue
          for (const delivery of deliveries.values()) {
            if (delivery.seq !== stored.seq || !endpointMatches(delivery.endpointId) || delivery.state === "pending") continue
            if (!endpoints.has(delivery.endpointId)) continue
            Object.assign(delivery, {
              state: "pending",
              attempts: 0,
              createdAt: now,
              nextAttemptAt: now,
              leaseUntil: null,
              deliveredAt: null
            })
            count++
          }
          const before = deliveries.size
          for (const endpoint of endpoints.values()) {
            if (endpointMatches(endpoint.id)) addDeliveries(stored, now, endpoint.id)
          }
          count += deliveries.size - before
        }
        return count
      })
  }

  const store: StorageShape = {
    backend: "memory",
    ...eventLog,
    ingest: (batch) => Effect.map(run(batch), (plan) => ({ items: plan.results })),
    getWindow: (pair) => Effect.sync(() => windowOf(Ingest.pairKey(pair))),
    closeByProvider: (pair, at, now, policy) =>
      Effect.asVoid(run({ now, policy, items: [{ _tag: "Close", pair, at }], resolves: [] })),
    listExpiring: (query) =>
      Effect.gen(function*() {
        const bounds = yield* Expiring.bounds(query)
        if (bounds.limit === 0) return { items: [], nextCursor: Option.none() }
        const matching = [...pairs.values()].flatMap((state) => Option.toArray(state.window)).filter((window) =>
          isOpenAbove(window, bounds.lower) &&
          expiresAtMillis(window) < bounds.upper &&
          Option.match(bounds.business, { onNone: () => true, onSome: (business) => window.business === business }) &&
          Option.match(bounds.after, { onNone: () => true, onSome: (after) => Cursor.compare(cursorOf(window), after) > 0 })
        )
        const sorted = matching.sort((a, b) => Cursor.compare(cursorOf(a), cursorOf(b)))
        const items = sorted.slice(0, bounds.limit)
        const last = items[items.length - 1]
        return {
          items,
          nextCursor: sorted.length > bounds.limit && last !== undefined
            ? Option.some(Cursor.encode(cursorOf(last)))
            : Option.none()
        }
      }),
    countOpen: (now, safetyMargin) =>
      Effect.sync(() => {
        const lower = DateTime.toEpochMillis(DateTime.addDuration(now, safetyMargin))
        let count = 0
        for (const state of pairs.values()) if (Option.isSome(state.window) && isOpenAbove(state.window.value, lower)) count++
        return count
      }),
    insertOutbound: (message, options) => atomically(() => insertOutbound(message, options?.queued === true)),
    findOutbound: (id) => Effect.sync(() => Option.fromNullable(outbound.get(id))),
    findOutboundByIdempotencyKey: (business, key) =>
      Effect.sync(() =>
        Option.flatMap(Option.fromNullable(idempotency.get(`${business}|${key}`)), (id) => Option.fromNullable(outbound.get(id)))
      ),
    setProviderMessageId: (id, providerMessageId) =>
      atomically(() => {
        const message = outbound.get(id)
        if (message !== undefined) {
          outbound.set(id, new Outbound.OutboundMessage({ ...message, providerMessageId: Option.some(providerMessageId) }))
        }
      }),
    recordStatus: (ref, event, recordedAt) =>
      Effect.gen(function*() {
        if (Option.isNone(findByRef(ref))) return Option.none()
        const plan = yield* run({
          now: recordedAt,
          policy: WindowEvents.defaultPolicy,
          items: [Ingest.ownStatus(ref, event)],
          resolves: []
        })
        const result = plan.results[0]
        return result?._tag === "Status" && Option.isSome(result.message)
          ? Option.some({ applied: result.outcome === "applied", message: result.message.value })
          : Option.none()
      }),
    claimFallback: (id, fallbackMessageId) =>
      atomically(() => {
        const message = outbound.get(id)
        if (message === undefined || Option.isSome(message.fallbackMessageId)) return false
        outbound.set(id, new Outbound.OutboundMessage({ ...message, fallbackMessageId: Option.some(fallbackMessageId) }))
        return true
      }),
    claimSends: ({ id, limit, now }) =>
      atomically(() => {
        const claimed = SendJobs.claimable(jobs.values(), limit, id, now.epochMillis)
        for (const claim of claimed) moveJob(claim, "queued", "claimed", now.epochMillis)
        return claimed.map((claim) => outbound.get(claim)!)
      }),
    startSend: (id, now) => atomically(() => moveJob(id, "claimed", "sending", now.epochMillis)),
    releaseSend: (id) => atomically(() => void moveJob(id, "claimed", "queued", 0)),
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
            if (moveJob(job.id, "claimed", "queued", now.epochMillis)) requeued++
            if (job.state !== "sending") continue
            jobs.delete(job.id)
            const message = outbound.get(job.id)
            if (message !== undefined && Outbound.rank(message.status) < Outbound.rank("unknown")) stale.push(job.id)
          }
          return { requeued, stale }
        })
        if (stale.length > 0) {
          yield* run({
            now,
            policy: WindowEvents.defaultPolicy,
            items: stale.map((id) => Ingest.ownStatus({ _tag: "ById", id }, Outbound.abandonedSend(now))),
            resolves: []
          })
        }
        return { requeued, unknown: stale.length }
      }),
    reserveSendSlot: (now, policy) =>
      atomically(() => {
        pacingTat = Pacing.next(pacingTat, now.epochMillis, policy)
        return DateTime.unsafeMake(Pacing.slotOf(pacingTat, now.epochMillis, policy))
      }),
    emitDueWindowEvents: (now, policy, limit) =>
      Effect.gen(function*() {
        const due = [...pairs.values()]
          .flatMap((state) =>
            Option.isSome(state.window) && Option.exists(
                WindowEvents.nextDueAt(state.window.value, state.announced, policy),
                (at) => at.epochMillis <= now.epochMillis
              )
              ? [state.window.value]
              : []
          )
          .sort((a, b) => expiresAtMillis(a) - expiresAtMillis(b))
          .slice(0, Math.max(0, Math.floor(limit)))
        if (due.length === 0) return 0
        const plan = yield* run({
          now,
          policy,
          items: due.map((window): Ingest.Tick => ({ _tag: "Tick", pair: window })),
          resolves: []
        })
        return plan.events.length
      }),
    listMessages: (pair, limit, cursor) =>
      Effect.gen(function*() {
        const size = Math.max(0, Math.floor(limit))
        const after = Option.isSome(cursor) ? Option.some(yield* Cursor.decodeHistory(cursor.value)) : Option.none()
        const key = Ingest.pairKey(pair)
        type Entry = { readonly time: number; readonly kind: "inbound" | "outbound"; readonly id: string; readonly item: SessionStore.HistoryItem }
        const entries: Array<Entry> = [
          ...[...inbound.values()].filter((stored) => stored.pair === key).map(({ item }): Entry => ({
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
          ...[...outbound.values()].filter((message) => Ingest.pairKey(message) === key).map((message): Entry => ({
            time: message.createdAt.epochMillis,
            kind: "outbound",
            id: message.id,
            item: { _tag: "Outbound", message }
          }))
        ]
        const order = (a: { time: number; kind: string; id: string }, b: { time: number; kind: string; id: string }) =>
          b.time - a.time || (a.kind === b.kind ? (a.id < b.id ? 1 : a.id > b.id ? -1 : 0) : a.kind < b.kind ? 1 : -1)
        const sorted = entries
          .filter((entry) =>
            Option.match(after, {
              onNone: () => true,
              onSome: ([time, kind, id]) => order(entry, { time, kind, id }) > 0
            })
          )
          .sort(order)
        const page = sorted.slice(0, size)
        const last = page[page.length - 1]
        return {
          items: page.map((entry) => entry.item),
          nextCursor: sorted.length > size && last !== undefined
            ? Option.some(Cursor.encodeHistory(last.time, last.kind, last.id))
            : Option.none()
        }
      }),
    listQuarantine: (query) =>
      Effect.gen(function*() {
        const size = Math.max(0, Math.floor(query.limit))
        const after = Option.isSome(query.cursor) ? Option.some(yield* Cursor.decodeNumberKey(query.cursor.value)) : Option.none()
        const sorted = [...quarantine.values()]
          .filter((entry) =>
            Option.match(query.state, { onNone: () => true, onSome: (state) => entry.state === state }) &&
            Option.match(after, {
              onNone: () => true,
              onSome: ([t, id]) => entry.receivedAt.epochMillis < t || (entry.receivedAt.epochMillis === t && entry.id < id)
            })
          )
          .sort((a, b) => b.receivedAt.epochMillis - a.receivedAt.epochMillis || (a.id < b.id ? 1 : -1))
        const page = sorted.slice(0, size)
        const last = page[page.length - 1]
        return {
          items: page,
          nextCursor: sorted.length > size && last !== undefined
            ? Option.some(Cursor.encodeNumberKey(last.receivedAt.epochMillis, last.id))
            : Option.none()
        }
      }),
    findQuarantine: (id) => Effect.sync(() => Option.fromNullable(quarantine.get(id))),
    requarantine: (id, reason) =>
      atomically(() => {
        const entry = quarantine.get(id)
        if (entry !== undefined) {
          quarantine.set(id, new Ingest.QuarantineEntry({ ...entry, reason, retries: entry.retries + 1 }))
        }
      }),
    prune: (before, limit) =>
      atomically(() => {
        const cutoff = before.epochMillis
        let inboundCount = 0
        for (const [key, stored] of inbound) {
          if (inboundCount >= limit) break
          if (stored.item.message.receivedAt.epochMillis < cutoff) {
            inbound.delete(key)
            inboundCount++
          }
        }
        let outboundCount = 0
        for (const [id, message] of outbound) {
          if (outboundCount >= limit) break
          if (message.createdAt.epochMillis < cutoff && !jobs.has(id)) {
            outbound.delete(id)
            Option.map(message.idempotencyKey, (key) => idempotency.delete(`${message.business}|${key}`))
            outboundCount++
          }
        }
        let deliveryCount = 0
        for (const [key, delivery] of deliveries) {
          if (deliveryCount >= limit) break
          if (delivery.state !== "pending" && delivery.event.createdAt.epochMillis < cutoff) {
            deliveries.delete(key)
            deliveryCount++
          }
        }
        const waitedFor = new Set([...deliveries.values()].map((delivery) => delivery.seq))
        let eventCount = 0
        for (let i = events.length - 1; i >= 0 && eventCount < limit; i--) {
          const stored = events[i]!
          if (stored.event.createdAt.epochMillis < cutoff && !waitedFor.has(stored.seq)) {
            events.splice(i, 1)
            eventIds.delete(stored.event.id)
            eventCount++
          }
        }
        let quarantineCount = 0
        for (const [id, entry] of quarantine) {
          if (quarantineCount >= limit) break
          if (entry.receivedAt.epochMillis < cutoff) {
            quarantine.delete(id)
            quarantineCount++
          }
        }
        return {
          inbound: inboundCount,
          outbound: outboundCount,
          deliveries: deliveryCount,
          events: eventCount,
          quarantine: quarantineCount
        }
      }),
    ping: Effect.void
  }
  return store
})

/**
 * A fresh in-memory store providing `SessionStore`, `EventLog` and `Storage`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<SessionStore.SessionStore | EventLog.EventLog | Storage> = Layer.effectContext(
  Effect.map(make, context)
)
