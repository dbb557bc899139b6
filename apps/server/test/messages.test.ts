import { assert, describe, it } from "@effect/vitest"
import { Behaviour } from "@wa-session/exotel-fake"
import { DateTime, Effect } from "effect"
import {
  at,
  auth,
  BUSINESS,
  client,
  CUSTOMER,
  customerWrites,
  followUp,
  json,
  postBatch,
  rawGet,
  rawPost,
  report,
  TestEnv,
  TestServer,
  text
} from "./support.js"

const iso = (at: DateTime.Utc | null) => (at === null ? null : DateTime.formatIso(at))
describe("POST /v1/messages", () => {
  it.live("inside the window: a session message, sent to Exotel with our webhook as status_callback", () =>
    Effect.gen(function*() {
      const api = yield* client
      const env = yield* TestEnv
      yield* customerWrites()
      yield* at("2026-01-20T04:35:00Z")
      const sent = yield* api.messages.sendMessage({
        payload: { from: BUSINESS, to: CUSTOMER, content: text("Let me check!") },
        headers: {}
      })
      assert.strictEqual(sent.decision, "session")
      assert.strictEqual(sent.reason, null)
      assert.strictEqual(sent.window.state, "open")
      assert.strictEqual(iso(sent.window.expiresAt), "2026-01-21T04:30:00.000Z")
      assert.strictEqual(sent.status, "accepted")
      assert.strictEqual(sent.dryRun, false)
      assert.strictEqual(env.fake.messages.length, 1)
      const wire = env.fake.messages[0]!
      assert.strictEqual(sent.providerMessageId, wire.sid)
      assert.deepStrictEqual(wire.content, text("Let me check!"))
      assert.strictEqual(wire.from, BUSINESS)
      assert.strictEqual(wire.to, CUSTOMER)
      assert.strictEqual(wire.statusCallback, env.webhookUrl)
      assert.strictEqual(JSON.parse(wire.customData!).id, sent.id)
      assert.isTrue(env.fake.requests[0]!.authorized)
    }).pipe(Effect.provide(TestServer())))

  it.live("phone numbers may be written without + and with spaces", () =>
    Effect.gen(function*() {
      const api = yield* client
      yield* customerWrites()
      const sent = yield* api.messages.sendMessage({
        payload: { from: "91 98765 00001", to: "919876543210", content: text("Hi") },
        headers: {}
      })
      assert.strictEqual(sent.decision, "session")
    }).pipe(Effect.provide(TestServer())))

  it.live("a template is always allowed, even with no window", () =>
    Effect.gen(function*() {
      const api = yield* client
      const sent = yield* api.messages.sendMessage({
        payload: { from: BUSINESS, to: CUSTOMER, content: followUp },
        headers: {}
      })
      assert.strictEqual(sent.decision, "template")
      assert.strictEqual(sent.reason, null)
      assert.strictEqual(sent.window.state, "none")
    }).pipe(Effect.provide(TestServer())))

  it.live("expired without fallback: 409 SESSION_EXPIRED, nothing sent", () =>
    Effect.gen(function*() {
      const api = yield* client
      const env = yield* TestEnv
      yield* customerWrites()
      yield* at("2026-01-21T04:30:00Z")
      const error = yield* api.messages.sendMessage({
        payload: { from: BUSINESS, to: CUSTOMER, content: text("Still there?") },
        headers: {}
      }).pipe(Effect.flip)
      assert.strictEqual(error._tag, "SessionExpiredError")
      if (error._tag !== "SessionExpiredError") return
      assert.strictEqual(error.code, "SESSION_EXPIRED")
      assert.strictEqual(DateTime.formatIso(error.expiredAt), "2026-01-21T04:30:00.000Z")
      assert.isFalse(error.closedByProvider)
      assert.strictEqual(env.fake.requests.length, 0)
      const raw = yield* rawPost(
        "/v1/messages",
        JSON.stringify({ from: BUSINESS, to: CUSTOMER, content: text("Still there?") }),
        auth
      )
      assert.strictEqual(raw.status, 409)
      assert.strictEqual(json(raw.text).code, "SESSION_EXPIRED")
      assert.isString(json(raw.text).message)
    }).pipe(Effect.provide(TestServer())))

  it.live("expired with a fallback: the template goes out, reason SESSION_EXPIRED", () =>
    Effect.gen(function*() {
      const api = yield* client
      const env = yield* TestEnv
      yield* customerWrites()
      yield* at("2026-01-21T06:00:00Z")
      const sent = yield* api.messages.sendMessage({
        payload: { from: BUSINESS, to: CUSTOMER, content: text("Following up"), fallback: followUp },
        headers: {}
      })
      assert.strictEqual(sent.decision, "template")
      assert.strictEqual(sent.reason, "SESSION_EXPIRED")
      assert.strictEqual(sent.window.state, "expired")
      assert.deepStrictEqual(env.fake.messages[0]!.content, followUp)
    }).pipe(Effect.provide(TestServer())))

  it.live("never wrote: 409 NO_ACTIVE_SESSION without fallback, the template with one", () =>
    Effect.gen(function*() {
      const api = yield* client
      const error = yield* api.messages.sendMessage({
        payload: { from: BUSINESS, to: CUSTOMER, content: text("Hello") },
        headers: {}
      }).pipe(Effect.flip)
      assert.strictEqual(error._tag, "NoActiveSessionError")
      const sent = yield* api.messages.sendMessage({
        payload: { from: BUSINESS, to: CUSTOMER, content: text("Hello"), fallback: followUp },
        headers: {}
      })
      assert.strictEqual(sent.decision, "template")
      assert.strictEqual(sent.reason, "NO_ACTIVE_SESSION")
      assert.strictEqual(sent.window.state, "none")
    }).pipe(Effect.provide(TestServer())))

  it.live("bad content: 422 INVALID_MESSAGE / MESSAGE_TYPE_NOT_SUPPORTED / INVALID_PHONE_NUMBER", () =>
    Effect.gen(function*() {
      const api = yield* client
      const env = yield* TestEnv
      yield* customerWrites()
      const send = (payload: { from: string; to: string; content: unknown; fallback?: unknown }) =>
        api.messages.sendMessage({ payload, headers: {} }).pipe(Effect.flip)

      const tooLong = yield* send({ from: BUSINESS, to: CUSTOMER, content: text("x".repeat(4097)) })
      assert.strictEqual(tooLong._tag, "InvalidMessageError")
      if (tooLong._tag === "InvalidMessageError") {
        assert.strictEqual(tooLong.code, "INVALID_MESSAGE")
        assert.strictEqual(tooLong.path, "text.body")
        assert.strictEqual(tooLong.limit, 4096)
        assert.strictEqual(tooLong.actual, 4097)
        assert.isAtLeast(tooLong.violations.length, 1)
      }

      const unsupported = yield* send({ from: BUSINESS, to: CUSTOMER, content: { type: "hologram" } })
      assert.strictEqual(unsupported._tag, "MessageTypeNotSupportedError")
      if (unsupported._tag === "MessageTypeNotSupportedError") {
        assert.strictEqual(unsupported.code, "MESSAGE_TYPE_NOT_SUPPORTED")
        assert.strictEqual(unsupported.type, "hologram")
        assert.include(unsupported.supported, "text")
      }

      const phone = yield* send({ from: BUSINESS, to: "12345", content: text("Hi") })
      assert.strictEqual(phone._tag, "InvalidPhoneNumberError")
      if (phone._tag === "InvalidPhoneNumberError") {
        assert.strictEqual(phone.code, "INVALID_PHONE_NUMBER")
        assert.strictEqual(phone.path, "to")
        assert.strictEqual(phone.input, "12345")
      }

      const notTemplate = yield* send({ from: BUSINESS, to: CUSTOMER, content: text("Hi"), fallback: text("Hi") })
      assert.strictEqual(notTemplate._tag, "InvalidMessageError")
      if (notTemplate._tag === "InvalidMessageError") assert.strictEqual(notTemplate.path, "fallback.type")

      const raw = yield* rawPost("/v1/messages", JSON.stringify({ from: BUSINESS, to: CUSTOMER, content: {} }), auth)
      assert.strictEqual(raw.status, 422)
      assert.strictEqual(json(raw.text).code, "INVALID_MESSAGE")
      assert.strictEqual(env.fake.requests.length, 0)
    }).pipe(Effect.provide(TestServer())))

  it.live("a body that does not match the contract: 400 INVALID_REQUEST with the field path", () =>
    Effect.gen(function*() {
      const missing = yield* rawPost("/v1/messages", JSON.stringify({ from: BUSINESS, content: text("x") }), auth)
      assert.strictEqual(missing.status, 400)
      assert.strictEqual(json(missing.text).code, "INVALID_REQUEST")
      assert.strictEqual(json(missing.text).path, "to")
      const notJson = yield* rawPost("/v1/messages", "{nope", auth)
      assert.strictEqual(notJson.status, 400)
      assert.strictEqual(json(notJson.text).code, "INVALID_REQUEST")
    }).pipe(Effect.provide(TestServer())))

  it.live("Exotel refuses the message: 502 PROVIDER_ERROR with Exotel's code, stored as failed", () =>
    Effect.gen(function*() {
      const api = yield* client
      const env = yield* TestEnv
      yield* customerWrites()
      env.fake.script(Behaviour.failMessage(0, { code: 30012 }))
      const error = yield* api.messages.sendMessage({
        payload: { from: BUSINESS, to: CUSTOMER, content: text("Hi") },
        headers: {}
      }).pipe(Effect.flip)
      assert.strictEqual(error._tag, "ProviderFailedError")
      if (error._tag !== "ProviderFailedError") return
      assert.strictEqual(error.code, "PROVIDER_ERROR")
      assert.strictEqual(error.providerCode, "30012")
      assert.isString(error.messageId)
      const stored = yield* api.messages.getMessage({ path: { id: error.messageId! } })
      assert.strictEqual(stored.status, "failed")
      assert.strictEqual(stored.history.at(-1)?.code, "30012")
    }).pipe(Effect.provide(TestServer())))

  it.live("Exotel keeps failing after the retries: the send is queued again (202) and goes out once Exotel is back", () =>
    Effect.gen(function*() {
      const api = yield* client
      const env = yield* TestEnv
      yield* customerWrites()
      env.fake.script(Behaviour.serverError(503), Behaviour.serverError(503))
      const sent = yield* api.messages.sendMessage({
        payload: { from: BUSINESS, to: CUSTOMER, content: text("Hi") },
        headers: {}
      })
      assert.strictEqual(sent.status, "queued")
      assert.strictEqual(env.fake.requests.length, 2)
      assert.strictEqual(env.fake.messages.length, 0)
      // 5 s later (on the virtual clock) the send worker tries again, and Exotel takes it
      yield* at("2026-01-20T04:30:06Z")
      let stored = yield* api.messages.getMessage({ path: { id: sent.id } })
      for (let i = 0; i < 100 && stored.status === "queued"; i++) {
        yield* Effect.sleep("50 millis")
        stored = yield* api.messages.getMessage({ path: { id: sent.id } })
      }
      assert.strictEqual(stored.status, "accepted")
      assert.strictEqual(env.fake.messages.length, 1)
      assert.deepStrictEqual(stored.history.map((h) => h.status), ["queued", "accepted"])
    }).pipe(Effect.provide(TestServer({ maxRetries: 1 }))))

  it.live("with WA_SESSION_SEND_RETRY_FOR=0, Exotel failing after the retries is 502 PROVIDER_ERROR", () =>
    Effect.gen(function*() {
      const api = yield* client
      const env = yield* TestEnv
      yield* customerWrites()
      env.fake.script(Behaviour.serverError(503), Behaviour.serverError(503))
      const error = yield* api.messages.sendMessage({
        payload: { from: BUSINESS, to: CUSTOMER, content: text("Hi") },
        headers: {}
      }).pipe(Effect.flip)
      assert.strictEqual(error._tag, "ProviderFailedError")
      if (error._tag === "ProviderFailedError") assert.strictEqual(error.reason, "Unavailable")
      assert.strictEqual(env.fake.requests.length, 2)
    }).pipe(Effect.provide(TestServer({ maxRetries: 1, sendRetryFor: 0 }))))

  it.live("the same idempotency key again returns the first result and sends nothing (body or header)", () =>
    Effect.gen(function*() {
      const api = yield* client
      const env = yield* TestEnv
      yield* customerWrites()
      const payload = { from: BUSINESS, to: CUSTOMER, content: text("Once"), idempotencyKey: "order-42" }
      const first = yield* api.messages.sendMessage({ payload, headers: {} })
      const again = yield* api.messages.sendMessage({ payload, headers: {} })
      assert.isFalse(first.replayed)
      assert.isTrue(again.replayed)
      assert.deepStrictEqual({ ...again, replayed: false }, first)
      assert.strictEqual(env.fake.messages.length, 1)

      const byHeader = { from: BUSINESS, to: CUSTOMER, content: text("Twice?") }
      const h1 = yield* api.messages.sendMessage({ payload: byHeader, headers: { "idempotency-key": "order-43" } })
      const h2 = yield* api.messages.sendMessage({ payload: byHeader, headers: { "idempotency-key": "order-43" } })
      assert.strictEqual(h2.id, h1.id)
      assert.isTrue(h2.replayed)
      assert.notStrictEqual(h1.id, first.id)
      assert.strictEqual(env.fake.messages.length, 2)

      const metrics = (yield* rawGet("/metrics")).text
      assert.include(metrics, "wa_session_sends_total{decision=\"session\",result=\"sent\"} 2")
      assert.include(metrics, "wa_session_sends_total{decision=\"session\",result=\"replayed\"} 2")
      assert.include(metrics, "wa_session_exotel_request_duration_seconds_count{outcome=\"ok\"} 2")
      assert.include(metrics, "wa_session_send_jobs_total{outcome=\"accepted\"} 2")
    }).pipe(Effect.provide(TestServer())))

  it.live("dryRun in the request: decided and stored, nothing reaches Exotel; the next send without it goes", () =>
    Effect.gen(function*() {
      const api = yield* client
      const env = yield* TestEnv
      yield* customerWrites()
      const dry = yield* api.messages.sendMessage({
        payload: { from: BUSINESS, to: CUSTOMER, content: text("Hi"), dryRun: true },
        headers: {}
      })
      assert.deepStrictEqual({ ...dry, id: "" }, {
        id: "",
        decision: "session",
        reason: null,
        window: dry.window,
        providerMessageId: null,
        status: "pending",
        dryRun: true,
        replayed: false,
        parkedUntil: null,
        reengagementMessageId: null
      })
      assert.strictEqual(dry.window.state, "open")
      const stored = yield* api.messages.getMessage({ path: { id: dry.id } })
      assert.isTrue(stored.dryRun)
      assert.strictEqual(stored.status, "pending")

      yield* at("2026-01-21T05:00:00Z")
      const fallback = yield* api.messages.sendMessage({
        payload: { from: BUSINESS, to: CUSTOMER, content: text("Hi"), fallback: followUp, dryRun: true },
        headers: {}
      })
      assert.strictEqual(fallback.decision, "template")
      assert.strictEqual(fallback.reason, "SESSION_EXPIRED")
      assert.isTrue(fallback.dryRun)
      assert.strictEqual(env.fake.requests.length, 0)

      const real = yield* api.messages.sendMessage({
        payload: { from: BUSINESS, to: CUSTOMER, content: followUp, dryRun: false },
        headers: {}
      })
      assert.isFalse(real.dryRun)
      assert.strictEqual(real.status, "accepted")
      assert.strictEqual(env.fake.messages.length, 1)
    }).pipe(Effect.provide(TestServer())))

  it.live("a dry run's key: the dry run again replays; a real send with that key is another request", () =>
    Effect.gen(function*() {
      const api = yield* client
      const env = yield* TestEnv
      yield* customerWrites()
      const payload = { from: BUSINESS, to: CUSTOMER, content: text("Hi"), idempotencyKey: "dry-1" }
      const dry = yield* api.messages.sendMessage({ payload: { ...payload, dryRun: true }, headers: {} })
      const again = yield* api.messages.sendMessage({ payload: { ...payload, dryRun: true }, headers: {} })
      assert.strictEqual(again.id, dry.id)
      assert.isTrue(again.dryRun)
      assert.isTrue(again.replayed)
      const real = yield* api.messages.sendMessage({ payload, headers: {} }).pipe(Effect.flip)
      assert.strictEqual(real._tag, "IdempotencyKeyReusedError")
      assert.strictEqual(env.fake.requests.length, 0)
      const metrics = (yield* rawGet("/metrics")).text
      assert.include(metrics, "wa_session_sends_total{decision=\"session\",result=\"dry_run\"} 1")
      assert.include(metrics, "wa_session_sends_total{decision=\"session\",result=\"replayed\"} 1")
      assert.include(metrics, "wa_session_sends_total{decision=\"none\",result=\"key_reused\"} 1")
    }).pipe(Effect.provide(TestServer())))

  it.live("the same key with another body: 422 IDEMPOTENCY_KEY_REUSED, nothing sent; same body, any order: replay", () =>
    Effect.gen(function*() {
      const api = yield* client
      const env = yield* TestEnv
      yield* customerWrites()
      const other = "+919876543299"
      const first = yield* rawPost(
        "/v1/messages",
        JSON.stringify({
          from: BUSINESS,
          to: CUSTOMER,
          content: { type: "text", text: { body: "Your order shipped", preview_url: false } },
          fallback: followUp,
          idempotencyKey: "order-7"
        }),
        auth
      )
      assert.strictEqual(first.status, 202)
      const sent = json(first.text)
      assert.strictEqual(env.fake.messages.length, 1)

      // another recipient, by the typed client and on the wire, key in the body or in the header
      const error = yield* api.messages.sendMessage({
        payload: { from: BUSINESS, to: other, content: text("Your order shipped"), idempotencyKey: "order-7" },
        headers: {}
      }).pipe(Effect.flip)
      assert.strictEqual(error._tag, "IdempotencyKeyReusedError")
      if (error._tag !== "IdempotencyKeyReusedError") return
      assert.strictEqual(error.code, "IDEMPOTENCY_KEY_REUSED")
      assert.strictEqual(error.idempotencyKey, "order-7")
      assert.strictEqual(error.messageId, sent.id)
      assert.include(error.message, sent.id as string)
      const changes: ReadonlyArray<Record<string, unknown>> = [
        { to: other },
        { content: text("Your order shipped") },
        { fallback: undefined },
        { dryRun: true }
      ]
      for (const change of changes) {
        const body = {
          from: BUSINESS,
          to: CUSTOMER,
          content: { type: "text", text: { body: "Your order shipped", preview_url: false } },
          fallback: followUp,
          ...change
        }
        const raw = yield* rawPost("/v1/messages", JSON.stringify(body), { ...auth, "idempotency-key": "order-7" })
        assert.strictEqual(raw.status, 422, JSON.stringify(change))
        assert.strictEqual(json(raw.text).code, "IDEMPOTENCY_KEY_REUSED")
        assert.strictEqual(json(raw.text).messageId, sent.id)
      }
      assert.strictEqual(env.fake.messages.length, 1)
      assert.strictEqual(env.fake.messages[0]!.to, CUSTOMER)

      // the same request, every object's fields in another order (and the key as a header): the first answer
      const replay = yield* rawPost(
        "/v1/messages",
        `{"fallback":{"template":{"language":{"code":"en"},"name":"follow_up"},"type":"template"},` +
          `"content":{"text":{"preview_url":false,"body":"Your order shipped"},"type":"text"},` +
          `"to":"${CUSTOMER}","from":"${BUSINESS}"}`,
        { ...auth, "idempotency-key": "order-7" }
      )
      assert.strictEqual(replay.status, 202)
      assert.deepStrictEqual(json(replay.text), { ...sent, replayed: true })
      assert.strictEqual(env.fake.messages.length, 1)
      const metrics = (yield* rawGet("/metrics")).text
      assert.include(metrics, "wa_session_sends_total{decision=\"none\",result=\"key_reused\"} 5")
      assert.include(metrics, "wa_session_sends_total{decision=\"session\",result=\"replayed\"} 1")
    }).pipe(Effect.provide(TestServer())))

  it.live("a dryRun that is not a boolean: 400 INVALID_REQUEST naming dryRun", () =>
    Effect.gen(function*() {
      const body = JSON.stringify({ from: BUSINESS, to: CUSTOMER, content: text("Hi"), dryRun: "yes" })
      const response = yield* rawPost("/v1/messages", body, auth)
      assert.strictEqual(response.status, 400)
      assert.strictEqual(json(response.text).code, "INVALID_REQUEST")
      assert.strictEqual(json(response.text).path, "dryRun")
    }).pipe(Effect.provide(TestServer())))

  it.live("dry-run: the decision is made and stored, nothing is sent", () =>
    Effect.gen(function*() {
      const api = yield* client
      const env = yield* TestEnv
      yield* customerWrites()
      const sent = yield* api.messages.sendMessage({
        payload: { from: BUSINESS, to: CUSTOMER, content: text("Hi"), dryRun: false },
        headers: {}
      })
      // The server's dry-run wins over a request's dryRun: false.
      assert.isTrue(sent.dryRun)
      assert.strictEqual(sent.decision, "session")
      assert.strictEqual(sent.providerMessageId, null)
      const refused = yield* api.messages.sendMessage({
        payload: { from: BUSINESS, to: "+919876543299", content: text("Hi") },
        headers: {}
      }).pipe(Effect.flip)
      assert.strictEqual(refused._tag, "NoActiveSessionError")
      const stored = yield* api.messages.getMessage({ path: { id: sent.id } })
      assert.isTrue(stored.dryRun)
      assert.strictEqual(env.fake.requests.length, 0)
    }).pipe(Effect.provide(TestServer({ dryRun: true }))))
})

