import { assert, describe, it } from "@effect/vitest"
import { DateTime, Deferred, Duration, Effect, Layer, Option, Redacted, TestClock } from "effect"
import { Delivery, Event, EventLog, EventTransport, RelayService, SessionStore, Tokens } from "../src/index.js"
import { at } from "./fixtures.js"

const SECRET = `whsec_${Buffer.alloc(32, 3).toString("base64")}`

const event = (n: number): Event.Event =>
  Event.webhookQuarantined({
    id: `q_${n}`,
    kind: "item",
    reason: "test",
    receivedAt: at("2026-01-20T10:00:00Z"),
    item: n
  })
    .event

interface Stored {
  readonly claimed: EventLog.Claimed
  attempt?: EventLog.Attempt
}

/**
 * A small event log: endpoints in a map, one delivery per event handed out by `claimDeliveries`, the attempts
 * recorded. Its real implementations (memory, SQLite, PostgreSQL) are checked by storage's contract suite.
 */
const makeLog = (pending: ReadonlyArray<Event.Event>) => {
  const endpoints = new Map<string, Delivery.Endpoint>()
  const deliveries: Array<Stored> = []
  const replays: Array<EventLog.ReplayQuery> = []
  const log: EventLog.EventLogShape = {
    listEvents: (query) =>
      Effect.succeed({ items: pending.slice(0, query.limit), last: Option.fromNullable(pending[0]?.id) }),
    addEndpoint: (endpoint) => Effect.sync(() => void endpoints.set(endpoint.id, endpoint)),
    configureEndpoint: (endpoint) =>
      Effect.sync(() =>
        Option.match(endpoint, {
          onNone: () => void endpoints.delete(Delivery.CONFIGURED_ENDPOINT_ID),
          onSome: (e) => void endpoints.set(e.id, e)
        })
      ),
    listEndpoints: Effect.sync(() => [...endpoints.values()]),
    findEndpoint: (id) => Effect.sync(() => Option.fromNullable(endpoints.get(id))),
    deleteEndpoint: (id) => Effect.sync(() => endpoints.delete(id)),
    listDeliveries: (query) =>
      Effect.succeed({
        items: deliveries.slice(0, query.limit).map((d) => d.claimed.delivery),
        nextCursor: Option.none()
      }),
    claimDeliveries: (query) =>
      Effect.sync(() => {
        const endpoint = [...endpoints.values()][0]
        if (endpoint === undefined) return []
        const fresh = pending.filter((e) => !deliveries.some((d) => d.claimed.event.id === e.id)).slice(0, query.limit)
        const claimed = fresh.map((e): EventLog.Claimed => ({
          delivery: new Delivery.Delivery({
            endpointId: endpoint.id,
            eventId: e.id,
            eventType: e.type,
            business: e.business,
            customer: e.customer,
            state: "pending",
            attempts: 0,
            createdAt: query.now,
            nextAttemptAt: Option.some(query.now),
            lastAttemptAt: Option.none(),
            lastStatus: Option.none(),
            lastError: Option.none(),
            deliveredAt: Option.none()
          }),
          event: Event.payloadOf(e),
          endpoint,
          lease: query.now.epochMillis + Duration.toMillis(query.leaseFor),
          seq: pending.indexOf(e)
        }))
        deliveries.push(...claimed.map((c) => ({ claimed: c })))
        return claimed
      }),
    completeDeliveries: (attempts) =>
      Effect.sync(() => {
        for (const { attempt, claimed } of attempts) {
          const stored = deliveries.find((d) => d.claimed === claimed)
          if (stored) stored.attempt = attempt
        }
      }),
    replay: (query) => Effect.sync(() => (replays.push(query), 2))
  }
  return { log, endpoints, deliveries, replays }
}

