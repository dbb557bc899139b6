import { assert, describe, it } from "@effect/vitest"
import { DateTime, Effect } from "effect"
import {
  anonymousClient,
  at,
  auth,
  BUSINESS,
  client,
  CUSTOMER,
  customerWrites,
  json,
  rawGet,
  rawPost,
  report,
  TestServer,
  text
} from "./support.js"

const pair = { business: BUSINESS, customer: CUSTOMER }

describe("GET /v1/sessions/{business}/{customer}", () => {
  it.live("a pair that never wrote: 200 with state none", () =>
    Effect.gen(function*() {
      const api = yield* client
      const session = yield* api.sessions.getSession({ path: pair, urlParams: {} })
      assert.deepStrictEqual(session, {
        business: BUSINESS,
        customer: CUSTOMER,
        state: "none",
        lastInboundAt: null,
        expiresAt: null,
        remainingSeconds: 0,
        closedByProvider: false,
        parked: 0,
        nextParkedExpiresAt: null
      })
    }).pipe(Effect.provide(TestServer())))

  it.live("phone numbers in the path may be written with %2B, + or digits only", () =>
    Effect.gen(function*() {
      yield* customerWrites()
      const paths = ["%2B919876500001/%2B919876543210", "+919876500001/+919876543210", "919876500001/919876543210"]
      for (const path of paths) {
        const response = yield* rawGet(`/v1/sessions/${path}`, auth)
        assert.strictEqual(response.status, 200, path)
        const body = json(response.text)
        assert.strictEqual(body.business, BUSINESS)
        assert.strictEqual(body.customer, CUSTOMER)
        assert.strictEqual(body.state, "open")
        assert.strictEqual(body.expiresAt, "2026-01-21T04:30:00.000Z")
        assert.strictEqual(body.remainingSeconds, 86400)
      }
    }).pipe(Effect.provide(TestServer())))

  it.live("an invalid number in the path: 422 INVALID_PHONE_NUMBER naming the segment", () =>
    Effect.gen(function*() {
      const response = yield* rawGet("/v1/sessions/919876500001/12ab", auth)
      assert.strictEqual(response.status, 422)
      assert.strictEqual(json(response.text).code, "INVALID_PHONE_NUMBER")
      assert.strictEqual(json(response.text).path, "customer")
    }).pipe(Effect.provide(TestServer())))

  it.live("open until just before 24 hours after the last customer message, expired at exactly 24 hours", () =>
    Effect.gen(function*() {
      const api = yield* client
      yield* at("2026-01-20T04:30:00Z")
      yield* customerWrites()
      yield* at("2026-01-21T04:29:59.999Z")
      const before = yield* api.sessions.getSession({ path: pair, urlParams: {} })
      assert.strictEqual(before.state, "open")
      assert.strictEqual(before.remainingSeconds, 0)
      yield* at("2026-01-21T04:30:00Z")
      const boundary = yield* api.sessions.getSession({ path: pair, urlParams: {} })
      assert.strictEqual(boundary.state, "expired")
      assert.strictEqual(boundary.remainingSeconds, 0)
      assert.isFalse(boundary.closedByProvider)
    }).pipe(Effect.provide(TestServer())))

  it.live("a safety margin closes the window that much earlier", () =>
    Effect.gen(function*() {
      const api = yield* client
      yield* customerWrites()
      yield* at("2026-01-21T04:20:00Z")
      const session = yield* api.sessions.getSession({ path: pair, urlParams: {} })
      assert.strictEqual(session.state, "open")
      assert.strictEqual(session.remainingSeconds, 300)
      assert.strictEqual(DateTime.formatIso(session.expiresAt!), "2026-01-21T04:30:00.000Z")
      yield* at("2026-01-21T04:25:00Z")
      assert.strictEqual((yield* api.sessions.getSession({ path: pair, urlParams: {} })).state, "expired")
    }).pipe(Effect.provide(TestServer({ safetyMargin: "5 minutes" }))))
})

