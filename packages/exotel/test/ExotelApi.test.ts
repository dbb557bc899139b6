import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { afterAll, afterEach, assert, beforeAll, describe, it } from "@effect/vitest"
import { Behaviour, type FakeExotel, startFakeExotel } from "@wa-session/exotel-fake"
import { Effect, Layer, Option } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { ExotelApi, ExotelConfig } from "../src/index.js"
import { closedPort, credentials, optionsFor } from "./support.js"

let fake: FakeExotel

beforeAll(async () => {
  fake = await startFakeExotel(credentials)
})
afterAll(() => fake.close())
afterEach(() => fake.reset())

const apiLayer = (overrides: Partial<ExotelConfig.ExotelOptionsInput> = {}, target: FakeExotel = fake) =>
  ExotelApi.layer.pipe(
    Layer.provide(ExotelConfig.layer(optionsFor(target, overrides))),
    Layer.provide(NodeHttpClient.layerUndici)
  )

const body: ExotelApi.SendRequest = {
  whatsapp: {
    messages: [{ from: "+919211514326", to: "+919158455686", content: { type: "text", text: { body: "Hi" } } }]
  }
}

const sendMessages = (request: ExotelApi.SendRequest = body) =>
  Effect.flatMap(ExotelApi.ExotelApi, (api) => api.sendMessages(request))

describe("ExotelApi", () => {
  it.live("posts JSON with Basic auth to /v2/accounts/{sid}/messages and decodes the answer", () =>
    Effect.gen(function*() {
      const api = yield* ExotelApi.ExotelApi
      assert.strictEqual(api.messagesUrl, `${fake.url}/v2/accounts/acme1/messages`)
      const result = yield* api.sendMessages(body)
      assert.strictEqual(result.status, 202)
      assert.isTrue(ExotelApi.isAccepted(result))
      assert.isTrue(Option.isSome(result.body))
      const decoded = Option.getOrThrow(result.body)
      assert.deepStrictEqual(decoded.metadata, { total: 1, success: 1, failed: 0 })
      assert.deepStrictEqual(ExotelApi.messageResults(decoded), [
        { code: 202, status: "success", data: { sid: fake.messages[0]!.sid } }
      ])
      assert.include(result.text, fake.messages[0]!.sid)
      const recorded = fake.requests[0]!
      assert.isTrue(recorded.authorized)
      assert.strictEqual(recorded.headers["accept"], "application/json")
      assert.deepStrictEqual(recorded.body, body)
    }).pipe(Effect.provide(apiLayer())))

  it.live("returns error answers as results, keeping Exotel's error object and raw text", () =>
    Effect.gen(function*() {
      fake.script(Behaviour.unauthorized(), Behaviour.respondText(502, "<html>Bad gateway</html>"))
      const unauthorized = yield* sendMessages()
      assert.strictEqual(unauthorized.status, 401)
      const error = Option.flatMap(unauthorized.body, ExotelApi.firstError)
      assert.deepStrictEqual(Option.map(error, (e) => e.message), Option.some("Authentication failed"))
      const html = yield* sendMessages()
      assert.strictEqual(html.status, 502)
      assert.isTrue(Option.isNone(html.body))
      assert.strictEqual(html.text, "<html>Bad gateway</html>")
    }).pipe(Effect.provide(apiLayer())))

  it.live("sends once: no retries in the raw client", () =>
    Effect.gen(function*() {
      fake.script(Behaviour.serverError(500))
      const result = yield* sendMessages()
      assert.strictEqual(result.status, 500)
      assert.strictEqual(fake.requests.length, 1)
    }).pipe(Effect.provide(apiLayer())))

  it.live("fails with Timeout when no answer comes within the request timeout", () =>
    Effect.gen(function*() {
      fake.script(Behaviour.hang())
      const error = yield* Effect.flip(sendMessages())
      assert.strictEqual(error._tag, "ExotelApiError")
      assert.strictEqual(error.reason, "Timeout")
      assert.include(error.message, "100 ms")
    }).pipe(Effect.provide(apiLayer({ requestTimeout: "100 millis" }))))

  it.live("a timeout given to the call replaces the configured one", () =>
    Effect.gen(function*() {
      fake.script(Behaviour.hang())
      const started = Date.now()
      const error = yield* Effect.flip(
        Effect.flatMap(ExotelApi.ExotelApi, (api) => api.sendMessages(body, { timeout: "150 millis" }))
      )
      assert.strictEqual(error.reason, "Timeout")
      assert.include(error.message, "150 ms")
      assert.isBelow(Date.now() - started, 1500)
    }).pipe(Effect.provide(apiLayer({ requestTimeout: "5 seconds" }))))

  it.live("fails with Connect when nothing listens (ECONNREFUSED): the request never left", () =>
    Effect.gen(function*() {
      const port = yield* closedPort
      const error = yield* Effect.flip(sendMessages()).pipe(
        Effect.provide(apiLayer({}, { ...fake, url: `http://127.0.0.1:${port}` }))
      )
      assert.strictEqual(error.reason, "Connect")
      assert.include(error.detail, "ECONNREFUSED")
    }))

  it.live("fails with Connect when the TLS handshake fails (https to a plain HTTP port)", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(sendMessages()).pipe(
        Effect.provide(apiLayer({}, { ...fake, url: fake.url.replace("http:", "https:") }))
      )
      assert.strictEqual(error.reason, "Connect")
      assert.strictEqual(fake.requests.length, 0)
    }))

  it.live("fails with Transport when the connection drops after the request was sent", () =>
    Effect.gen(function*() {
      fake.script(Behaviour.reset())
      const error = yield* Effect.flip(sendMessages())
      assert.strictEqual(error.reason, "Transport")
      assert.strictEqual(fake.requests.length, 1)
    }).pipe(Effect.provide(apiLayer())))

  it.live("fails with Transport when the answer is cut short", () =>
    Effect.gen(function*() {
      const server = yield* Effect.acquireRelease(
        Effect.promise(() =>
          new Promise<Http.Server>((resolve) => {
            const cutting = Http.createServer((request, response) => {
              request.resume()
              request.on("end", () => {
                response.writeHead(202, { "content-type": "application/json", "content-length": "100" })
                response.write("{\"response\":")
                setTimeout(() => request.socket.destroy(), 20)
              })
            })
            cutting.listen(0, "127.0.0.1", () => resolve(cutting))
          })
        ),
        (cutting) => Effect.promise(() => new Promise<void>((resolve) => cutting.close(() => resolve())))
      )
      const { port } = server.address() as AddressInfo
      const error = yield* Effect.flip(sendMessages()).pipe(
        Effect.provide(apiLayer({}, { ...fake, url: `http://127.0.0.1:${port}` }))
      )
      assert.strictEqual(error.reason, "Transport")
    }).pipe(Effect.scoped))

  it("reads error objects from the shapes Exotel's v2 APIs use", () => {
    const asObject = { response: { code: 400, status: "failure", error_data: { code: 1001, message: "m" } } }
    const asArray = { response: [{ code: 400, error_data: { code: 1002, description: "d" } }] }
    const perMessage = {
      response: { whatsapp: { messages: [{ status: "failure", error_data: { code: 30010, message: "x" } }] } }
    }
    const decode = (u: unknown) => Option.getOrThrow(ExotelApi.firstError(u as ExotelApi.SendResponse))
    assert.strictEqual(decode(asObject).code, 1001)
    assert.strictEqual(decode(asArray).code, 1002)
    assert.strictEqual(decode(perMessage).code, 30010)
    assert.isTrue(Option.isNone(ExotelApi.firstError({})))
  })
})

