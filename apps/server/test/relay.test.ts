/**
 * The lossless relay through the real server on loopback: what arrives is kept and readable, events reach a real
 * receiving HTTP server (the fake business endpoint) signed and in order, through failures, hangs and an endpoint
 * that is down for a while; endpoints, deliveries, the log and the quarantine over the API; bad input gets a 4xx
 * with a stable code.
 */
import { assert, describe, it } from "@effect/vitest"
import * as FakeReceiver from "@wa-session/relay/FakeReceiver"
import { DateTime, type Duration, Effect } from "effect"
import {
  auth,
  BUSINESS,
  client,
  CUSTOMER,
  customerWrites,
  eventually,
  eventuallyEffect,
  json,
  postBatch,
  rawGet,
  rawPost,
  SECRET as WEBHOOK_SECRET,
  TestEnv,
  TestServer
} from "./support.js"

const SECRET = `whsec_${Buffer.alloc(32, 42).toString("base64")}`
const receiver = Effect.acquireRelease(
  Effect.promise(() => FakeReceiver.start({ secret: SECRET })),
  (r) => Effect.promise(() => r.close())
)

/** A server delivering to `url`, on the system clock (retries need time to pass; receivers check timestamps). */
const server = (url: string, options: { readonly timeout?: Duration.DurationInput } = {}) =>
  TestServer({
    realClock: true,
    events: { url, secret: SECRET, maxBackoff: "300 millis", ...options }
  })

const inboundItem = (sid: string, customer: string, body: string, timestamp: string) => ({
  callback_type: "incoming_message",
  sid,
  from: customer.slice(1),
  to: BUSINESS.slice(1),
  profile_name: "Asha",
  timestamp,
  content: { type: "text", text: { body }, context: { id: "wamid.quoted" } }
})

const types = (received: ReadonlyArray<FakeReceiver.ReceivedRequest>) =>
  received.map((r) => (r.body as { type: string }).type)

