import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Delivery from "../Delivery.js"
import * as Event from "../Event.js"
import type * as EventLog from "../EventLog.js"
import { InvalidCursor } from "../SessionStore.js"
import * as StoreCursor from "../StoreCursor.js"
import {
  addDeliveries,
  byCreatedAt,
  compareIds,
  decodeOption,
  pageOf,
  sizeOf,
  type State,
  type StoredDelivery,
  type StoredEvent
} from "./memoryState.js"

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

const complete = (state: State, claimed: EventLog.Claimed, attempt: EventLog.Attempt): void => {
  const stored = state.deliveries.get(`${claimed.delivery.endpointId}|${claimed.seq}`)
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
      const endpoint = state.endpoints.get(stored.endpointId)
      if (endpoint !== undefined) {
        state.endpoints.set(
          endpoint.id,
          new Delivery.Endpoint({
            ...endpoint,
            state: "disabled",
            disabledReason: Option.some(`answered 410 Gone at ${DateTime.formatIso(attempt.at)}`)
          })
        )
      }
    }
  }
}

const claim = (state: State, query: EventLog.ClaimQuery): ReadonlyArray<EventLog.Claimed> => {
  const now = query.now.epochMillis
  const lease = now + Math.max(1, Duration.toMillis(query.leaseFor))
  const pending = [...state.deliveries.values()].filter((d) => d.state === "pending")
  const due = pending
    .filter((d) =>
      state.endpoints.get(d.endpointId)?.state === "enabled" && d.nextAttemptAt !== null && d.nextAttemptAt <= now &&
      (d.leaseUntil === null || d.leaseUntil <= now) &&
      !pending.some((e) =>
        e.endpointId === d.endpointId && d.pairKey !== null && e.pairKey === d.pairKey && e.seq < d.seq
      )
    )
    .sort((a, b) => a.nextAttemptAt! - b.nextAttemptAt! || a.seq - b.seq)
    .slice(0, sizeOf(query.limit))
    .sort((a, b) => a.seq - b.seq)
  return due.map((d): EventLog.Claimed => {
    d.leaseUntil = lease
    return {
      delivery: toDelivery(d),
      event: Event.payloadOf(d.event),
      endpoint: state.endpoints.get(d.endpointId)!,
      lease,
      seq: d.seq
    }
  })
}

const replay = (state: State, query: EventLog.ReplayQuery): number => {
  const now = query.now.epochMillis
  const matches = (stored: StoredEvent) =>
    Option.match(query.since, {
      onNone: () => true,
      onSome: (since) => stored.event.createdAt.epochMillis >= since.epochMillis
    }) &&
    Option.match(query.eventIds, { onNone: () => true, onSome: (ids) => ids.includes(stored.event.id) })
  const endpointMatches = (id: string) =>
    Option.match(query.endpointId, { onNone: () => true, onSome: (only) => only === id })
  let count = 0
  for (const stored of state.events) {
    if (!matches(stored)) continue
    for (const delivery of state.deliveries.values()) {
      if (delivery.seq !== stored.seq || !endpointMatches(delivery.endpointId) || delivery.state === "pending") continue
      if (!state.endpoints.has(delivery.endpointId)) continue
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
    const before = state.deliveries.size
    for (const endpoint of state.endpoints.values()) {
      if (endpointMatches(endpoint.id)) addDeliveries(state, stored, now, endpoint.id)
    }
    count += state.deliveries.size - before
  }
  return count
}

/** The `EventLog` port over the state: the recorded events, the endpoints and their deliveries. */
export const makeEventLog = (state: State): EventLog.EventLogShape => {
  const { atomically, deliveries, endpoints, events } = state
  const deleteEndpoint = (id: string, now: DateTime.Utc) =>
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
    })
  return {
    listEvents: (query) =>
      Effect.suspend(() => {
        let start = 0
        if (Option.isSome(query.after)) {
          const after = query.after.value
          const index = events.findIndex((stored) => stored.event.id === after)
          if (index === -1) return Effect.fail(new InvalidCursor({ cursor: after }))
          start = index + 1
        }
        const items = events.slice(start)
          .filter((stored) =>
            Option.match(query.types, { onNone: () => true, onSome: (types) => types.includes(stored.event.type) })
          )
          .slice(0, sizeOf(query.limit))
          .map((stored) => stored.event)
        return Effect.succeed({ items, last: Option.fromNullable(items[items.length - 1]?.id) })
      }),
    addEndpoint: (endpoint) => atomically(() => void endpoints.set(endpoint.id, endpoint)),
    configureEndpoint: (endpoint, now) =>
      Option.match(endpoint, {
        onNone: () => Effect.asVoid(deleteEndpoint(Delivery.CONFIGURED_ENDPOINT_ID, now)),
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
    listEndpoints: Effect.sync(() => [...endpoints.values()].sort(byCreatedAt)),
    findEndpoint: (id) => Effect.sync(() => Option.fromNullable(endpoints.get(id))),
    deleteEndpoint,
    listDeliveries: (query) =>
      Effect.map(decodeOption(query.cursor, StoreCursor.decodeNumberKey), (after) => {
        const matching = [...deliveries.values()]
          .filter((d) =>
            Option.match(query.state, { onNone: () => true, onSome: (state) => d.state === state }) &&
            Option.match(query.endpointId, { onNone: () => true, onSome: (id) => d.endpointId === id }) &&
            Option.match(after, {
              onNone: () => true,
              onSome: ([seq, endpoint]) => d.seq < seq || (d.seq === seq && d.endpointId > endpoint)
            })
          )
          .sort((a, b) => b.seq - a.seq || compareIds(a.endpointId, b.endpointId))
        const page = pageOf(matching, sizeOf(query.limit), (last) =>
          StoreCursor.encodeNumberKey(last.seq, last.endpointId))
        return { items: page.items.map(toDelivery), nextCursor: page.nextCursor }
      }),
    claimDeliveries: (query) => atomically(() => claim(state, query)),
    completeDeliveries: (attempts) =>
      atomically(() => {
        for (const { attempt, claimed } of attempts) complete(state, claimed, attempt)
      }),
    replay: (query) => atomically(() => replay(state, query))
  }
}
