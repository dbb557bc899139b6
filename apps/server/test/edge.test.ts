import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Option, Redacted } from "effect"
import * as Http from "node:http"
import * as Net from "node:net"
import { localBase, maskedWebhookUrl, type ServerSettings, webhookUrl } from "../src/Config.js"
import { redactPath } from "../src/Server.js"
import { isWebhookPath } from "../src/Webhook.js"
import { auth, BUSINESS, client, CUSTOMER, eventually, SECRET, TestEnv, TestServer } from "./support.js"

/** A request on a connection of its own, with its path exactly as given (fetch would normalise it). */
const rawRequest = (base: string, method: string, path: string, body = "") =>
  new Promise<{ status: number; text: string; allow: string | undefined }>((resolve, reject) => {
    const url = new URL(base)
    const request = Http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        agent: false,
        headers: { "content-type": "application/json" }
      },
      (response) => {
        const chunks: Array<Buffer> = []
        response.on("data", (chunk: Buffer) => chunks.push(chunk))
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            text: Buffer.concat(chunks).toString(),
            allow: response.headers.allow
          }))
      }
    )
    request.on("error", reject)
    request.end(body)
  })

const connect = (base: string) =>
  new Promise<Net.Socket>((resolve, reject) => {
    const url = new URL(base)
    const socket = Net.connect(Number(url.port), url.hostname, () => resolve(socket))
    socket.on("error", reject)
  })

const closed = (socket: Net.Socket) => socket.destroyed || socket.readyState === "closed"

describe("the webhook route's spellings", () => {
  it("isWebhookPath: any case, repeated or back slashes, percent-encoding; not other routes", () => {
    for (
      const path of [
        "/webhooks/exotel/s",
        "//webhooks/exotel/s",
        "/WEBHOOKS/exotel/s",
        "/Webhooks/Exotel/s?x=1",
        "/%77ebhooks/exotel/s",
        "\\webhooks\\exotel\\s",
        "/webhooks",
        "/webhooks%2Fexotel%2Fs",
        "/webhooks/%zz"
      ]
    ) assert.isTrue(isWebhookPath(path), path)
    for (const path of ["/v1/messages", "/healthz", "/docs", "/", "/web", "/v1/webhooks"]) {
      assert.isFalse(isWebhookPath(path), path)
    }
  })

  it("redactPath: the secret replaced wherever it is, as sent or percent-encoded; the query dropped", () => {
    const secret = Redacted.make("s3cr et+/x")
    assert.strictEqual(redactPath("/webhooks/exotel/s3cr et+/x?token=1", secret), "/webhooks/exotel/<secret>")
    assert.strictEqual(redactPath(`/v1/${encodeURIComponent("s3cr et+/x")}/a`, secret), "/v1/<secret>/a")
    assert.strictEqual(redactPath("/v1/messages", secret), "/v1/messages")
    assert.strictEqual(redactPath("/v1/messages", Redacted.make("")), "/v1/messages")
    // escaped another way than encodeURIComponent does (lower-case hex, an escaped letter)
    assert.strictEqual(redactPath("/webhook/exotel/%73%33cr%20et%2b%2fx", secret), "/webhook/exotel/<secret>")
  })

  it("the banner's URL masks the secret; webhook-url's is whole", () => {
    const settings = {
      host: "::1",
      port: 8080,
      publicUrl: Option.none(),
      webhookSecret: Redacted.make("abcdefghijklmnopqrstuvwxyz")
    } as unknown as ServerSettings
    assert.strictEqual(localBase(settings), "http://[::1]:8080")
    assert.strictEqual(maskedWebhookUrl(settings, "http://h:1"), "http://h:1/webhooks/exotel/abcd…")
    assert.strictEqual(webhookUrl(settings, "http://h:1"), "http://h:1/webhooks/exotel/abcdefghijklmnopqrstuvwxyz")
  })

  it.live("every other spelling gets 404 NOT_FOUND and records nothing; another method 405; the exact route works", () =>
    Effect.gen(function*() {
      const env = yield* TestEnv
      const api = yield* client
      const item = env.fake.inboundItem({ from: CUSTOMER, to: BUSINESS })
      const body = JSON.stringify({ whatsapp: { messages: [item] } })
      const variants: ReadonlyArray<readonly [string, string]> = [
        ["POST", `//webhooks/exotel/${SECRET}`],
        ["POST", `/WEBHOOKS/exotel/${SECRET}`],
        ["POST", `/webhooks//exotel/${SECRET}`],
        ["POST", `/webhooks/exotel//${SECRET}`],
        ["POST", `/webhooks/exotel/${SECRET}/`],
        ["POST", `/webhooks/exotel/${SECRET}/x`],
        ["POST", `/%77ebhooks/exotel/${SECRET}`],
        ["POST", `/webhooks%2Fexotel%2F${SECRET}`],
        ["POST", `/webhooks/exotel/${SECRET.toUpperCase()}`],
        ["GET", `/webhooks/exotel/not-the-secret`]
      ]
      for (const [method, path] of variants) {
        const answer = yield* Effect.promise(() => rawRequest(env.baseUrl, method, path, body))
        assert.strictEqual(answer.status, 404, `${method} ${path}`)
        assert.strictEqual(JSON.parse(answer.text).code, "NOT_FOUND", `${method} ${path}`)
        assert.notInclude(answer.text, SECRET)
      }
      for (const method of ["GET", "PUT"]) {
        const answer = yield* Effect.promise(() => rawRequest(env.baseUrl, method, `/webhooks/exotel/${SECRET}`, body))
        assert.strictEqual(answer.status, 405, method)
        assert.strictEqual(answer.allow, "POST")
        assert.deepStrictEqual(JSON.parse(answer.text).code, "METHOD_NOT_ALLOWED")
      }
      const session = yield* api.sessions.getSession({
        path: { business: BUSINESS, customer: CUSTOMER },
        urlParams: {}
      })
      assert.strictEqual(session.state, "none")
      const exact = yield* Effect.promise(() => rawRequest(env.baseUrl, "POST", `/webhooks/exotel/${SECRET}`, body))
      assert.strictEqual(exact.status, 200)
    }).pipe(Effect.provide(TestServer())))
})

