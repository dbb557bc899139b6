import { DateTime, Duration, Effect, Layer, Option, Ref } from "effect"
import {
  type Event,
  Ids,
  Ingest,
  MessageSender,
  Outbound,
  Pacing,
  SendJobs,
  SessionStore,
  SessionWindow,
  WindowEvents
} from "../../src/index.js"
import type { PhoneNumber } from "../../src/PhoneNumber.js"

const unused = (name: string) => () => Effect.dieMessage(`TestPorts: ${name} is not used by the core tests`)

/**
 * A deliberately small store for the use-case tests: the pure rules do the work (`Ingest.plan` decides every write
 * of a transaction, as in the real stores of @wa-session/storage, which the contract suite checks), this applies
 * the plans to maps and keeps the recorded events for inspection.
 */
export const makeStore = Effect.gen(function*() {
  const pairs = new Map<string, Ingest.PairState>()
  const inbound = new Map<string, string>()
  const outbound = new Map<string, Outbound.OutboundMessage>()
  const quarantine = new Map<string, Ingest.QuarantineEntry>()
  const jobs = new Map<string, SendJobs.Job & { readonly since: number }>()
  let tat = 0
  const queue = (message: Outbound.OutboundMessage) =>
    jobs.set(message.id, {
      id: message.id,
      business: message.business,
      customer: message.customer,
      createdAt: message.createdAt.epochMillis,
      state: "queued",
      since: message.createdAt.epochMillis
    })
  const move = (id: string, from: SendJobs.JobState, to: SendJobs.JobState, at: number) => {
    const job = jobs.get(id)
    if (job?.state !== from) return false
    jobs.set(id, { ...job, state: to, since: at })
    return true
  }
  const events: Array<Event.Event> = []
  const lock = yield* Effect.makeSemaphore(1)
  const key = (p: { business: PhoneNumber; customer: PhoneNumber }) => Ingest.pairKey(p)
  const findByRef = (ref: SessionStore.OutboundRef) =>
    ref._tag === "ById"
      ? outbound.get(ref.id)
      : [...outbound.values()].find((x) => Option.contains(x.providerMessageId, ref.providerMessageId))

  const apply = (batch: Ingest.Batch) =>
    Effect.sync(() => {
      const state = {
        pairs: new Map(pairs),
        inbound: new Map(inbound),
        outbound: new Map<string, Outbound.OutboundMessage>(),
        quarantine: new Set(quarantine.keys())
      }
      for (const item of batch.items) {
        if (item._tag !== "Status") continue
        const found = findByRef(item.ref)
        if (found) state.outbound.set(Ingest.refKey(item.ref), found)
      }
      const plan = Ingest.plan(state, batch)
      for (const item of plan.inbound) inbound.set(`${item.message.business}|${item.message.messageId}`, key(item.message))
      for (const { announced, window } of plan.windows) pairs.set(key(window), { window: Option.some(window), announced })
      for (const { message } of plan.statuses) outbound.set(message.id, message)
      for (const { id, notBefore } of plan.requeues) {
        const message = outbound.get(id)
        if (message !== undefined && !jobs.has(id)) {
          queue(message)
          jobs.set(id, { ...jobs.get(id)!, notBefore: notBefore.epochMillis })
        }
      }
      for (const { fallback } of plan.fallbacks) {
        if (outbound.has(fallback.id)) continue
        outbound.set(fallback.id, fallback)
        queue(fallback)
      }
      for (const item of plan.quarantine) {
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
        if (entry) {
          quarantine.set(id, new Ingest.QuarantineEntry({ ...entry, state: "resolved", resolvedAt: Option.some(batch.now) }))
        }
      }
      for (const draft of plan.events) {
        if (!events.some((event) => event.id === draft.event.id)) events.push(draft.event)
      }
      return plan
    }).pipe(lock.withPermits(1))

  const store: SessionStore.SessionStoreShape = {
    ingest: (batch) => Effect.map(apply(batch), (plan) => ({ items: plan.results })),
    getWindow: (pair) => Effect.sync(() => Option.flatMap(Option.fromNullable(pairs.get(key(pair))), (p) => p.window)),
    closeByProvider: (pair, at, now, policy) =>
      Effect.asVoid(apply({ now, policy, items: [{ _tag: "Close", pair, at }], resolves: [] })),
    listExpiring: (query) =>
      Effect.sync(() => ({
        items: [...pairs.values()].flatMap((p) => Option.toArray(p.window)).filter((w) =>
          SessionWindow.isOpenAt(w, query.now, query) &&
          SessionWindow.expiresAt(w).epochMillis < query.now.epochMillis + Duration.toMillis(query.horizon)
        ),
        nextCursor: Option.none()
      })),
    countOpen: () => Effect.succeed(0),
    insertOutbound: (message, options) =>
      Effect.sync(() => {
        const clash = [...outbound.values()].find((m) =>
          m.business === message.business && Option.isSome(m.idempotencyKey) &&
          Option.getEquivalence((a: string, b: string) => a === b)(m.idempotencyKey, message.idempotencyKey)
        )
        if (clash) return { inserted: false, message: clash }
        const same = outbound.get(message.id)
        if (same) return { inserted: false, message: same }
        outbound.set(message.id, message)
        if (options?.queued === true) queue(message)
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
      Effect.sync(() => {
        const m = outbound.get(id)
        if (m) outbound.set(id, new Outbound.OutboundMessage({ ...m, providerMessageId: Option.some(sid) }))
      }),
    recordStatus: (ref, event, recordedAt) =>
      Effect.gen(function*() {
        if (!findByRef(ref)) return Option.none()
        const plan = yield* apply({
          now: recordedAt,
          policy: WindowEvents.defaultPolicy,
          items: [{ _tag: "Status", ref, event, reengagement: false, raw: "", item: null, quarantineId: "" }],
          resolves: []
        })
        const result = plan.results[0]
        return result?._tag === "Status" && Option.isSome(result.message)
          ? Option.some({ applied: result.outcome === "applied", message: result.message.value })
          : Option.none()
      }),
    claimFallback: (id, fallbackId) =>
      Effect.sync(() => {
        const m = outbound.get(id)
        if (!m || Option.isSome(m.fallbackMessageId)) return false
        outbound.set(id, new Outbound.OutboundMessage({ ...m, fallbackMessageId: Option.some(fallbackId) }))
        return true
      }),
    claimSends: ({ id, limit, now }) =>
      Effect.sync(() => {
        const claimed = SendJobs.claimable(jobs.values(), limit, id, now.epochMillis)
        for (const claim of claimed) move(claim, "queued", "claimed", now.epochMillis)
        return claimed.flatMap((claim) => Option.toArray(Option.fromNullable(outbound.get(claim))))
      }),
    startSend: (id, now) => Effect.sync(() => move(id, "claimed", "sending", now.epochMillis)),
    // back in the queue (the line orders by createdAt; `since` only ages claims and starts, so no clock is read here)
    releaseSend: (id) => Effect.sync(() => void move(id, "claimed", "queued", jobs.get(id)?.since ?? 0)),
    retrySend: (id, notBefore) =>
      Effect.sync(() => {
        const job = jobs.get(id)
        if (job?.state === "sending") jobs.set(id, { ...job, state: "queued", notBefore: notBefore.epochMillis })
      }),
    finishSend: (id) => Effect.sync(() => void (jobs.get(id)?.state === "sending" && jobs.delete(id))),
    recoverSends: (before, now) =>
      Effect.gen(function*() {
        let requeued = 0
        let unknown = 0
        for (const job of [...jobs.values()]) {
          if (job.since >= before.epochMillis) continue
          if (job.state === "claimed" && move(job.id, "claimed", "queued", now.epochMillis)) requeued++
          if (job.state !== "sending") continue
          jobs.delete(job.id)
          const message = outbound.get(job.id)
          if (message === undefined || Outbound.rank(message.status) >= Outbound.rank("unknown")) continue
          yield* store.recordStatus(
            { _tag: "ById", id: job.id },
            Outbound.abandonedSend(now),
            now
          )
          unknown++
        }
        return { requeued, unknown }
      }),
    reserveSendSlot: (now, policy) =>
      Effect.sync(() => {
        tat = Pacing.next(tat, now.epochMillis, policy)
        return DateTime.unsafeMake(Pacing.slotOf(tat, now.epochMillis, policy))
      }),
    emitDueWindowEvents: (now, policy, limit) =>
      Effect.gen(function*() {
        const due = [...pairs.values()].flatMap((p) =>
          Option.isSome(p.window) && Option.exists(
              WindowEvents.nextDueAt(p.window.value, p.announced, policy),
              (at) => at.epochMillis <= now.epochMillis
            )
            ? [p.window.value]
            : []
        ).slice(0, limit)
        const plan = yield* apply({ now, policy, items: due.map((window) => ({ _tag: "Tick", pair: window })), resolves: [] })
        return plan.events.length
      }),
    listMessages: unused("listMessages"),
    listQuarantine: unused("listQuarantine"),
    findQuarantine: (id) => Effect.sync(() => Option.fromNullable(quarantine.get(id))),
    requarantine: (id, reason) =>
      Effect.sync(() => {
        const entry = quarantine.get(id)
        if (entry) quarantine.set(id, new Ingest.QuarantineEntry({ ...entry, reason, retries: entry.retries + 1 }))
      }),
    prune: unused("prune"),
    ping: Effect.void
  }
  return {
    store,
    events: () => [...events] as ReadonlyArray<Event.Event>,
    quarantine,
    /** The send jobs as they are now (finished jobs are gone). */
    jobs: (): ReadonlyMap<string, SendJobs.Job & { readonly since: number }> => new Map(jobs)
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
