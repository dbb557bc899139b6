import { afterAll, afterEach, assert, beforeAll, describe, it } from "@effect/vitest"
import {
  Behaviour,
  type FakeExotel,
  startFakeExotel,
  startWebhookRecorder,
  type WebhookRecorder
} from "../src/index.js"

const credentials = { apiKey: "key_123", apiToken: "s3cret-token", accountSid: "acme1" }
const basic = (key: string, token: string) => "Basic " + Buffer.from(`${key}:${token}`).toString("base64")

let fake: FakeExotel
let hooks: WebhookRecorder

beforeAll(async () => {
  fake = await startFakeExotel(credentials)
  hooks = await startWebhookRecorder()
})
afterAll(async () => {
  await fake.close()
  await hooks.close()
})
afterEach(() => {
  fake.reset()
  hooks.respondWith(200)
})

const send = async (
  body: unknown,
  options: { readonly auth?: string; readonly path?: string; readonly raw?: string; readonly signal?: AbortSignal } = {}
) => {
  const response = await fetch(fake.url + (options.path ?? `/v2/accounts/${credentials.accountSid}/messages`), {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: options.auth ?? basic(credentials.apiKey, credentials.apiToken)
    },
    body: options.raw ?? JSON.stringify(body),
    ...(options.signal === undefined ? {} : { signal: options.signal })
  })
  return { status: response.status, headers: response.headers, body: await response.json() as any }
}

const text = (to = "+919158455686", extra: Record<string, unknown> = {}) => ({
  from: "+919211514326",
  to,
  content: { type: "text", text: { body: "Hello" } },
  ...extra
})