describe("the lossless relay", () => {
  it.scopedLive(
    "a customer's message is kept with its content and delivered, signed, with window.opened after it",
    () =>
      Effect.gen(function*() {
        const r = yield* receiver
        yield* Effect.gen(function*() {
          const api = yield* client
          const now = DateTime.formatIso(yield* DateTime.now)
          const ack = yield* postBatch([inboundItem("wamid.r1", CUSTOMER, "Where is my order?", now)])
          assert.deepStrictEqual(json(ack.body), { accepted: 1, duplicates: 0, rejected: 0 })
          yield* Effect.promise(() => r.waitFor(2, 10_000))
          assert.deepStrictEqual(types(r.received), ["message.received", "window.opened"])
          assert.isTrue(r.received.every((request) => request.verified), r.received.map((x) => x.verifyError).join())
          const received = r.received[0]!.body as any
          assert.strictEqual(r.received[0]!.id, received.id)
          assert.deepStrictEqual(received.data.content, {
            type: "text",
            text: { body: "Where is my order?" },
            context: { id: "wamid.quoted" }
          })
          assert.strictEqual(received.data.profileName, "Asha")
          assert.strictEqual(received.business, BUSINESS)
          // kept: the history and the log show it
          const history = yield* api.sessions.listMessages({
            path: { business: BUSINESS, customer: CUSTOMER },
            urlParams: {}
          })
          assert.strictEqual(history.items.length, 1)
          const entry = history.items[0]!
          assert.isTrue(entry.direction === "inbound" && entry.contentType === "text" && entry.profileName === "Asha")
          const log = yield* api.events.listEvents({ urlParams: {} })
          assert.deepStrictEqual(log.items.map((e) => e.id), r.received.map((x) => x.id))
          // attempts are recorded in batches, shortly after the receiver answered
          const delivered = api.events.listDeliveries({ urlParams: { state: "delivered" } })
          yield* eventuallyEffect(Effect.map(delivered, (page) => page.items.length === 2), "both deliveries recorded")
          const deliveries = yield* delivered
          assert.isTrue(deliveries.items.every((d) => d.endpointId === "ep_configured" && d.attempts === 1))
          const metrics = (yield* rawGet("/metrics")).text
          assert.include(metrics, "wa_session_event_deliveries_total{outcome=\"delivered\"} 2\n")
        }).pipe(Effect.provide(server(r.url)))
      }),
    30_000
  )

  it.scopedLive(
    "failures, a hang and an endpoint down for a while: every event arrives, in order per pair, same ids",
    () =>
      Effect.gen(function*() {
        const r = yield* receiver
        yield* Effect.gen(function*() {
          const api = yield* client
          r.script([503, 500])
          const now = DateTime.formatIso(yield* DateTime.now)
          const customers = ["+919700000001", "+919700000002", "+919700000003"]
          yield* postBatch(customers.map((c, i) => inboundItem(`wamid.f${i}`, c, `hello ${i}`, now)))
          // a hang: the attempt times out, and is retried
          yield* Effect.promise(() => r.waitFor(1, 10_000))
          r.hang(true)
          yield* postBatch([inboundItem("wamid.f9", customers[0]!, "again", now)])
          yield* Effect.sleep("800 millis")
          r.hang(false)
          r.goDown()
          yield* postBatch([inboundItem("wamid.f10", customers[1]!, "while down", now)])
          yield* Effect.sleep("1 second")
          yield* Effect.promise(() => r.comeBack())
          const log = yield* api.events.listEvents({ urlParams: {} })
          const expected = log.items.map((e) => e.id)
          assert.strictEqual(expected.length, 3 * 2 + 2)
          yield* eventually(
            () => expected.every((id) => r.delivered().some((d) => d.id === id)),
            "every event delivered"
          )
          assert.isTrue(r.received.every((request) => request.verified || request.status === null))
          // per pair, first deliveries in the order recorded
          for (const customer of customers) {
            const recorded = log.items.filter((e) => e.customer === customer).map((e) => e.id)
            const firsts: Array<string> = []
            for (const request of r.delivered()) {
              if ((request.body as any).customer === customer && !firsts.includes(request.id!)) firsts.push(request.id!)
            }
            assert.deepStrictEqual(firsts, recorded, customer)
          }
          // nothing pending; the retried deliveries say so
          yield* eventuallyEffect(
            Effect.map(
              api.events.listDeliveries({ urlParams: { state: "pending" } }),
              (page) => page.items.length === 0
            ),
            "no pending delivery"
          )
          const all = yield* api.events.listDeliveries({ urlParams: {} })
          assert.isTrue(all.items.some((d) => d.attempts > 1))
        }).pipe(Effect.provide(server(r.url, { timeout: "300 millis" })))
      }),
    60_000
  )

  it.scopedLive(
    "endpoints: added with a type filter and a secret shown once, listed without it, 410 disables, deleted",
    () =>
      Effect.gen(function*() {
        const r = yield* receiver
        const other = yield* receiver
        yield* Effect.gen(function*() {
          const api = yield* client
          const added = yield* api.events.addEndpoint({
            payload: { url: other.url, events: ["window.opened"], secret: SECRET }
          })
          assert.isNull(added.secret, "a given secret is not echoed back")
          assert.deepStrictEqual(added.events, ["window.opened"])
          const listed = yield* rawGet("/v1/endpoints", auth)
          assert.notInclude(listed.text, SECRET)
          assert.notInclude(listed.text, "secret")
          assert.sameDeepMembers(json(listed.text).items.map((e: any) => [e.id, e.configured]), [
            ["ep_configured", true],
            [added.id, false]
          ])
          const generated = yield* api.events.addEndpoint({ payload: { url: "http://127.0.0.1:9/nowhere" } })
          assert.match(generated.secret ?? "", /^whsec_[A-Za-z0-9+/]+={0,2}$/)
          yield* customerWrites()
          yield* Effect.promise(() => other.waitFor(1, 10_000))
          assert.deepStrictEqual(types(other.received), ["window.opened"])
          // 410: disabled
          other.respondWith(410)
          yield* customerWrites({ sid: "wamid.second", from: "+919711111111" })
          yield* eventuallyEffect(
            Effect.map(
              api.events.listEndpoints(),
              (page) => page.items.find((e) => e.id === added.id)?.state === "disabled"
            ),
            "the endpoint disabled"
          )
          yield* api.events.deleteEndpoint({ path: { id: added.id } })
          yield* api.events.deleteEndpoint({ path: { id: generated.id } })
          const remaining = yield* api.events.listEndpoints()
          assert.deepStrictEqual(remaining.items.map((e) => e.id), ["ep_configured"])
        }).pipe(Effect.provide(server(r.url)))
      }),
    30_000
  )

  it.scopedLive(
    "replay delivers again with the same ids; the log pages with after and type",
    () =>
      Effect.gen(function*() {
        const r = yield* receiver
        yield* Effect.gen(function*() {
          const api = yield* client
          yield* customerWrites()
          yield* Effect.promise(() => r.waitFor(2, 10_000))
          // A delivery still pending (its answer not recorded yet) is going to be delivered anyway: replay counts
          // only finished ones, so wait until both outcomes are stored.
          yield* eventuallyEffect(
            Effect.map(
              api.events.listDeliveries({ urlParams: { state: "delivered" } }),
              (page) => page.items.length === 2
            ),
            "both deliveries recorded"
          )
          const replayed = yield* api.events.replay({ payload: { since: DateTime.unsafeMake(0) } })
          assert.strictEqual(replayed.replayed, 2)
          yield* Effect.promise(() => r.waitFor(4, 10_000))
          assert.deepStrictEqual(r.received.slice(2).map((x) => x.id), r.received.slice(0, 2).map((x) => x.id))
          const first = yield* api.events.listEvents({ urlParams: { limit: 1 } })
          const next = yield* api.events.listEvents({ urlParams: { after: first.last!, limit: 10 } })
          assert.deepStrictEqual([...first.items, ...next.items].map((e) => e.type), [
            "message.received",
            "window.opened"
          ])
          const onlyOpened = yield* api.events.listEvents({ urlParams: { type: "window.opened" } })
          assert.deepStrictEqual(onlyOpened.items.map((e) => e.type), ["window.opened"])
          const done = yield* api.events.listEvents({ urlParams: { after: next.last! } })
          assert.deepStrictEqual([done.items, done.last], [[], null])
        }).pipe(Effect.provide(server(r.url)))
      }),
    30_000
  )

  it.scopedLive(
    "what cannot be decoded is kept: an item (200, rejected), a body that is not JSON (400 naming its entry)",
    () =>
      Effect.gen(function*() {
        const r = yield* receiver
        yield* Effect.gen(function*() {
          const api = yield* client
          const env = yield* TestEnv
          const path = new URL(env.webhookUrl).pathname
          const mixed = yield* postBatch([{ callback_type: "mystery", sid: "x1", text: "Hi there" }])
          assert.deepStrictEqual(json(mixed.body), { accepted: 0, duplicates: 0, rejected: 1 })
          const again = yield* postBatch([{ callback_type: "mystery", sid: "x1", text: "Hi there" }])
          assert.deepStrictEqual(json(again.body), { accepted: 0, duplicates: 0, rejected: 1 })
          const notJson = yield* rawPost(path, "this is { not json", { "content-type": "application/json" })
          assert.strictEqual(notJson.status, 400)
          assert.strictEqual(json(notJson.text).code, "INVALID_WEBHOOK")
          assert.match(json(notJson.text).message, /kept in the quarantine as q_[0-9a-f]{32}/)
          const notBatch = yield* rawPost(path, JSON.stringify({ event: "incoming_message", message: {} }), {
            "content-type": "application/json"
          })
          assert.strictEqual(notBatch.status, 400)
          const page = yield* api.quarantine.listQuarantine({ urlParams: {} })
          assert.deepStrictEqual(page.items.map((e) => e.kind).sort(), ["body", "body", "item"])
          assert.include(page.items.find((e) => e.kind === "item")!.raw, "Hi there")
          assert.strictEqual(page.items.find((e) => e.raw === "this is { not json")?.kind, "body")
          // the business hears about each, once
          yield* Effect.promise(() => r.waitFor(3, 10_000))
          assert.deepStrictEqual(types(r.received), [
            "webhook.quarantined",
            "webhook.quarantined",
            "webhook.quarantined"
          ])
          // a retry with today's decoder fails again: still quarantined, counted
          const item = page.items.find((e) => e.kind === "item")!
          const retried = yield* api.quarantine.retryQuarantined({ path: { id: item.id } })
          assert.deepStrictEqual([retried.entry.state, retried.entry.retries], ["quarantined", 1])
          assert.deepStrictEqual(retried.result, { accepted: 0, duplicates: 0, rejected: 0 })
        }).pipe(Effect.provide(server(r.url)))
      }),
    30_000
  )

  it.scopedLive("a report that came before its message was known is settled by a retry", () =>
    Effect.gen(function*() {
      const r = yield* receiver
      yield* Effect.gen(function*() {
        const api = yield* client
        yield* customerWrites()
        const early = yield* postBatch([{
          callback_type: "dlr",
          sid: "sid-early",
          exo_status_code: 30002,
          custom_data: JSON.stringify({ id: "msg_not_yet" })
        }])
        assert.deepStrictEqual(json(early.body), { accepted: 1, duplicates: 0, rejected: 0 })
        const [entry] = (yield* api.quarantine.listQuarantine({ urlParams: { state: "quarantined" } })).items
        assert.strictEqual(entry!.kind, "unknown_message")
        const stillUnknown = yield* api.quarantine.retryQuarantined({ path: { id: entry!.id } })
        assert.strictEqual(stillUnknown.entry.state, "quarantined")
        const sent = yield* api.messages.sendMessage({
          payload: { from: BUSINESS, to: CUSTOMER, content: { type: "text", text: { body: "hi" } } },
          headers: {}
        })
        // the report named our id (custom_data); a report for the real message under that provider id settles it
        const report = yield* postBatch([{
          callback_type: "dlr",
          sid: sent.providerMessageId!,
          exo_status_code: 30002
        }])
        assert.deepStrictEqual(json(report.body), { accepted: 1, duplicates: 0, rejected: 0 })
        const missing = yield* api.quarantine.retryQuarantined({ path: { id: "q_nope" } }).pipe(Effect.flip)
        assert.strictEqual(missing._tag, "QuarantineNotFoundError")
      }).pipe(Effect.provide(server(r.url)))
    }), 30_000)

  it.scopedLive(
    "bad input to every new endpoint: 4xx with a stable code, nothing recorded",
    () =>
      Effect.gen(function*() {
        const r = yield* receiver
        yield* Effect.gen(function*() {
          const cases: ReadonlyArray<readonly [string, string, string | undefined, number, string, string?]> = [
            ["POST", "/v1/endpoints", JSON.stringify({ url: "ftp://x" }), 400, "INVALID_ENDPOINT", "url"],
            [
              "POST",
              "/v1/endpoints",
              JSON.stringify({ url: "https://x.example/h", events: [] }),
              400,
              "INVALID_ENDPOINT",
              "events"
            ],
            [
              "POST",
              "/v1/endpoints",
              JSON.stringify({ url: "https://x.example/h", events: ["nope"] }),
              400,
              "INVALID_ENDPOINT",
              "events"
            ],
            [
              "POST",
              "/v1/endpoints",
              JSON.stringify({ url: "https://x.example/h", secret: "s3cret" }),
              400,
              "INVALID_ENDPOINT",
              "secret"
            ],
            ["POST", "/v1/endpoints", JSON.stringify({ events: ["window.opened"] }), 400, "INVALID_REQUEST"],
            ["POST", "/v1/endpoints", "{not json", 400, "INVALID_REQUEST"],
            ["DELETE", "/v1/endpoints/ep_nope", undefined, 404, "ENDPOINT_NOT_FOUND"],
            ["DELETE", "/v1/endpoints/ep_configured", undefined, 409, "ENDPOINT_CONFIGURED"],
            ["GET", "/v1/events?type=window.opened,nope", undefined, 400, "INVALID_REQUEST", "type"],
            ["GET", "/v1/events?after=evt_nope", undefined, 400, "INVALID_REQUEST", "after"],
            ["GET", "/v1/events?limit=0", undefined, 400, "INVALID_REQUEST"],
            ["GET", "/v1/events?limit=abc", undefined, 400, "INVALID_REQUEST"],
            ["GET", "/v1/deliveries?state=lost", undefined, 400, "INVALID_REQUEST"],
            ["GET", "/v1/deliveries?cursor=%%%", undefined, 400, "INVALID_REQUEST", "cursor"],
            ["POST", "/v1/deliveries/replay", JSON.stringify({}), 400, "INVALID_REQUEST", "since"],
            ["POST", "/v1/deliveries/replay", JSON.stringify({ eventIds: [] }), 400, "INVALID_REQUEST"],
            ["POST", "/v1/deliveries/replay", JSON.stringify({ since: "yesterday" }), 400, "INVALID_REQUEST"],
            [
              "POST",
              "/v1/deliveries/replay",
              JSON.stringify({ endpoint: "ep_nope", since: "2026-01-01T00:00:00Z" }),
              404,
              "ENDPOINT_NOT_FOUND"
            ],
            ["GET", "/v1/quarantine?state=lost", undefined, 400, "INVALID_REQUEST"],
            ["GET", "/v1/quarantine?cursor=bm9wZQ", undefined, 400, "INVALID_REQUEST", "cursor"],
            ["POST", "/v1/quarantine/q_nope/retry", undefined, 404, "QUARANTINE_NOT_FOUND"],
            // an endpoint at an Exotel webhook would loop: each delivery quarantined, each quarantine a new event
            [
              "POST",
              "/v1/endpoints",
              JSON.stringify({ url: `http://127.0.0.1:9/webhooks/exotel/${WEBHOOK_SECRET}` }),
              400,
              "INVALID_ENDPOINT",
              "url"
            ],
            // text no store keeps as it is (PostgreSQL refuses NUL): refused up front, on every route
            ["GET", "/v1/messages/%00", undefined, 400, "INVALID_REQUEST"],
            ["GET", "/v1/events?after=evt%00", undefined, 400, "INVALID_REQUEST"],
            [
              "POST",
              "/v1/deliveries/replay",
              JSON.stringify({ eventIds: ["e\u0000"] }),
              400,
              "INVALID_REQUEST",
              "eventIds.0"
            ],
            [
              "POST",
              "/v1/endpoints",
              JSON.stringify({ url: "https://x.example/h", events: ["window.opened", "\ud800"] }),
              400,
              "INVALID_REQUEST",
              "events.1"
            ],
            [
              "GET",
              `/v1/sessions/${encodeURIComponent(BUSINESS)}/123/messages`,
              undefined,
              422,
              "INVALID_PHONE_NUMBER"
            ],
            [
              "GET",
              `/v1/sessions/${encodeURIComponent(BUSINESS)}/${encodeURIComponent(CUSTOMER)}/messages?cursor=x`,
              undefined,
              400,
              "INVALID_REQUEST",
              "cursor"
            ],
            [
              "GET",
              `/v1/sessions/${encodeURIComponent(BUSINESS)}/${encodeURIComponent(CUSTOMER)}/messages?limit=201`,
              undefined,
              400,
              "INVALID_REQUEST"
            ]
          ]
          for (const [method, path, body, status, code, field] of cases) {
            const answer = method === "GET"
              ? yield* rawGet(path, auth)
              : yield* rawPost(path, body ?? "", { ...auth, "content-type": "application/json" }, method)
            assert.strictEqual(answer.status, status, `${method} ${path} ${body}: ${answer.text}`)
            assert.notInclude(answer.text, WEBHOOK_SECRET)
            const error = json(answer.text)
            assert.strictEqual(error.code, code, `${method} ${path}: ${answer.text}`)
            if (field !== undefined) assert.strictEqual(error.path, field, `${method} ${path}: ${answer.text}`)
          }
          for (const path of ["/v1/events", "/v1/endpoints", "/v1/deliveries", "/v1/quarantine"]) {
            assert.strictEqual((yield* rawGet(path)).status, 401, path)
          }
          const api = yield* client
          assert.deepStrictEqual((yield* api.events.listEndpoints()).items.map((e) => e.id), ["ep_configured"])
        }).pipe(Effect.provide(server(r.url)))
      }),
    30_000
  )
})
