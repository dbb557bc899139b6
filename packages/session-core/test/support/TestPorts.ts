import { Effect, Layer, Option, Ref } from "effect"
import { type Event, Ids, MemoryStore, MessageSender, SessionStore } from "../../src/index.js"

/**
 * The core's in-memory store (the one the store contract suite runs against, in @wa-session/storage), with what a
 * test inspects after the fact: the recorded events, the quarantine and the send jobs.
 */
export const makeStore = Effect.gen(function*() {
  const store = yield* MemoryStore.make
  return {
    store,
    events: (): ReadonlyArray<Event.Event> =>
      Effect.runSync(store.listEvents({ after: Option.none(), types: Option.none(), limit: Infinity })).items,
    quarantine: {
      get: (id: string) => Option.getOrUndefined(Effect.runSync(store.findQuarantine(id)))
    },
    /** The send jobs as they are now (finished jobs are gone). */
    jobs: () => Effect.runSync(store.sendJobs)
  }
})

/**
 * One answer of the test sender: accept (with `sid-N`), fail with a provider error, or run an effect of its own for
 * the request (to hold the send in flight, answer later, or never).
 */
export type SenderStep =
  | MessageSender.ProviderError
  | "ok"
  | ((request: MessageSender.SendRequest) => Effect.Effect<MessageSender.SendReceipt, MessageSender.ProviderError>)

/** A sender that records every request and answers from a script (default: accept with sid-N). */
export const makeSender = (script: ReadonlyArray<SenderStep> = []) =>
  Effect.gen(function*() {
    const sent = yield* Ref.make<Array<MessageSender.SendRequest>>([])
    const sender: MessageSender.MessageSenderShape = {
      send: (request) =>
        Effect.gen(function*() {
          const n = (yield* Ref.getAndUpdate(sent, (all) => [...all, request])).length
          const step = script[n] ?? "ok"
          if (typeof step === "function") return yield* step(request)
          if (step !== "ok") return yield* step
          return { providerMessageId: `sid-${n + 1}` }
        })
    }
    return { sender, sent }
  })

export const sequentialIds = Effect.map(Ref.make(0), (counter) => ({
  next: Ref.updateAndGet(counter, (n) => n + 1).pipe(Effect.map((n) => `msg_${n}`))
}))

export const testLayer = (script: ReadonlyArray<SenderStep> = []) =>
  Effect.gen(function*() {
    const { events, jobs, quarantine, store } = yield* makeStore
    const { sender, sent } = yield* makeSender(script)
    const ids = yield* sequentialIds
    const layer = Layer.mergeAll(
      Layer.succeed(SessionStore.SessionStore, store),
      Layer.succeed(MessageSender.MessageSender, sender),
      Layer.succeed(Ids.Ids, ids)
    )
    return { layer, sent, store, events, quarantine, jobs }
  })
