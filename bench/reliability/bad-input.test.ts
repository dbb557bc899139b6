/**
 * Bad input: thousands of generated malformed bodies (wrong types, huge strings, deep nesting, invalid JSON, wrong
 * numbers, unknown types, over-limit contents) at every endpoint. Each gets a 4xx with a `code`, never a 5xx; the
 * server stays up and nothing half-written remains. Requests without the token or with a wrong webhook secret
 * never reach a handler. The logs hold no secret and no message text.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import Database from "better-sqlite3"
import * as Path from "node:path"
import {
  type Answer,
  auth,
  businessNumber,
  customerNumber,
  pool,
  recordFigures,
  request,
  rng,
  type RunningServer,
  SECRET,
  seedFromEnv,
  sized,
  startServer,
  tmpDir,
  TOKEN
} from "./harness.js"

const BODIES = sized(1200, 6000)
/** Put in every text we send: it must never appear in the server's log. */
const CANARY = "CANARYtext7f3a"

type Random = ReturnType<typeof rng>

interface Probe {
  readonly endpoint: string
  readonly kind: string
  readonly method: "GET" | "POST"
  readonly path: string
  readonly body?: string
  readonly headers: Record<string, string>
  /** statuses the contract allows for this probe */
  readonly allowed: ReadonlyArray<number>
  /** webhook items that are malformed inside a valid envelope: 200 with every item rejected */
  readonly rejectedItems?: number
}

/** Nesting depths the fuzz uses (5,000 and more answered 500 until fixed: see the regressions below). */
const FUZZ_DEPTHS = [10, 100, 1000, 5000, 100000]

const json = { "content-type": "application/json" }
const nest = (depth: number, leaf: string, open = "[", close = "]") => open.repeat(depth) + leaf + close.repeat(depth)
const nestObject = (depth: number) => "{\"a\":".repeat(depth) + "1" + "}".repeat(depth)

const INVALID_JSON = [
  "",
  "{",
  "}",
  "[",
  "nul",
  "tru",
  "{\"from\":}",
  "{'from':'x'}",
  "{\"a\":1,}",
  "[1,2,]",
  "NaN",
  "Infinity",
  "undefined",
  "{\"from\":\"+91\" \"to\":1}",
  "\u0000\u0001\u0002",
  "\"unterminated",
  "{\"a\":\"\\x41\"}",
  "0x10",
  "--1",
  "{\"a\":01}",
  "<xml/>",
  "from=1&to=2",
  "\uFEFF{",
  "{\"a\":\"\ud800\"",
  "{}{}",
  "[][]"
]
const NOT_OBJECTS = ["null", "42", "\"string\"", "true", "[]", "[{}]", "-0", "1e309"]
const WRONG_VALUES: ReadonlyArray<unknown> = [
  null,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  true,
  false,
  [],
  [1],
  {},
  { a: 1 },
  "",
  " ",
  "\n",
  "x".repeat(5000),
  "🙂".repeat(300),
  "\u0000",
  "<script>",
  "+",
  "++919876543210",
  "+0919876543210",
  "123",
  "9".repeat(16),
  "+91 98765 4321x",
  "+91\u00a098765\u00a043210abc",
  "１２３４５６７８９"
]
const UNKNOWN_TYPES = ["hologram", "TEXT", "", "text ", "unknown", "__proto__", "constructor", "reaction2"]

const validFrom = businessNumber(7)
const validTo = customerNumber(7)
const text = (body: unknown) => ({ type: "text", text: { body } })
const TEMPLATE = { type: "template", template: { name: "order_update", language: { code: "en" } } }

