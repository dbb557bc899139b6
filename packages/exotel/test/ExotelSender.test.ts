import * as Headers from "@effect/platform/Headers"
import { afterAll, afterEach, assert, beforeAll, describe, it } from "@effect/vitest"
import { Behaviour, type FakeExotel, startFakeExotel } from "@wa-session/exotel-fake"
import type { MessageSender } from "@wa-session/session-core"
import {
  Clock,
  Duration,
  Effect,
  Either,
  Exit,
  Fiber,
  identity,
  Layer,
  Logger,
  Option,
  Random,
  Redacted,
  TestClock
} from "effect"
import { ExotelApi, ExotelConfig, ExotelSender } from "../src/index.js"
import { adapter, CALLBACK, closedPort, content, credentials, customer, fastRetry, request, send } from "./support.js"

let fake: FakeExotel

beforeAll(async () => {
  fake = await startFakeExotel(credentials)
})
afterAll(() => fake.close())
afterEach(() => fake.reset())

const sendError = (input: MessageSender.SendRequest = request(), layer = adapter(fake)) =>
  send(input).pipe(Effect.flip, Effect.provide(layer))

const CONTENTS: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
  ["text", { type: "text", text: { body: "Hello", preview_url: false } }],
  ["image", { type: "image", image: { link: "https://cdn.example.com/a.jpg", caption: "Your receipt" } }],
  ["video", { type: "video", video: { link: "https://cdn.example.com/a.mp4" } }],
  ["audio", { type: "audio", audio: { id: "media-1" } }],
  [
    "document",
    { type: "document", document: { link: "https://cdn.example.com/a.pdf", filename: "a.pdf", caption: "Invoice" } }
  ],
  ["sticker", { type: "sticker", sticker: { link: "https://cdn.example.com/a.webp" } }],
  ["location", { type: "location", location: { latitude: 12.97, longitude: 77.59, name: "Office", address: "MG Rd" } }],
  [
    "contacts",
    {
      type: "contacts",
      contacts: [{ name: { formatted_name: "Asha Rao", first_name: "Asha" }, phones: [{ phone: "+919800000000" }] }]
    }
  ],
  [
    "interactive button",
    {
      type: "interactive",
      interactive: {
        type: "button",
        body: { text: "Confirm your slot?" },
        action: {
          buttons: [{ type: "reply", reply: { id: "yes", title: "Yes" } }, {
            type: "reply",
            reply: { id: "no", title: "No" }
          }]
        }
      }
    }
  ],
  [
    "interactive list",
    {
      type: "interactive",
      interactive: {
        type: "list",
        body: { text: "Pick a time" },
        action: { button: "Times", sections: [{ title: "Today", rows: [{ id: "t1", title: "10:00" }] }] }
      }
    }
  ],
  [
    "interactive cta_url",
    {
      type: "interactive",
      interactive: {
        type: "cta_url",
        body: { text: "Track your order" },
        action: { name: "cta_url", parameters: { display_text: "Track", url: "https://example.com/t/1" } }
      }
    }
  ],
  ["reaction", { type: "reaction", reaction: { message_id: "wamid.HBgM", emoji: "👍" } }],
  [
    "template",
    {
      type: "template",
      template: {
        name: "order_update",
        language: { code: "en" },
        components: [
          {
            type: "header",
            parameters: [{ type: "document", document: { link: "https://x/a.pdf", filename: "a.pdf" } }]
          },
          { type: "body", parameters: [{ type: "text", text: "Rahul" }, { type: "text", text: "#123" }] },
          { type: "button", sub_type: "quick_reply", index: "0", parameters: [{ type: "payload", payload: "YES" }] }
        ]
      }
    }
  ]
]

