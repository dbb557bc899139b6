import { Duration, Effect, Layer, Option, Ref } from "effect"
import { Ids, MessageSender, Outbound, SessionStore, SessionWindow } from "../../src/index.js"
import type { PhoneNumber } from "../../src/PhoneNumber.js"

/** A deliberately small store for the use-case tests, built on the pure rules (the real ones live in @wa-session/storage). */
export const makeStore = Effect.gen(function*() {
  const windows = yield* Ref.make(new Map<string, SessionWindow.SessionWindow>())
  const seen = new Set<string>()
  const outbound = new Map<string, Outbound.OutboundMessage>()
  const key = (p: { business: PhoneNumber; customer: PhoneNumber }) => `${p.business}|${p.customer}`
  const update = (id: string, f: (m: Outbound.OutboundMessage) => Outbound.OutboundMessage) => {
    const m = outbound.get(id)
    if (m) outbound.set(id, f(m))
  }
  const store: SessionStore.SessionStoreShape = {
    recordInbound: (message) =>
      Ref.modify(windows, (map) => {
        const duplicate = seen.has(`${message.business}|${message.messageId}`)
        seen.add(`${message.business}|${message.messageId}`)
        const current = SessionWindow.fromOption(message, Option.fromNullable(map.get(key(message))))
        const next = duplicate && SessionWindow.hasWindow(current) ? current : SessionWindow.record(current, message)
        map.set(key(message), next)
        return [{ duplicate, window: next }, map]
      }),
    getWindow: (pair) => Effect.map(Ref.get(windows), (map) => Option.fromNullable(map.get(key(pair)))),
    closeByProvider: (pair, at) =>
      Ref.update(windows, (map) => {
        const current = map.get(key(pair))
        if (current) map.set(key(pair), SessionWindow.closeByProvider(current, at) as SessionWindow.SessionWindow)
        return map
      }),
    listExpiring: (query) =>
      Effect.map(Ref.get(windows), (map) => ({
        items: [...map.values()].filter((w) =>
          SessionWindow.isOpenAt(w, query.now, query) &&
          SessionWindow.expiresAt(w).epochMillis < query.now.epochMillis + Duration.toMillis(query.horizon)
        ),
        nextCursor: Option.none()
      })),
    countOpen: () => Effect.succeed(0),
    insertOutbound: (message) =>
      Effect.sync(() => {
        const clash = [...outbound.values()].find((m) =>
          m.business === message.business && Option.isSome(m.idempotencyKey) &&
          Option.getEquivalence((a: string, b: string) => a === b)(m.idempotencyKey, message.idempotencyKey)
        )
        if (clash) return { inserted: false, message: clash }
        outbound.set(message.id, message)
        return { inserted: true, message }
      }),
    findOutbound: (id) => Effect.sync(() => Option.fromNullable(outbound.get(id))),
    findOutboundByIdempotencyKey: (business, k) =>
      Effect.sync(() =>
        Option.fromNullable(
          [...outbound.values()].find((m) => m.business === business && Option.contains(m.idempotencyKey, k))
        )
      ),
    setProviderMessageId: (id, sid) =>
      Effect.sync(() => update(id, (m) => new Outbound.OutboundMessage({ ...m, providerMessageId: Option.some(sid) }))),
    recordStatus: (ref, event) =>
      Effect.sync(() => {
        const m = ref._tag === "ById"
          ? outbound.get(ref.id)
          : [...outbound.values()].find((x) => Option.contains(x.providerMessageId, ref.providerMessageId))
        if (!m) return Option.none()
        const applied = !m.history.some((h) => h.status === event.status)
        const next = new Outbound.OutboundMessage({
          ...m,
          history: applied ? [...m.history, event] : m.history,
          status: Outbound.advances(m.status, event.status) ? event.status : m.status
        })
        outbound.set(m.id, next)
        return Option.some({ applied, message: next })
      }),
    claimFallback: (id, fallbackId) =>
      Effect.sync(() => {
        const m = outbound.get(id)
        if (!m || Option.isSome(m.fallbackMessageId)) return false
        outbound.set(id, new Outbound.OutboundMessage({ ...m, fallbackMessageId: Option.some(fallbackId) }))
        return true
      }),
    ping: Effect.void
  }
  return store
})

/** A sender that records every request and answers from a script (default: accept with sid-N). */
export const makeSender = (script: Array<MessageSender.ProviderError | "ok"> = []) =>
  Effect.gen(function*() {
    const sent = yield* Ref.make<Array<MessageSender.SendRequest>>([])
    const sender: MessageSender.MessageSenderShape = {
      send: (request) =>
        Effect.gen(function*() {
          const n = (yield* Ref.getAndUpdate(sent, (all) => [...all, request])).length
          const step = script[n] ?? "ok"
          if (step !== "ok") return yield* step
          return { providerMessageId: `sid-${n + 1}` }
        })
    }
    return { sender, sent }
  })

export const sequentialIds = Effect.map(Ref.make(0), (counter) => ({
  next: Ref.updateAndGet(counter, (n) => n + 1).pipe(Effect.map((n) => `msg_${n}`))
}))

export const testLayer = (script: Array<MessageSender.ProviderError | "ok"> = []) =>
  Effect.gen(function*() {
    const store = yield* makeStore
    const { sender, sent } = yield* makeSender(script)
    const ids = yield* sequentialIds
    const layer = Layer.mergeAll(
      Layer.succeed(SessionStore.SessionStore, store),
      Layer.succeed(MessageSender.MessageSender, sender),
      Layer.succeed(Ids.Ids, ids)
    )
    return { layer, sent, store }
  })