describe("GET /v1/messages/{id}", () => {
  it.live("the message with its status history; out-of-order reports never move it backwards", () =>
    Effect.gen(function*() {
      const api = yield* client
      yield* customerWrites()
      const sent = yield* api.messages.sendMessage({
        payload: { from: BUSINESS, to: CUSTOMER, content: text("Track me") },
        headers: {}
      })
      const sid = sent.providerMessageId!
      yield* report({ sid, code: 30002 })
      yield* report({ sid, code: 30001 })
      yield* report({ sid, code: 30003 })
      const again = yield* report({ sid, code: 30002 })
      assert.deepStrictEqual(JSON.parse(again.body), { accepted: 0, duplicates: 1, rejected: 0 })
      const stored = yield* api.messages.getMessage({ path: { id: sent.id } })
      assert.strictEqual(stored.status, "read")
      assert.deepStrictEqual(
        stored.history.map((event) => event.status).sort(),
        ["accepted", "delivered", "queued", "read", "sent"]
      )
      assert.deepStrictEqual(stored.content, text("Track me"))
      assert.strictEqual(stored.business, BUSINESS)
      assert.strictEqual(stored.customer, CUSTOMER)
    }).pipe(Effect.provide(TestServer())))

  it.live("two reports about one message in one batch, one naming our id and one only Exotel's: each status once", () =>
    Effect.gen(function*() {
      const api = yield* client
      const env = yield* TestEnv
      yield* customerWrites()
      const sent = yield* api.messages.sendMessage({
        payload: { from: BUSINESS, to: CUSTOMER, content: text("Twice named") },
        headers: {}
      })
      const sid = sent.providerMessageId!
      const answer = yield* postBatch([
        env.fake.deliveryReportItem({ sid, code: 30001, customData: sent.id }),
        env.fake.deliveryReportItem({ sid, code: 30002 })
      ])
      assert.deepStrictEqual(JSON.parse(answer.body), { accepted: 2, duplicates: 0, rejected: 0 })
      const stored = yield* api.messages.getMessage({ path: { id: sent.id } })
      assert.strictEqual(stored.status, "delivered")
      assert.deepStrictEqual(stored.history.map((event) => event.status), ["queued", "accepted", "sent", "delivered"])
      const statuses = yield* api.events.listEvents({ urlParams: { type: "message.status", limit: 100 } })
      const ours = statuses.items.filter((event) => (event.data as { messageId?: string }).messageId === sent.id)
      assert.deepStrictEqual(
        ours.map((event) => (event.data as { status?: string }).status),
        ["sent", "delivered"]
      )
    }).pipe(Effect.provide(TestServer())))

  it.live("an unknown id: 404 MESSAGE_NOT_FOUND", () =>
    Effect.gen(function*() {
      const api = yield* client
      const error = yield* api.messages.getMessage({ path: { id: "msg_nope" } }).pipe(Effect.flip)
      assert.strictEqual(error._tag, "MessageNotFoundError")
      if (error._tag === "MessageNotFoundError") assert.strictEqual(error.code, "MESSAGE_NOT_FOUND")
    }).pipe(Effect.provide(TestServer())))
})