describe("ExotelSender over HTTP", () => {
  it.live("sends each content type in the whatsapp.messages envelope, with custom_data and status_callback", () =>
    Effect.gen(function*() {
      for (const [name, wire] of CONTENTS) {
        const before = fake.requests.length
        const receipt = yield* send(request({ outboundId: `msg_${name}`, content: content(wire) }))
        const recorded = fake.requests[before]!
        assert.strictEqual(recorded.method, "POST", name)
        assert.strictEqual(recorded.path, "/v2/accounts/acme1/messages", name)
        assert.isTrue(recorded.authorized, name)
        assert.strictEqual(recorded.headers["content-type"], "application/json", name)
        assert.deepStrictEqual(recorded.body, {
          whatsapp: {
            messages: [{
              from: "+919211514326",
              to: "+919158455686",
              content: wire,
              custom_data: JSON.stringify({ id: `msg_${name}`, idempotencyKey: "order-42" }),
              status_callback: CALLBACK
            }]
          }
        }, name)
        const accepted = fake.messages[fake.messages.length - 1]!
        assert.strictEqual(receipt.providerMessageId, accepted.sid, name)
        assert.deepStrictEqual(accepted.content, wire, name)
      }
      assert.strictEqual(fake.requests.length, CONTENTS.length)
    }).pipe(Effect.provide(adapter(fake))))

  it.live("leaves idempotencyKey out of custom_data when there is none, and status_callback when unset", () =>
    Effect.gen(function*() {
      yield* send(request({ idempotencyKey: Option.none() }))
      const message = (fake.requests[0]!.body as any).whatsapp.messages[0]
      assert.strictEqual(message.custom_data, "{\"id\":\"msg_0001\"}")
      assert.notProperty(message, "status_callback")
    }).pipe(Effect.provide(adapter(fake, { statusCallbackUrl: Option.none() }))))

  it.live("a per-message failure under HTTP 202 is Rejected with Exotel's code and text, and not retried", () =>
    Effect.gen(function*() {
      fake.script(Behaviour.failMessage(0, { code: 30018, description: "24 hour window is over" }))
      const error = yield* sendError()
      assert.strictEqual(error._tag, "ProviderError")
      assert.strictEqual(error.reason, "Rejected")
      assert.deepStrictEqual(error.httpStatus, Option.some(202))
      assert.deepStrictEqual(error.providerCode, Option.some("30018"))
      assert.include(error.detail, "EX_REENGAGEMENT_ERROR")
      assert.include(error.detail, "24 hour window is over")
      assert.isTrue(error.reengagement)
      assert.strictEqual(fake.requests.length, 1)
    }))

  it.live("30018 in a non-2xx answer is a re-engagement refusal too (by code or by name), not retried", () =>
    Effect.gen(function*() {
      const answers = [
        {
          whatsapp: { messages: [{ status: "failure", error_data: { code: 30018, message: "EX_REENGAGEMENT_ERROR" } }] }
        },
        { error_data: { code: "30018", description: "24 hour window is over" } },
        { error_data: { message: "EX_REENGAGEMENT_ERROR", description: "window over" } }
      ].map((response) => ({ http_code: 400, response }))
      for (const [i, body] of answers.entries()) {
        fake.reset()
        fake.script(Behaviour.respond(400, body))
        const error = yield* sendError()
        assert.strictEqual(error.reason, "Rejected", `answer ${i}`)
        assert.isTrue(error.reengagement, `answer ${i}`)
        assert.deepStrictEqual(error.httpStatus, Option.some(400))
        assert.strictEqual(fake.requests.length, 1, `answer ${i}: not retried`)
      }
    }))

  it.live("Exotel's retry-later failures (30007, 30009) are sent again after a backoff; other failures are final", () =>
    Effect.gen(function*() {
      fake.script(Behaviour.failMessage(0, { code: 30007 }), Behaviour.failMessage(0, { code: 30009 }))
      const receipt = yield* send()
      assert.strictEqual(fake.requests.length, 3)
      assert.strictEqual(receipt.providerMessageId, fake.messages[0]!.sid)
      assert.strictEqual(fake.messages.length, 1)

      fake.reset()
      fake.script(
        Behaviour.respond(400, {
          http_code: 400,
          response: { error_data: { code: 30009, message: "EX_TOO_MANY_REQUEST" } }
        })
      )
      yield* send()
      assert.strictEqual(fake.requests.length, 2, "a 4xx saying retry later is retried too")

      fake.reset()
      fake.script(...[0, 1, 2, 3].map(() => Behaviour.failMessage(0, { code: 30007 })))
      const persistent = yield* sendError()
      assert.strictEqual(persistent.reason, "RateLimited")
      assert.deepStrictEqual(persistent.providerCode, Option.some("30007"))
      assert.include(persistent.detail, "gave up after 4 attempts")

      for (const code of [30008, 30015, 30012]) {
        fake.reset()
        fake.script(Behaviour.failMessage(0, { code }))
        const final = yield* sendError()
        assert.strictEqual(final.reason, "Rejected", String(code))
        assert.strictEqual(fake.requests.length, 1, `${code} is final`)
      }
    }).pipe(Effect.provide(adapter(fake))))

  it.live("a message the fake finds invalid is Rejected too (Exotel's validation, not ours)", () =>
    Effect.gen(function*() {
      const error = yield* sendError(request({ content: content({ type: "image", image: { caption: "no link" } }) }))
      assert.strictEqual(error.reason, "Rejected")
      assert.deepStrictEqual(error.providerCode, Option.some("30020"))
      assert.include(error.detail, "content.image.link")
    }))

  it.live("429 with Retry-After is retried after that wait (read from the real answer), then succeeds", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const capture = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => lines.push(String(message))))
      fake.script(Behaviour.rateLimited(1))
      const receipt = yield* send().pipe(Effect.provide(capture))
      assert.strictEqual(fake.requests.length, 2)
      assert.strictEqual(receipt.providerMessageId, fake.messages[0]!.sid)
      const retries = lines.filter((line) => line.includes("retry"))
      assert.strictEqual(retries.length, 1)
      assert.match(retries[0]!, /^Exotel: HTTP 429: Too Many Requests.*; retry 1 of 3 in 1s$/)
    }).pipe(Effect.provide(adapter(fake))))

  it.live("429 with an HTTP-date Retry-After is retried once that date has passed, then succeeds", () =>
    Effect.gen(function*() {
      // How long it waits (counted from the answer's Date) is tested on the TestClock below.
      fake.script(Behaviour.rateLimited(new Date(Date.now() + 2000).toUTCString()))
      const receipt = yield* send()
      assert.strictEqual(fake.requests.length, 2)
      assert.strictEqual(receipt.providerMessageId, fake.messages[0]!.sid)
    }).pipe(Effect.provide(adapter(fake))))

  it.live("429 without Retry-After backs off and retries, then succeeds", () =>
    Effect.gen(function*() {
      fake.script(Behaviour.rateLimited(), Behaviour.rateLimited())
      const receipt = yield* send()
      assert.strictEqual(fake.requests.length, 3)
      assert.strictEqual(receipt.providerMessageId, fake.messages[0]!.sid)
      assert.deepStrictEqual(fake.requests[0]!.body, fake.requests[2]!.body)
    }).pipe(Effect.provide(adapter(fake))))

  it.live("429 that persists ends RateLimited after the bounded retries", () =>
    Effect.gen(function*() {
      fake.script(...Array.from({ length: 10 }, () => Behaviour.rateLimited()))
      const error = yield* sendError()
      assert.strictEqual(error.reason, "RateLimited")
      assert.deepStrictEqual(error.httpStatus, Option.some(429))
      assert.include(error.detail, "gave up after 4 attempts")
      assert.strictEqual(fake.requests.length, 4)
    }))

  it.live("a Retry-After longer than the policy allows fails at once as RateLimited", () =>
    Effect.gen(function*() {
      fake.script(Behaviour.rateLimited(3600))
      const error = yield* sendError()
      assert.strictEqual(error.reason, "RateLimited")
      assert.include(error.detail, "retry after 1h")
      assert.strictEqual(fake.requests.length, 1)
    }))

  it.live("5xx then success: retried, and the same request is sent again", () =>
    Effect.gen(function*() {
      fake.script(Behaviour.serverError(500), Behaviour.serverError(503))
      const receipt = yield* send()
      assert.strictEqual(fake.requests.length, 3)
      assert.deepStrictEqual(fake.requests[0]!.body, fake.requests[2]!.body)
      assert.strictEqual(fake.messages.length, 1)
      assert.strictEqual(receipt.providerMessageId, fake.messages[0]!.sid)
    }).pipe(Effect.provide(adapter(fake))))

  it.live("5xx that persists ends Unavailable with Exotel's text", () =>
    Effect.gen(function*() {
      fake.script(...Array.from({ length: 10 }, () => Behaviour.serverError(502)))
      const error = yield* sendError(request(), adapter(fake, { retry: { maxRetries: 2 } }))
      assert.strictEqual(error.reason, "Unavailable")
      assert.deepStrictEqual(error.httpStatus, Option.some(502))
      assert.include(error.detail, "Internal Server Error")
      assert.strictEqual(fake.requests.length, 3)
    }))

  it.live("a non-JSON 5xx page still reaches the error text", () =>
    Effect.gen(function*() {
      fake.script(Behaviour.respondText(503, "<html>upstream down</html>"))
      const error = yield* sendError(request(), adapter(fake, { retry: { maxRetries: 0 } }))
      assert.strictEqual(error.reason, "Unavailable")
      assert.include(error.detail, "<html>upstream down</html>")
    }))

  it.live("a timeout is Ambiguous: never sent again, though Exotel accepted the message", () =>
    Effect.gen(function*() {
      fake.script(Behaviour.acceptAfter(800))
      const error = yield* sendError(request(), adapter(fake, { requestTimeout: "200 millis" }))
      assert.strictEqual(error.reason, "Ambiguous")
      assert.include(error.detail, "Timeout")
      assert.include(error.detail, "may have accepted the message")
      assert.include(error.detail, "delivery report")
      assert.isTrue(Option.isNone(error.httpStatus))
      yield* Effect.sleep("900 millis") // the late answer is written to a client that has gone
      assert.strictEqual(fake.requests.length, 1)
      assert.strictEqual(fake.messages.length, 1)
      assert.strictEqual(fake.messages[0]!.customData, JSON.stringify({ id: "msg_0001", idempotencyKey: "order-42" }))
      assert.strictEqual(fake.pending(), 0)
    }))

  it.live("an answer that never comes is Ambiguous after one request", () =>
    Effect.gen(function*() {
      fake.script(Behaviour.hang(), Behaviour.accept())
      const error = yield* sendError(request(), adapter(fake, { requestTimeout: "100 millis" }))
      assert.strictEqual(error.reason, "Ambiguous")
      assert.strictEqual(fake.requests.length, 1)
      assert.strictEqual(fake.pending(), 1)
    }))

  it.live("a connection reset after the request was sent is Ambiguous, not retried", () =>
    Effect.gen(function*() {
      fake.script(Behaviour.reset(), Behaviour.accept())
      const error = yield* sendError()
      assert.strictEqual(error.reason, "Ambiguous")
      assert.include(error.detail, "Transport")
      assert.include(error.detail, "may have accepted the message")
      assert.strictEqual(fake.requests.length, 1)
      assert.strictEqual(fake.pending(), 1)
    }))

  it.live("a connection that cannot be made (nothing listens) is retried, then Unavailable", () =>
    Effect.gen(function*() {
      const port = yield* closedPort
      const lines: Array<string> = []
      const capture = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => lines.push(String(message))))
      const error = yield* sendError(request(), adapter({ ...fake, url: `http://127.0.0.1:${port}` })).pipe(
        Effect.provide(capture)
      )
      assert.strictEqual(error.reason, "Unavailable")
      assert.include(error.detail, "Connect")
      assert.include(error.detail, "ECONNREFUSED")
      assert.include(error.detail, "gave up after 4 attempts")
      assert.isTrue(Option.isNone(error.httpStatus))
      assert.strictEqual(lines.filter((line) => line.includes("retry")).length, 3)
    }))

  it.live("the send deadline stops the retries: 503s with backoff end within it, saying so", () =>
    Effect.gen(function*() {
      // The timing itself is tested on the TestClock below; over HTTP, only that the deadline (not the count) ends it.
      fake.script(...Array.from({ length: 20 }, () => Behaviour.serverError(503)))
      const error = yield* sendError(
        request(),
        adapter(fake, {
          requestTimeout: "300 millis",
          sendDeadline: "1500 millis",
          retry: { maxRetries: 10, baseDelay: Duration.millis(200), maxDelay: Duration.millis(400) }
        })
      )
      assert.strictEqual(error.reason, "Unavailable")
      assert.deepStrictEqual(error.httpStatus, Option.some(503))
      assert.include(error.detail, "send deadline of 1s 500ms")
      assert.include(error.detail, `gave up after ${fake.requests.length} attempts`)
      assert.isBelow(fake.requests.length, 11)
    }))

  it.live("bad credentials: Configuration, HTTP 401, not retried", () =>
    Effect.gen(function*() {
      const error = yield* sendError(request(), adapter({ ...fake, apiToken: "wrong-token" }))
      assert.strictEqual(error.reason, "Configuration")
      assert.deepStrictEqual(error.httpStatus, Option.some(401))
      assert.include(error.detail, "Authentication failed")
      assert.strictEqual(fake.requests.length, 1)
      assert.isFalse(fake.requests[0]!.authorized)
    }))

  it.live("an account SID that is not the credentials' account: Configuration, HTTP 403", () =>
    Effect.gen(function*() {
      const error = yield* sendError(request(), adapter({ ...fake, accountSid: "someone-else" }))
      assert.strictEqual(error.reason, "Configuration")
      assert.deepStrictEqual(error.httpStatus, Option.some(403))
      assert.strictEqual(fake.requests[0]!.path, "/v2/accounts/someone-else/messages")
    }))

  it.live("400 and 422 are BadRequest with Exotel's text, not retried", () =>
    Effect.gen(function*() {
      fake.script(
        Behaviour.respond(400, {
          http_code: 400,
          response: {
            code: 400,
            status: "failure",
            error_data: { code: 1001, message: "at least one channel is mandatory", description: "wrap it" }
          }
        }),
        Behaviour.respond(422, {
          response: [{ error_data: { code: 1010, message: "Unprocessable", description: "x" } }]
        })
      )
      const first = yield* sendError()
      assert.strictEqual(first.reason, "BadRequest")
      assert.deepStrictEqual(first.httpStatus, Option.some(400))
      assert.deepStrictEqual(first.providerCode, Option.some("1001"))
      assert.include(first.detail, "at least one channel is mandatory")
      const second = yield* sendError()
      assert.strictEqual(second.reason, "BadRequest")
      assert.deepStrictEqual(second.providerCode, Option.some("1010"))
      assert.include(second.detail, "Unprocessable")
      assert.strictEqual(fake.requests.length, 2)
    }))

  it.live("a 2xx without a message result is Ambiguous and never retried, even when its body is unreadable", () =>
    Effect.gen(function*() {
      fake.script(Behaviour.respondText(202, "accepted, probably"), Behaviour.respond(200, { response: {} }))
      const first = yield* sendError()
      assert.strictEqual(first.reason, "Ambiguous")
      assert.deepStrictEqual(first.httpStatus, Option.some(202))
      assert.include(first.detail, "without a message result")
      assert.include(first.detail, "accepted, probably")
      assert.include(first.detail, "delivery report")
      const second = yield* sendError()
      assert.strictEqual(second.reason, "Ambiguous")
      assert.strictEqual(fake.requests.length, 2)
    }))

  it.live("a success without a sid is Ambiguous, not retried", () =>
    Effect.gen(function*() {
      fake.script(
        Behaviour.respond(202, { response: { whatsapp: { messages: [{ code: 202, status: "success" }] } } }),
        Behaviour.respond(202, {
          response: { whatsapp: { messages: [{ code: 202, status: "success", data: { sid: "" } }] } }
        })
      )
      const first = yield* sendError()
      assert.strictEqual(first.reason, "Ambiguous")
      assert.include(first.detail, "without a sid")
      const second = yield* sendError()
      assert.strictEqual(second.reason, "Ambiguous")
      assert.strictEqual(fake.requests.length, 2)
    }))

  it.live("a 5xx or 429 that names a message id is Ambiguous, not retried", () =>
    Effect.gen(function*() {
      const named = { response: { whatsapp: { messages: [{ status: "success", data: { sid: "sid-in-a-503" } }] } } }
      fake.script(Behaviour.respond(503, named), Behaviour.respond(429, named))
      const first = yield* sendError()
      assert.strictEqual(first.reason, "Ambiguous")
      assert.deepStrictEqual(first.httpStatus, Option.some(503))
      assert.include(first.detail, "sid-in-a-503")
      const second = yield* sendError()
      assert.strictEqual(second.reason, "Ambiguous")
      assert.deepStrictEqual(second.httpStatus, Option.some(429))
      assert.strictEqual(fake.requests.length, 2)
    }))

  it.live("accepts a per-message code of 200 as well as 202", () =>
    Effect.gen(function*() {
      fake.script(Behaviour.respond(200, {
        response: { whatsapp: { messages: [{ code: 200, status: "success", data: { sid: "s-200" } }] } }
      }))
      const receipt = yield* send()
      assert.strictEqual(receipt.providerMessageId, "s-200")
    }).pipe(Effect.provide(adapter(fake))))

  it.live("credentials never appear in logs or errors", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const capture = Logger.replace(
        Logger.defaultLogger,
        Logger.make(({ annotations, message }) =>
          lines.push(JSON.stringify({ message, annotations: [...annotations] }))
        )
      )
      fake.script(Behaviour.serverError(500), Behaviour.rateLimited(), Behaviour.serverError(502), Behaviour.reset())
      const exit = yield* send().pipe(Effect.provide(adapter(fake)), Effect.provide(capture), Effect.exit)
      assert.strictEqual(fake.pending(), 0)
      const unauthorized = yield* sendError(request(), adapter({ ...fake, apiKey: "another-key" })).pipe(
        Effect.provide(capture)
      )
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual(unauthorized.reason, "Configuration")
      assert.strictEqual(lines.length, 3)
      const secrets = [
        credentials.apiToken,
        credentials.apiKey,
        Buffer.from(`${credentials.apiKey}:${credentials.apiToken}`).toString("base64")
      ]
      const everything = [
        ...lines,
        JSON.stringify(exit),
        String(exit),
        JSON.stringify(unauthorized),
        unauthorized.message
      ]
      for (const text of everything) {
        for (const secret of secrets) assert.notInclude(text, secret)
      }
    }))

  it.live("the error is the core's ProviderError, usable by the use cases", () =>
    Effect.gen(function*() {
      fake.script(Behaviour.failMessage(0))
      const error = yield* sendError()
      assert.strictEqual(error.code, "PROVIDER_ERROR")
      assert.include(error.message, "provider error (Rejected)")
      assert.isFalse(error.reengagement)
    }))
})

