import { assert, describe, it } from "@effect/vitest"
import { DateTime, Effect } from "effect"
import * as Ingest from "../src/Ingest.js"
import {
  at,
  auth,
  BUSINESS,
  client,
  CUSTOMER,
  customerWrites,
  eventually,
  followUp,
  json,
  postBatch,
  rawGet,
  rawPost,
  report,
  SECRET,
  TestEnv,
  TestServer,
  text
} from "./support.js"

const hookPath = `/webhooks/exotel/${SECRET}`
const ack = (body: string) => JSON.parse(body) as { accepted: number; duplicates: number; rejected: number }
const pair = { business: BUSINESS, customer: CUSTOMER }

describe("POST /webhooks/exotel/{secret}", () => {
  it.live("an inbound message opens the window from its provider timestamp (India time)", () =>
    Effect.gen(function*() {
      const api = yield* client
      yield* at("2026-01-20T04:31:00Z")
      const delivery = yield* customerWrites({ timestamp: "2026-01-20T10:00:00+05:30" })
      assert.strictEqual(delivery.status, 200)
      assert.deepStrictEqual(ack(delivery.body), { accepted: 1, duplicates: 0, rejected: 0 })
      const session = yield* api.sessions.getSession({ path: pair, urlParams: {} })
      assert.strictEqual(session.state, "open")
      assert.strictEqual(DateTime.formatIso(session.lastInboundAt!), "2026-01-20T04:30:00.000Z")
      assert.strictEqual(DateTime.formatIso(session.expiresAt!), "2026-01-21T04:30:00.000Z")
    }).pipe(Effect.provide(TestServer())))

  it.live("a wrong secret gets 404 and records nothing", () =>
    Effect.gen(function*() {
      const api = yield* client
      const env = yield* TestEnv
      const item = env.fake.inboundItem({ from: CUSTOMER, to: BUSINESS })
      const wrong = yield* postBatch([item], `${env.baseUrl}/webhooks/exotel/not-the-secret`)
      assert.strictEqual(wrong.status, 404)
      assert.strictEqual(json(wrong.body).code, "NOT_FOUND")
      const empty = yield* postBatch([item], `${env.baseUrl}/webhooks/exotel/`)
      assert.strictEqual(empty.status, 404)
      const session = yield* api.sessions.getSession({ path: pair, urlParams: {} })
      assert.strictEqual(session.state, "none")
    }).pipe(Effect.provide(TestServer())))

  it.live("not JSON, or no whatsapp.messages array: 400 INVALID_WEBHOOK", () =>
    Effect.gen(function*() {
      for (const body of ["not json", "{}", JSON.stringify({ whatsapp: { messages: "x" } }), "[]"]) {
        const response = yield* rawPost(hookPath, body)
        assert.strictEqual(response.status, 400, body)
        assert.strictEqual(json(response.text).code, "INVALID_WEBHOOK")
        assert.isString(json(response.text).message)
      }
    }).pipe(Effect.provide(TestServer())))

  it.live("malformed items are counted in rejected and never block valid ones", () =>
    Effect.gen(function*() {
      const api = yield* client
      const env = yield* TestEnv
      const now = DateTime.formatIso(yield* DateTime.now)
      const delivery = yield* postBatch([
        "not an item",
        { callback_type: "incoming_message", from: CUSTOMER, to: BUSINESS, content: { type: "text" } },
        env.fake.inboundItem({ from: CUSTOMER, to: BUSINESS, timestamp: now }),
        { callback_type: "incoming_message", sid: "x", from: "12", to: BUSINESS, content: { type: "text" } },
        { callback_type: "dlr", sid: "s1" },
        { callback_type: "mystery" }
      ])
      assert.strictEqual(delivery.status, 200)
      assert.deepStrictEqual(ack(delivery.body), { accepted: 1, duplicates: 0, rejected: 5 })
      assert.strictEqual((yield* api.sessions.getSession({ path: pair, urlParams: {} })).state, "open")
    }).pipe(Effect.provide(TestServer())))

  it.live("ids no store keeps as they are (NUL, unpaired surrogate) are quarantined; the valid items are recorded", () =>
    Effect.gen(function*() {
      const api = yield* client
      const env = yield* TestEnv
      const now = DateTime.formatIso(yield* DateTime.now)
      const item = (sid: string, from: string) => env.fake.inboundItem({ from, to: BUSINESS, timestamp: now, sid })
      const batch = [
        item("wamid.nul\u0000", "+919876543301"),
        item("wamid.half\ud83d", "+919876543302"),
        { ...item("wamid.ok", CUSTOMER), profile_name: "As\u0000ha\udc00" }
      ]
      for (let round = 0; round < 2; round++) {
        const delivery = yield* postBatch(batch)
        assert.deepStrictEqual(ack(delivery.body), { accepted: 1 - round, duplicates: round, rejected: 2 })
      }
      const kept = yield* api.quarantine.listQuarantine({ urlParams: {} })
      assert.strictEqual(kept.items.length, 2)
      for (const entry of kept.items) {
        assert.include(entry.reason, "sid: contains a NUL character or an unpaired surrogate")
      }
      assert.deepStrictEqual(kept.items.map((e) => JSON.parse(e.raw).sid).sort(), [
        "wamid.half\ud83d",
        "wamid.nul\u0000"
      ])
      const history = yield* api.sessions.listMessages({ path: pair, urlParams: {} })
      const [received] = history.items
      assert.isTrue(received?.direction === "inbound" && received.profileName === "As\uFFFDha\uFFFD")
    }).pipe(Effect.provide(TestServer())))

  it.live("hostile bodies: deep nesting is a 400 or a rejected item, never a 500; logs do not echo item values", () =>
    Effect.gen(function*() {
      const env = yield* TestEnv
      const deep = (depth: number) => "[".repeat(depth) + "1" + "]".repeat(depth)
      const whole = yield* rawPost(hookPath, deep(5000))
      assert.strictEqual(whole.status, 400)
      assert.strictEqual(json(whole.text).code, "INVALID_WEBHOOK")
      const now = DateTime.formatIso(yield* DateTime.now)
      const item = env.fake.inboundItem({ from: CUSTOMER, to: BUSINESS, timestamp: now })
      const mixed = yield* rawPost(
        hookPath,
        `{"whatsapp":{"messages":[${deep(5000)},{"callback_type":"incoming_message","sid":${deep(100)}},${
          JSON.stringify(item)
        }]}}`
      )
      assert.strictEqual(mixed.status, 200)
      assert.deepStrictEqual(ack(mixed.text), { accepted: 1, duplicates: 0, rejected: 2 })
      const deepObject = `${"{\"a\":".repeat(5000)}1${"}".repeat(5000)}`
      const api = yield* rawPost(
        "/v1/messages",
        `{"from":${deepObject},"to":"${CUSTOMER}","content":${JSON.stringify(text("x"))}}`,
        auth
      )
      assert.isAtLeast(api.status, 400)
      assert.isBelow(api.status, 500)
      assert.strictEqual(json(api.text).code, "INVALID_REQUEST")
      assert.strictEqual(
        Ingest.redactReason("from: \"+91CANARY\" is not a phone number (sid 987654321)"),
        "from: \"…\" is not a phone number (sid …)"
      )
    }).pipe(Effect.provide(TestServer())))

  it.live("the same inbound message twice is a duplicate; an older one does not shorten the window", () =>
    Effect.gen(function*() {
      const api = yield* client
      yield* customerWrites({ sid: "wamid-1" })
      const again = yield* customerWrites({ sid: "wamid-1" })
      assert.deepStrictEqual(ack(again.body), { accepted: 0, duplicates: 1, rejected: 0 })
      yield* customerWrites({ sid: "wamid-0", timestamp: "2026-01-20T01:00:00Z" })
      const session = yield* api.sessions.getSession({ path: pair, urlParams: {} })
      assert.strictEqual(DateTime.formatIso(session.lastInboundAt!), "2026-01-20T04:30:00.000Z")
    }).pipe(Effect.provide(TestServer())))

  it.live("a provider timestamp ahead of our clock beyond the tolerance counts from the receive time", () =>
    Effect.gen(function*() {
      const api = yield* client
      yield* customerWrites({ timestamp: "2026-01-20T06:30:00Z" })
      const session = yield* api.sessions.getSession({ path: pair, urlParams: {} })
      assert.strictEqual(DateTime.formatIso(session.lastInboundAt!), "2026-01-20T04:30:00.000Z")
    }).pipe(Effect.provide(TestServer())))

  it.live("a body over 1 MiB: 413 PAYLOAD_TOO_LARGE (webhook and API)", () =>
    Effect.gen(function*() {
      const big = JSON.stringify({ whatsapp: { messages: [{ padding: "x".repeat(1024 * 1024) }] } })
      const hook = yield* rawPost(hookPath, big)
      assert.strictEqual(hook.status, 413)
      assert.strictEqual(json(hook.text).code, "PAYLOAD_TOO_LARGE")
      assert.strictEqual(json(hook.text).limit, 1024 * 1024)
      const api = yield* rawPost("/v1/messages", big)
      assert.strictEqual(api.status, 413)
      assert.strictEqual(json(api.text).code, "PAYLOAD_TOO_LARGE")
      // the webhook's refusal is a webhook answer; the API's is not
      assert.include((yield* rawGet("/metrics")).text, "wa_session_webhook_requests_total{status=\"413\"} 1\n")
    }).pipe(Effect.provide(TestServer())))

  it.live("a body over 1 MiB without Content-Length (chunked): 413; a small one is served", () =>
    Effect.gen(function*() {
      const env = yield* TestEnv
      const status = (path: string, payload?: string) =>
        Effect.promise(async () => {
          const chunk = new TextEncoder().encode(payload ?? "x".repeat(64 * 1024))
          let sent = 0
          const body = new ReadableStream<Uint8Array>({
            pull(controller) {
              if (sent++ < (payload === undefined ? 20 : 1)) controller.enqueue(chunk)
              else controller.close()
            }
          })
          const response = await fetch(`${env.baseUrl}${path}`, {
            method: "POST",
            headers: { "content-type": "application/json", ...auth },
            body,
            duplex: "half"
          } as RequestInit)
          return { status: response.status, body: await response.text() }
        })
      const hook = yield* status(hookPath)
      assert.strictEqual(hook.status, 413)
      assert.strictEqual(json(hook.body).code, "PAYLOAD_TOO_LARGE")
      const api = yield* status("/v1/messages")
      assert.strictEqual(api.status, 413)
      assert.strictEqual(json(api.body).code, "PAYLOAD_TOO_LARGE")
      // a small body of unknown length is read and served as usual
      const small = yield* status(
        "/v1/messages",
        JSON.stringify({ from: BUSINESS, to: CUSTOMER, content: text("Hi"), fallback: followUp })
      )
      assert.strictEqual(small.status, 202, small.body)
      assert.strictEqual(json(small.body).reason, "NO_ACTIVE_SESSION")
      assert.include((yield* rawGet("/metrics")).text, "wa_session_webhook_requests_total{status=\"413\"} 1\n")
    }).pipe(Effect.provide(TestServer())))

  it.live("concurrent webhooks share grouped commits and are all acknowledged after storing", () =>
    Effect.gen(function*() {
      const api = yield* client
      const env = yield* TestEnv
      const now = DateTime.formatIso(yield* DateTime.now)
      const customers = Array.from({ length: 60 }, (_, i) => `+9198765${String(10000 + i)}`)
      const deliveries = yield* Effect.forEach(
        customers,
        (customer, i) =>
          postBatch([
            env.fake.inboundItem({ from: customer, to: BUSINESS, timestamp: now, sid: `m-${i}` }),
            env.fake.inboundItem({ from: customer, to: BUSINESS, timestamp: now, sid: `m-${i}` })
          ]),
        { concurrency: 30 }
      )
      for (const delivery of deliveries) {
        assert.deepStrictEqual(ack(delivery.body), { accepted: 1, duplicates: 1, rejected: 0 })
      }
      const page = yield* api.sessions.listExpiring({ urlParams: { limit: 1000 } })
      assert.strictEqual(page.items.length, 60)
    }).pipe(Effect.provide(TestServer())))

  it.live("a report for a message we never sent is acknowledged and kept in the quarantine", () =>
    Effect.gen(function*() {
      const api = yield* client
      const delivery = yield* report({ sid: "someone-elses", code: 30002, to: CUSTOMER })
      assert.strictEqual(delivery.status, 200)
      assert.deepStrictEqual(ack(delivery.body), { accepted: 1, duplicates: 0, rejected: 0 })
      const kept = yield* api.quarantine.listQuarantine({ urlParams: {} })
      assert.strictEqual(kept.items.length, 1)
      assert.strictEqual(kept.items[0]!.kind, "unknown_message")
      assert.include(kept.items[0]!.raw, "someone-elses")
    }).pipe(Effect.provide(TestServer())))

  it.live("30018 closes the window (provider truth) and sends the fallback template once", () =>
    Effect.gen(function*() {
      const api = yield* client
      const env = yield* TestEnv
      yield* customerWrites()
      yield* at("2026-01-20T05:00:00Z")
      const sent = yield* api.messages.sendMessage({
        payload: { from: BUSINESS, to: CUSTOMER, content: text("Hi"), fallback: followUp },
        headers: {}
      })
      assert.strictEqual(sent.decision, "session")
      yield* at("2026-01-20T05:00:05Z")
      const first = yield* report({ sid: sent.providerMessageId!, code: 30018 })
      assert.deepStrictEqual(ack(first.body), { accepted: 1, duplicates: 0, rejected: 0 })
      const again = yield* report({ sid: sent.providerMessageId!, code: 30018 })
      assert.deepStrictEqual(ack(again.body), { accepted: 0, duplicates: 1, rejected: 0 })

      const session = yield* api.sessions.getSession({ path: pair, urlParams: {} })
      assert.strictEqual(session.state, "expired")
      assert.isTrue(session.closedByProvider)
      assert.strictEqual(session.remainingSeconds, 0)

      // the fallback was queued in the webhook's transaction; the send worker sends it
      yield* eventually(() => env.fake.messages.length === 2, "the fallback sent by the worker")
      assert.strictEqual(env.fake.messages.length, 2)
      assert.deepStrictEqual(env.fake.messages[1]!.content, followUp)
      const original = yield* api.messages.getMessage({ path: { id: sent.id } })
      assert.strictEqual(original.status, "failed")
      assert.isString(original.fallbackMessageId)
      const fallback = yield* api.messages.getMessage({ path: { id: original.fallbackMessageId! } })
      assert.strictEqual(fallback.decision, "template")
      assert.strictEqual(fallback.reason, "SESSION_EXPIRED")
      assert.strictEqual(fallback.providerMessageId, env.fake.messages[1]!.sid)

      const refused = yield* api.messages.sendMessage({
        payload: { from: BUSINESS, to: CUSTOMER, content: text("Hello?") },
        headers: {}
      }).pipe(Effect.flip)
      assert.strictEqual(refused._tag, "SessionExpiredError")
      if (refused._tag === "SessionExpiredError") assert.isTrue(refused.closedByProvider)

      yield* at("2026-01-20T05:10:00Z")
      yield* customerWrites()
      assert.strictEqual((yield* api.sessions.getSession({ path: pair, urlParams: {} })).state, "open")
    }).pipe(Effect.provide(TestServer())))

  it.live("30018 on a message without fallback closes the window and sends nothing", () =>
    Effect.gen(function*() {
      const api = yield* client
      const env = yield* TestEnv
      yield* customerWrites()
      const sent = yield* api.messages.sendMessage({
        payload: { from: BUSINESS, to: CUSTOMER, content: text("Hi") },
        headers: {}
      })
      yield* report({ sid: sent.providerMessageId!, code: 30018 })
      assert.strictEqual((yield* api.sessions.getSession({ path: pair, urlParams: {} })).state, "expired")
      assert.strictEqual(env.fake.messages.length, 1)
    }).pipe(Effect.provide(TestServer())))

  it.live("webhook items show in /metrics by kind and outcome", () =>
    Effect.gen(function*() {
      yield* customerWrites({ sid: "a" })
      yield* customerWrites({ sid: "a" })
      yield* postBatch([{ nope: true }])
      const metrics = yield* rawGet("/metrics")
      assert.include(metrics.text, "wa_session_webhook_items_total{kind=\"inbound\",outcome=\"accepted\"} 1")
      assert.include(metrics.text, "wa_session_webhook_items_total{kind=\"inbound\",outcome=\"duplicate\"} 1")
      assert.include(metrics.text, "wa_session_webhook_items_total{kind=\"malformed\",outcome=\"rejected\"} 1")
      assert.include(metrics.text, "wa_session_webhook_requests_total{status=\"200\"} 3")
      assert.include(metrics.text, "wa_session_open_windows 1")
    }).pipe(Effect.provide(TestServer())))
})