/** Writes `text` on a fresh connection and resolves with everything the server wrote until it closed. */
const exchangeRaw = (base: string, text: string) =>
  new Promise<string>((resolve, reject) => {
    const url = new URL(base)
    const chunks: Array<Buffer> = []
    const socket = Net.connect(Number(url.port), url.hostname, () => socket.write(text))
    socket.on("data", (chunk: Buffer) => chunks.push(chunk))
    socket.on("close", () => resolve(Buffer.concat(chunks).toString()))
    socket.on("error", reject)
  })

describe("answers of the server's own", () => {
  it.live("a path with other methods: 405 with Allow; no such path: 404", () =>
    Effect.gen(function*() {
      const env = yield* TestEnv
      const get = yield* Effect.promise(() => rawRequest(env.baseUrl, "GET", "/v1/deliveries/replay"))
      assert.strictEqual(get.status, 405)
      assert.strictEqual(get.allow, "POST")
      assert.deepStrictEqual(JSON.parse(get.text).allow, ["POST"])
      assert.strictEqual(JSON.parse(get.text).code, "METHOD_NOT_ALLOWED")
      const put = yield* Effect.promise(() => rawRequest(env.baseUrl, "PUT", "/v1/endpoints"))
      assert.strictEqual(put.status, 405)
      assert.strictEqual(put.allow, "GET, POST")
      const none = yield* Effect.promise(() => rawRequest(env.baseUrl, "GET", "/v1/nothing-here"))
      assert.strictEqual(none.status, 404)
      assert.strictEqual(JSON.parse(none.text).code, "NOT_FOUND")
      // a path the router refuses (a parameter over its length limit) with the route's own method: 404, not 405
      const long = yield* Effect.promise(() => rawRequest(env.baseUrl, "GET", `/v1/messages/${"m".repeat(300)}`))
      assert.strictEqual(long.status, 404)
    }).pipe(Effect.provide(TestServer())))

  it.live("not HTTP: 400 INVALID_REQUEST as JSON; headers too slow: 408 REQUEST_TIMEOUT", () =>
    Effect.gen(function*() {
      const env = yield* TestEnv
      const garbage = yield* Effect.promise(() => exchangeRaw(env.baseUrl, "NOT HTTP AT ALL\r\n\r\n"))
      assert.match(garbage, /^HTTP\/1\.1 400 /)
      assert.strictEqual(JSON.parse(garbage.split("\r\n\r\n")[1]!).code, "INVALID_REQUEST")
      const slow = yield* Effect.promise(() => exchangeRaw(env.baseUrl, "GET /healthz HTTP/1.1\r\nhost: x\r\n"))
      assert.match(slow, /^HTTP\/1\.1 408 /)
      assert.strictEqual(JSON.parse(slow.split("\r\n\r\n")[1]!).code, "REQUEST_TIMEOUT")
    }).pipe(
      Effect.provide(TestServer({ edge: { headersTimeout: Duration.seconds(1), requestTimeout: Duration.seconds(2) } }))
    ))

  it.live("1,200 violations: the first 100 listed, violationCount says how many", () =>
    Effect.gen(function*() {
      const env = yield* TestEnv
      const content = {
        type: "interactive",
        interactive: {
          type: "list",
          body: { text: "x" },
          action: {
            button: "b",
            sections: Array.from({ length: 300 }, () => ({ title: "", rows: [{ id: "", title: "" }] }))
          }
        }
      }
      const answer = yield* Effect.promise(() =>
        fetch(`${env.baseUrl}/v1/messages`, {
          method: "POST",
          headers: { "content-type": "application/json", ...auth },
          body: JSON.stringify({ from: BUSINESS, to: CUSTOMER, content })
        }).then(async (response) => ({ status: response.status, body: await response.json() as any }))
      )
      assert.strictEqual(answer.status, 422)
      assert.strictEqual(answer.body.code, "INVALID_MESSAGE")
      assert.lengthOf(answer.body.violations, 100)
      assert.isAbove(answer.body.violationCount, 1000)
    }).pipe(Effect.provide(TestServer())))
})