describe("GET /v1/sessions", () => {
  it.live("open windows that expire within the horizon, soonest first, filtered by business, paged by cursor", () =>
    Effect.gen(function*() {
      const api = yield* client
      const customers = ["+919800000001", "+919800000002", "+919800000003", "+919800000004"]
      // Customer i writes at 04:30 + i hours, so expires at 04:30 + i hours the next day.
      for (const [i, customer] of customers.entries()) {
        yield* at(`2026-01-20T0${4 + i}:30:00Z`)
        yield* customerWrites({ from: customer })
      }
      yield* customerWrites({ from: "+919800000009", to: "+919876500002" })
      yield* at("2026-01-21T04:00:00Z")

      const soon = yield* api.sessions.listExpiring({ urlParams: { expiringWithin: 2 * 3600 + 60 } })
      assert.deepStrictEqual(soon.items.map((s) => s.customer), ["+919800000001", "+919800000002"])
      assert.deepStrictEqual(soon.items.map((s) => s.remainingSeconds), [1800, 5400])
      assert.strictEqual(soon.nextCursor, null)

      const all = yield* api.sessions.listExpiring({ urlParams: {} })
      assert.strictEqual(all.items.length, 5)

      const mine = yield* api.sessions.listExpiring({ urlParams: { business: "919876500001" } })
      assert.strictEqual(mine.items.length, 4)

      const page1 = yield* api.sessions.listExpiring({ urlParams: { business: BUSINESS, limit: 3 } })
      assert.deepStrictEqual(page1.items.map((s) => s.customer), customers.slice(0, 3))
      assert.isString(page1.nextCursor)
      const page2 = yield* api.sessions.listExpiring({
        urlParams: { business: BUSINESS, limit: 3, cursor: page1.nextCursor! }
      })
      assert.deepStrictEqual(page2.items.map((s) => s.customer), customers.slice(3))
      assert.strictEqual(page2.nextCursor, null)
    }).pipe(Effect.provide(TestServer())))

  it.live("bad query parameters: 400 INVALID_REQUEST; a bad business number: 422", () =>
    Effect.gen(function*() {
      for (const query of ["limit=abc", "limit=0", "expiringWithin=-5", "cursor=!!", "cursor=abc"]) {
        const response = yield* rawGet(`/v1/sessions?${query}`, auth)
        assert.strictEqual(response.status, 400, query)
        assert.strictEqual(json(response.text).code, "INVALID_REQUEST", query)
      }
      const phone = yield* rawGet("/v1/sessions?business=abc", auth)
      assert.strictEqual(phone.status, 422)
      assert.strictEqual(json(phone.text).code, "INVALID_PHONE_NUMBER")
    }).pipe(Effect.provide(TestServer())))
})

const iso = (instant: DateTime.Utc | null) => (instant === null ? null : DateTime.formatIso(instant))
const sessionPath = `/v1/sessions/${BUSINESS}/${CUSTOMER}`

