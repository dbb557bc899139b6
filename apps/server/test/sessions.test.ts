import { assert, describe, it } from "@effect/vitest"
import { DateTime, Effect } from "effect"
import {
  at,
  BUSINESS,
  client,
  CUSTOMER,
  customerWrites,
  json,
  rawGet,
  TestServer,
  TOKEN
} from "./support.js"

const auth = { authorization: `Bearer ${TOKEN}` }
const pair = { business: BUSINESS, customer: CUSTOMER }

describe("GET /v1/sessions/{business}/{customer}", () => {
  it.live("a pair that never wrote: 200 with state none", () =>
    Effect.gen(function*() {
      const api = yield* client
      const session = yield* api.sessions.getSession({ path: pair })
      assert.deepStrictEqual(session, {
        business: BUSINESS,
        customer: CUSTOMER,
        state: "none",
        lastInboundAt: null,
        expiresAt: null,
        remainingSeconds: 0,
        closedByProvider: false
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
      const before = yield* api.sessions.getSession({ path: pair })
      assert.strictEqual(before.state, "open")
      assert.strictEqual(before.remainingSeconds, 0)
      yield* at("2026-01-21T04:30:00Z")
      const boundary = yield* api.sessions.getSession({ path: pair })
      assert.strictEqual(boundary.state, "expired")
      assert.strictEqual(boundary.remainingSeconds, 0)
      assert.isFalse(boundary.closedByProvider)
    }).pipe(Effect.provide(TestServer())))

  it.live("a safety margin closes the window that much earlier", () =>
    Effect.gen(function*() {
      const api = yield* client
      yield* customerWrites()
      yield* at("2026-01-21T04:20:00Z")
      const session = yield* api.sessions.getSession({ path: pair })
      assert.strictEqual(session.state, "open")
      assert.strictEqual(session.remainingSeconds, 300)
      assert.strictEqual(DateTime.formatIso(session.expiresAt!), "2026-01-21T04:30:00.000Z")
      yield* at("2026-01-21T04:25:00Z")
      assert.strictEqual((yield* api.sessions.getSession({ path: pair })).state, "expired")
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
