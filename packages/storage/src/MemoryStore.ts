/**
 * A real in-memory store (tests, simulate): the same semantics as the SQL stores, kept in a `Ref` of `HashMap`s.
 * Windows are folded with the pure `SessionWindow` functions, so this store is also the oracle the SQL stores are
 * checked against. Nothing survives the process.
 *
 * @since 0.1.0
 */
import { Outbound, type PhoneNumber, SessionStore, SessionWindow } from "@wa-session/session-core"
import * as Arr from "effect/Array"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Cursor from "./internal/cursor.js"
import * as Expiring from "./internal/expiring.js"
import { context } from "./internal/layer.js"
import { normalizeHistory } from "./internal/outbound.js"
import { expiresAtMillis } from "./internal/window.js"
import type { Storage, StorageShape } from "./Storage.js"

interface State {
  /** by `business|customer` */
  readonly windows: HashMap.HashMap<string, SessionWindow.SessionWindow>
  /** `business|messageId` → the pair key the message was first recorded under */
  readonly inbound: HashMap.HashMap<string, string>
  /** by id */
  readonly outbound: HashMap.HashMap<string, Outbound.OutboundMessage>
  /** `business|idempotencyKey` → id */
  readonly idempotency: HashMap.HashMap<string, string>
}

interface Inserted {
  readonly inserted: boolean
  readonly message: Outbound.OutboundMessage
}

const emptyState: State = {
  windows: HashMap.empty(),
  inbound: HashMap.empty(),
  outbound: HashMap.empty(),
  idempotency: HashMap.empty()
}

const pairKey = (business: PhoneNumber.PhoneNumber, customer: PhoneNumber.PhoneNumber): string =>
  `${business}|${customer}`

const recordOne = (
  state: State,
  message: SessionWindow.InboundMessage
): readonly [SessionStore.RecordedInbound, State] => {
  const dedupKey = `${message.business}|${message.messageId}`
  const original = HashMap.get(state.inbound, dedupKey)
  if (Option.isSome(original)) {
    return [{ duplicate: true, window: HashMap.unsafeGet(state.windows, original.value) }, state]
  }
  const key = pairKey(message.business, message.customer)
  const before = Option.getOrElse(
    HashMap.get(state.windows, key),
    (): SessionWindow.Window => SessionWindow.empty({ business: message.business, customer: message.customer })
  )
  const window = SessionWindow.record(before, message)
  return [
    { duplicate: false, window },
    { ...state, windows: HashMap.set(state.windows, key, window), inbound: HashMap.set(state.inbound, dedupKey, key) }
  ]
}

const cursorOf = (window: SessionWindow.SessionWindow): Cursor.ExpiringCursor => ({
  expiresAt: expiresAtMillis(window),
  business: window.business,
  customer: window.customer
})

const isOpenAbove = (window: SessionWindow.SessionWindow, lower: number): boolean =>
  expiresAtMillis(window) > lower && !SessionWindow.isClosedByProvider(window)

const findByRef = (state: State, ref: SessionStore.OutboundRef): Option.Option<Outbound.OutboundMessage> => {
  if (ref._tag === "ById") return HashMap.get(state.outbound, ref.id)
  const matching = Arr.filter(
    Arr.fromIterable(HashMap.values(state.outbound)),
    (message) => Option.contains(message.providerMessageId, ref.providerMessageId)
  )
  return Arr.reduce(matching, Option.none<Outbound.OutboundMessage>(), (oldest, message) =>
    Option.isNone(oldest) || DateTime.lessThan(message.createdAt, oldest.value.createdAt) ||
      (DateTime.Equivalence(message.createdAt, oldest.value.createdAt) && message.id < oldest.value.id)
      ? Option.some(message)
      : oldest)
}

const withMessage = (state: State, message: Outbound.OutboundMessage): State => ({
  ...state,
  outbound: HashMap.set(state.outbound, message.id, message)
})