describe("the webhook through the HttpApi route (no fast path)", () => {
  it.live("answers like the fast path", () =>
    Effect.gen(function*() {
      const api = yield* client
      const env = yield* TestEnv
      const delivery = yield* customerWrites({ sid: "w1" })
      assert.deepStrictEqual(ack(delivery.body), { accepted: 1, duplicates: 0, rejected: 0 })
      const again = yield* postBatch([env.fake.inboundItem({ from: CUSTOMER, to: BUSINESS, sid: "w1" }), { x: 1 }])
      assert.deepStrictEqual(ack(again.body), { accepted: 0, duplicates: 1, rejected: 1 })
      const wrong = yield* postBatch([], `${env.baseUrl}/webhooks/exotel/wrong`)
      assert.strictEqual(wrong.status, 404)
      assert.strictEqual(json(wrong.body).code, "NOT_FOUND")
      const bad = yield* rawPost(hookPath, "{}")
      assert.strictEqual(bad.status, 400)
      assert.strictEqual(json(bad.text).code, "INVALID_WEBHOOK")
      const notJson = yield* rawPost(hookPath, "not json at all")
      assert.strictEqual(notJson.status, 400)
      assert.match(json(notJson.text).message, /kept in the quarantine as q_/)
      const kept = yield* api.quarantine.listQuarantine({ urlParams: {} })
      assert.deepStrictEqual(kept.items.map((e) => e.kind).sort(), ["body", "body", "item"])
      assert.strictEqual((yield* api.sessions.getSession({ path: pair, urlParams: {} })).state, "open")
    }).pipe(Effect.provide(TestServer({ fastPath: false }))))
})