/** What the stub API saw of one attempt: when it started and the timeout it was given. */
interface Call {
  readonly at: number
  readonly timeout: Duration.Duration
}

const answer = (
  status: number,
  body: unknown,
  headers: Record<string, string> = {}
): Effect.Effect<ExotelApi.SendResult, ExotelApi.ExotelApiError> =>
  Effect.succeed({
    status,
    headers: Headers.fromInput(headers),
    body: Option.some(body as ExotelApi.SendResponse),
    text: JSON.stringify(body)
  })

const accepted = answer(202, { response: { whatsapp: { messages: [{ status: "success", data: { sid: "sid-1" } }] } } })
const unavailable = answer(503, { response: { error_data: { code: 503, message: "Service Unavailable" } } })
const apiError = (reason: ExotelApi.ExotelApiError["reason"]) =>
  Effect.fail(new ExotelApi.ExotelApiError({ reason, detail: `scripted ${reason}` }))

/**
 * An in-memory `ExotelApi` answering from a script (then with `fallback`), on `Clock` time: an answer may sleep
 * first, and the attempt's timeout applies as in the real client.
 */
const scriptedApi = (
  script: ReadonlyArray<Effect.Effect<ExotelApi.SendResult, ExotelApi.ExotelApiError>>,
  fallback: Effect.Effect<ExotelApi.SendResult, ExotelApi.ExotelApiError> = unavailable
) => {
  const calls: Array<Call> = []
  const queue = [...script]
  const layer = Layer.succeed(ExotelApi.ExotelApi, {
    messagesUrl: "http://exotel.test/v2/accounts/acme1/messages",
    sendMessages: (_body, options) =>
      Effect.gen(function*() {
        const timeout = Duration.decode(options?.timeout ?? "10 seconds")
        calls.push({ at: yield* Clock.currentTimeMillis, timeout })
        return yield* (queue.shift() ?? fallback).pipe(
          Effect.timeoutFail({
            duration: timeout,
            onTimeout: () =>
              new ExotelApi.ExotelApiError({
                reason: "Timeout",
                detail: `no answer within ${Duration.format(timeout)}`
              })
          })
        )
      })
  })
  return { calls, layer }
}