/** Answers each post from `statuses` in order (a number: that HTTP status; a string: no answer). */
const transport = (answers: ReadonlyArray<number | string>) => {
  const posted: Array<string> = []
  const shape: EventTransport.EventTransportShape = {
    post: (_endpoint, event) =>
      Effect.sync(() => {
        const answer = answers[posted.length] ?? 200
        posted.push(event.id)
        return typeof answer === "number"
          ? { _tag: "Answered", status: answer }
          : { _tag: "NoAnswer", detail: answer }
      })
  }
  return { shape, posted }
}

let counter = 0
const tokens: Tokens.TokensShape = {
  id: (prefix) => Effect.sync(() => `${prefix}${++counter}`),
  secret: Effect.succeed(Redacted.make(SECRET))
}

const provide = (log: EventLog.EventLogShape, post = transport([])) =>
  Layer.mergeAll(
    Layer.succeed(EventLog.EventLog, log),
    Layer.succeed(EventTransport.EventTransport, post.shape),
    Layer.succeed(Tokens.Tokens, tokens),
    RelayService.layerConfig({ concurrency: 10 })
  )

describe("RelayService", () => {
  it.effect("addEndpoint checks the URL, the types and the secret; a missing secret is generated", () =>
    Effect.gen(function*() {
      const { endpoints, log } = makeLog([])
      const add = (input: Partial<RelayService.NewEndpoint>) =>
        RelayService.addEndpoint({
          url: "https://example.com/hook",
          events: Option.none(),
          secret: Option.none(),
          ...input
        })
          .pipe(Effect.provide(provide(log)))
      const added = yield* add({ events: Option.some(["message.received", "message.received", "window.opened"]) })
      assert.deepStrictEqual(added.events, Option.some(["message.received", "window.opened"]))
      assert.strictEqual(Redacted.value(added.secret), SECRET)
      assert.isTrue(added.id.startsWith("ep_"))
      assert.isTrue(endpoints.has(added.id))
      const given = yield* add({
        secret: Option.some(Redacted.make(`whsec_${Buffer.alloc(24, 9).toString("base64")}`))
      })
      assert.notStrictEqual(Redacted.value(given.secret), SECRET)
      const refusals = yield* Effect.all([
        add({ url: "not a url" }),
        add({ url: "ftp://example.com/x" }),
        add({ url: "https://example.com/x#frag" }),
        add({ url: "http://127.0.0.1:8080/webhooks/exotel/the-webhook-secret" }),
        add({ url: "https://wa.example.com//Webhooks/%65xotel/s" }),
        add({ url: "https://wa.example.com/wa/webhooks/exotel/s" }),
        add({ url: "https://example.com/%E0%A4%A/webhooks/exotel/x" }),
        add({ events: Option.some([]) }),
        add({ events: Option.some(["message.received", "nope"]) }),
        add({ secret: Option.some(Redacted.make("whsec_short")) })
      ].map((attempt) => Effect.flip(attempt)))
      assert.deepStrictEqual(refusals.map((e) => e._tag === "InvalidEndpoint" ? e.field : e._tag), [
        "url",
        "url",
        "url",
        "url",
        "url",
        "url",
        "url",
        "events",
        "events",
        "secret"
      ])
      assert.include(refusals[8]!.message, "\"nope\"")
      assert.include(refusals[3]!.message, "loop")
      assert.notInclude(refusals[3]!.message, "the-webhook-secret")
      // a path that only starts like one is a URL like any other
      yield* add({ url: "https://example.com/webhooks/exotelish" })
      yield* add({ url: "https://example.com/my-webhooks/exotel" })
      assert.isFalse(RelayService.isExotelWebhookUrl("not a url"))
      assert.strictEqual(refusals[0]!._tag === "InvalidEndpoint" && refusals[0]!.code, "INVALID_ENDPOINT")
      for (const refusal of refusals) assert.notInclude(refusal.message, SECRET)
    }))

  it.effect("deleteEndpoint: not found, the configured one refused (not found when there is none), else gone", () =>
    Effect.gen(function*() {
      const { endpoints, log } = makeLog([])
      const layer = provide(log)
      const added = yield* RelayService.addEndpoint({
        url: "https://example.com/hook",
        events: Option.none(),
        secret: Option.none()
      }).pipe(Effect.provide(layer))
      const missing = yield* Effect.flip(RelayService.deleteEndpoint("ep_missing").pipe(Effect.provide(layer)))
      assert.strictEqual(missing._tag === "EndpointNotFound" && missing.code, "ENDPOINT_NOT_FOUND")
      assert.include(missing.message, "ep_missing")
      const deleteConfigured = Effect.flip(
        RelayService.deleteEndpoint(Delivery.CONFIGURED_ENDPOINT_ID).pipe(Effect.provide(layer))
      )
      const none = yield* deleteConfigured
      assert.strictEqual(none._tag === "EndpointNotFound" && none.code, "ENDPOINT_NOT_FOUND")
      yield* RelayService.configureEndpoint({
        _tag: "Url",
        url: "https://biz.example/events",
        secret: Redacted.make(SECRET),
        secretGiven: true
      }).pipe(Effect.provide(layer))
      const configured = yield* deleteConfigured
      assert.strictEqual(configured._tag === "EndpointConfigured" && configured.code, "ENDPOINT_CONFIGURED")
      assert.include(configured.message, "WA_SESSION_EVENTS_URL")
      assert.include(configured.message, "set it to none")
      assert.isTrue(endpoints.has(Delivery.CONFIGURED_ENDPOINT_ID))
      yield* RelayService.deleteEndpoint(added.id).pipe(Effect.provide(layer))
      assert.isFalse(endpoints.has(added.id))
      assert.deepStrictEqual((yield* RelayService.listEndpoints.pipe(Effect.provide(layer))).map((e) => e.id), [
        Delivery.CONFIGURED_ENDPOINT_ID
      ])
    }))

  it.effect("configureEndpoint sets the configured endpoint for every type, leaves it when unset, removes it when off", () =>
    Effect.gen(function*() {
      const { endpoints, log } = makeLog([])
      const layer = provide(log)
      const configure = (setting: RelayService.ConfiguredEndpointSetting) =>
        RelayService.configureEndpoint(setting).pipe(Effect.provide(layer))
      const url = (url: string, secret: string, secretGiven: boolean) =>
        ({ _tag: "Url", url, secret: Redacted.make(secret), secretGiven }) as const
      assert.deepStrictEqual(yield* configure({ _tag: "Unset" }), { _tag: "Unchanged", existing: Option.none() })
      assert.deepStrictEqual(yield* configure(url("https://biz.example/events", SECRET, false)), {
        _tag: "Set",
        keptStoredSecret: false
      })
      const configured = endpoints.get(Delivery.CONFIGURED_ENDPOINT_ID)!
      assert.strictEqual(configured.url, "https://biz.example/events")
      assert.isTrue(Option.isNone(configured.events))
      // unset (another server's settings, or a start without the variable): left as it is
      const unset = yield* configure({ _tag: "Unset" })
      assert.strictEqual(
        unset._tag === "Unchanged" && Option.getOrThrow(unset.existing).url,
        "https://biz.example/events"
      )
      // a secret generated on another machine does not replace the stored one; a given one does
      const other = `whsec_${Buffer.alloc(32, 7).toString("base64")}`
      assert.deepStrictEqual(yield* configure(url("https://biz.example/v2", other, false)), {
        _tag: "Set",
        keptStoredSecret: true
      })
      assert.strictEqual(Redacted.value(endpoints.get(Delivery.CONFIGURED_ENDPOINT_ID)!.secret), SECRET)
      assert.strictEqual(endpoints.get(Delivery.CONFIGURED_ENDPOINT_ID)!.url, "https://biz.example/v2")
      assert.deepStrictEqual(yield* configure(url("https://biz.example/v2", other, true)), {
        _tag: "Set",
        keptStoredSecret: false
      })
      assert.strictEqual(Redacted.value(endpoints.get(Delivery.CONFIGURED_ENDPOINT_ID)!.secret), other)
      const bad = yield* Effect.flip(configure(url("nope", SECRET, true)))
      assert.strictEqual(bad._tag, "InvalidEndpoint")
      assert.deepStrictEqual(yield* configure({ _tag: "Off" }), { _tag: "Removed" })
      assert.isFalse(endpoints.has(Delivery.CONFIGURED_ENDPOINT_ID))
    }))

  /** Pumps once and waits for the attempts to be recorded; the outcomes reported. */
  const pumpAll = (limit?: number) =>
    Effect.gen(function*() {
      const outcomes: Array<RelayService.AttemptOutcome> = []
      const worker = yield* RelayService.makeDeliveryWorker((outcome) => outcomes.push(outcome))
      const started = yield* worker.pump(limit)
      yield* worker.drain
      return { started, outcomes, worker }
    }).pipe(Effect.scoped)

  it.effect("a worker posts what is due and records each verdict; nothing due starts nothing", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(at("2026-01-20T10:00:00Z").epochMillis)
      const events = [1, 2, 3, 4, 5].map(event)
      const { deliveries, log } = makeLog(events)
      const empty = yield* pumpAll().pipe(Effect.provide(provide(log)))
      assert.deepStrictEqual([empty.started, empty.outcomes], [0, []])
      yield* RelayService.addEndpoint({ url: "https://example.com/hook", events: Option.none(), secret: Option.none() })
        .pipe(Effect.provide(provide(log)))
      const post = transport([200, 503, "timed out after 10s", 410, 204])
      const round = yield* pumpAll().pipe(Effect.provide(provide(log, post)))
      assert.strictEqual(round.started, 5)
      assert.sameMembers(round.outcomes, ["Delivered", "Retry", "Retry", "Gone", "Delivered"])
      assert.sameMembers(post.posted, events.map((e) => e.id))
      const byEvent = (i: number) => deliveries.find((d) => d.claimed.event.id === post.posted[i])!.attempt!
      assert.deepStrictEqual([0, 1, 2, 3, 4].map((i) => byEvent(i).verdict._tag), [
        "Delivered",
        "Retry",
        "Retry",
        "Gone",
        "Delivered"
      ])
      assert.deepStrictEqual(byEvent(1).status, Option.some(503))
      assert.deepStrictEqual(byEvent(2).error, Option.some("timed out after 10s"))
      assert.deepStrictEqual(byEvent(2).status, Option.none())
      assert.strictEqual(yield* round.worker.inFlight, 0)
    }))

  it.effect("a burst of finished attempts is recorded in few writes", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(at("2026-01-20T10:00:00Z").epochMillis)
      const events = Array.from({ length: 60 }, (_, i) => event(100 + i))
      const { log } = makeLog(events)
      yield* RelayService.addEndpoint({ url: "https://example.com/hook", events: Option.none(), secret: Option.none() })
        .pipe(Effect.provide(provide(log)))
      const writes: Array<number> = []
      const counting = {
        ...log,
        completeDeliveries: (attempts: Parameters<EventLog.EventLogShape["completeDeliveries"]>[0]) => {
          writes.push(attempts.length)
          return log.completeDeliveries(attempts)
        }
      }
      const round = yield* pumpAll().pipe(
        Effect.provide(Layer.merge(provide(counting), RelayService.layerConfig({ concurrency: 100 })))
      )
      assert.strictEqual(round.started, 60)
      assert.strictEqual(writes.reduce((a, b) => a + b, 0), 60)
      assert.isAtMost(writes.length, 3)
      assert.isAtLeast(Math.max(...writes), 50)
    }))

  it.effect("a worker holds at most what it runs at once, and a limit takes fewer", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(at("2026-01-20T10:00:00Z").epochMillis)
      const { log } = makeLog([1, 2, 3, 4, 5].map(event))
      yield* RelayService.addEndpoint({ url: "https://example.com/hook", events: Option.none(), secret: Option.none() })
        .pipe(Effect.provide(provide(log)))
      const limited = yield* pumpAll(2).pipe(Effect.provide(provide(log)))
      assert.strictEqual(limited.started, 2)
      const small = Layer.merge(provide(log), RelayService.layerConfig({ concurrency: 1 }))
      const capped = yield* pumpAll().pipe(Effect.provide(small))
      assert.strictEqual(capped.started, 1)
    }))

  it.live("a hung attempt holds its own slot only: the others are posted and recorded meanwhile", () =>
    Effect.gen(function*() {
      const events = [1, 2, 3].map(event)
      const { deliveries, log } = makeLog(events)
      yield* RelayService.addEndpoint({ url: "https://example.com/hook", events: Option.none(), secret: Option.none() })
        .pipe(Effect.provide(provide(log)))
      const release = yield* Deferred.make<void>()
      const hanging: EventTransport.EventTransportShape = {
        post: (_endpoint, payload) =>
          payload.id === events[0]!.id
            ? Effect.as(Deferred.await(release), { _tag: "NoAnswer", detail: "timed out after 10s" } as const)
            : Effect.succeed({ _tag: "Answered", status: 204 } as const)
      }
      const layer = Layer.merge(provide(log), Layer.succeed(EventTransport.EventTransport, hanging))
      yield* Effect.gen(function*() {
        const worker = yield* RelayService.makeDeliveryWorker()
        assert.strictEqual(yield* worker.pump(), 3)
        // the two others end and are recorded while the first still hangs
        for (let i = 0; i < 100 && deliveries.filter((d) => d.attempt !== undefined).length < 2; i++) {
          yield* Effect.sleep("5 millis")
        }
        assert.strictEqual(deliveries.filter((d) => d.attempt !== undefined).length, 2)
        assert.strictEqual(yield* worker.inFlight, 1)
        yield* Deferred.succeed(release, undefined)
        yield* worker.drain
        assert.strictEqual(deliveries.filter((d) => d.attempt !== undefined).length, 3)
      }).pipe(Effect.scoped, Effect.provide(layer))
    }))

  it.live("a worker whose slots are all taken claims nothing (no lease held for a slot that is not free)", () =>
    Effect.gen(function*() {
      const { log } = makeLog([1, 2].map(event))
      yield* RelayService.addEndpoint({ url: "https://example.com/hook", events: Option.none(), secret: Option.none() })
        .pipe(Effect.provide(provide(log)))
      const release = yield* Deferred.make<void>()
      let claims = 0
      const counting = {
        ...log,
        claimDeliveries: (q: EventLog.ClaimQuery) => Effect.suspend(() => (claims++, log.claimDeliveries(q)))
      }
      const hanging: EventTransport.EventTransportShape = {
        post: () => Effect.as(Deferred.await(release), { _tag: "Answered", status: 204 } as const)
      }
      const layer = Layer.mergeAll(
        provide(counting),
        Layer.succeed(EventTransport.EventTransport, hanging),
        RelayService.layerConfig({ concurrency: 1 })
      )
      yield* Effect.gen(function*() {
        const worker = yield* RelayService.makeDeliveryWorker()
        assert.strictEqual(yield* worker.pump(), 1)
        assert.strictEqual(yield* worker.pump(), 0)
        assert.strictEqual(claims, 1)
        yield* Deferred.succeed(release, undefined)
        yield* worker.drain
        assert.strictEqual(yield* worker.pump(), 1)
        yield* worker.drain
      }).pipe(Effect.scoped, Effect.provide(layer))
    }))

  it.effect("attempts the store fails to record are logged, not lost: their lease brings them back", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(at("2026-01-20T10:00:00Z").epochMillis)
      const { log } = makeLog([event(4)])
      yield* RelayService.addEndpoint({ url: "https://example.com/hook", events: Option.none(), secret: Option.none() })
        .pipe(Effect.provide(provide(log)))
      const failing = {
        ...log,
        completeDeliveries: () => Effect.fail(new SessionStore.StorageError({ operation: "x", detail: "down" }))
      }
      const round = yield* pumpAll().pipe(Effect.provide(provide(failing)))
      assert.deepStrictEqual([round.started, round.outcomes], [1, ["Delivered"]])
    }))

  it.effect("a transport that dies is an attempt without an answer: recorded, retried, the delivery not left claimed", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(at("2026-01-20T10:00:00Z").epochMillis)
      const { deliveries, log } = makeLog([event(1)])
      yield* RelayService.addEndpoint({ url: "https://example.com/hook", events: Option.none(), secret: Option.none() })
        .pipe(Effect.provide(provide(log)))
      const dying: EventTransport.EventTransportShape = { post: () => Effect.die(new Error("bug in a transport")) }
      const round = yield* pumpAll().pipe(
        Effect.provide(Layer.merge(provide(log), Layer.succeed(EventTransport.EventTransport, dying)))
      )
      assert.deepStrictEqual([round.started, round.outcomes], [1, ["Retry"]])
      const attempt = deliveries[0]!.attempt!
      assert.deepStrictEqual([attempt.error, attempt.status, attempt.verdict._tag], [
        Option.some("internal error"),
        Option.none(),
        "Retry"
      ])
    }))

  it.effect("a delivery past its retry period is given up", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(at("2026-01-20T10:00:00Z").epochMillis)
      const { deliveries, log } = makeLog([event(9)])
      yield* RelayService.addEndpoint({ url: "https://example.com/hook", events: Option.none(), secret: Option.none() })
        .pipe(Effect.provide(provide(log)))
      const layer = Layer.merge(
        provide(log, transport([500])),
        RelayService.layerConfig({ retry: { ...Delivery.defaultRetryPolicy, retryFor: Duration.zero } })
      )
      const round = yield* pumpAll().pipe(Effect.provide(layer))
      assert.deepStrictEqual(round.outcomes, ["GiveUp"])
      assert.deepStrictEqual(deliveries[0]!.attempt!.verdict, { _tag: "GiveUp", error: "HTTP 500" })
    }))

  it.effect("listing and replay go to the log; replay of an unknown endpoint is refused", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(at("2026-01-20T10:00:00Z").epochMillis)
      const { log, replays } = makeLog([event(1)])
      const layer = provide(log)
      const page = yield* RelayService.listEvents({ after: Option.none(), types: Option.none(), limit: 10 }).pipe(
        Effect.provide(layer)
      )
      assert.strictEqual(page.items.length, 1)
      const deliveries = yield* RelayService.listDeliveries({
        state: Option.none(),
        endpointId: Option.none(),
        limit: 10,
        cursor: Option.none()
      }).pipe(Effect.provide(layer))
      assert.deepStrictEqual(deliveries.items, [])
      const missing = yield* Effect.flip(
        RelayService.replay({ endpointId: Option.some("ep_x"), since: Option.none(), eventIds: Option.none() }).pipe(
          Effect.provide(layer)
        )
      )
      assert.strictEqual(missing._tag, "EndpointNotFound")
      const added = yield* RelayService.addEndpoint({
        url: "https://example.com/hook",
        events: Option.none(),
        secret: Option.none()
      }).pipe(Effect.provide(layer))
      const count = yield* RelayService.replay({
        endpointId: Option.some(added.id),
        since: Option.some(at("2026-01-19T00:00:00Z")),
        eventIds: Option.none()
      }).pipe(Effect.provide(layer))
      assert.strictEqual(count, 2)
      assert.deepStrictEqual(replays[0]!.now, DateTime.unsafeMake(at("2026-01-20T10:00:00Z").epochMillis))
      const all = yield* RelayService.replay({
        endpointId: Option.none(),
        since: Option.none(),
        eventIds: Option.some(["e"])
      })
        .pipe(Effect.provide(layer))
      assert.strictEqual(all, 2)
    }))
})