describe("GET /v1/sessions/{business}/{customer}/explanation", () => {
  it.live("a pair that never wrote: state none, no basis, a summary saying only a template can start", () =>
    Effect.gen(function*() {
      const api = yield* client
      const explanation = yield* api.sessions.explainSession({ path: pair, urlParams: {} })
      assert.deepStrictEqual(explanation, {
        status: {
          business: BUSINESS,
          customer: CUSTOMER,
          state: "none",
          lastInboundAt: null,
          expiresAt: null,
          remainingSeconds: 0,
          closedByProvider: false
        },
        basisMessageId: null,
        basisReceivedAt: null,
        firstSeenAt: null,
        closedByProviderAt: null,
        safetyMarginSeconds: 0,
        summary: `No window: ${CUSTOMER} has never written to ${BUSINESS}. Only a template can start the conversation.`
      })
    }).pipe(Effect.provide(TestServer())))

  it.live("an open window: the message it counts from, when it was sent and received, the time left", () =>
    Effect.gen(function*() {
      const api = yield* client
      yield* at("2026-01-20T04:30:02Z")
      yield* customerWrites({ sid: "wamid.1", timestamp: "2026-01-20T10:00:00+05:30" })
      yield* at("2026-01-21T03:30:00Z")
      const explanation = yield* api.sessions.explainSession({ path: pair, urlParams: {} })
      assert.strictEqual(explanation.status.state, "open")
      assert.strictEqual(explanation.status.remainingSeconds, 3600)
      assert.strictEqual(explanation.basisMessageId, "wamid.1")
      assert.strictEqual(iso(explanation.status.lastInboundAt), "2026-01-20T04:30:00.000Z")
      assert.strictEqual(iso(explanation.basisReceivedAt), "2026-01-20T04:30:02.000Z")
      assert.strictEqual(iso(explanation.firstSeenAt), "2026-01-20T04:30:02.000Z")
      assert.strictEqual(explanation.closedByProviderAt, null)
      assert.strictEqual(
        explanation.summary,
        "The latest customer message wamid.1 was sent at 2026-01-20T04:30:00.000Z (received " +
          "2026-01-20T04:30:02.000Z), so the window runs to 2026-01-21T04:30:00.000Z: open at " +
          "2026-01-21T03:30:00.000Z, 1h left."
      )
    }).pipe(Effect.provide(TestServer())))

  it.live("an expired window, with the safety margin in seconds", () =>
    Effect.gen(function*() {
      const api = yield* client
      yield* customerWrites({ sid: "wamid.2" })
      yield* at("2026-01-21T04:26:00Z")
      const explanation = yield* api.sessions.explainSession({ path: pair, urlParams: {} })
      assert.strictEqual(explanation.status.state, "expired")
      assert.strictEqual(explanation.safetyMarginSeconds, 300)
      assert.include(explanation.summary, "minus a safety margin of 5m: expired at 2026-01-21T04:26:00.000Z.")
    }).pipe(Effect.provide(TestServer({ safetyMargin: "5 minutes" }))))

  it.live("a window the provider closed (30018): when, and that it is closed", () =>
    Effect.gen(function*() {
      const api = yield* client
      yield* customerWrites()
      const sent = yield* api.messages.sendMessage({
        payload: { from: BUSINESS, to: CUSTOMER, content: text("Still there?") },
        headers: {}
      })
      yield* at("2026-01-20T05:00:00Z")
      yield* report({ sid: sent.providerMessageId!, code: 30018, timestamp: "2026-01-20T05:00:00Z" })
      const explanation = yield* api.sessions.explainSession({ path: pair, urlParams: {} })
      assert.strictEqual(explanation.status.state, "expired")
      assert.isTrue(explanation.status.closedByProvider)
      assert.strictEqual(iso(explanation.closedByProviderAt), "2026-01-20T05:00:00.000Z")
      assert.include(explanation.summary, "the provider reported the window closed at 2026-01-20T05:00:00.000Z")
    }).pipe(Effect.provide(TestServer())))

  it.live("an invalid number: 422 naming it; no token: 401; the store down: 503", () =>
    Effect.gen(function*() {
      const phone = yield* rawGet("/v1/sessions/12ab/919876543210/explanation", auth)
      assert.strictEqual(phone.status, 422)
      assert.strictEqual(json(phone.text).path, "business")
      const anonymous = yield* anonymousClient
      const denied = yield* anonymous.sessions.explainSession({ path: pair, urlParams: {} }).pipe(Effect.flip)
      assert.strictEqual(denied._tag, "UnauthorizedError")
      const down = yield* rawGet(`${sessionPath}/explanation`, auth)
      assert.strictEqual(down.status, 503)
      assert.strictEqual(json(down.text).code, "STORAGE_UNAVAILABLE")
    }).pipe(Effect.provide(TestServer({ failing: ["getWindow"] }))))
})