const stubOptions: ExotelConfig.ExotelOptionsInput = {
  apiKey: Redacted.make(credentials.apiKey),
  apiToken: Redacted.make(credentials.apiToken),
  accountSid: credentials.accountSid,
  baseUrl: "http://exotel.test",
  statusCallbackUrl: CALLBACK
}

const senderOver = (api: Layer.Layer<ExotelApi.ExotelApi>, overrides: Partial<ExotelConfig.ExotelOptionsInput>) =>
  ExotelSender.layer.pipe(
    Layer.provide(api),
    Layer.provide(ExotelConfig.layer({ ...stubOptions, ...overrides, retry: { ...fastRetry, ...overrides.retry } }))
  )

/**
 * Runs a send on the test clock, moving it a minute on (far past any deadline); `endedAt` is when it ended. With
 * `random`, the jitter draws from it.
 */
const sendOnTestClock = (layer: Layer.Layer<MessageSender.MessageSender>, random?: Random.Random) =>
  Effect.gen(function*() {
    const fiber = yield* send().pipe(
      Effect.provide(layer),
      random === undefined ? identity : Effect.withRandom(random),
      Effect.either,
      Effect.zip(Clock.currentTimeMillis),
      Effect.fork
    )
    yield* TestClock.adjust("1 minute")
    const [outcome, endedAt] = yield* Fiber.join(fiber)
    return { outcome, endedAt }
  })