/** `POST /v1/messages` bodies, each invalid in at least one way. */
const sendBody = (r: Random): { kind: string; body: string } => {
  const choice = r.int(12)
  const base: Record<string, unknown> = { from: validFrom, to: validTo, content: text(`hello ${CANARY}`) }
  switch (choice) {
    case 0:
      return { kind: "invalid-json", body: r.pick(INVALID_JSON) }
    case 1:
      return { kind: "not-an-object", body: r.pick(NOT_OBJECTS) }
    case 2: {
      const field = r.pick(["from", "to", "content"])
      const value = r.pick(WRONG_VALUES)
      if (field !== "content" && typeof value === "string" && /^\+?[1-9][0-9 ]{7,18}$/.test(value)) return sendBody(r)
      return { kind: `wrong-type-${field}`, body: JSON.stringify({ ...base, [field]: value }) }
    }
    case 3: {
      const { [r.pick(["from", "to", "content"])]: _dropped, ...rest } = base
      return { kind: "missing-field", body: JSON.stringify(rest) }
    }
    case 4:
      return {
        kind: "unknown-type",
        body: JSON.stringify({ ...base, content: { type: r.pick(UNKNOWN_TYPES), text: { body: CANARY } } })
      }
    case 5: {
      const over = [
        text("a".repeat(4097)),
        text("🙂".repeat(4097)),
        text(""),
        { type: "image", image: { link: "https://example.com/a.png", caption: "c".repeat(1025) } },
        {
          type: "interactive",
          interactive: {
            type: "button",
            body: { text: CANARY },
            action: { buttons: [1, 2, 3, 4].map((i) => ({ type: "reply", reply: { id: `b${i}`, title: `t${i}` } })) }
          }
        },
        { type: "location", location: { latitude: r.pick([91, -91, "north", null, 1e308]), longitude: 0 } },
        {
          type: "template",
          template: {
            name: "x",
            language: { code: "en" },
            components: [{ type: "body", parameters: [{ type: "text", text: "a\nb" }] }]
          }
        },
        { type: "text", text: { body: 42 } },
        { type: "text" },
        { type: "image", image: {} }
      ]
      return { kind: "over-limit-content", body: JSON.stringify({ ...base, content: r.pick(over) }) }
    }
    case 6:
      return {
        kind: "fallback-not-template",
        body: JSON.stringify({ ...base, fallback: r.pick([text(CANARY), "template", 1, { type: "template" }]) })
      }
    case 7:
      return {
        kind: "bad-idempotency-key",
        body: JSON.stringify({
          ...base,
          content: TEMPLATE,
          from: "not-a-number",
          idempotencyKey: r.pick(["", "k".repeat(201), 5, null, {}])
        })
      }
    case 8: {
      const depth = r.pick(FUZZ_DEPTHS)
      return r.next() < 0.5
        ? { kind: `deep-nesting-${depth}`, body: nest(depth, "1") }
        : {
          kind: `deep-nesting-field-${depth}`,
          body: `{"from":${nestObject(depth)},"to":"${validTo}","content":{"type":"text","text":{"body":"${CANARY}"}}}`
        }
    }
    case 9: {
      const size = r.pick([1_048_577, 2_000_000])
      return { kind: "over-1MiB", body: JSON.stringify({ ...base, content: text(CANARY + "z".repeat(size)) }) }
    }
    case 10:
      return {
        kind: "huge-string-field",
        body: JSON.stringify({ ...base, from: "9".repeat(r.pick([100, 10_000, 500_000])) })
      }
    default:
      return {
        kind: "wrong-numbers",
        body: JSON.stringify({ ...base, from: r.pick([919876500001, -919876500001, 9.19876500001e11, 1e21]) })
      }
  }
}

const IST = "2026-01-20T10:00:00+05:30"
const goodInbound = () => ({
  callback_type: "incoming_message",
  sid: "wamid.bad",
  from: validTo.slice(1),
  to: validFrom.slice(1),
  profile_name: CANARY,
  timestamp: IST,
  content: { type: "text", text: { body: `${CANARY} my order` } }
})

