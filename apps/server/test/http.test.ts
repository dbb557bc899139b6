import { HttpApiClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { WaSessionApi } from "@wa-session/http-api"
import { Effect } from "effect"
import { anonymousClient, BUSINESS, client, CUSTOMER, json, rawGet, rawPost, TestServer, TOKEN } from "./support.js"

const pair = { business: BUSINESS, customer: CUSTOMER }

describe("authentication of /v1", () => {
  it.live("no token or a wrong token: 401 UNAUTHORIZED; the right token: 200", () =>
    Effect.gen(function*() {
      const anonymous = yield* anonymousClient
      const missing = yield* anonymous.sessions.getSession({ path: pair, urlParams: {} }).pipe(Effect.flip)
      assert.strictEqual(missing._tag, "UnauthorizedError")
      if (missing._tag === "UnauthorizedError") assert.strictEqual(missing.code, "UNAUTHORIZED")

      const wrong = yield* HttpApiClient.make(WaSessionApi, {
        transformClient: HttpClient.mapRequest(HttpClientRequest.bearerToken(`${TOKEN}x`))
      })
      const denied = yield* wrong.messages.getMessage({ path: { id: "x" } }).pipe(Effect.flip)
      assert.strictEqual(denied._tag, "UnauthorizedError")

      for (const headers of [{}, { authorization: "Bearer " }, { authorization: `Basic ${TOKEN}` }]) {
        const raw = yield* rawGet("/v1/sessions", headers)
        assert.strictEqual(raw.status, 401)
        assert.strictEqual(json(raw.text).code, "UNAUTHORIZED")
      }
      const post = yield* rawPost("/v1/messages", "{}")
      assert.strictEqual(post.status, 401)

      const api = yield* client
      assert.strictEqual((yield* api.sessions.getSession({ path: pair, urlParams: {} })).state, "none")
    }).pipe(Effect.provide(TestServer())))
})

describe("health, metrics and docs", () => {
  it.live("healthz, readyz, metrics, openapi.json and docs answer without a token", () =>
    Effect.gen(function*() {
      const api = yield* anonymousClient
      assert.deepStrictEqual(yield* api.health.healthz(), { status: "ok" })
      assert.deepStrictEqual(yield* api.health.readyz(), { status: "ready" })

      const metrics = yield* rawGet("/metrics")
      assert.strictEqual(metrics.status, 200)
      assert.match(metrics.contentType ?? "", /^text\/plain/)
      for (
        const family of [
          "wa_session_webhook_items_total",
          "wa_session_sends_total",
          "wa_session_exotel_request_duration_seconds",
          "wa_session_open_windows"
        ]
      ) assert.include(metrics.text, `# TYPE ${family}`)
      assert.include(metrics.text, "wa_session_open_windows 0")

      const spec = yield* rawGet("/openapi.json")
      assert.strictEqual(spec.status, 200)
      const openapi = json(spec.text)
      assert.strictEqual(openapi.openapi, "3.1.0")
      for (
        const path of [
          "/v1/messages",
          "/v1/messages/{id}",
          "/v1/sessions/{business}/{customer}",
          "/v1/sessions/{business}/{customer}/explanation",
          "/v1/sessions/{business}/{customer}/inbound",
          "/v1/sessions",
          "/webhooks/exotel/{secret}",
          "/healthz",
          "/readyz",
          "/metrics"
        ]
      ) assert.property(openapi.paths, path)
      assert.deepStrictEqual(openapi.paths["/v1/messages"].post.security, [{ bearer: [] }])
      assert.property(openapi.paths["/v1/messages"].post.responses, "409")

      const docs = yield* rawGet("/docs")
      assert.strictEqual(docs.status, 200)
      assert.match(docs.contentType ?? "", /text\/html/)
      assert.include(docs.text, "swagger")
    }).pipe(Effect.provide(TestServer())))

  it.live("an unknown route: 404 NOT_FOUND as JSON", () =>
    Effect.gen(function*() {
      const response = yield* rawGet("/v2/nothing")
      assert.strictEqual(response.status, 404)
      assert.strictEqual(json(response.text).code, "NOT_FOUND")
      const get = yield* rawGet("/webhooks/exotel/whatever")
      assert.strictEqual(get.status, 404)
    }).pipe(Effect.provide(TestServer())))
})