describe("ExotelSender retries and the send deadline (TestClock)", () => {
  /** The waits between attempts (an attempt takes no time on the test clock). */
  const waits = (calls: ReadonlyArray<Call>) => calls.slice(1).map((call, i) => call.at - calls[i]!.at)

  const backoffPolicy: Partial<ExotelConfig.ExotelOptionsInput> = {
    requestTimeout: "1 second",
    sendDeadline: "1 minute",
    retry: { maxRetries: 5, baseDelay: Duration.seconds(1), maxDelay: Duration.seconds(4) }
  }

  it.effect("the backoff doubles from baseDelay up to maxDelay, jittered between half and all of it", () =>
    Effect.gen(function*() {
      const least = scriptedApi([])
      yield* sendOnTestClock(senderOver(least.layer, backoffPolicy), Random.fixed([0]))
      assert.deepStrictEqual(waits(least.calls), [500, 1_000, 2_000, 2_000, 2_000])
      const most = scriptedApi([])
      yield* sendOnTestClock(senderOver(most.layer, backoffPolicy), Random.fixed([1]))
      assert.deepStrictEqual(waits(most.calls), [1_000, 2_000, 4_000, 4_000, 4_000])
      for (let run = 0; run < 10; run++) {
        const api = scriptedApi([])
        const { outcome } = yield* sendOnTestClock(senderOver(api.layer, backoffPolicy))
        assert.include(Either.getLeft(outcome).pipe(Option.getOrThrow).detail, "gave up after 6 attempts")
        for (const [i, wait] of waits(api.calls).entries()) {
          const ceiling = Math.min(4_000, 1_000 * 2 ** i)
          assert.isTrue(Number.isInteger(wait), `wait ${i}: ${wait}`)
          assert.isAtLeast(wait, ceiling / 2, `wait ${i}`)
          assert.isAtMost(wait, ceiling, `wait ${i}`)
        }
      }
    }))

  it.effect("nothing is sent again before the wait is over: a Retry-After of 1 s is 1 s on the clock", () =>
    Effect.gen(function*() {
      const api = scriptedApi([answer(429, {}, { "retry-after": "1" }), accepted])
      const fiber = yield* send().pipe(Effect.provide(senderOver(api.layer, {})), Effect.fork)
      yield* TestClock.adjust("999 millis")
      assert.strictEqual(api.calls.length, 1)
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      yield* TestClock.adjust("1 milli")
      assert.deepStrictEqual(yield* Fiber.join(fiber), { providerMessageId: "sid-1" })
      assert.deepStrictEqual(api.calls.map((call) => call.at), [0, 1_000])
    }))

  it.effect("Retry-After replaces the backoff; after it the backoff goes on where it was", () =>
    Effect.gen(function*() {
      const api = scriptedApi([unavailable, answer(429, {}, { "retry-after": "3" }), unavailable, accepted])
      const { outcome } = yield* sendOnTestClock(senderOver(api.layer, backoffPolicy), Random.fixed([1]))
      assert.deepStrictEqual(outcome, Either.right({ providerMessageId: "sid-1" }))
      assert.deepStrictEqual(waits(api.calls), [1_000, 3_000, 4_000])
    }))

  it.effect("an HTTP-date Retry-After is counted from the answer's Date (Exotel's clock), else from ours", () =>
    Effect.gen(function*() {
      const ours = scriptedApi([answer(429, {}, { "retry-after": "Thu, 01 Jan 1970 00:00:03 GMT" }), accepted])
      yield* sendOnTestClock(senderOver(ours.layer, {}))
      assert.deepStrictEqual(ours.calls.map((call) => call.at), [0, 3_000])
      // our clock is now a minute on, Exotel's says 10 s: the date 12 s is 2 s after Exotel's answer
      const theirs = scriptedApi([
        answer(429, {}, {
          "retry-after": "Thu, 01 Jan 1970 00:00:12 GMT",
          date: "Thu, 01 Jan 1970 00:00:10 GMT"
        }),
        accepted
      ])
      const { outcome } = yield* sendOnTestClock(senderOver(theirs.layer, {}))
      assert.deepStrictEqual(outcome, Either.right({ providerMessageId: "sid-1" }))
      assert.deepStrictEqual(waits(theirs.calls), [2_000])
      const past = scriptedApi([answer(429, {}, { "retry-after": "Thu, 01 Jan 1970 00:00:00 GMT" }), accepted])
      yield* sendOnTestClock(senderOver(past.layer, {}))
      assert.deepStrictEqual(waits(past.calls), [0], "a date already past: retried at once")
    }))

  it.effect("a Retry-After longer than maxRetryAfter is not waited for, even with time left", () =>
    Effect.gen(function*() {
      const api = scriptedApi([answer(429, {}, { "retry-after": "6" }), accepted])
      const { endedAt, outcome } = yield* sendOnTestClock(senderOver(api.layer, { sendDeadline: "1 minute" }))
      const error = Either.getLeft(outcome).pipe(Option.getOrThrow)
      assert.strictEqual(error.reason, "RateLimited")
      assert.include(error.detail, "(Exotel asked to retry after 6s, longer than the 5s we wait)")
      assert.strictEqual(api.calls.length, 1)
      assert.strictEqual(endedAt, 0)
    }))

  it.effect("the last retry is the one that leaves a minimum attempt before the deadline", () =>
    Effect.gen(function*() {
      // waits 100, 200, 200, ... (the least jitter); an attempt needs 300 ms (the request timeout) before 1.5 s
      const api = scriptedApi([])
      const { endedAt, outcome } = yield* sendOnTestClock(
        senderOver(api.layer, {
          requestTimeout: "300 millis",
          sendDeadline: "1500 millis",
          retry: { maxRetries: 10, baseDelay: Duration.millis(200), maxDelay: Duration.millis(400) }
        }),
        Random.fixed([0])
      )
      assert.deepStrictEqual(api.calls.map((call) => call.at), [0, 100, 300, 500, 700, 900, 1_100])
      for (const call of api.calls) assert.strictEqual(Duration.toMillis(call.timeout), 300)
      const error = Either.getLeft(outcome).pipe(Option.getOrThrow)
      assert.strictEqual(error.reason, "Unavailable")
      assert.include(
        error.detail,
        "(gave up after 7 attempts: the send deadline of 1s 500ms leaves no time for a retry in 200ms)"
      )
      assert.strictEqual(endedAt, 1_100)
    }))

  it.effect("each retry is logged with its number and wait", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const capture = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => lines.push(String(message))))
      const api = scriptedApi([unavailable, answer(429, {}, { "retry-after": "2" }), accepted])
      yield* sendOnTestClock(Layer.provide(senderOver(api.layer, backoffPolicy), capture), Random.fixed([0]))
      assert.deepStrictEqual(lines.filter((line) => line.includes("retry")), [
        "Exotel: HTTP 503: Service Unavailable; retry 1 of 5 in 500ms",
        "Exotel: HTTP 429: {}; retry 2 of 5 in 2s"
      ])
    }))

  it.effect("each attempt gets the request timeout or the time left; retries stop at the deadline, saying so", () =>
    Effect.gen(function*() {
      const api = scriptedApi([])
      const { endedAt, outcome } = yield* sendOnTestClock(senderOver(api.layer, {
        requestTimeout: "4 seconds",
        sendDeadline: "10 seconds",
        retry: { maxRetries: 50, baseDelay: Duration.seconds(1), maxDelay: Duration.seconds(2) }
      }))
      assert.isTrue(Either.isLeft(outcome))
      const error = Either.getLeft(outcome).pipe(Option.getOrThrow)
      assert.strictEqual(error.reason, "Unavailable")
      assert.deepStrictEqual(error.httpStatus, Option.some(503))
      assert.include(error.detail, `gave up after ${api.calls.length} attempts`)
      assert.include(error.detail, "the send deadline of 10s")
      assert.isAtLeast(api.calls.length, 4)
      assert.isAtMost(endedAt, 10_000)
      for (const call of api.calls) {
        assert.isAtMost(call.at, 9_000, "a retry starts with at least a second left")
        assert.strictEqual(Duration.toMillis(call.timeout), Math.min(4_000, 10_000 - call.at))
      }
    }))

  it.effect("a deadline shorter than the request timeout bounds the first attempt", () =>
    Effect.gen(function*() {
      const api = scriptedApi([accepted])
      const { outcome } = yield* sendOnTestClock(
        senderOver(api.layer, { requestTimeout: "10 seconds", sendDeadline: "3 seconds" })
      )
      assert.deepStrictEqual(outcome, Either.right({ providerMessageId: "sid-1" }))
      assert.deepStrictEqual(api.calls.map((call) => Duration.toMillis(call.timeout)), [3_000])
    }))

  it.effect("an attempt cut short by the deadline is a timeout, so Ambiguous, and the deadline is kept", () =>
    Effect.gen(function*() {
      const api = scriptedApi([Effect.zipRight(Effect.sleep("1 second"), unavailable), Effect.never])
      const { endedAt, outcome } = yield* sendOnTestClock(senderOver(api.layer, {
        requestTimeout: "10 seconds",
        sendDeadline: "5 seconds",
        retry: { baseDelay: Duration.millis(100), maxDelay: Duration.millis(100) }
      }))
      const error = Either.getLeft(outcome).pipe(Option.getOrThrow)
      assert.strictEqual(error.reason, "Ambiguous")
      assert.include(error.detail, "Timeout")
      assert.strictEqual(api.calls.length, 2)
      assert.strictEqual(api.calls[1]!.at + Duration.toMillis(api.calls[1]!.timeout), 5_000)
      assert.strictEqual(endedAt, 5_000)
    }))

  it.effect("a retry is made only when at least a second (or the request timeout) is left after its wait", () =>
    Effect.gen(function*() {
      const options: Partial<ExotelConfig.ExotelOptionsInput> = {
        requestTimeout: "10 seconds",
        sendDeadline: "10 seconds",
        retry: { baseDelay: Duration.millis(100), maxDelay: Duration.millis(100) }
      }
      const late = scriptedApi([Effect.zipRight(Effect.sleep("8990 millis"), unavailable), accepted])
      const tooLate = yield* sendOnTestClock(senderOver(late.layer, options))
      assert.strictEqual(late.calls.length, 1)
      assert.include(Either.getLeft(tooLate.outcome).pipe(Option.getOrThrow).detail, "send deadline of 10s")
      const inTime = scriptedApi([Effect.zipRight(Effect.sleep("8500 millis"), unavailable), accepted])
      const retried = yield* sendOnTestClock(senderOver(inTime.layer, options))
      assert.deepStrictEqual(retried.outcome, Either.right({ providerMessageId: "sid-1" }))
      assert.strictEqual(inTime.calls.length, 2)
      assert.isBelow(Duration.toMillis(inTime.calls[1]!.timeout), 1_500)
    }))

  it.effect("a Retry-After ending past the deadline is not waited for", () =>
    Effect.gen(function*() {
      const api = scriptedApi([answer(429, {}, { "retry-after": "12" }), accepted])
      const { endedAt, outcome } = yield* sendOnTestClock(
        senderOver(api.layer, { sendDeadline: "10 seconds", retry: { maxRetryAfter: Duration.seconds(30) } })
      )
      const error = Either.getLeft(outcome).pipe(Option.getOrThrow)
      assert.strictEqual(error.reason, "RateLimited")
      assert.include(error.detail, "the send deadline of 10s leaves no time for a retry in 12s")
      assert.strictEqual(api.calls.length, 1)
      assert.strictEqual(endedAt, 0)
    }))

  it.effect("Connect is retried (then the message goes); Timeout and Transport are Ambiguous after one attempt", () =>
    Effect.gen(function*() {
      const connect = scriptedApi([apiError("Connect"), apiError("Connect"), accepted])
      const sent = yield* sendOnTestClock(senderOver(connect.layer, {}))
      assert.deepStrictEqual(sent.outcome, Either.right({ providerMessageId: "sid-1" }))
      assert.strictEqual(connect.calls.length, 3)
      for (const reason of ["Timeout", "Transport"] as const) {
        const api = scriptedApi([apiError(reason), accepted])
        const { outcome } = yield* sendOnTestClock(senderOver(api.layer, {}))
        const error = Either.getLeft(outcome).pipe(Option.getOrThrow)
        assert.strictEqual(error.reason, "Ambiguous", reason)
        assert.include(error.detail, `scripted ${reason}`)
        assert.include(error.detail, "may have accepted the message")
        assert.strictEqual(api.calls.length, 1, reason)
      }
    }))

  it.effect("Connect failures that persist end Unavailable after the bounded retries", () =>
    Effect.gen(function*() {
      const api = scriptedApi([], apiError("Connect"))
      const { outcome } = yield* sendOnTestClock(senderOver(api.layer, { retry: { maxRetries: 2 } }))
      const error = Either.getLeft(outcome).pipe(Option.getOrThrow)
      assert.strictEqual(error.reason, "Unavailable")
      assert.include(error.detail, "gave up after 3 attempts")
      assert.strictEqual(api.calls.length, 3)
    }))
})