/** Webhook bodies: a broken envelope (400) or an envelope of items that are all malformed (200, all rejected). */
const webhookBody = (r: Random): { kind: string; body: string; rejectedItems?: number } => {
  const choice = r.int(6)
  switch (choice) {
    case 0:
      return { kind: "invalid-json", body: r.pick(INVALID_JSON) }
    case 1: {
      const envelope = r.pick<unknown>([
        null,
        1,
        "x",
        [],
        {},
        { whatsapp: null },
        { whatsapp: [] },
        { whatsapp: { messages: {} } },
        { whatsapp: { messages: "[]" } },
        { whatsapp: { messages: null } },
        { whatsapp: { message: [] } },
        { sms: { messages: [] } }
      ])
      return { kind: "bad-envelope", body: JSON.stringify(envelope) }
    }
    case 2: {
      const depth = r.pick(FUZZ_DEPTHS)
      return r.next() < 0.5
        ? { kind: `deep-nesting-${depth}`, body: nest(depth, "1") }
        : {
          kind: `deep-nesting-item-${depth}`,
          body: `{"whatsapp":{"messages":[${nest(depth, "1")}]}}`,
          rejectedItems: 1
        }
    }
    case 3:
      return {
        kind: "over-1MiB",
        body: JSON.stringify({ whatsapp: { messages: [{ ...goodInbound(), content: text("z".repeat(1_100_000)) }] } })
      }
    default: {
      // valid envelope, every item malformed in a way the API documents as malformed: an unknown callback_type, a
      // sid or status code of the wrong type, a number that is not a phone number, a timestamp that is not one
      const count = 1 + r.int(6)
      const items = Array.from({ length: count }, (_, k) => {
        const sid = `wamid.bad.${r.int(1e9)}.${k}`
        const inbound = r.next() < 0.6
        const item: Record<string, unknown> = inbound
          ? { ...goodInbound(), sid }
          : { callback_type: "dlr", sid, to: validTo.slice(1), exo_status_code: 30002, timestamp: IST }
        switch (r.int(6)) {
          case 0:
            item["callback_type"] = r.pick(UNKNOWN_TYPES.filter((t) => t !== ""))
            break
          case 1:
            item["sid"] = r.pick([5, [], true, 1.5])
            break
          case 2:
            if (inbound) item["from"] = r.pick(["abc", "+0123", "12", "9".repeat(40), "+91 98765 4321x"])
            else item["exo_status_code"] = r.pick(["abc", 1.5, [], {}, "30002x", true])
            break
          case 3:
            if (inbound) item["timestamp"] = r.pick(["yesterday", "2026-13-45T99:00:00Z", [], {}, true, "not a time"])
            else item["exo_status_code"] = r.pick(["", null, "3000 2"])
            break
          case 4:
            return r.pick<unknown>([null, 1, "x", [], true])
          default:
            if (inbound) item["to"] = r.pick(["x", "+", "0", "abc"])
            else item["callback_type"] = r.pick([5, {}, [], true])
        }
        return item
      })
      return { kind: "malformed-items", body: JSON.stringify({ whatsapp: { messages: items } }), rejectedItems: count }
    }
  }
}

/** Alive and answering: a status of 0 (no answer) is only ever excused while this holds. */
const stillServing = async (server: RunningServer): Promise<boolean> =>
  server.alive() && (await request("GET", `${server.url}/healthz`, { timeoutMs: 10_000 })).status === 200

/** A 4xx with a `code`: "not a 5xx" alone would pass on the 0 of a server that died or a connection refused. */
const expectClientError = (answer: Answer) => {
  assert.notStrictEqual(answer.status, 0, `no answer (${answer.text}): the server died or refused the connection`)
  assert.isAtLeast(answer.status, 400)
  assert.isBelow(answer.status, 500)
  assert.strictEqual(typeof answer.body?.code, "string", answer.text.slice(0, 200))
}

const BAD_NUMBERS = [
  "abc",
  "+0123",
  "123",
  "9".repeat(16),
  "%00",
  "%2B",
  "+",
  "null",
  "undefined",
  "1e10",
  "919876543210abc",
  "%F0%9F%99%82",
  "x".repeat(4000)
]

