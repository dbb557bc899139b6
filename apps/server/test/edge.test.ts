import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Option, Redacted } from "effect"
import * as Http from "node:http"
import * as Net from "node:net"
import { localBase, maskedWebhookUrl, type ServerSettings, webhookUrl } from "../src/Config.js"
import { redactPath } from "../src/Server.js"
import { isWebhookPath } from "../src/Webhook.js"
import { BUSINESS, client, CUSTOMER, eventually, SECRET, TestEnv, TestServer } from "./support.js"

/** A request on a connection of its own, with its path exactly as given (fetch would normalise it). */
const rawRequest = (base: string, method: string, path: string, body = "") =>
  new Promise<{ status: number; text: string }>((resolve, reject) => {
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
        response.on("end", () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }))
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

  it.live("every other spelling and method gets 404 NOT_FOUND and records nothing; the exact route still works", () =>
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
        ["GET", `/webhooks/exotel/${SECRET}`],
        ["PUT", `/webhooks/exotel/${SECRET}`]
      ]
      for (const [method, path] of variants) {
        const answer = yield* Effect.promise(() => rawRequest(env.baseUrl, method, path, body))
        assert.strictEqual(answer.status, 404, `${method} ${path}`)
        assert.strictEqual(JSON.parse(answer.text).code, "NOT_FOUND", `${method} ${path}`)
        assert.notInclude(answer.text, SECRET)
      }
      const session = yield* api.sessions.getSession({ path: { business: BUSINESS, customer: CUSTOMER }, urlParams: {} })
      assert.strictEqual(session.state, "none")
      const exact = yield* Effect.promise(() => rawRequest(env.baseUrl, "POST", `/webhooks/exotel/${SECRET}`, body))
      assert.strictEqual(exact.status, 200)
    }).pipe(Effect.provide(TestServer())))
})

describe("connection limits", () => {
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