describe("ExotelSender.parseRetryAfter", () => {
  const now = Date.parse("2026-01-20T04:30:00Z")

  it("reads delay seconds", () => {
    assert.deepStrictEqual(ExotelSender.parseRetryAfter("120", now), Option.some(Duration.seconds(120)))
    assert.deepStrictEqual(ExotelSender.parseRetryAfter(" 0 ", now), Option.some(Duration.seconds(0)))
  })

  it("reads an HTTP-date relative to now, a past date meaning no delay", () => {
    assert.deepStrictEqual(
      ExotelSender.parseRetryAfter("Tue, 20 Jan 2026 04:30:45 GMT", now),
      Option.some(Duration.seconds(45))
    )
    assert.deepStrictEqual(
      ExotelSender.parseRetryAfter("Tue, 20 Jan 2026 04:00:00 GMT", now),
      Option.some(Duration.zero)
    )
  })

  it("ignores what it cannot read", () => {
    for (const value of ["", "soon", "1.5", "-3", "Tue, 99 Foo 2026"]) {
      assert.isTrue(Option.isNone(ExotelSender.parseRetryAfter(value, now)), value)
    }
  })
})

describe("ExotelSender.toWire", () => {
  it("puts our id and idempotency key in custom_data and the webhook in status_callback", () => {
    const wire = ExotelSender.toWire(request(), Option.some("https://hooks.example.com/exotel"))
    assert.deepStrictEqual(wire, {
      whatsapp: {
        messages: [{
          from: "+919211514326",
          to: customer,
          content: { type: "text", text: { body: "Hello" } },
          custom_data: "{\"id\":\"msg_0001\",\"idempotencyKey\":\"order-42\"}",
          status_callback: "https://hooks.example.com/exotel"
        }]
      }
    })
  })

  it("passes the content through as it is: the same object, neither copied nor re-encoded", () => {
    const input = request()
    const wire = ExotelSender.toWire(input, Option.none())
    assert.strictEqual(wire.whatsapp.messages[0]?.content, input.content)
  })
})