const probes = (r: Random, count: number): Array<Probe> =>
  Array.from({ length: count }, (): Probe => {
    const endpoint = r.int(10)
    if (endpoint < 4) {
      const { kind, body } = sendBody(r)
      return {
        endpoint: "POST /v1/messages",
        kind,
        method: "POST",
        path: "/v1/messages",
        body,
        headers: { ...json, ...auth },
        allowed: kind === "over-1MiB" ? [413, 0] : [400, 413, 422]
      }
    }
    if (endpoint < 8) {
      const { kind, body, rejectedItems } = webhookBody(r)
      return {
        endpoint: "POST /webhooks/exotel/{secret}",
        kind,
        method: "POST",
        path: `/webhooks/exotel/${SECRET}`,
        body,
        headers: json,
        allowed: kind === "over-1MiB" ? [413, 0] : rejectedItems !== undefined ? [200, 400] : [400, 413],
        ...(rejectedItems === undefined ? {} : { rejectedItems })
      }
    }
    if (endpoint === 8) {
      const which = r.int(3)
      if (which === 0) {
        const bad = r.pick(BAD_NUMBERS)
        const path = r.next() < 0.5 ? `/v1/sessions/${bad}/${validTo}` : `/v1/sessions/${validFrom}/${bad}`
        return {
          endpoint: "GET /v1/sessions/{b}/{c}",
          kind: "bad-number",
          method: "GET",
          path,
          headers: auth,
          allowed: [400, 404, 422]
        }
      }
      const query = r.pick([
        "expiringWithin=-1",
        "expiringWithin=abc",
        "expiringWithin=1e309",
        "expiringWithin=1.5",
        "limit=0",
        "limit=1001",
        "limit=abc",
        "limit=-5",
        "cursor=garbage",
        "cursor=%00",
        "business=abc",
        "business=%2B0123",
        "limit=1&limit=2x",
        "expiringWithin=" + "9".repeat(400)
      ])
      return {
        endpoint: "GET /v1/sessions",
        kind: "bad-query",
        method: "GET",
        path: `/v1/sessions?${query}`,
        headers: auth,
        allowed: [400, 422]
      }
    }
    const id = r.pick([
      "msg_nope",
      "x",
      "%00",
      "msg_" + "f".repeat(32),
      "'; DROP TABLE wa_outbound; --",
      "..%2F..%2Fetc",
      "🙂",
      "m".repeat(4000)
    ])
    return {
      endpoint: "GET /v1/messages/{id}",
      kind: "unknown-id",
      method: "GET",
      path: `/v1/messages/${encodeURIComponent(id)}`,
      headers: auth,
      allowed: [400, 404]
    }
  })

