import { afterAll, afterEach, assert, beforeAll, describe, it } from "@effect/vitest"
import { Behaviour, type FakeExotel, startFakeExotel } from "@wa-session/exotel-fake"
import type { MessageSender } from "@wa-session/session-core"
import { Duration, Effect, Exit, Logger, Option } from "effect"
import { ExotelSender } from "../src/index.js"
import { adapter, CALLBACK, content, credentials, customer, request, send } from "./support.js"

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

  it.live("a message the fake finds invalid is Rejected too (Exotel's validation, not ours)", () =>
    Effect.gen(function*() {
      const error = yield* sendError(request({ content: content({ type: "image", image: { caption: "no link" } }) }))
      assert.strictEqual(error.reason, "Rejected")
      assert.deepStrictEqual(error.providerCode, Option.some("30020"))
      assert.include(error.detail, "content.image.link")
    }))

  it.live("429 with Retry-After waits that long, then succeeds", () =>
    Effect.gen(function*() {
      fake.script(Behaviour.rateLimited(1))
      const receipt = yield* send()
      assert.strictEqual(fake.requests.length, 2)
      const waited = fake.requests[1]!.receivedAt.getTime() - fake.requests[0]!.receivedAt.getTime()
      assert.isAtLeast(waited, 950)
      assert.strictEqual(receipt.providerMessageId, fake.messages[0]!.sid)
    }).pipe(Effect.provide(adapter(fake))))

  it.live("429 with an HTTP-date Retry-After waits until that date", () =>
    Effect.gen(function*() {
      // Counted from the answer's Date header. Both dates are whole seconds, so "two seconds from now" is between
      // one and two seconds after the answer's Date when the answer comes within a second (a busy machine can
      // carry it over a second boundary: one second ahead could then be no wait at all).
      fake.script(Behaviour.rateLimited(new Date(Date.now() + 2000).toUTCString()))
      yield* send()
      assert.strictEqual(fake.requests.length, 2)
      const waited = fake.requests[1]!.receivedAt.getTime() - fake.requests[0]!.receivedAt.getTime()
      assert.isAtLeast(waited, 950)
      assert.isAtMost(waited, 3500)
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

  it.live("a connection reset is retried", () =>
    Effect.gen(function*() {
      fake.script(Behaviour.reset())
      const receipt = yield* send()
      assert.strictEqual(fake.requests.length, 2)
      assert.strictEqual(receipt.providerMessageId, fake.messages[0]!.sid)
    }).pipe(Effect.provide(adapter(fake))))

  it.live("a timeout is retried, then succeeds", () =>
    Effect.gen(function*() {
      fake.script(Behaviour.hang())
      const receipt = yield* send()
      assert.strictEqual(fake.requests.length, 2)
      assert.isUndefined(fake.requests[0]!.response)
      assert.strictEqual(receipt.providerMessageId, fake.messages[0]!.sid)
    }).pipe(Effect.provide(adapter(fake, { requestTimeout: "200 millis" }))))

  it.live("timeouts that persist end Unavailable after the bounded retries", () =>
    Effect.gen(function*() {
      fake.script(...Array.from({ length: 5 }, () => Behaviour.hang()))
      const started = Date.now()
      const error = yield* sendError(
        request(),
        adapter(fake, { requestTimeout: "100 millis", retry: { maxRetries: 2 } })
      )
      assert.strictEqual(error.reason, "Unavailable")
      assert.include(error.detail, "Timeout")
      assert.include(error.detail, "gave up after 3 attempts")
      assert.strictEqual(fake.requests.length, 3)
      assert.isAtMost(Date.now() - started, 5000)
    }))

  it.live("with retryTimeouts off a timeout is not retried (Exotel may have accepted it)", () =>
    Effect.gen(function*() {
      fake.script(Behaviour.hang())
      const error = yield* sendError(
        request(),
        adapter(fake, { requestTimeout: "100 millis", retry: { retryTimeouts: false } })
      )
      assert.strictEqual(error.reason, "Unavailable")
      assert.strictEqual(fake.requests.length, 1)
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

  it.live("a 2xx is never retried, even when its body is unreadable", () =>
    Effect.gen(function*() {
      fake.script(Behaviour.respondText(202, "accepted, probably"), Behaviour.respond(200, { response: {} }))
      const first = yield* sendError()
      assert.strictEqual(first.reason, "Unavailable")
      assert.include(first.detail, "not retried")
      assert.include(first.detail, "accepted, probably")
      const second = yield* sendError()
      assert.strictEqual(second.reason, "Unavailable")
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
      fake.script(Behaviour.serverError(500), Behaviour.rateLimited(), Behaviour.reset(), Behaviour.reset())
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
})