describe("webhook batches", () => {
  it.live("more items than WA_SESSION_MAX_BATCH_ITEMS: 400, the body kept whole as one quarantine entry", () =>
    Effect.gen(function*() {
      const env = yield* TestEnv
      const api = yield* client
      const items = [1, 2, 3].map((n) => env.fake.inboundItem({ from: CUSTOMER, to: BUSINESS, sid: `cap-${n}` }))
      const over = yield* Effect.promise(() => env.fake.sendBatch(env.webhookUrl, items))
      assert.strictEqual(over.status, 400)
      assert.strictEqual(JSON.parse(over.body).code, "INVALID_WEBHOOK")
      assert.match(JSON.parse(over.body).message, /a batch of 3 items, over the limit of 2.*q_[0-9a-f]{32}/)
      const session = yield* api.sessions.getSession({
        path: { business: BUSINESS, customer: CUSTOMER },
        urlParams: {}
      })
      assert.strictEqual(session.state, "none")
      const quarantine = yield* api.quarantine.listQuarantine({ urlParams: {} })
      assert.lengthOf(quarantine.items, 1)
      assert.strictEqual(quarantine.items[0]!.kind, "body")
      const under = yield* Effect.promise(() => env.fake.sendBatch(env.webhookUrl, items.slice(0, 2)))
      assert.strictEqual(under.status, 200)
    }).pipe(Effect.provide(TestServer({ edge: { maxBatchItems: 2 } }))))
})

