import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import { afterAll, afterEach, assert, beforeAll, describe, it } from "@effect/vitest"
import { Delivery, Event, EventTransport, PhoneNumber, SessionWindow } from "@wa-session/session-core"
import { DateTime, Duration, Effect, Layer, Logger, LogLevel, Option, Redacted, Tracer } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { Webhook } from "standardwebhooks"
import * as FakeReceiver from "../src/FakeReceiver.js"
import { StandardWebhooks } from "../src/index.js"

const secret = `whsec_${Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 11) % 256)).toString("base64")}`
const otherSecret = `whsec_${Buffer.alloc(32, 9).toString("base64")}`

const business = PhoneNumber.unsafeMake("+919876500001")
const customer = PhoneNumber.unsafeMake("+919876543210")
const receivedAt = DateTime.unsafeMake("2026-01-20T10:00:00Z")
const message = new SessionWindow.InboundMessage({
  business,
  customer,
  messageId: "wamid.relay-1",
  sentAt: receivedAt,
  receivedAt
})
const event: Event.Event = Event.messageReceived(
  {
    message,
    contentType: "text",
    content: { type: "text", text: { body: "Where is my order? ₹ 😊" } },
    profileName: Option.some("Asha"),
    providerTimestamp: Option.some(receivedAt),
    timestampAdjustment: "none"
  },
  SessionWindow.record(SessionWindow.empty({ business, customer }), message),
  Duration.minutes(5)
).event

const endpointAt = (url: string, endpointSecret: string = secret) =>
  new Delivery.Endpoint({
    id: "ep_test",
    url,
    events: Option.none(),
    secret: Redacted.make(endpointSecret),
    state: "enabled",
    disabledReason: Option.none(),
    createdAt: receivedAt
  })

/** What a detail or a log line must never contain: the secret, its key, or a signature. */
const assertNoSecrets = (text: string) => {
  assert.notInclude(text, secret)
  assert.notInclude(text, secret.slice("whsec_".length))
  assert.notInclude(text, "v1,")
}

let receiver: FakeReceiver.FakeReceiver

beforeAll(async () => {
  receiver = await FakeReceiver.start({ secret })
})
afterAll(() => receiver.close())
afterEach(async () => {
  await receiver.comeBack()
  receiver.reset()
})

const post = (url: string, attemptAt: DateTime.Utc, options: StandardWebhooks.Options = {}, endpointSecret?: string) =>
  Effect.flatMap(
    StandardWebhooks.make(options),
    (transport) => transport.post(endpointAt(url, endpointSecret), Event.payloadOf(event), attemptAt)
  )

/**
 * The transport takes whichever `HttpClient` the app provides, so the behaviour that depends on the client (redirects,
 * how refused connections and timeouts surface) runs against both: undici (what the server uses, as the Exotel
 * adapter does) and fetch (whose default is to follow redirects, which the transport turns off).
 */
const clients: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  ["NodeHttpClient.layerUndici", NodeHttpClient.layerUndici],
  ["FetchHttpClient.layer", FetchHttpClient.layer]
]