const standardWebhooksHeaders = {
  "webhook-id": "evt_1",
  "webhook-timestamp": "1767225600",
  "webhook-signature": "v1,c2lnbmF0dXJl"
}
const eventDelivery = (path: string) =>
  rawPost(path, JSON.stringify({ id: "evt_1", type: "webhook.quarantined", data: {} }), standardWebhooksHeaders)

describe("an events endpoint pointing at the webhook", () => {
  for (const fastPath of [true, false]) {
    it.live(`its deliveries are refused and not quarantined, so they cannot loop (fast path: ${fastPath})`, () =>
      Effect.gen(function*() {
        const api = yield* client
        const refused = yield* eventDelivery(hookPath)
        assert.strictEqual(refused.status, 400)
        assert.strictEqual(json(refused.text).code, "INVALID_WEBHOOK")
        assert.include(json(refused.text).message, "delivery of wa-session events")
        assert.deepStrictEqual((yield* api.quarantine.listQuarantine({ urlParams: {} })).items, [])
        assert.deepStrictEqual((yield* api.events.listEvents({ urlParams: {} })).items, [])
        // Exotel's own batch behind a gateway that adds such headers is a webhook like any other
        const env = yield* TestEnv
        const batch = { whatsapp: { messages: [env.fake.inboundItem({ from: CUSTOMER, to: BUSINESS })] } }
        const relayed = yield* rawPost(hookPath, JSON.stringify(batch), standardWebhooksHeaders)
        assert.deepStrictEqual(ack(relayed.text), { accepted: 1, duplicates: 0, rejected: 0 })
      }).pipe(Effect.provide(TestServer({ fastPath }))))
  }
})

describe("storage failures", () => {
  it.live("the webhook answers 503 STORAGE_UNAVAILABLE (Exotel retries) and the API 503 too", () =>
    Effect.gen(function*() {
      const api = yield* client
      const delivery = yield* customerWrites()
      assert.strictEqual(delivery.status, 503)
      assert.strictEqual(json(delivery.body).code, "STORAGE_UNAVAILABLE")
      const error = yield* api.sessions.getSession({ path: pair, urlParams: {} }).pipe(Effect.flip)
      assert.strictEqual(error._tag, "StorageUnavailableError")
      const ready = yield* rawGet("/readyz")
      assert.strictEqual(ready.status, 503)
      assert.strictEqual(json(ready.text).code, "NOT_READY")
      assert.strictEqual((yield* rawGet("/healthz")).status, 200)
    }).pipe(Effect.provide(TestServer({ failing: ["ingest", "getWindow", "ping"] }))))
})
