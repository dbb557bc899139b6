import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Http from "node:http"
import { auth, BUSINESS, CUSTOMER, TestEnv, TestServer } from "./support.js"

interface Answer {
  readonly status: number
  readonly body: any
}

/** A request through node:http, which adds no header of its own beyond `host` (fetch adds a Content-Type). */
const send = (
  baseUrl: string,
  path: string,
  options: {
    readonly body?: string
    readonly headers?: Record<string, string>
    /** Send the body chunked (no Content-Length). */
    readonly chunked?: boolean
  } = {}
) =>
  Effect.promise(() =>
    new Promise<Answer>((resolve, reject) => {
      const request = Http.request(`${baseUrl}${path}`, {
        method: "POST",
        headers: {
          ...auth,
          ...(options.body !== undefined && options.chunked !== true
            ? { "content-length": String(Buffer.byteLength(options.body)) }
            : {}),
          ...options.headers
        }
      }, (response) => {
        let text = ""
        response.on("data", (chunk) => (text += String(chunk)))
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }))
      })
      request.on("error", reject)
      if (options.chunked === true) request.setHeader("transfer-encoding", "chunked")
      if (options.body !== undefined) request.write(options.body)
      request.end()
    })
  )

const sendBody = JSON.stringify({
  from: BUSINESS,
  to: CUSTOMER,
  content: { type: "template", template: { name: "order_update", language: { code: "en" } } }
})

const inboundPath = `/v1/sessions/${encodeURIComponent(BUSINESS)}/${encodeURIComponent(CUSTOMER)}/inbound`

describe("request bodies", () => {
  it.live("POST /v1/messages: a JSON body is read as JSON with no Content-Type, curl's form type or text/plain", () =>
    Effect.gen(function*() {
      const env = yield* TestEnv
      for (
        const headers of [
          {},
          { "content-type": "application/x-www-form-urlencoded" },
          { "content-type": "text/plain;charset=UTF-8" },
          { "content-type": "application/json; charset=utf-8" }
        ]
      ) {
        const answer = yield* send(env.baseUrl, "/v1/messages", { body: sendBody, headers })
        // dry-run: recorded, not sent (202 pending)
        assert.strictEqual(answer.status, 202, `${JSON.stringify(headers)}: ${JSON.stringify(answer.body)}`)
        assert.strictEqual(answer.body.decision, "template")
      }
      // also the other JSON routes
      const endpoint = yield* send(env.baseUrl, "/v1/endpoints", {
        body: JSON.stringify({ url: "https://example.com/hooks" }),
        headers: { "content-type": "application/x-www-form-urlencoded" }
      })
      assert.strictEqual(endpoint.status, 201, JSON.stringify(endpoint.body))
    }).pipe(Effect.provide(TestServer({ dryRun: true }))))

  it.live("a body that is not JSON is answered as such, whatever its Content-Type", () =>
    Effect.gen(function*() {
      const env = yield* TestEnv
      for (const headers of [{}, { "content-type": "application/x-www-form-urlencoded" }]) {
        const answer = yield* send(env.baseUrl, "/v1/messages", { body: "from=%2B919876500001&to=x", headers })
        assert.strictEqual(answer.status, 400)
        assert.strictEqual(answer.body.code, "INVALID_REQUEST")
        assert.strictEqual(answer.body.message, "The request body is not valid JSON")
      }
    }).pipe(Effect.provide(TestServer({ dryRun: true }))))

  it.live("a refused value is quoted briefly, however large it is; text no store keeps is refused by name", () =>
    Effect.gen(function*() {
      const env = yield* TestEnv
      const eventIds = Array.from({ length: 20_000 }, (_, i) => `evt_${i}`)
      const large = yield* send(env.baseUrl, "/v1/deliveries/replay", { body: JSON.stringify({ eventIds }) })
      assert.strictEqual(large.status, 400)
      assert.strictEqual(large.body.code, "INVALID_REQUEST")
      assert.isBelow(JSON.stringify(large.body).length, 2_000)
      assert.match(large.body.message, /… \(\d+ more characters\)$/)
      // curl -d sends form-urlencoded: still read as JSON, still checked
      const unstorable = yield* send(env.baseUrl, inboundPath, {
        body: JSON.stringify({ messageId: "m\u0000" }),
        headers: { "content-type": "application/x-www-form-urlencoded" }
      })
      assert.strictEqual(unstorable.status, 400)
      assert.strictEqual(unstorable.body.path, "messageId")
      // without the token it is the API's 401, as for any other body
      const stranger = yield* send(env.baseUrl, inboundPath, {
        body: JSON.stringify({ messageId: "m\u0000" }),
        headers: { authorization: "Bearer not-the-token" }
      })
      assert.strictEqual(stranger.status, 401)
      // a huge key is named briefly
      const key = `${"k".repeat(100_000)}\u0000`
      const huge = yield* send(env.baseUrl, inboundPath, { body: `{"${key}": 1}` })
      assert.strictEqual(huge.status, 400)
      assert.isBelow(JSON.stringify(huge.body).length, 2_000)
    }).pipe(Effect.provide(TestServer({ dryRun: true }))))

  it.live("POST …/inbound with no body at all, an empty one or an empty chunked one is {}: recorded now", () =>
    Effect.gen(function*() {
      const env = yield* TestEnv
      const bodies = [
        {},
        { body: "" },
        { body: "", headers: { "content-type": "application/json" } },
        { body: "", chunked: true }
      ]
      for (const options of bodies) {
        const answer = yield* send(env.baseUrl, inboundPath, options)
        assert.strictEqual(answer.status, 200, `${JSON.stringify(options)}: ${JSON.stringify(answer.body)}`)
        assert.match(answer.body.messageId, /^manual_/)
        assert.strictEqual(answer.body.adjustment, "missing")
        assert.strictEqual(answer.body.window.state, "open")
      }
      // an empty send request is {} too: the first missing field is named, not "actual null"
      const empty = yield* send(env.baseUrl, "/v1/messages", { body: "" })
      assert.strictEqual(empty.status, 400)
      assert.strictEqual(empty.body.code, "INVALID_REQUEST")
      assert.notInclude(empty.body.message, "null")
      assert.match(empty.body.message, /^from: /)
    }).pipe(Effect.provide(TestServer({ dryRun: true }))))
})