describe("send endpoint", () => {
  it("accepts a wrapped batch with the documented 202 shape and records it", async () => {
    const result = await send({
      whatsapp: {
        messages: [
          text("+919158455686", { custom_data: "{\"id\":\"msg_1\"}", status_callback: "http://127.0.0.1:1/cb" }),
          text("919158455687")
        ]
      }
    })
    assert.strictEqual(result.status, 202)
    assert.strictEqual(result.body.http_code, 202)
    assert.isString(result.body.request_id)
    assert.deepStrictEqual(result.body.metadata, { total: 2, success: 2, failed: 0 })
    const [first, second] = result.body.response.whatsapp.messages
    assert.strictEqual(first.status, "success")
    assert.strictEqual(first.code, 202)
    assert.match(first.data.sid, /^[0-9a-f]{32}$/)
    assert.notStrictEqual(first.data.sid, second.data.sid)
    assert.strictEqual(fake.messages.length, 2)
    assert.strictEqual(fake.messages[0]!.sid, first.data.sid)
    assert.strictEqual(fake.messages[0]!.customData, "{\"id\":\"msg_1\"}")
    assert.strictEqual(fake.messages[0]!.statusCallback, "http://127.0.0.1:1/cb")
    assert.strictEqual(fake.messages[1]!.statusCallback, undefined)
    assert.strictEqual(fake.requests.length, 1)
    assert.strictEqual(fake.requests[0]!.response?.status, 202)
  })

  it("inherits custom_data and status_callback from the channel and root levels", async () => {
    await send({
      status_callback: "http://127.0.0.1:1/root",
      whatsapp: { custom_data: "channel", messages: [text()] }
    })
    assert.strictEqual(fake.messages[0]!.customData, "channel")
    assert.strictEqual(fake.messages[0]!.statusCallback, "http://127.0.0.1:1/root")
  })

  it("answers 400 1001 'at least one channel is mandatory' to an unwrapped body", async () => {
    for (const body of [text(), { messages: [text()] }, { whatsapp: {} }, { whatsapp: { messages: "x" } }]) {
      const result = await send(body)
      assert.strictEqual(result.status, 400)
      assert.strictEqual(result.body.response.status, "failure")
      assert.strictEqual(result.body.response.error_data.code, 1001)
      assert.strictEqual(result.body.response.error_data.message, "at least one channel is mandatory")
    }
    assert.strictEqual(fake.messages.length, 0)
  })

  it("refuses an empty batch, more than 100 messages, and a body that is not JSON", async () => {
    assert.strictEqual((await send({ whatsapp: { messages: [] } })).status, 400)
    const tooMany = await send({ whatsapp: { messages: Array.from({ length: 101 }, () => text()) } })
    assert.strictEqual(tooMany.status, 400)
    assert.match(tooMany.body.response.error_data.description, /at most 100/)
    assert.strictEqual((await send({ whatsapp: { messages: Array.from({ length: 100 }, () => text()) } })).status, 202)
    const notJson = await send(undefined, { raw: "{nope" })
    assert.strictEqual(notJson.status, 400)
  })

  it("validates each message and fails only the bad ones, under 202", async () => {
    const result = await send({
      whatsapp: {
        messages: [
          text(),
          { from: "+919211514326", content: { type: "text", text: { body: "x" } } },
          text("12"),
          text("+919158455686", { content: { type: "image", image: { caption: "no link" } } }),
          text("+919158455686", { content: { type: "hologram", hologram: {} } }),
          text("+919158455686", { content: { type: "text", text: { body: "x".repeat(4097) } } }),
          text("+919158455686", { content: { type: "template", template: { name: "t", language: { code: "en" } } } })
        ]
      }
    })
    assert.strictEqual(result.status, 202)
    assert.deepStrictEqual(result.body.metadata, { total: 7, success: 2, failed: 5 })
    const codes = result.body.response.whatsapp.messages.map((m: any) =>
      m.status === "success" ? "ok" : m.error_data.code
    )
    assert.deepStrictEqual(codes, ["ok", 30020, 30012, 30020, 30015, 30029, "ok"])
    assert.strictEqual(result.body.response.whatsapp.messages[1].error_data.message, "EX_MISSING_PARAM")
  })

  it("answers 401 to wrong or missing credentials, and never records the secret", async () => {
    const wrong = await send({ whatsapp: { messages: [text()] } }, { auth: basic(credentials.apiKey, "wrong") })
    assert.strictEqual(wrong.status, 401)
    assert.strictEqual(wrong.body.http_code, 401)
    assert.strictEqual(wrong.body.response.error_data.message, "Authentication failed")
    const none = await send({ whatsapp: { messages: [text()] } }, { auth: "" })
    assert.strictEqual(none.status, 401)
    assert.isFalse(fake.requests[0]!.authorized)
    assert.strictEqual(fake.requests[0]!.headers.authorization, "Basic <redacted>")
    assert.notInclude(JSON.stringify(fake.requests), Buffer.from("key_123:wrong").toString("base64"))
    assert.strictEqual(fake.messages.length, 0)
  })

  it("answers 403 when the account SID in the path is not the credentials' account", async () => {
    const result = await send({ whatsapp: { messages: [text()] } }, { path: "/v2/accounts/other/messages" })
    assert.strictEqual(result.status, 403)
  })

  it("answers 404 to other paths", async () => {
    const result = await send({}, { path: "/v1/Accounts/acme1/Sms/send.json" })
    assert.strictEqual(result.status, 404)
  })
})