describe("POST /v1/sessions/{business}/{customer}/inbound", () => {
  it.live("without a message id: a generated manual_ id, received now, the window it opened", () =>
    Effect.gen(function*() {
      const api = yield* client
      const recorded = yield* api.sessions.recordInbound({ path: pair, payload: {} })
      assert.match(recorded.messageId, /^manual_\S+$/)
      assert.isFalse(recorded.duplicate)
      assert.strictEqual(recorded.adjustment, "missing")
      assert.strictEqual(recorded.window.state, "open")
      assert.strictEqual(iso(recorded.window.lastInboundAt), "2026-01-20T04:30:00.000Z")
      assert.strictEqual(iso(recorded.window.expiresAt), "2026-01-21T04:30:00.000Z")
      assert.strictEqual(recorded.window.remainingSeconds, 86400)
      yield* at("2026-01-20T05:00:00Z")
      const other = yield* api.sessions.recordInbound({ path: pair, payload: {} })
      assert.notStrictEqual(other.messageId, recorded.messageId)
      const explanation = yield* api.sessions.explainSession({ path: pair, urlParams: {} })
      assert.strictEqual(explanation.basisMessageId, other.messageId)
    }).pipe(Effect.provide(TestServer())))

  it.live("with a message id and the time the customer sent it; the same id again is a duplicate", () =>
    Effect.gen(function*() {
      const api = yield* client
      const payload = { messageId: "wamid.backfill-1", sentAt: DateTime.unsafeMake("2026-01-20T09:00:00+05:30") }
      const first = yield* api.sessions.recordInbound({
        path: { business: "919876500001", customer: CUSTOMER },
        payload
      })
      assert.deepStrictEqual(
        { ...first, window: { ...first.window, lastInboundAt: iso(first.window.lastInboundAt) } },
        {
          messageId: "wamid.backfill-1",
          duplicate: false,
          adjustment: "none",
          window: {
            business: BUSINESS,
            customer: CUSTOMER,
            state: "open",
            lastInboundAt: "2026-01-20T03:30:00.000Z",
            expiresAt: first.window.expiresAt,
            remainingSeconds: 23 * 3600,
            closedByProvider: false
          }
        }
      )
      assert.strictEqual(iso(first.window.expiresAt), "2026-01-21T03:30:00.000Z")
      const again = yield* api.sessions.recordInbound({ path: pair, payload })
      assert.isTrue(again.duplicate)
      assert.strictEqual(again.messageId, "wamid.backfill-1")
      assert.deepStrictEqual(again.window, first.window)
    }).pipe(Effect.provide(TestServer())))

  it.live("a message the webhook already delivered is a duplicate; a later one by hand extends the window", () =>
    Effect.gen(function*() {
      const api = yield* client
      yield* customerWrites({ sid: "wamid.hook-1" })
      const same = yield* api.sessions.recordInbound({ path: pair, payload: { messageId: "wamid.hook-1" } })
      assert.isTrue(same.duplicate)
      yield* at("2026-01-20T06:30:00Z")
      const later = yield* api.sessions.recordInbound({ path: pair, payload: { messageId: "wamid.hook-2" } })
      assert.isFalse(later.duplicate)
      assert.strictEqual(iso(later.window.expiresAt), "2026-01-21T06:30:00.000Z")
    }).pipe(Effect.provide(TestServer())))

  it.live("a sentAt beyond the clock-skew tolerance counts from the receive time (adjustment future)", () =>
    Effect.gen(function*() {
      const api = yield* client
      const recorded = yield* api.sessions.recordInbound({
        path: pair,
        payload: { sentAt: DateTime.unsafeMake("2026-01-20T05:30:00Z") }
      })
      assert.strictEqual(recorded.adjustment, "future")
      assert.strictEqual(iso(recorded.window.lastInboundAt), "2026-01-20T04:30:00.000Z")
    }).pipe(Effect.provide(TestServer())))

  it.live("a bad sentAt or messageId: 400 INVALID_REQUEST naming the field; a bad number: 422", () =>
    Effect.gen(function*() {
      const bad = [
        [{ sentAt: "yesterday" }, "sentAt"],
        [{ sentAt: "2026-01-20T10:00:00" }, "sentAt"],
        [{ sentAt: "2026-02-30T10:00:00Z" }, "sentAt"],
        [{ sentAt: 1768883400 }, "sentAt"],
        [{ messageId: "" }, "messageId"],
        [{ messageId: "x".repeat(201) }, "messageId"]
      ] as const
      for (const [body, field] of bad) {
        const response = yield* rawPost(`${sessionPath}/inbound`, JSON.stringify(body), auth)
        assert.strictEqual(response.status, 400, JSON.stringify(body))
        const error = json(response.text)
        assert.strictEqual(error.code, "INVALID_REQUEST")
        assert.strictEqual(error.path, field)
        assert.match(error.message, new RegExp(`^${field}: `))
      }
      const notJson = yield* rawPost(`${sessionPath}/inbound`, "{", auth)
      assert.strictEqual(notJson.status, 400)
      const phone = yield* rawPost("/v1/sessions/919876500001/12ab/inbound", "{}", auth)
      assert.strictEqual(phone.status, 422)
      assert.strictEqual(json(phone.text).path, "customer")
      const api = yield* client
      assert.strictEqual((yield* api.sessions.getSession({ path: pair, urlParams: {} })).state, "none")
    }).pipe(Effect.provide(TestServer())))

  it.live("without the token: 401 UNAUTHORIZED and nothing recorded", () =>
    Effect.gen(function*() {
      const raw = yield* rawPost(`${sessionPath}/inbound`, JSON.stringify({ messageId: "wamid.x" }))
      assert.strictEqual(raw.status, 401)
      assert.strictEqual(json(raw.text).code, "UNAUTHORIZED")
      const anonymous = yield* anonymousClient
      const denied = yield* anonymous.sessions.recordInbound({ path: pair, payload: {} }).pipe(Effect.flip)
      assert.strictEqual(denied._tag, "UnauthorizedError")
      const api = yield* client
      assert.strictEqual((yield* api.sessions.getSession({ path: pair, urlParams: {} })).state, "none")
    }).pipe(Effect.provide(TestServer())))

  it.live("the store down: 503 STORAGE_UNAVAILABLE", () =>
    Effect.gen(function*() {
      const response = yield* rawPost(`${sessionPath}/inbound`, JSON.stringify({ messageId: "wamid.x" }), auth)
      assert.strictEqual(response.status, 503)
      assert.strictEqual(json(response.text).code, "STORAGE_UNAVAILABLE")
    }).pipe(Effect.provide(TestServer({ failing: ["ingest"] }))))
})

