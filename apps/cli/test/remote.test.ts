import { Behaviour, type FakeExotel, startFakeExotel } from "@wa-session/exotel-fake"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { BUSINESS, CUSTOMER, freePort, json, run, startServer, tempDir } from "./support.js"

const TOKEN = "test-token-0123456789abcdef"
const SECRET = "webhook-secret-0123456789"

const temp = tempDir("remote")
const db = `sqlite:${join(temp.dir, "server.db")}`
let fake: FakeExotel
let server: Awaited<ReturnType<typeof startServer>>

const remote = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  run([...args, "--server", server.url], { env: { WA_SESSION_API_TOKEN: TOKEN, ...env } })

/** The same command on the store the server uses, without the server. */
const local = (args: ReadonlyArray<string>) => run(args, { env: { WA_SESSION_DATABASE_URL: db } })

const pairOf = (customer: string) => ["--business", BUSINESS, "--customer", customer]

// A customer who wrote at 10:00 IST on 20 January: the window closes at 10:00 the next day.
const SENT_AT = "2026-01-20T10:00:00+05:30"
const HOUR_BEFORE_CLOSE = "2026-01-21T09:00:00+05:30"
const HOUR_AFTER_CLOSE = "2026-01-21T11:00:00+05:30"

beforeAll(async () => {
  fake = await startFakeExotel({ apiKey: "key-1", apiToken: "token-1", accountSid: "acct1" })
  server = await startServer({
    WA_SESSION_DATABASE_URL: db,
    WA_SESSION_API_TOKEN: TOKEN,
    WA_SESSION_WEBHOOK_SECRET: SECRET,
    EXOTEL_BASE_URL: fake.url,
    EXOTEL_API_KEY: fake.apiKey,
    EXOTEL_API_TOKEN: fake.apiToken,
    EXOTEL_ACCOUNT_SID: fake.accountSid,
    EXOTEL_MAX_RETRIES: "0"
  })
  const delivered = await fake.sendInbound(`${server.url}/webhooks/exotel/${SECRET}`, {
    from: CUSTOMER,
    to: BUSINESS,
    text: "What's my order status?"
  })
  expect(delivered.status).toBe(200)
})

afterAll(async () => {
  if (server !== undefined) expect(await server.stop()).toBe(0)
  await fake?.close()
  temp.remove()
})