describe("bad input", () => {
  let server: RunningServer | undefined
  afterAll(async () => {
    await server?.stop()
  })

  it(`answers ${BODIES} malformed bodies with 4xx codes, never 5xx, and writes nothing`, async () => {
    const seed = seedFromEnv()
    const random = rng(seed)
    const dbFile = Path.join(tmpDir("bad"), "wa.db")
    server = await startServer({ databaseUrl: `sqlite:${dbFile}` })
    const s = server
    const all = probes(random, BODIES)
    const failures: Array<string> = []
    let oversizeResets = 0
    const byStatus: Record<number, number> = {}
    const byKind: Record<string, Record<number, number>> = {}
    const results = await pool(
      8,
      all.map((probe) => async () => {
        const answer = await request(probe.method, s.url + probe.path, {
          headers: probe.headers,
          ...(probe.body === undefined ? {} : { body: probe.body }),
          timeoutMs: 20_000
        })
        byStatus[answer.status] = (byStatus[answer.status] ?? 0) + 1
        const key = `${probe.endpoint} ${probe.kind}`
        byKind[key] = { ...byKind[key], [answer.status]: (byKind[key]?.[answer.status] ?? 0) + 1 }
        // 0: the server answered 413 and closed the connection while the client was still uploading (counted apart).
        // A dead or unreachable server answers 0 too, so it counts as a reset only if the server is still serving.
        const reset = answer.status === 0 && probe.kind === "over-1MiB" && await stillServing(s)
        if (reset) oversizeResets++
        const ok = probe.allowed.includes(answer.status) &&
          (answer.status === 0 ? reset : answer.status === 200
            ? answer.body?.accepted === 0 && answer.body?.rejected === probe.rejectedItems
            : typeof answer.body?.code === "string")
        if (!ok && failures.length < 400) {
          failures.push(
            `${key}: ${answer.status} ${answer.text.slice(0, 160)}` +
              (answer.status === 200 ? ` <- ${probe.path.slice(0, 120)} ${(probe.body ?? "").slice(0, 400)}` : "")
          )
        }
        return answer.status
      })
    )

    // the server is still up and ready
    assert.isTrue(s.alive())
    assert.strictEqual((await request("GET", `${s.url}/healthz`)).status, 200)
    assert.strictEqual((await request("GET", `${s.url}/readyz`)).status, 200)

    // no token, or a wrong one, at every /v1 endpoint: 401 before anything is read (a valid body would be a 202 or 409)
    const validSend = JSON.stringify({
      from: validFrom,
      to: validTo,
      content: { type: "template", template: { name: "t", language: { code: "en" } } }
    })
    const guarded: Array<[string, string, string | undefined]> = [
      ["POST", "/v1/messages", validSend],
      ["POST", "/v1/messages", "{not json"],
      ["GET", `/v1/sessions/${validFrom}/${validTo}`, undefined],
      ["GET", "/v1/sessions", undefined],
      ["GET", "/v1/sessions?limit=abc", undefined],
      ["GET", "/v1/messages/msg_x", undefined]
    ]
    const wrongTokens: Array<Record<string, string>> = [
      {},
      { authorization: "Bearer wrong-token-0123456789" },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      { authorization: `Basic ${Buffer.from(`user:${TOKEN}`).toString("base64")}` },
      { authorization: TOKEN },
      { authorization: "Bearer " },
      { "x-api-token": TOKEN }
    ]
    let unauthorized = 0
    for (const [method, path, body] of guarded) {
      for (const headers of wrongTokens) {
        const answer = await request(method, s.url + path, {
          headers: { ...json, ...headers },
          ...(body === undefined ? {} : { body })
        })
        unauthorized++
        if (answer.status !== 401 || answer.body?.code !== "UNAUTHORIZED") {
          failures.push(
            `auth ${method} ${path} ${JSON.stringify(headers)}: ${answer.status} ${answer.text.slice(0, 120)}`
          )
        }
      }
    }
    // a valid batch under a wrong secret: 404, nothing recorded
    const validBatch = JSON.stringify({ whatsapp: { messages: [goodInbound()] } })
    const wrongSecrets = [
      "",
      "x",
      SECRET.slice(0, -1),
      SECRET + "x",
      SECRET.toUpperCase(),
      encodeURIComponent(SECRET) + "%00",
      `${SECRET}/..`,
      TOKEN
    ]
    let wrongSecret = 0
    for (const secret of wrongSecrets) {
      const answer = await request("POST", `${s.url}/webhooks/exotel/${secret}`, { headers: json, body: validBatch })
      wrongSecret++
      if (answer.status !== 404 || typeof answer.body?.code !== "string") {
        failures.push(`wrong secret "${secret}": ${answer.status} ${answer.text.slice(0, 120)}`)
      }
    }
    const window = await request("GET", `${s.url}/v1/sessions/${validFrom}/${validTo}`, { headers: auth })

    // nothing half-written
    const db = new Database(dbFile, { readonly: true })
    const counts = Object.fromEntries(
      ["wa_inbound", "wa_windows", "wa_outbound", "wa_outbound_status"].map((table) => [
        table,
        (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n
      ])
    )
    db.close()

    // the logs: no token, no secret, no message text
    // the start-up banner prints the webhook URL with its secret: pinned as a known bug below, left out here
    const log = s.log().split("\n").filter((line) => !line.includes("webhook URL")).join("\n")
    const leaks = [
      ["API token", TOKEN],
      ["webhook secret", SECRET],
      ["message text", CANARY]
    ].filter(([, needle]) => log.includes(needle!)).map(([what]) => what)

    const http5xx = results.filter((status) => status >= 500).length
    const networkFailures = results.filter((status) => status === 0).length - oversizeResets
    recordFigures("bad-input", {
      malformed: all.length,
      events: all.length + unauthorized + wrongSecret,
      unauthorized,
      wrongSecret,
      http5xx,
      networkFailures,
      oversizeResets,
      contractViolations: failures.length,
      logLeaks: leaks.length,
      lost: 0,
      seed
    })
    console.log(`bad-input statuses: ${JSON.stringify(byStatus)}`)
    const summary = Object.entries(byKind).filter(([, statuses]) =>
      Object.keys(statuses).some((s) => Number(s) >= 500 || Number(s) === 0)
    )
    if (summary.length > 0) {
      console.log(
        `bad-input kinds answered 5xx or no answer:\n${
          summary.map(([k, v]) => `  ${k} ${JSON.stringify(v)}`).join("\n")
        }`
      )
    }
    assert.deepStrictEqual([...new Set(failures)].slice(0, 40), [], `contract violations (seed ${seed})`)
    assert.deepStrictEqual(leaks, [], "secrets or message text in the server log")
    assert.strictEqual(window.body?.state, "none", "nothing recorded from malformed or unauthenticated webhooks")
    assert.deepStrictEqual(counts, { wa_inbound: 0, wa_windows: 0, wa_outbound: 0, wa_outbound_status: 0 })
    assert.strictEqual(http5xx, 0)
    assert.strictEqual(networkFailures, 0)
  })
})

/**
 * Server bugs this suite found. Open ones are pinned with `it.fails` (`KNOWN BUG …`): each states the documented
 * behaviour and fails today, so the suite stays green while they are open; when one is fixed its test "unexpectedly
 * passes" and must become a plain `it` (`FIXED (regression) …`), as the first three did on 2026-11-25.
 */
describe("server bugs found by this suite (FIXED: regressions; KNOWN BUG: it.fails, the documented behaviour failing today)", () => {
  let server: RunningServer | undefined
  const start =
    async () => (server ??= await startServer({ databaseUrl: `sqlite:${Path.join(tmpDir("known"), "wa.db")}` }))
  afterAll(async () => {
    await server?.stop()
  })

  it("FIXED (regression) deep nesting: a webhook body nested 5,000 deep answers 400, not 500", async () => {
    const s = await start()
    const answer = await request("POST", `${s.url}/webhooks/exotel/${SECRET}`, { headers: json, body: nest(5000, "1") })
    assert.strictEqual(answer.status, 400)
  })

  it("FIXED (regression) deep nesting: POST /v1/messages with a field nested 5,000 deep answers 4xx, not 500", async () => {
    const s = await start()
    const body = `{"from":${nestObject(5000)},"to":"${validTo}","content":{"type":"text","text":{"body":"x"}}}`
    const answer = await request("POST", `${s.url}/v1/messages`, { headers: { ...json, ...auth }, body })
    expectClientError(answer)
  })

  it("FIXED (regression) the webhook secret appears in no output line, the start-up banner included (it masks it)", async () => {
    const s = await start()
    assert.match(s.log(), /webhook URL\s+http\S+\/webhooks\/exotel\/\S{4}…/)
    assert.deepStrictEqual(s.log().split("\n").filter((line) => line.includes(SECRET)), [])
  })

  it("FIXED (regression) log leak: a rejected webhook item's reason does not echo the values it carried", async () => {
    const s = await start()
    const item = { ...goodInbound(), sid: { text: `${CANARY}-leak` }, from: `${CANARY}-from` }
    const answer = await request("POST", `${s.url}/webhooks/exotel/${SECRET}`, {
      headers: json,
      body: JSON.stringify({ whatsapp: { messages: [item] } })
    })
    assert.strictEqual(answer.body?.rejected, 1)
    await new Promise((resolve) => setTimeout(resolve, 200))
    assert.notInclude(s.log(), CANARY)
  })

  it("FIXED (regression) impossible date: an inbound timestamp of 30 February is rejected, not rolled over to 2 March", async () => {
    const s = await start()
    const customer = customerNumber(901)
    const item = {
      ...goodInbound(),
      sid: "wamid.feb30",
      from: customer.slice(1),
      timestamp: "2026-02-30T10:00:00+05:30"
    }
    const answer = await request("POST", `${s.url}/webhooks/exotel/${SECRET}`, {
      headers: json,
      body: JSON.stringify({ whatsapp: { messages: [item] } })
    })
    assert.containsSubset(answer.body, { accepted: 0, rejected: 1 })
  })
})