for (const [clientName, clientLayer] of clients) {
  describe(`StandardWebhooks over ${clientName}`, () => {
    it.live("posts the event's JSON, signed so that standardwebhooks' own verify accepts it", () =>
      Effect.gen(function*() {
        const attemptAt = yield* DateTime.now
        const result = yield* post(`${receiver.url}/hooks/wa?tenant=1`, attemptAt)
        assert.deepStrictEqual(result, { _tag: "Answered", status: 200 })

        assert.strictEqual(receiver.received.length, 1)
        const request = receiver.received[0]!
        assert.strictEqual(request.method, "POST")
        assert.strictEqual(request.path, "/hooks/wa?tenant=1")
        assert.isTrue(request.verified, request.verifyError)
        assert.strictEqual(request.headers["content-type"], "application/json")
        assert.strictEqual(request.headers["user-agent"], "wa-session")
        assert.strictEqual(request.id, event.id)
        assert.strictEqual(request.timestamp, String(Math.floor(attemptAt.epochMillis / 1000)))
        assert.match(request.timestamp!, /^\d{10}$/)
        assert.isUndefined(request.headers["traceparent"])

        const expectedBody = JSON.stringify(Event.encode(event))
        assert.strictEqual(request.rawBody, expectedBody)
        assert.deepStrictEqual(Object.keys(request.body as object), [
          "id",
          "type",
          "createdAt",
          "business",
          "customer",
          "data"
        ])
        assert.deepStrictEqual(request.body, Event.encode(event))

        const webhook = new Webhook(secret)
        assert.strictEqual(request.signature, webhook.sign(event.id, DateTime.toDate(attemptAt), expectedBody))
        assert.match(request.signature!, /^v1,[A-Za-z0-9+/]{43}=$/)
        const verified = webhook.verify(request.rawBody, {
          "webhook-id": request.id!,
          "webhook-timestamp": request.timestamp!,
          "webhook-signature": request.signature!
        })
        assert.deepStrictEqual(verified, Event.encode(event))
        assert.strictEqual(receiver.delivered().length, 1)
      }).pipe(Effect.provide(clientLayer)))

    it.live("signs per timestamp; another secret or another body does not verify", () =>
      Effect.gen(function*() {
        const now = yield* DateTime.now
        const minuteAgo = DateTime.subtract(now, { minutes: 1 })
        yield* post(receiver.url, now)
        yield* post(receiver.url, minuteAgo)
        const [first, second] = receiver.received
        assert.isTrue(first!.verified && second!.verified)
        assert.strictEqual(Number(first!.timestamp) - Number(second!.timestamp), 60)
        assert.notStrictEqual(first!.signature, second!.signature)
        assert.strictEqual(first!.rawBody, second!.rawBody)

        const headers = {
          "webhook-id": first!.id!,
          "webhook-timestamp": first!.timestamp!,
          "webhook-signature": first!.signature!
        }
        assert.throws(() => new Webhook(otherSecret).verify(first!.rawBody, headers), /No matching signature/)
        assert.throws(
          () => new Webhook(secret).verify(first!.rawBody.replace("Asha", "Anna"), headers),
          /No matching signature/
        )
        assert.throws(
          () => new Webhook(secret).verify(first!.rawBody, { ...headers, "webhook-timestamp": second!.timestamp! }),
          /No matching signature/
        )

        const stranger = yield* Effect.promise(() => FakeReceiver.start({ secret: otherSecret }))
        yield* Effect.addFinalizer(() => Effect.promise(() => stranger.close()))
        const result = yield* post(stranger.url, now)
        assert.deepStrictEqual(result, { _tag: "Answered", status: 200 })
        assert.isFalse(stranger.received[0]!.verified)
        assert.strictEqual(stranger.received[0]!.verifyError, "No matching signature found")
      }).pipe(Effect.scoped, Effect.provide(clientLayer)))

    it.live("reports error statuses and redirects as answers, and does not follow the redirect", () =>
      Effect.gen(function*() {
        receiver.script([500, 503, 410, 302, 301, 204])
        const now = yield* DateTime.now
        const results = []
        for (let i = 0; i < 7; i++) results.push(yield* post(`${receiver.url}/hooks`, now))
        assert.deepStrictEqual(results.map((r) => (r._tag === "Answered" ? r.status : r.detail)), [
          500,
          503,
          410,
          302,
          301,
          204,
          200
        ])
        assert.strictEqual(receiver.received.length, 7)
        assert.isTrue(receiver.received.every((r) => r.path === "/hooks" && r.verified))
        assert.strictEqual(receiver.delivered().length, 2)
      }).pipe(Effect.provide(clientLayer)))

    it.live("gives NoAnswer after the timeout when the receiver hangs, and answers again once it stops", () =>
      Effect.gen(function*() {
        receiver.hang(true)
        const startedAt = Date.now()
        const result = yield* post(receiver.url, yield* DateTime.now, { timeout: Duration.millis(300) })
        const elapsed = Date.now() - startedAt
        assert.deepStrictEqual(result, { _tag: "NoAnswer", detail: "timed out after 300ms" })
        assert.isBelow(elapsed, 5_000, "bounded by the given timeout, not the default 10 s")
        assert.strictEqual(receiver.received.length, 1)

        receiver.hang(false)
        const after = yield* post(receiver.url, yield* DateTime.now, { timeout: Duration.millis(300) })
        assert.deepStrictEqual(after, { _tag: "Answered", status: 200 })
      }).pipe(Effect.provide(clientLayer)))

    it.live("gives NoAnswer (connection refused) while the receiver is down, and reaches it at the same URL after", () =>
      Effect.gen(function*() {
        const url = `${receiver.url}/hooks`
        assert.deepStrictEqual(yield* post(url, yield* DateTime.now), { _tag: "Answered", status: 200 })
        yield* Effect.promise(() => receiver.goDown())
        assert.deepStrictEqual(yield* post(url, yield* DateTime.now), {
          _tag: "NoAnswer",
          detail: "connection refused"
        })
        yield* Effect.promise(() => receiver.comeBack())
        assert.deepStrictEqual(yield* post(url, yield* DateTime.now), { _tag: "Answered", status: 200 })
        assert.strictEqual(receiver.received.length, 2)
        assert.isTrue(receiver.received.every((r) => r.verified))
      }).pipe(Effect.provide(clientLayer)))

    it.live("gives NoAnswer for a URL it cannot post to, and sends nothing", () =>
      Effect.gen(function*() {
        const now = yield* DateTime.now
        for (const url of ["http://", "", "not a url", "/hooks", "ftp://127.0.0.1/hooks", "mailto:ops@example.com"]) {
          assert.deepStrictEqual(yield* post(url, now), { _tag: "NoAnswer", detail: "invalid URL" }, url)
        }
        assert.strictEqual(receiver.received.length, 0)
      }).pipe(Effect.provide(clientLayer)))
  })
}

