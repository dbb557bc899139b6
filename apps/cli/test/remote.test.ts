import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Behaviour, type FakeExotel, startFakeExotel } from "@wa-session/exotel-fake"
import { join } from "node:path"
import { BUSINESS, CUSTOMER, exotelEnv, freePort, json, run, startServer, tempDir } from "./support.js"

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
    ...exotelEnv(fake)
  })
  const delivered = await fake.sendInbound(`${server.url}/webhooks/exotel/${SECRET}`, {
    from: CUSTOMER,
    to: BUSINESS,
    text: "What's my order status?"
  })
  assert.strictEqual(delivered.status, 200)
})

afterAll(async () => {
  if (server !== undefined) assert.strictEqual(await server.stop(), 0)
  await fake?.close()
  temp.remove()
})

describe("against a running server (wa-session serve)", () => {
  it("status (human): the window the webhook opened", async () => {
    const result = await remote(["status", "--business", BUSINESS, "--customer", CUSTOMER])
    assert.strictEqual(result.code, 0)
    assert.match(result.stdout, /^State\s+open$/m)
    assert.match(result.stdout, /^Expires\s+.*\(in 23h 59m\)$/m)
  })

  it("status --json", async () => {
    const result = await remote(["status", "--business", BUSINESS, "--customer", CUSTOMER, "--json"])
    assert.containsSubset(json(result), {
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
    assert.strictEqual(recorded.code, 0)
    const result = await remote(["status", "--business", BUSINESS, "--customer", customer, "--json"])
    assert.strictEqual(json(result).state, "open")
  })

  it("expiring (human and --json)", async () => {
    const human = await remote(["expiring", "--within", "1d"])
    assert.strictEqual(human.code, 0)
    assert.match(human.stdout, /^BUSINESS\s+CUSTOMER\s+CLOSES\s+LEFT\s+LAST INBOUND$/m)
    assert.include(human.stdout, CUSTOMER)
    const result = await remote(["expiring", "--within", "1d", "--business", BUSINESS, "--json"])
    assert.containsSubset(json(result).items, [{ customer: CUSTOMER, state: "open" }])
    const none = await remote(["expiring", "--within", "1h", "--json"])
    assert.deepStrictEqual(json(none), { items: [], nextCursor: null })
  })

  it("send (human): decision, window and Exotel's message id", async () => {
    const result = await remote(["send", "--from", BUSINESS, "--to", CUSTOMER, "--text", "Let me check!"])
    assert.strictEqual(result.code, 0)
    assert.match(result.stdout, /^Decision\s+session$/m)
    assert.match(result.stdout, new RegExp(`^Provider id\\s+${fake.messages.at(-1)?.sid}$`, "m"))
  })

  it("send --json", async () => {
    const result = await remote(["send", "--from", BUSINESS, "--to", CUSTOMER, "--text", "Out for delivery", "--json"])
    assert.strictEqual(result.code, 0)
    const sent = json(result)
    assert.containsSubset(sent, {
      decision: "session",
      reason: null,
      providerMessageId: fake.messages.at(-1)?.sid,
      dryRun: false,
      replayed: false
    })
    assert.containsSubset(sent.window, { state: "open" })
  })

  it("send to a customer who never wrote: NO_ACTIVE_SESSION, exit 1", async () => {
    const result = await remote(["send", "--from", BUSINESS, "--to", "+919876543297", "--text", "Hi", "--json"])
    assert.strictEqual(result.code, 1)
    assert.containsSubset(json(result).error, { code: "NO_ACTIVE_SESSION", customer: "+919876543297" })
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
    assert.strictEqual(result.code, 0)
    assert.containsSubset(json(result), { decision: "template", reason: "NO_ACTIVE_SESSION" })
  })

  it("invalid content: the server's INVALID_MESSAGE, exit 2", async () => {
    const result = await remote(["send", "--from", BUSINESS, "--to", CUSTOMER, "--text", "", "--json"])
    assert.strictEqual(result.code, 2)
    assert.containsSubset(json(result).error, { code: "INVALID_MESSAGE", path: "text.body" })
  })

  it("a provider failure: exit 3, --json names the stored message as the server's body does", async () => {
    fake.script(Behaviour.unauthorized())
    const result = await remote(["send", "--from", BUSINESS, "--to", CUSTOMER, "--text", "Hi", "--json"])
    assert.strictEqual(result.code, 3)
    const error = json(result).error
    assert.strictEqual(error.code, "PROVIDER_ERROR")
    assert.match(error.messageId, /^msg_[0-9a-f]{32}$/)
    // the adapter's warning comes first: the failure is the one line of the command line, the last
    assert.deepStrictEqual(
      result.stderr.trimEnd().split("\n").filter((line) => line.startsWith("wa-session:")),
      [`wa-session: PROVIDER_ERROR: ${error.message}`]
    )
    assert.strictEqual(result.stderr.trimEnd().split("\n").at(-1), `wa-session: PROVIDER_ERROR: ${error.message}`)
  })

  it("a wrong or missing token: UNAUTHORIZED, exit 2; a missing one says where it goes", async () => {
    const result = await remote(["status", "--business", BUSINESS, "--customer", CUSTOMER, "--token", "wrong-token"])
    assert.strictEqual(result.code, 2)
    assert.match(result.stderr, /^wa-session: UNAUTHORIZED: /)
    assert.notInclude(result.stderr, "no token was sent")
    // an empty WA_SESSION_API_TOKEN (exported but unset in the shell) is no token: the error says where one goes
    const none = await remote(["status", "--business", BUSINESS, "--customer", CUSTOMER], { WA_SESSION_API_TOKEN: "" })
    assert.strictEqual(none.code, 2)
    assert.match(
      none.stderr,
      /^wa-session: UNAUTHORIZED: .*no token was sent: give --token or set WA_SESSION_API_TOKEN/
    )
  })

  it("inbound --json: recorded by the server once, with the window after it; the local store agrees", async () => {
    const customer = "+919876543251"
    const args = ["inbound", ...pairOf(customer), "--at", SENT_AT, "--message-id", "wamid.remote-1", "--json"]
    const first = await remote(args)
    assert.strictEqual(first.code, 0)
    assert.deepStrictEqual(json(first), {
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
    assert.deepStrictEqual(json(again), { ...json(first), duplicate: true })
    const onStore = await local(args)
    assert.deepStrictEqual(json(onStore), { ...json(first), duplicate: true })
    const status = await local(["status", ...pairOf(customer), "--json"])
    assert.deepStrictEqual(json(status), json(first).window)
  })

  it("inbound (human) without a message id or time: a generated id, received now, the window open", async () => {
    const customer = "+919876543252"
    const result = await remote(["inbound", ...pairOf(customer)])
    assert.strictEqual(result.code, 0)
    assert.match(result.stdout, /^Message\s+manual_\S+$/m)
    assert.match(result.stdout, new RegExp(`^Pair\\s+\\${BUSINESS} → \\${customer}$`, "m"))
    assert.match(result.stdout, /^State\s+open$/m)
    assert.match(result.stdout, /^Expires\s+.*\(in 23h 59m\)$/m)
    const status = await local(["status", ...pairOf(customer), "--json"])
    assert.strictEqual(json(status).state, "open")
  })

  it("explain (human and --json): the basis of the window the webhook opened, as the local store has it", async () => {
    const human = await remote(["explain", ...pairOf(CUSTOMER)])
    assert.strictEqual(human.code, 0)
    assert.match(human.stdout, /^State\s+open, closes .*\(in 23h/m)
    assert.match(human.stdout, /^Basis message\s+\S+$/m)
    assert.match(human.stdout, /^Provider closure\s+none$/m)
    assert.match(human.stdout, /^The latest customer message \S+ was sent at /m)
    const viaServer = json(await remote(["explain", ...pairOf(CUSTOMER), "--json"]))
    const onStore = json(await local(["explain", ...pairOf(CUSTOMER), "--json"]))
    const { remainingSeconds: _a, summary: _b, ...facts } = onStore
    assert.containsSubset(viaServer, { ...facts, state: "open", closedByProviderAt: null, safetyMarginSeconds: 0 })
    assert.isString(viaServer.basisMessageId)
  })

  it("status, explain and expiring --at: evaluated by the server at that instant, as on the store", async () => {
    const customer = "+919876543253"
    const recorded = await remote(["inbound", ...pairOf(customer), "--at", SENT_AT, "--message-id", "wamid.at-1"])
    assert.strictEqual(recorded.code, 0)
    const commands = (at: string) => [
      ["status", ...pairOf(customer), "--at", at],
      ["explain", ...pairOf(customer), "--at", at],
      ["expiring", "--within", "2h", "--business", BUSINESS, "--at", at]
    ]
    for (const at of [HOUR_BEFORE_CLOSE, HOUR_AFTER_CLOSE]) {
      for (const command of commands(at)) {
        for (const args of [command, [...command, "--json"]]) {
          const [viaServer, onStore] = await Promise.all([remote(args), local(args)])
          assert.strictEqual(viaServer.code, 0, args.join(" "))
          assert.strictEqual(viaServer.stdout, onStore.stdout, args.join(" "))
        }
      }
    }
    const open = await remote(["status", ...pairOf(customer), "--at", HOUR_BEFORE_CLOSE])
    assert.match(open.stdout, /^State\s+open$/m)
    assert.match(open.stdout, /^Expires\s+2026-01-21 10:00 \+05:30 \(in 1h\)$/m)
    assert.match(open.stdout, /^At\s+2026-01-21 09:00 \+05:30$/m)
    const why = json(await remote(["explain", ...pairOf(customer), "--at", HOUR_BEFORE_CLOSE, "--json"]))
    assert.containsSubset(why, { state: "open", remainingSeconds: 3600, basisMessageId: "wamid.at-1" })
    assert.include(why.summary, "open at 2026-01-21T03:30:00.000Z, 1h left.")
    const soon = json(await remote(["expiring", "--within", "2h", "--at", HOUR_BEFORE_CLOSE, "--json"]))
    assert.containsSubset(soon.items, [{ customer, state: "open", remainingSeconds: 3600 }])
    const closed = json(await remote(["status", ...pairOf(customer), "--at", HOUR_AFTER_CLOSE, "--json"]))
    assert.containsSubset(closed, { state: "expired", expiresAt: "2026-01-21T04:30:00.000Z", remainingSeconds: 0 })
    const none = await remote(["expiring", "--within", "2h", "--business", BUSINESS, "--at", HOUR_AFTER_CLOSE])
    assert.strictEqual(none.stdout.trim(), "No window closes within 2h.")
  })

  it("at an instant with milliseconds: the same text as on the store, no safety margin the server has not", async () => {
    const customer = "+919876543254"
    const recorded = await remote(["inbound", ...pairOf(customer), "--at", SENT_AT, "--message-id", "wamid.ms-1"])
    assert.strictEqual(recorded.code, 0)
    for (const at of ["2026-01-21T09:00:00.500+05:30", "2026-01-21T09:00:00.999+05:30"]) {
      for (
        const args of [
          ["status", ...pairOf(customer), "--at", at],
          ["expiring", "--within", "2h", "--business", BUSINESS, "--at", at]
        ]
      ) {
        const [viaServer, onStore] = await Promise.all([remote(args), local(args)])
        assert.strictEqual(viaServer.code, 0, args.join(" "))
        assert.strictEqual(viaServer.stdout, onStore.stdout, args.join(" "))
        assert.notInclude(viaServer.stdout, "safety margin", args.join(" "))
        assert.notInclude(viaServer.stdout, "09:59:59", args.join(" "))
      }
    }
  })

  it("send --dry-run (human and --json): decided and recorded by the server, nothing reaches Exotel", async () => {
    const before = fake.requests.length
    const human = await remote(["send", "--from", BUSINESS, "--to", CUSTOMER, "--text", "Dry", "--dry-run"])
    assert.strictEqual(human.code, 0)
    assert.match(human.stdout, /^Decision\s+session$/m)
    assert.match(human.stdout, /^Message\s+msg_\S+ \(pending\)$/m)
    assert.match(human.stdout, /^Provider id\s+dry run: nothing sent$/m)
    const result = await remote(["send", "--from", BUSINESS, "--to", CUSTOMER, "--text", "Dry", "--dry-run", "--json"])
    assert.strictEqual(result.code, 0)
    const sent = json(result)
    assert.containsSubset(sent, {
      decision: "session",
      reason: null,
      providerMessageId: null,
      status: "pending",
      dryRun: true,
      replayed: false
    })
    assert.containsSubset(sent.window, { state: "open" })
    assert.strictEqual(fake.requests.length, before)
    const auth = { authorization: `Bearer ${TOKEN}` }
    const stored = await fetch(`${server.url}/v1/messages/${sent.id}`, { headers: auth })
    assert.containsSubset(await stored.json(), { id: sent.id, dryRun: true, status: "pending" })
  })

  it("the same --idempotency-key again: replayed by the server, and by the local store on the same key", async () => {
    const args = ["send", "--from", BUSINESS, "--to", CUSTOMER, "--text", "Once", "--idempotency-key", "remote-once"]
    const sentBefore = fake.messages.length
    const first = json(await remote([...args, "--json"]))
    assert.containsSubset(first, { decision: "session", status: "accepted", dryRun: false, replayed: false })
    const again = json(await remote([...args, "--json"]))
    assert.deepStrictEqual(again, { ...first, replayed: true })
    const human = await remote(args)
    assert.match(human.stdout, new RegExp(`^Message\\s+${first.id} \\(accepted\\), replayed: nothing sent again$`, "m"))
    const onStore = json(await local([...args, "--json"]))
    assert.deepStrictEqual(onStore, { ...first, replayed: true })
    assert.strictEqual(fake.messages.length, sentBefore + 1)
  })

  it("the same --idempotency-key with another message: IDEMPOTENCY_KEY_REUSED (exit 2), server and store", async () => {
    const args = ["send", "--from", BUSINESS, "--to", CUSTOMER, "--idempotency-key", "remote-reused"]
    const sentBefore = fake.messages.length
    const first = json(await remote([...args, "--text", "First", "--json"]))
    assert.containsSubset(first, { status: "accepted", replayed: false })
    const other = await remote([...args, "--text", "Second", "--json"])
    assert.strictEqual(other.code, 2)
    assert.containsSubset(json(other).error, {
      code: "IDEMPOTENCY_KEY_REUSED",
      idempotencyKey: "remote-reused",
      messageId: first.id
    })
    const human = await remote([...args, "--text", "Second"])
    assert.strictEqual(human.code, 2)
    assert.match(
      human.stderr,
      new RegExp(
        `^wa-session: IDEMPOTENCY_KEY_REUSED: idempotency key "remote-reused" was already used for message ${first.id} `
      )
    )
    const onStore = await local([...args, "--text", "Second", "--json"])
    assert.strictEqual(onStore.code, 2)
    // the same JSON error either way: the server's body (no business number)
    assert.deepStrictEqual(json(onStore), json(other))
    assert.deepStrictEqual(Object.keys(json(other).error), ["code", "message", "messageId", "idempotencyKey"])
    assert.strictEqual(fake.messages.length, sentBefore + 1)
  })

  it("a server that does not answer: exit 3", async () => {
    const port = await freePort()
    const result = await run(
      ["status", "--business", BUSINESS, "--customer", CUSTOMER, "--server", `http://127.0.0.1:${port}`, "--json"],
      { env: { WA_SESSION_API_TOKEN: TOKEN } }
    )
    assert.strictEqual(result.code, 3)
    assert.strictEqual(json(result).error.code, "SERVER_UNREACHABLE")
  })
})

describe("against a server with a safety margin", () => {
  const MARGIN = { WA_SESSION_SAFETY_MARGIN: "30m" }
  const marginTemp = tempDir("remote-margin")
  const marginDb = `sqlite:${join(marginTemp.dir, "server.db")}`
  let marginServer: Awaited<ReturnType<typeof startServer>>

  beforeAll(async () => {
    marginServer = await startServer({
      WA_SESSION_DATABASE_URL: marginDb,
      WA_SESSION_API_TOKEN: TOKEN,
      WA_SESSION_WEBHOOK_SECRET: SECRET,
      ...MARGIN
    })
  })

  afterAll(async () => {
    if (marginServer !== undefined) assert.strictEqual(await marginServer.stop(), 0)
    marginTemp.remove()
  })

  it("status, expiring and inbound say the server's margin, as the store says its own, at any millisecond", async () => {
    const viaServer = (args: ReadonlyArray<string>) =>
      run([...args, "--server", marginServer.url], { env: { WA_SESSION_API_TOKEN: TOKEN } })
    const onStore = (args: ReadonlyArray<string>) =>
      run(args, { env: { WA_SESSION_DATABASE_URL: marginDb, ...MARGIN } })
    const customer = "+919876543255"
    const inbound = await viaServer(["inbound", ...pairOf(customer), "--at", SENT_AT, "--message-id", "wamid.m-1"])
    assert.strictEqual(inbound.code, 0, inbound.stderr)
    const at = "2026-01-21T09:00:00.500+05:30"
    for (
      const args of [
        ["status", ...pairOf(customer), "--at", at],
        ["expiring", "--within", "2h", "--business", BUSINESS, "--at", at]
      ]
    ) {
      const [remote, local] = await Promise.all([viaServer(args), onStore(args)])
      assert.strictEqual(remote.code, 0, args.join(" "))
      assert.strictEqual(remote.stdout, local.stdout, args.join(" "))
    }
    const status = await viaServer(["status", ...pairOf(customer), "--at", at])
    assert.match(
      status.stdout,
      /^Remaining\s+29m 59s \(session messages until 2026-01-21 09:30 \+05:30, safety margin 30m\)$/m
    )
    const now = await viaServer(["inbound", ...pairOf("+919876543256")])
    assert.match(now.stdout, /^Remaining\s+23h 29m \(session messages until .*, safety margin 30m\)$/m)
  })
})