describe("scripting", () => {
  it("uses one behaviour per request, in order, then accepts again", async () => {
    fake.script(
      Behaviour.rateLimited(2),
      Behaviour.rateLimited(),
      Behaviour.serverError(503),
      Behaviour.unauthorized(),
      Behaviour.failMessage(1, { code: 30018, description: "window over" }),
      Behaviour.respond(200, { whatever: true }, { "x-fake": "1" }),
      Behaviour.respondText(502, "<html>Bad gateway</html>", { "content-type": "text/html" })
    )
    const body = { whatsapp: { messages: [text(), text("+919158455687")] } }
    const limited = await send(body)
    assert.strictEqual(limited.status, 429)
    assert.strictEqual(limited.headers.get("retry-after"), "2")
    const limitedNoHeader = await send(body)
    assert.strictEqual(limitedNoHeader.status, 429)
    assert.isNull(limitedNoHeader.headers.get("retry-after"))
    assert.strictEqual((await send(body)).status, 503)
    assert.strictEqual((await send(body)).status, 401)
    const partial = await send(body)
    assert.strictEqual(partial.status, 202)
    assert.strictEqual(partial.body.response.whatsapp.messages[0].status, "success")
    assert.deepStrictEqual(partial.body.response.whatsapp.messages[1], {
      code: 400,
      status: "failure",
      error_data: { code: 30018, message: "EX_REENGAGEMENT_ERROR", description: "window over" }
    })
    const custom = await send(body)
    assert.strictEqual(custom.status, 200)
    assert.strictEqual(custom.headers.get("x-fake"), "1")
    assert.deepStrictEqual(custom.body, { whatever: true })
    const html = await fetch(fake.messagesUrl, { method: "POST", body: "{}" })
    assert.strictEqual(html.status, 502)
    assert.strictEqual(html.headers.get("content-type"), "text/html")
    assert.strictEqual(await html.text(), "<html>Bad gateway</html>")
    assert.strictEqual(fake.pending(), 0)
    assert.strictEqual((await send(body)).status, 202)
    assert.strictEqual(fake.requests.length, 8)
    assert.strictEqual(fake.messages.length, 3)
  })

  it("accepts an HTTP-date as Retry-After", async () => {
    const date = new Date(Date.now() + 5000).toUTCString()
    fake.script(Behaviour.rateLimited(date))
    const result = await send({ whatsapp: { messages: [text()] } })
    assert.strictEqual(result.headers.get("retry-after"), date)
  })

  it("hang never answers, and close() ends the connection", async () => {
    const other = await startFakeExotel(credentials)
    other.script(Behaviour.hang())
    const pending = fetch(other.messagesUrl, {
      method: "POST",
      headers: { authorization: basic(credentials.apiKey, credentials.apiToken) },
      body: JSON.stringify({ whatsapp: { messages: [text()] } })
    }).then(() => "answered", () => "dropped")
    const raced = await Promise.race([pending, new Promise((resolve) => setTimeout(() => resolve("waiting"), 300))])
    assert.strictEqual(raced, "waiting")
    assert.strictEqual(other.requests.length, 1)
    assert.isUndefined(other.requests[0]!.response)
    await other.close()
    assert.strictEqual(await pending, "dropped")
  })

  it("acceptAfter accepts at once and answers after the delay", async () => {
    fake.script(Behaviour.acceptAfter(300))
    const started = Date.now()
    const pending = send({ whatsapp: { messages: [text("+919158455686", { custom_data: "{\"id\":\"m1\"}" })] } })
    await new Promise((resolve) => setTimeout(resolve, 100))
    assert.strictEqual(fake.messages.length, 1)
    assert.strictEqual(fake.messages[0]!.customData, "{\"id\":\"m1\"}")
    assert.isUndefined(fake.requests[0]!.response)
    const result = await pending
    assert.isAtLeast(Date.now() - started, 290)
    assert.strictEqual(result.status, 202)
    assert.strictEqual(result.body.response.whatsapp.messages[0].data.sid, fake.messages[0]!.sid)
    assert.strictEqual(fake.requests.at(0)?.response?.status, 202)
  })

  it("acceptAfter checks credentials and validates like accept, and delays those answers too", async () => {
    fake.script(Behaviour.acceptAfter(50), Behaviour.acceptAfter(50))
    const unauthorized = await send({ whatsapp: { messages: [text()] } }, { auth: basic("key_123", "wrong") })
    assert.strictEqual(unauthorized.status, 401)
    const invalid = await send({ whatsapp: { messages: [text("not-a-number")] } })
    assert.strictEqual(invalid.status, 202)
    assert.strictEqual(invalid.body.response.whatsapp.messages[0].status, "failure")
    assert.strictEqual(fake.messages.length, 0)
  })

  it("acceptAfter: a client that gives up first gets no answer, and the message stays accepted", async () => {
    const lines: Array<string> = []
    const other = await startFakeExotel({ ...credentials, log: (line) => lines.push(line) })
    try {
      other.script(Behaviour.acceptAfter(200))
      const controller = new AbortController()
      // gives up once the fake holds the request (a fixed delay raced the request's arrival on a busy machine)
      const giveUp = setInterval(() => {
        if (other.requests.length > 0) controller.abort()
      }, 5)
      const outcome = await fetch(other.messagesUrl, {
        method: "POST",
        headers: { authorization: basic(credentials.apiKey, credentials.apiToken) },
        body: JSON.stringify({ whatsapp: { messages: [text()] } }),
        signal: controller.signal
      }).then(() => "answered", () => "gave up").finally(() => clearInterval(giveUp))
      assert.strictEqual(outcome, "gave up")
      await new Promise((resolve) => setTimeout(resolve, 300))
      assert.strictEqual(other.messages.length, 1)
      assert.isUndefined(other.requests[0]!.response)
      assert.include(lines.join("\n"), "the client had gone")
      const next = await fetch(other.messagesUrl, {
        method: "POST",
        headers: { authorization: basic(credentials.apiKey, credentials.apiToken) },
        body: JSON.stringify({ whatsapp: { messages: [text()] } })
      })
      assert.strictEqual(next.status, 202)
    } finally {
      await other.close()
    }
  })

  it("acceptAfter schedules the auto delivery reports at acceptance, before the answer", async () => {
    const auto = await startFakeExotel({ ...credentials, autoDeliveryReports: { codes: [30001], delayMs: 10 } })
    try {
      auto.script(Behaviour.acceptAfter(400))
      const before = hooks.received.length
      const pending = fetch(auto.messagesUrl, {
        method: "POST",
        headers: { authorization: basic(credentials.apiKey, credentials.apiToken) },
        body: JSON.stringify({
          whatsapp: { messages: [text("+919158455686", { status_callback: hooks.url + "/late" })] }
        })
      })
      const [report] = (await hooks.waitFor(before + 1)).slice(before)
      assert.isUndefined(auto.requests[0]!.response)
      assert.strictEqual((report!.body as any).whatsapp.messages[0].sid, auto.messages[0]!.sid)
      assert.strictEqual((await pending).status, 202)
    } finally {
      await auto.close()
    }
  })

  it("close() does not wait for a pending acceptAfter answer", async () => {
    const other = await startFakeExotel(credentials)
    other.script(Behaviour.acceptAfter(60_000))
    const pending = fetch(other.messagesUrl, {
      method: "POST",
      headers: { authorization: basic(credentials.apiKey, credentials.apiToken) },
      body: JSON.stringify({ whatsapp: { messages: [text()] } })
    }).then(() => "answered", () => "dropped")
    while (other.messages.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
    const started = Date.now()
    await other.close()
    assert.isAtMost(Date.now() - started, 1000)
    assert.strictEqual(await pending, "dropped")
  })

  it("reset drops the connection without an answer", async () => {
    fake.script(Behaviour.reset())
    const outcome = await send({ whatsapp: { messages: [text()] } }).then(() => "answered", () => "reset")
    assert.strictEqual(outcome, "reset")
  })
})

describe("webhooks", () => {
  it("posts a delivery report in Exotel's shape, filling to and custom_data from the sent message", async () => {
    await send({
      whatsapp: { messages: [text("+919158455686", { custom_data: "Order12", status_callback: hooks.url + "/cb" })] }
    })
    const sid = fake.messages[0]!.sid
    const before = hooks.received.length
    const delivery = await fake.sendDeliveryReport(hooks.url + "/cb", { sid, code: 30018 })
    assert.strictEqual(delivery.status, 200)
    const [hook] = (await hooks.waitFor(before + 1)).slice(before)
    assert.strictEqual(hook!.path, "/cb")
    assert.strictEqual(hook!.headers["content-type"], "application/json")
    const item = (hook!.body as any).whatsapp.messages[0]
    assert.strictEqual(item.callback_type, "dlr")
    assert.strictEqual(item.sid, sid)
    assert.strictEqual(item.to, "+919158455686")
    assert.strictEqual(item.exo_status_code, 30018)
    assert.strictEqual(item.exo_detailed_status, "EX_REENGAGEMENT_ERROR")
    assert.isString(item.description)
    assert.strictEqual(item.custom_data, "Order12")
    assert.match(item.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+05:30$/)
  })

  it("can send the code as a string and an explicit timestamp", () => {
    const item = fake.deliveryReportItem({ sid: "abc", code: 30002, codeAsString: true, timestamp: 1768887000 })
    assert.deepStrictEqual(item, {
      callback_type: "dlr",
      sid: "abc",
      exo_status_code: "30002",
      exo_detailed_status: "EX_MESSAGE_DELIVERED",
      description: "Message delivered",
      timestamp: 1768887000
    })
  })

  it("posts an inbound message in Exotel's shape", async () => {
    const before = hooks.received.length
    await fake.sendInbound(hooks.url + "/in", { from: "+919158455686", to: "+919211514326", text: "Hi", sid: "in1" })
    const [hook] = (await hooks.waitFor(before + 1)).slice(before)
    const item = (hook!.body as any).whatsapp.messages[0]
    assert.strictEqual(item.callback_type, "incoming_message")
    assert.strictEqual(item.sid, "in1")
    assert.strictEqual(item.from, "+919158455686")
    assert.strictEqual(item.to, "+919211514326")
    assert.strictEqual(item.profile_name, "Customer")
    assert.deepStrictEqual(item.content, { type: "text", text: { body: "Hi" } })
    assert.match(item.timestamp, /\+05:30$/)
  })

  it("sendBatch posts any mix of items, and reports the webhook's answer", async () => {
    hooks.respondWith(500)
    const before = hooks.received.length
    const delivery = await fake.sendBatch(hooks.url, [
      fake.inboundItem({ from: "+919158455686", to: "+919211514326" }),
      fake.deliveryReportItem({ sid: "x", code: 30001 }),
      { nonsense: true }
    ])
    assert.strictEqual(delivery.status, 500)
    const [hook] = (await hooks.waitFor(before + 1)).slice(before)
    assert.strictEqual((hook!.body as any).whatsapp.messages.length, 3)
  })

  it("posts delivery reports by itself when autoDeliveryReports is on", async () => {
    const auto = await startFakeExotel({ ...credentials, autoDeliveryReports: { codes: [30001, 30002], delayMs: 10 } })
    try {
      const before = hooks.received.length
      await fetch(auto.messagesUrl, {
        method: "POST",
        headers: { authorization: basic(credentials.apiKey, credentials.apiToken) },
        body: JSON.stringify({ whatsapp: { messages: [text("+919158455686", { status_callback: hooks.url + "/a" })] } })
      })
      const received = (await hooks.waitFor(before + 2)).slice(before)
      const codes = received.map((hook) => (hook.body as any).whatsapp.messages[0].exo_status_code)
      assert.deepStrictEqual(codes.sort(), [30001, 30002])
      assert.strictEqual((received[0]!.body as any).whatsapp.messages[0].sid, auto.messages[0]!.sid)
    } finally {
      await auto.close()
    }
  })

  it("control endpoints let a demo user trigger inbound messages and reports", async () => {
    await send({ whatsapp: { messages: [text("+919158455686", { status_callback: hooks.url + "/ctl" })] } })
    const sid = fake.messages[0]!.sid
    const before = hooks.received.length
    const inbound = await fetch(fake.url + "/__fake/inbound", {
      method: "POST",
      body: JSON.stringify({ callbackUrl: hooks.url + "/ctl", from: "+919158455686", to: "+919211514326", text: "Hi" })
    })
    assert.strictEqual(inbound.status, 200)
    const report = await fetch(fake.url + "/__fake/delivery-report", {
      method: "POST",
      body: JSON.stringify({ sid, code: 30003 })
    })
    assert.strictEqual(report.status, 200)
    const received = (await hooks.waitFor(before + 2)).slice(before)
    assert.strictEqual((received[0]!.body as any).whatsapp.messages[0].content.text.body, "Hi")
    assert.strictEqual((received[1]!.body as any).whatsapp.messages[0].exo_detailed_status, "EX_MESSAGE_SEEN")
    const listed = await (await fetch(fake.url + "/__fake/messages")).json() as Array<unknown>
    assert.strictEqual(listed.length, 1)
    assert.strictEqual(fake.requests.length, 1)
  })
})