describe("ExotelApi.connectFailureCode", () => {
  const systemError = (code: string, syscall?: string) =>
    Object.assign(new Error(`${syscall ?? ""} ${code}`), { code, syscall })
  const connectTimeout = Object.assign(new Error("Connect Timeout Error"), {
    name: "ConnectTimeoutError",
    code: "UND_ERR_CONNECT_TIMEOUT"
  })

  it("finds the code of a connection that could not be made, anywhere in the cause chain", () => {
    const cases: ReadonlyArray<readonly [unknown, string]> = [
      [systemError("ECONNREFUSED", "connect"), "ECONNREFUSED"],
      [new Error("Transport error", { cause: systemError("ENOTFOUND", "getaddrinfo") }), "ENOTFOUND"],
      [new TypeError("fetch failed", { cause: systemError("EAI_AGAIN", "getaddrinfo") }), "EAI_AGAIN"],
      [systemError("ENETUNREACH", "connect"), "ENETUNREACH"],
      [systemError("EHOSTUNREACH"), "EHOSTUNREACH"],
      [connectTimeout, "UND_ERR_CONNECT_TIMEOUT"],
      [systemError("ECONNRESET", "connect"), "ECONNRESET"],
      [systemError("DEPTH_ZERO_SELF_SIGNED_CERT"), "DEPTH_ZERO_SELF_SIGNED_CERT"],
      [systemError("CERT_HAS_EXPIRED"), "CERT_HAS_EXPIRED"],
      [systemError("ERR_TLS_CERT_ALTNAME_INVALID"), "ERR_TLS_CERT_ALTNAME_INVALID"],
      [systemError("ERR_SSL_WRONG_VERSION_NUMBER"), "ERR_SSL_WRONG_VERSION_NUMBER"],
      [systemError("ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE"), "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE"],
      [
        Object.assign(
          new AggregateError([systemError("ECONNREFUSED", "connect"), systemError("ETIMEDOUT", "connect")]),
          { code: "ECONNREFUSED" }
        ),
        "ECONNREFUSED"
      ]
    ]
    for (const [cause, code] of cases) {
      assert.deepStrictEqual(ExotelApi.connectFailureCode(cause), Option.some(code), code)
    }
  })

  it("finds none when the connection was made: the request may have been sent", () => {
    const cyclic: { cause?: unknown } = new Error("cyclic")
    cyclic.cause = cyclic
    const cases: ReadonlyArray<unknown> = [
      Object.assign(new Error("other side closed"), { name: "SocketError", code: "UND_ERR_SOCKET" }),
      systemError("ECONNRESET", "read"),
      systemError("EPIPE", "write"),
      systemError("ETIMEDOUT"),
      new AggregateError([systemError("ECONNREFUSED", "connect"), systemError("ECONNRESET", "read")]),
      new AggregateError([]),
      cyclic,
      "ECONNREFUSED",
      undefined,
      null
    ]
    for (const cause of cases) assert.isTrue(Option.isNone(ExotelApi.connectFailureCode(cause)), String(cause))
  })
})
