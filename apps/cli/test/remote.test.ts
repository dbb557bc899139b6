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
      dryRun: false
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

  it("explain and inbound are not in the HTTP API: exit 2 naming --server", async () => {
    for (const command of ["explain", "inbound"]) {
      const result = await remote([command, "--business", BUSINESS, "--customer", CUSTOMER])
      expect(result.code).toBe(2)
      expect(result.stderr).toContain("--server")
    }
  })

  it("--at and --dry-run need the local store: exit 2", async () => {
    const at = await remote(["status", "--business", BUSINESS, "--customer", CUSTOMER, "--at", "2026-01-20T10:00:00Z"])
    expect(at.code).toBe(2)
    expect(at.stderr).toContain("--at")
    const dry = await remote(["send", "--from", BUSINESS, "--to", CUSTOMER, "--text", "Hi", "--dry-run"])
    expect(dry.code).toBe(2)
    expect(dry.stderr).toContain("--dry-run")
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