/**
 * Builds an empty store.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<StorageShape> = Effect.map(Ref.make(emptyState), (ref): StorageShape => ({
  backend: "memory",
  recordInbound: (message) => Ref.modify(ref, (state) => recordOne(state, message)),
  recordInboundBatch: (messages) =>
    Ref.modify(ref, (state) => {
      let current = state
      const duplicates = messages.map((message) => {
        const [result, next] = recordOne(current, message)
        current = next
        return result.duplicate
      })
      const final = current
      const results = messages.map((message, i): SessionStore.RecordedInbound => ({
        duplicate: duplicates[i]!,
        window: HashMap.unsafeGet(
          final.windows,
          HashMap.unsafeGet(final.inbound, `${message.business}|${message.messageId}`)
        )
      }))
      return [results, final]
    }),
  getWindow: (pair) =>
    Effect.map(Ref.get(ref), (state) => HashMap.get(state.windows, pairKey(pair.business, pair.customer))),
  closeByProvider: (pair, at) =>
    Ref.update(ref, (state) => {
      const key = pairKey(pair.business, pair.customer)
      return Option.match(HashMap.get(state.windows, key), {
        onNone: () => state,
        onSome: (window) => ({
          ...state,
          windows: HashMap.set(
            state.windows,
            key,
            SessionWindow.closeByProvider(window, at) as SessionWindow.SessionWindow
          )
        })
      })
    }),
  listExpiring: (query) =>
    Effect.gen(function*() {
      const bounds = yield* Expiring.bounds(query)
      if (bounds.limit === 0) return { items: [], nextCursor: Option.none() }
      const state = yield* Ref.get(ref)
      const matching = Arr.filter(Arr.fromIterable(HashMap.values(state.windows)), (window) =>
        isOpenAbove(window, bounds.lower) &&
        expiresAtMillis(window) < bounds.upper &&
        Option.match(bounds.business, { onNone: () => true, onSome: (business) => window.business === business }) &&
        Option.match(bounds.after, {
          onNone: () => true,
          onSome: (after) => Cursor.compare(cursorOf(window), after) > 0
        }))
      const sorted = Arr.sort(matching, (a: SessionWindow.SessionWindow, b: SessionWindow.SessionWindow) => {
        const order = Cursor.compare(cursorOf(a), cursorOf(b))
        return order < 0 ? -1 : order > 0 ? 1 : 0
      })
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
    Effect.map(Ref.get(ref), (state) => {
      const lower = DateTime.toEpochMillis(DateTime.addDuration(now, safetyMargin))
      let count = 0
      for (const window of HashMap.values(state.windows)) {
        if (isOpenAbove(window, lower)) count++
      }
      return count
    }),
  insertOutbound: (message) =>
    Ref.modify(ref, (state): readonly [Inserted, State] => {
      const existing = Option.orElse(
        Option.flatMap(
          message.idempotencyKey,
          (key) => HashMap.get(state.idempotency, `${message.business}|${key}`)
        ),
        () => HashMap.has(state.outbound, message.id) ? Option.some(message.id) : Option.none()
      )
      if (Option.isSome(existing)) {
        return [{ inserted: false, message: HashMap.unsafeGet(state.outbound, existing.value) }, state]
      }
      const stored = new Outbound.OutboundMessage({ ...message, history: normalizeHistory(message.history) })
      return [
        { inserted: true, message: stored },
        {
          ...withMessage(state, stored),
          idempotency: Option.match(message.idempotencyKey, {
            onNone: () => state.idempotency,
            onSome: (key) => HashMap.set(state.idempotency, `${message.business}|${key}`, message.id)
          })
        }
      ]
    }),
  findOutbound: (id) => Effect.map(Ref.get(ref), (state) => HashMap.get(state.outbound, id)),
  findOutboundByIdempotencyKey: (business, key) =>
    Effect.map(Ref.get(ref), (state) =>
      Option.flatMap(
        HashMap.get(state.idempotency, `${business}|${key}`),
        (id) => HashMap.get(state.outbound, id)
      )),
  setProviderMessageId: (id, providerMessageId) =>
    Ref.update(ref, (state) =>
      Option.match(HashMap.get(state.outbound, id), {
        onNone: () => state,
        onSome: (message) =>
          withMessage(
            state,
            new Outbound.OutboundMessage({ ...message, providerMessageId: Option.some(providerMessageId) })
          )
      })),
  recordStatus: (ref_, event) =>
    Ref.modify(ref, (state): readonly [Option.Option<SessionStore.RecordedStatus>, State] => {
      const found = findByRef(state, ref_)
      if (Option.isNone(found)) return [Option.none(), state]
      const message = found.value
      if (message.history.some((previous) => previous.status === event.status)) {
        return [Option.some({ applied: false, message }), state]
      }
      const updated = new Outbound.OutboundMessage({
        ...message,
        status: Outbound.advances(message.status, event.status) ? event.status : message.status,
        history: normalizeHistory([...message.history, event])
      })
      return [Option.some({ applied: true, message: updated }), withMessage(state, updated)]
    }),
  claimFallback: (id, fallbackMessageId) =>
    Ref.modify(ref, (state) => {
      const message = HashMap.get(state.outbound, id)
      if (Option.isNone(message) || Option.isSome(message.value.fallbackMessageId)) return [false, state]
      return [
        true,
        withMessage(
          state,
          new Outbound.OutboundMessage({ ...message.value, fallbackMessageId: Option.some(fallbackMessageId) })
        )
      ]
    }),
  ping: Effect.void
}))

/**
 * A fresh in-memory store providing both `SessionStore` and `Storage`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<SessionStore.SessionStore | Storage> = Layer.effectContext(Effect.map(make, context))