describe("the at query parameter", () => {
  const instant = (value: string) => DateTime.unsafeMake(value)

  it.live("a window open now is expired at a later instant, on every read; nothing changes for the next request", () =>
    Effect.gen(function*() {
      const api = yield* client
      yield* customerWrites()
      const later = { at: instant("2026-01-21T10:30:00+05:30") }
      const status = yield* api.sessions.getSession({ path: pair, urlParams: later })
      assert.strictEqual(status.state, "expired")
      assert.strictEqual(status.remainingSeconds, 0)
      const explanation = yield* api.sessions.explainSession({ path: pair, urlParams: later })
      assert.strictEqual(explanation.status.state, "expired")
      assert.include(explanation.summary, "expired at 2026-01-21T05:00:00.000Z.")
      const expiring = yield* api.sessions.listExpiring({ urlParams: later })
      assert.deepStrictEqual(expiring.items, [])

      const now = yield* api.sessions.getSession({ path: pair, urlParams: {} })
      assert.strictEqual(now.state, "open")
      assert.strictEqual(now.remainingSeconds, 86400)
      assert.strictEqual((yield* api.sessions.listExpiring({ urlParams: {} })).items.length, 1)
    }).pipe(Effect.provide(TestServer())))

  it.live("a window expired now is open at an earlier instant, with the time left then", () =>
    Effect.gen(function*() {
      const api = yield* client
      yield* customerWrites()
      yield* at("2026-01-22T04:30:00Z")
      assert.strictEqual((yield* api.sessions.getSession({ path: pair, urlParams: {} })).state, "expired")
      const earlier = { at: instant("2026-01-21T09:00:00+05:30") }
      const status = yield* api.sessions.getSession({ path: pair, urlParams: earlier })
      assert.strictEqual(status.state, "open")
      assert.strictEqual(status.remainingSeconds, 3600)
      const explanation = yield* api.sessions.explainSession({ path: pair, urlParams: earlier })
      assert.include(explanation.summary, "open at 2026-01-21T03:30:00.000Z, 1h left.")
      const expiring = yield* api.sessions.listExpiring({ urlParams: { ...earlier, expiringWithin: 2 * 3600 } })
      assert.deepStrictEqual(expiring.items.map((item) => [item.customer, item.remainingSeconds]), [[CUSTOMER, 3600]])
      assert.deepStrictEqual((yield* api.sessions.listExpiring({ urlParams: {} })).items, [])
    }).pipe(Effect.provide(TestServer())))

  it.live("written by hand in a URL: an encoded or a bare + offset, or Z", () =>
    Effect.gen(function*() {
      yield* customerWrites()
      for (const at of ["2026-01-21T09:00:00%2B05:30", "2026-01-21T09:00:00+05:30", "2026-01-21T03:30:00Z"]) {
        const response = yield* rawGet(`${sessionPath}?at=${at}`, auth)
        assert.strictEqual(response.status, 200, at)
        assert.strictEqual(json(response.text).remainingSeconds, 3600, at)
      }
    }).pipe(Effect.provide(TestServer())))

  it.live("a malformed at: 400 INVALID_REQUEST with path at, on every read", () =>
    Effect.gen(function*() {
      const paths = [sessionPath, `${sessionPath}/explanation`, "/v1/sessions"]
      const values = ["yesterday", "2026-01-21T09:00:00", "2026-01-21", "2026-02-30T10:00:00Z", ""]
      for (const path of paths) {
        for (const value of values) {
          const response = yield* rawGet(`${path}?at=${encodeURIComponent(value)}`, auth)
          assert.strictEqual(response.status, 400, `${path} at=${value}`)
          const error = json(response.text)
          assert.strictEqual(error.code, "INVALID_REQUEST")
          assert.strictEqual(error.path, "at", `${path} at=${value}`)
          assert.match(error.message, /^at: /)
        }
      }
    }).pipe(Effect.provide(TestServer())))
})