describe("StandardWebhooks", () => {
  it.live("is the EventTransport of its layer, with the default 10 s timeout", () =>
    Effect.gen(function*() {
      const transport = yield* EventTransport.EventTransport
      const result = yield* transport.post(endpointAt(receiver.url), Event.payloadOf(event), yield* DateTime.now)
      assert.deepStrictEqual(result, { _tag: "Answered", status: 200 })
      assert.isTrue(receiver.received[0]!.verified)
    }).pipe(Effect.provide(StandardWebhooks.layer().pipe(Layer.provide(NodeHttpClient.layerUndici)))))

  it.live("counts the status when the answer's body does not finish within the timeout", () =>
    Effect.gen(function*() {
      const server = Http.createServer((_request, response) => {
        response.writeHead(202, { "content-type": "text/plain" })
        response.write("accepted, but the rest never comes")
      })
      yield* Effect.acquireRelease(
        Effect.promise(() => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))),
        () =>
          Effect.promise(() =>
            new Promise<void>((resolve) => {
              server.closeAllConnections()
              server.close(() => resolve())
            })
          )
      )
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
      const result = yield* post(url, yield* DateTime.now, { timeout: "300 millis" })
      assert.deepStrictEqual(result, { _tag: "Answered", status: 202 })
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici)))

  it.live("sends nothing with a secret standardwebhooks cannot decode", () =>
    Effect.gen(function*() {
      for (const bad of ["whsec_!!not base64!!", "whsec_"]) {
        const result = yield* post(receiver.url, yield* DateTime.now, {}, bad)
        assert.deepStrictEqual(result, { _tag: "NoAnswer", detail: "invalid signing secret" })
        assert.notInclude(JSON.stringify(result), bad)
      }
      assert.strictEqual(receiver.received.length, 0)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("never puts the secret or the signature in a detail, a log line or a span attribute", () =>
    Effect.gen(function*() {
      const logs: Array<string> = []
      const spans: Array<Tracer.Span> = []
      const base = yield* Effect.tracer
      const tracer = Tracer.make({
        context: base.context,
        span: (...args) => {
          const span = base.span(...args)
          spans.push(span)
          return span
        }
      })
      const logger = Logger.make(({ annotations, message }) => {
        logs.push(JSON.stringify({ message, annotations: [...annotations] }))
      })
      const details: Array<string> = []
      const run = (url: string, options: StandardWebhooks.Options = {}) =>
        post(url, DateTime.unsafeNow(), options).pipe(
          Effect.tap((result) => result._tag === "NoAnswer" && details.push(result.detail)),
          Effect.withTracer(tracer),
          Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
          Logger.withMinimumLogLevel(LogLevel.All)
        )

      yield* run(receiver.url)
      receiver.respondWith(503)
      yield* run(receiver.url)
      receiver.hang(true)
      yield* run(receiver.url, { timeout: Duration.millis(200) })
      receiver.hang(false)
      yield* run("http://")
      yield* run("http://127.0.0.1:1/unreachable")
      yield* run("http://wa-session-relay-test.invalid/hooks", { timeout: "2 seconds" })

      assert.deepStrictEqual(details.slice(0, 3), ["timed out after 200ms", "invalid URL", "connection refused"])
      assert.isAtLeast(details.length, 4)
      for (const text of [...details, ...logs]) assertNoSecrets(text)

      const postSpans = spans.filter((span) => span.name === "StandardWebhooks.post")
      assert.strictEqual(postSpans.length, 6)
      assert.strictEqual(postSpans[0]!.attributes.get("eventId"), event.id)
      assert.strictEqual(postSpans[0]!.attributes.get("outcome"), "HTTP 200")
      // no client span copying the request's headers: the post's own span is the only one
      assert.deepStrictEqual(spans.filter((span) => span.kind === "client"), [])
      for (const span of spans) assertNoSecrets(JSON.stringify([...span.attributes].map(([k, v]) => [k, String(v)])))
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