describe("against a running server (wa-session serve)", () => {
  it("status (human): the window the webhook opened", async () => {
    const result = await remote(["status", "--business", BUSINESS, "--customer", CUSTOMER])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^State\s+open$/m)
    expect(result.stdout).toMatch(/^Expires\s+.*\(in 23h 59m\)$/m)
  })

  it("status --json", async () => {
    const result = await remote(["status", "--business", BUSINESS, "--customer", CUSTOMER, "--json"])
    expect(json(result)).toMatchObject({
      business: BUSINESS,
      customer: CUSTOMER,
      state: "open",
      closedByProvider: false
    })
  })

  it("the server and the local commands share the SQLite store", async () => {
    const customer = "+919876543240"
    const recorded = await run(["inbound", "--business", BUSINESS, "--customer", customer], {
      env: { WA_SESSION_DATABASE_URL: db }
    })
    expect(recorded.code).toBe(0)
    const result = await remote(["status", "--business", BUSINESS, "--customer", customer, "--json"])
    expect(json(result).state).toBe("open")
  })

  it("expiring (human and --json)", async () => {
    const human = await remote(["expiring", "--within", "1d"])
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/^BUSINESS\s+CUSTOMER\s+CLOSES\s+LEFT\s+LAST INBOUND$/m)
    expect(human.stdout).toContain(CUSTOMER)
    const result = await remote(["expiring", "--within", "1d", "--business", BUSINESS, "--json"])
    expect(json(result).items).toEqual(
      expect.arrayContaining([expect.objectContaining({ customer: CUSTOMER, state: "open" })])
    )
    const none = await remote(["expiring", "--within", "1h", "--json"])
    expect(json(none)).toEqual({ items: [], nextCursor: null })
  })

  it("send (human): decision, window and Exotel's message id", async () => {
    const result = await remote(["send", "--from", BUSINESS, "--to", CUSTOMER, "--text", "Let me check!"])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^Decision\s+session$/m)
    expect(result.stdout).toMatch(new RegExp(`^Provider id\\s+${fake.messages.at(-1)?.sid}$`, "m"))
  })

  it("send --json", async () => {
    const result = await remote(["send", "--from", BUSINESS, "--to", CUSTOMER, "--text", "Out for delivery", "--json"])
    expect(result.code).toBe(0)
    expect(json(result)).toMatchObject({
      decision: "session",
      reason: null,
      window: { state: "open" },
      providerMessageId: fake.messages.at(-1)?.sid,
      dryRun: false,
      replayed: false
    })
  })

  it("send to a customer who never wrote: NO_ACTIVE_SESSION, exit 1", async () => {
    const result = await remote(["send", "--from", BUSINESS, "--to", "+919876543297", "--text", "Hi", "--json"])
    expect(result.code).toBe(1)
    expect(json(result).error).toMatchObject({ code: "NO_ACTIVE_SESSION", customer: "+919876543297" })
  })

  it("...and with a fallback template, the template goes", async () => {
    const result = await remote([
      "send",
      "--from",
      BUSINESS,
      "--to",
      "+919876543297",
      "--text",
      "Hi",
      "--fallback-template",
      "order_update",
      "--json"
    ])
    expect(result.code).toBe(0)
    expect(json(result)).toMatchObject({ decision: "template", reason: "NO_ACTIVE_SESSION" })
  })

  it("invalid content: the server's INVALID_MESSAGE, exit 2", async () => {
    const result = await remote(["send", "--from", BUSINESS, "--to", CUSTOMER, "--text", "", "--json"])
    expect(result.code).toBe(2)
    expect(json(result).error).toMatchObject({ code: "INVALID_MESSAGE", path: "text.body" })
  })

  it("a provider failure: exit 3", async () => {
    fake.script(Behaviour.unauthorized())
    const result = await remote(["send", "--from", BUSINESS, "--to", CUSTOMER, "--text", "Hi", "--json"])
    expect(result.code).toBe(3)
    expect(json(result).error.code).toBe("PROVIDER_ERROR")
  })

  it("a wrong token: UNAUTHORIZED, exit 2", async () => {
    const result = await remote(["status", "--business", BUSINESS, "--customer", CUSTOMER, "--token", "wrong-token"])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/^wa-session: UNAUTHORIZED: /)
  })

  it("inbound --json: recorded by the server once, with the window after it; the local store agrees", async () => {
    const customer = "+919876543251"
    const args = ["inbound", ...pairOf(customer), "--at", SENT_AT, "--message-id", "wamid.remote-1", "--json"]
    const first = await remote(args)
    expect(first.code).toBe(0)
    expect(json(first)).toEqual({
      messageId: "wamid.remote-1",
      duplicate: false,
      adjustment: "none",
      window: {
        business: BUSINESS,
        customer,
        state: "expired",
        lastInboundAt: "2026-01-20T04:30:00.000Z",
        expiresAt: "2026-01-21T04:30:00.000Z",
        remainingSeconds: 0,
        closedByProvider: false
      }
    })
    const again = await remote(args)
    expect(json(again)).toEqual({ ...json(first), duplicate: true })
    const onStore = await local(args)
    expect(json(onStore)).toEqual({ ...json(first), duplicate: true })
    const status = await local(["status", ...pairOf(customer), "--json"])
    expect(json(status)).toEqual(json(first).window)
  })

  it("inbound (human) without a message id or time: a generated id, received now, the window open", async () => {
    const customer = "+919876543252"
    const result = await remote(["inbound", ...pairOf(customer)])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^Message\s+manual_\S+$/m)
    expect(result.stdout).toMatch(new RegExp(`^Pair\\s+\\${BUSINESS} → \\${customer}$`, "m"))
    expect(result.stdout).toMatch(/^State\s+open$/m)
    expect(result.stdout).toMatch(/^Expires\s+.*\(in 23h 59m\)$/m)
    const status = await local(["status", ...pairOf(customer), "--json"])
    expect(json(status).state).toBe("open")
  })

  it("explain (human and --json): the basis of the window the webhook opened, as the local store has it", async () => {
    const human = await remote(["explain", ...pairOf(CUSTOMER)])
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/^State\s+open, closes .*\(in 23h/m)
    expect(human.stdout).toMatch(/^Basis message\s+\S+$/m)
    expect(human.stdout).toMatch(/^Provider closure\s+none$/m)
    expect(human.stdout).toMatch(/^The latest customer message \S+ was sent at /m)
    const viaServer = json(await remote(["explain", ...pairOf(CUSTOMER), "--json"]))
    const onStore = json(await local(["explain", ...pairOf(CUSTOMER), "--json"]))
    const { remainingSeconds: _a, summary: _b, ...facts } = onStore
    expect(viaServer).toMatchObject({ ...facts, state: "open", closedByProviderAt: null, safetyMarginSeconds: 0 })
    expect(viaServer.basisMessageId).toEqual(expect.any(String))
  })

  it("status, explain and expiring --at: evaluated by the server at that instant, as on the store", async () => {
    const customer = "+919876543253"
    const recorded = await remote(["inbound", ...pairOf(customer), "--at", SENT_AT, "--message-id", "wamid.at-1"])
    expect(recorded.code).toBe(0)
    const commands = (at: string) => [
      ["status", ...pairOf(customer), "--at", at],
      ["explain", ...pairOf(customer), "--at", at],
      ["expiring", "--within", "2h", "--business", BUSINESS, "--at", at]
    ]
    for (const at of [HOUR_BEFORE_CLOSE, HOUR_AFTER_CLOSE]) {
      for (const command of commands(at)) {
        for (const args of [command, [...command, "--json"]]) {
          const [viaServer, onStore] = await Promise.all([remote(args), local(args)])
          expect(viaServer.code, args.join(" ")).toBe(0)
          expect(viaServer.stdout, args.join(" ")).toBe(onStore.stdout)
        }
      }
    }
    const open = await remote(["status", ...pairOf(customer), "--at", HOUR_BEFORE_CLOSE])
    expect(open.stdout).toMatch(/^State\s+open$/m)
    expect(open.stdout).toMatch(/^Expires\s+2026-01-21 10:00 \+05:30 \(in 1h\)$/m)
    expect(open.stdout).toMatch(/^At\s+2026-01-21 09:00 \+05:30$/m)
    const why = json(await remote(["explain", ...pairOf(customer), "--at", HOUR_BEFORE_CLOSE, "--json"]))
    expect(why).toMatchObject({ state: "open", remainingSeconds: 3600, basisMessageId: "wamid.at-1" })
    expect(why.summary).toContain("open at 2026-01-21T03:30:00.000Z, 1h left.")
    const soon = json(await remote(["expiring", "--within", "2h", "--at", HOUR_BEFORE_CLOSE, "--json"]))
    expect(soon.items).toEqual(
      expect.arrayContaining([expect.objectContaining({ customer, state: "open", remainingSeconds: 3600 })])
    )
    const closed = json(await remote(["status", ...pairOf(customer), "--at", HOUR_AFTER_CLOSE, "--json"]))
    expect(closed).toMatchObject({ state: "expired", expiresAt: "2026-01-21T04:30:00.000Z", remainingSeconds: 0 })
    const none = await remote(["expiring", "--within", "2h", "--business", BUSINESS, "--at", HOUR_AFTER_CLOSE])
    expect(none.stdout.trim()).toBe("No window closes within 2h.")
  })

  it("send --dry-run (human and --json): decided and recorded by the server, nothing reaches Exotel", async () => {
    const before = fake.requests.length
    const human = await remote(["send", "--from", BUSINESS, "--to", CUSTOMER, "--text", "Dry", "--dry-run"])
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/^Decision\s+session$/m)
    expect(human.stdout).toMatch(/^Message\s+msg_\S+ \(pending\)$/m)
    expect(human.stdout).toMatch(/^Provider id\s+dry run: nothing sent$/m)
    const result = await remote(["send", "--from", BUSINESS, "--to", CUSTOMER, "--text", "Dry", "--dry-run", "--json"])
    expect(result.code).toBe(0)
    const sent = json(result)
    expect(sent).toMatchObject({
      decision: "session",
      reason: null,
      window: { state: "open" },
      providerMessageId: null,
      status: "pending",
      dryRun: true,
      replayed: false
    })
    expect(fake.requests.length).toBe(before)
    const auth = { authorization: `Bearer ${TOKEN}` }
    const stored = await fetch(`${server.url}/v1/messages/${sent.id}`, { headers: auth })
    expect(await stored.json()).toMatchObject({ id: sent.id, dryRun: true, status: "pending" })
  })

  it("the same --idempotency-key again: replayed by the server, and by the local store on the same key", async () => {
    const args = ["send", "--from", BUSINESS, "--to", CUSTOMER, "--text", "Once", "--idempotency-key", "remote-once"]
    const sentBefore = fake.messages.length
    const first = json(await remote([...args, "--json"]))
    expect(first).toMatchObject({ decision: "session", status: "accepted", dryRun: false, replayed: false })
    const again = json(await remote([...args, "--json"]))
    expect(again).toEqual({ ...first, replayed: true })
    const human = await remote(args)
    expect(human.stdout).toMatch(
      new RegExp(`^Message\\s+${first.id} \\(accepted\\), replayed: nothing sent again$`, "m")
    )
    const onStore = json(await local([...args, "--json"]))
    expect(onStore).toEqual({ ...first, replayed: true })
    expect(fake.messages.length).toBe(sentBefore + 1)
  })

  it("the same --idempotency-key with another message: IDEMPOTENCY_KEY_REUSED (exit 2), server and store", async () => {
    const args = ["send", "--from", BUSINESS, "--to", CUSTOMER, "--idempotency-key", "remote-reused"]
    const sentBefore = fake.messages.length
    const first = json(await remote([...args, "--text", "First", "--json"]))
    expect(first).toMatchObject({ status: "accepted", replayed: false })
    const other = await remote([...args, "--text", "Second", "--json"])
    expect(other.code).toBe(2)
    expect(json(other).error).toMatchObject({
      code: "IDEMPOTENCY_KEY_REUSED",
      idempotencyKey: "remote-reused",
      messageId: first.id
    })
    const human = await remote([...args, "--text", "Second"])
    expect(human.code).toBe(2)
    expect(human.stderr).toMatch(
      new RegExp(
        `^wa-session: IDEMPOTENCY_KEY_REUSED: idempotency key "remote-reused" was already used for message ${first.id} `
      )
    )
    const onStore = await local([...args, "--text", "Second", "--json"])
    expect(onStore.code).toBe(2)
    expect(json(onStore).error).toMatchObject({ code: "IDEMPOTENCY_KEY_REUSED", messageId: first.id })
    expect(fake.messages.length).toBe(sentBefore + 1)
  })

  it("a server that does not answer: exit 3", async () => {
    const port = await freePort()
    const result = await run(
      ["status", "--business", BUSINESS, "--customer", CUSTOMER, "--server", `http://127.0.0.1:${port}`, "--json"],
      { env: { WA_SESSION_API_TOKEN: TOKEN } }
    )
    expect(result.code).toBe(3)
    expect(json(result).error.code).toBe("SERVER_UNREACHABLE")
  })
})