/** Opens a connection, writes `text` on it, and keeps it open (reading and ignoring what comes back). */
const connectAndSend = (base: string, text: string, options: { readonly allowHalfOpen?: boolean } = {}) =>
  new Promise<Net.Socket>((resolve, reject) => {
    const url = new URL(base)
    const socket = Net.connect({
      port: Number(url.port),
      host: url.hostname,
      allowHalfOpen: options.allowHalfOpen === true
    }, () => {
      socket.write(text)
      resolve(socket)
    })
    socket.on("data", () => {})
    socket.on("error", reject)
  })

describe("connection limits", () => {
  it.live("at the cap, kept-alive connections idle between requests make room too", () =>
    Effect.gen(function*() {
      const env = yield* TestEnv
      const sockets: Array<Net.Socket> = []
      for (let i = 0; i < 16; i++) {
        sockets.push(
          yield* Effect.promise(() => connectAndSend(env.baseUrl, "GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n"))
        )
      }
      yield* Effect.sleep("200 millis")
      const health = yield* Effect.promise(() => rawRequest(env.baseUrl, "GET", "/healthz"))
      assert.strictEqual(health.status, 200)
      assert.isTrue(closed(sockets[0]!))
      for (const socket of sockets) socket.destroy()
    }).pipe(Effect.provide(TestServer({ edge: { maxConnections: 16 } }))))

  it.live("a request too slow to arrive gets 408 and its connection is closed, even if the client keeps its side open", () =>
    Effect.gen(function*() {
      const env = yield* TestEnv
      const head = `POST /webhooks/exotel/${SECRET} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n` +
        "content-length: 100\r\n\r\n{\"wh"
      const sockets: Array<Net.Socket> = []
      for (let i = 0; i < 16; i++) {
        // a client that never closes its side: the server must close the connection itself
        sockets.push(yield* Effect.promise(() => connectAndSend(env.baseUrl, head, { allowHalfOpen: true })))
      }
      yield* Effect.sleep("4 seconds")
      const health = yield* Effect.promise(() => rawRequest(env.baseUrl, "GET", "/healthz"))
      assert.strictEqual(health.status, 200)
      for (const socket of sockets) socket.destroy()
    }).pipe(
      Effect.provide(
        TestServer({
          edge: { maxConnections: 16, headersTimeout: Duration.seconds(1), requestTimeout: Duration.seconds(2) }
        })
      )
    ))

  it.live("a connection that sends nothing is closed after the headers timeout", () =>
    Effect.gen(function*() {
      const env = yield* TestEnv
      const socket = yield* Effect.promise(() => connect(env.baseUrl))
      yield* eventually(() => closed(socket), "the idle connection closed", 5_000)
    }).pipe(Effect.provide(TestServer({ edge: { headersTimeout: Duration.seconds(1) } }))))

  it.live("at the cap the oldest idle connection makes room: /healthz still answers", () =>
    Effect.gen(function*() {
      const env = yield* TestEnv
      const cap = 16
      const sockets: Array<Net.Socket> = []
      for (let i = 0; i < cap * 4; i++) sockets.push(yield* Effect.promise(() => connect(env.baseUrl)))
      yield* eventually(
        () => sockets.filter((socket) => !closed(socket)).length <= cap,
        "no more than the cap left open",
        5_000
      )
      // the newest survive, the oldest were closed
      assert.isTrue(closed(sockets[0]!))
      assert.isFalse(closed(sockets[sockets.length - 1]!))
      const health = yield* Effect.promise(() => rawRequest(env.baseUrl, "GET", "/healthz"))
      assert.strictEqual(health.status, 200)
      for (const socket of sockets) socket.destroy()
    }).pipe(Effect.provide(TestServer({ edge: { maxConnections: 16 } }))))
})
