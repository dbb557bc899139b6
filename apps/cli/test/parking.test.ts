// send --park, parked, cancel: on the local store and through a running server, by the built binary.
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { type FakeExotel, startFakeExotel } from "@wa-session/exotel-fake"
import { join } from "node:path"
import { BUSINESS, exotelEnv, json, run, startServer, tempDir } from "./support.js"

const TOKEN = "test-token-0123456789abcdef"
const SECRET = "webhook-secret-0123456789"
const FALLBACK = ["--fallback-template", "follow_up"]
const DAY1_10AM = "2026-01-20T10:00:00+05:30"

const temp = tempDir("parking")
afterAll(temp.remove)

const seconds = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000
const firstLine = (stderr: string) => stderr.split("\n")[0]
const notParked = (id: string, status: string) =>
  `wa-session: MESSAGE_NOT_PARKED: message ${id} is ${status}, not parked: only a parked message can be cancelled`

describe("local store: send --park, parked, cancel", () => {
  const db = join(temp.dir, "local.db")
  const local = (args: ReadonlyArray<string>) => run(args, { env: { WA_SESSION_DATABASE_URL: `sqlite:${db}` } })
  const CUSTOMER = "+919876543210"
  const pair = ["--business", BUSINESS, "--customer", CUSTOMER]
  const send = (text: string, ...more: ReadonlyArray<string>) =>
    local(["send", "--from", BUSINESS, "--to", CUSTOMER, "--text", text, ...more])
  let first: any
  let second: any

  it("parked and cancel never create a store", async () => {
    for (const args of [["parked"], ["cancel", "msg_x"]]) {
      const result = await local(args)
      assert.strictEqual(result.code, 2)
      assert.strictEqual(
        firstLine(result.stderr),
        `wa-session: STORE_NOT_FOUND: no store at ${db} (WA_SESSION_DATABASE_URL=sqlite:${db}); a command that ` +
          "reads never creates one: set WA_SESSION_DATABASE_URL to the server's store, or record into this one " +
          "first (inbound, send)"
      )
    }
  })

  it("send --park --json: parked, with its expiry and the re-engagement template (once)", async () => {
    // the customer wrote on 20 January: the window is long closed
    assert.strictEqual((await local(["inbound", ...pair, "--at", DAY1_10AM])).code, 0)
    const result = await send("Your refund is approved", "--park", ...FALLBACK, "--json")
    assert.strictEqual(result.code, 0)
    first = json(result)
    assert.deepStrictEqual(Object.keys(first), [
      "id",
      "decision",
      "reason",
      "window",
      "providerMessageId",
      "status",
      "dryRun",
      "replayed",
      "parkedUntil",
      "reengagementMessageId"
    ])
    assert.containsSubset(first, {
      decision: "parked",
      reason: "SESSION_EXPIRED",
      window: { state: "expired", expiresAt: "2026-01-21T04:30:00.000Z" },
      providerMessageId: null,
      status: "parked",
      replayed: false,
      reengagementMessageId: `${first.id}-reengage`
    })
    assert.isString(first.parkedUntil)
    // within the interval: no second template
    const again = await send("It reaches you in 3 days", "--park", "--ttl", "2 days", ...FALLBACK, "--json")
    assert.strictEqual(again.code, 0)
    second = json(again)
    assert.containsSubset(second, { decision: "parked", status: "parked", reengagementMessageId: null })
  })

  it("send --park (human): says it is parked, until when, and the re-engagement template", async () => {
    const result = await send("One more thing", "--park", "--ttl", "3600 seconds")
    assert.strictEqual(result.code, 0)
    assert.match(result.stdout, /^Decision\s+parked$/m)
    assert.match(result.stdout, /^Reason\s+SESSION_EXPIRED: parked until the customer writes again$/m)
    assert.match(result.stdout, /^Message\s+msg_[0-9a-f]+ \(parked\)$/m)
    assert.match(result.stdout, /^Parked until\s+.* \(in (59m \d+s|1h)\)$/m)
    assert.match(result.stdout, /^Re-engagement\s+none sent: /m)
    assert.notInclude(result.stdout, "sent as the fallback template")
  })

  it("--ttl without --park, and a --ttl over 30 days, are refused (exit 2)", async () => {
    const alone = await send("x", "--ttl", "2d")
    assert.strictEqual(alone.code, 2)
    assert.strictEqual(firstLine(alone.stderr), "wa-session: --ttl: how long a parked message waits: give --park too")
    const bad = await send("x", "--ttl", "soon", "--park")
    assert.strictEqual(bad.code, 2)
    assert.match(firstLine(bad.stderr)!, /^wa-session: --ttl: /)
    const long = await send("x", "--park", "--ttl", "31 days", "--json")
    assert.strictEqual(long.code, 2)
    assert.strictEqual(
      firstLine(long.stderr),
      "wa-session: INVALID_MESSAGE: ttl: 2678400 seconds: a parked message waits over 0 and at most 2592000 " +
        "seconds (30 days)"
    )
    assert.containsSubset(json(long).error, { code: "INVALID_MESSAGE", path: "ttl" })
  })

  it("parked --json: the API's MessageList, in release order; --ttl counted from the parking", async () => {
    const result = await local(["parked", ...pair, "--json"])
    assert.strictEqual(result.code, 0)
    const list = json(result)
    assert.deepStrictEqual(Object.keys(list), ["items"])
    assert.lengthOf(list.items, 3)
    assert.deepStrictEqual(list.items.slice(0, 2).map((m: any) => m.id), [first.id, second.id])
    assert.containsSubset(list.items[0], {
      business: BUSINESS,
      customer: CUSTOMER,
      decision: "parked",
      status: "parked",
      parkedUntil: first.parkedUntil,
      content: { type: "text", text: { body: "Your refund is approved" } }
    })
    assert.strictEqual(seconds(list.items[0].createdAt, list.items[0].parkedUntil), 7 * 86400)
    assert.strictEqual(seconds(list.items[1].createdAt, list.items[1].parkedUntil), 2 * 86400)
    assert.strictEqual(seconds(list.items[2].createdAt, list.items[2].parkedUntil), 3600)
    const limited = json(await local(["parked", "--limit", "1", "--json"]))
    assert.deepStrictEqual(limited.items.map((m: any) => m.id), [first.id])
    const other = json(await local(["parked", "--customer", "+919876543299", "--json"]))
    assert.deepStrictEqual(other, { items: [] })
  })

  it("parked (human): a table in release order", async () => {
    const result = await local(["parked", "--business", BUSINESS])
    assert.strictEqual(result.code, 0)
    const lines = result.stdout.trimEnd().split("\n")
    assert.match(lines[0]!, /^ID\s+BUSINESS\s+CUSTOMER\s+PARKED\s+EXPIRES\s+CONTENT$/)
    assert.lengthOf(lines, 4)
    assert.match(lines[1]!, new RegExp(`^${first.id}\\s+\\${BUSINESS}\\s+\\${CUSTOMER}\\s+.*Your refund is approved$`))
    assert.include(lines[2], second.id)
    const empty = await local(["parked", "--customer", "+919876543299"])
    assert.strictEqual(empty.stdout.trim(), "No parked messages to +919876543299.")
  })

  it("cancel: the message, now cancelled; again: MESSAGE_NOT_PARKED (exit 1); an unknown id (exit 2)", async () => {
    const result = await local(["cancel", second.id, "--json"])
    assert.strictEqual(result.code, 0)
    assert.containsSubset(json(result), { id: second.id, decision: "parked", status: "cancelled" })
    assert.deepStrictEqual(json(result).history.map((h: any) => h.status), ["parked", "cancelled"])
    const again = await local(["cancel", second.id, "--json"])
    assert.strictEqual(again.code, 1)
    assert.strictEqual(firstLine(again.stderr), notParked(second.id, "cancelled"))
    assert.deepStrictEqual(json(again), {
      error: {
        code: "MESSAGE_NOT_PARKED",
        message: `message ${second.id} is cancelled, not parked: only a parked message can be cancelled`,
        id: second.id,
        status: "cancelled"
      }
    })
    const unknown = await local(["cancel", "msg_nope", "--json"])
    assert.strictEqual(unknown.code, 2)
    assert.strictEqual(firstLine(unknown.stderr), "wa-session: MESSAGE_NOT_FOUND: No outbound message msg_nope")
    assert.deepStrictEqual(json(unknown), {
      error: { code: "MESSAGE_NOT_FOUND", message: "No outbound message msg_nope", id: "msg_nope" }
    })
    const human = await local(["cancel", "msg_nope"])
    assert.strictEqual(human.code, 2)
    assert.strictEqual(human.stdout, "")
  })

  it("the customer's next message releases what is still parked; then it cannot be cancelled", async () => {
    assert.strictEqual((await local(["inbound", ...pair])).code, 0)
    assert.deepStrictEqual(json(await local(["parked", "--json"])), { items: [] })
    const late = await local(["cancel", first.id])
    assert.strictEqual(late.code, 1)
    // released as a dry run (no Exotel credentials): pending
    assert.strictEqual(firstLine(late.stderr), notParked(first.id, "pending"))
    // with the window open, --park sends at once
    const open = json(await send("Thanks!", "--park", "--json"))
    assert.containsSubset(open, { decision: "session", parkedUntil: null, reengagementMessageId: null })
  })
})

describe("through a running server: send --park, parked, cancel", () => {
  const db = `sqlite:${join(temp.dir, "server.db")}`
  const CUSTOMER = "+919876543277"
  let fake: FakeExotel
  let server: Awaited<ReturnType<typeof startServer>>
  const remote = (args: ReadonlyArray<string>) =>
    run([...args, "--server", server.url], { env: { WA_SESSION_API_TOKEN: TOKEN } })
  const local = (args: ReadonlyArray<string>) => run(args, { env: { WA_SESSION_DATABASE_URL: db } })
  const send = (text: string, ...more: ReadonlyArray<string>) =>
    remote(["send", "--from", BUSINESS, "--to", CUSTOMER, "--text", text, ...more])
  let first: any
  let second: any

  beforeAll(async () => {
    fake = await startFakeExotel({ apiKey: "key-1", apiToken: "token-1", accountSid: "acct1" })
    server = await startServer({
      WA_SESSION_DATABASE_URL: db,
      WA_SESSION_API_TOKEN: TOKEN,
      WA_SESSION_WEBHOOK_SECRET: SECRET,
      ...exotelEnv(fake)
    })
  })

  afterAll(async () => {
    if (server !== undefined) assert.strictEqual(await server.stop(), 0)
    await fake?.close()
  })

  it("send --park --json to a customer who never wrote: parked, one re-engagement template", async () => {
    const result = await send("Your refund is approved", "--park", ...FALLBACK, "--json")
    assert.strictEqual(result.code, 0)
    first = json(result)
    assert.containsSubset(first, {
      decision: "parked",
      reason: "NO_ACTIVE_SESSION",
      window: { state: "none", expiresAt: null },
      providerMessageId: null,
      status: "parked",
      dryRun: false,
      replayed: false,
      reengagementMessageId: `${first.id}-reengage`
    })
    assert.isString(first.parkedUntil)
    const human = await send("It reaches you in 3 days", "--park", "--ttl", "2 days", ...FALLBACK)
    assert.strictEqual(human.code, 0)
    assert.match(human.stdout, /^Decision\s+parked$/m)
    assert.match(human.stdout, /^Reason\s+NO_ACTIVE_SESSION: parked until the customer writes again$/m)
    assert.match(human.stdout, /^Parked until\s+.* \(in (1d 23h|2d)\)$/m)
    assert.match(human.stdout, /^Re-engagement\s+none sent: /m)
  })

  it("parked --json: the server's list, byte for byte what the local store prints; --ttl in seconds", async () => {
    const result = await remote(["parked", "--business", BUSINESS, "--customer", CUSTOMER, "--json"])
    assert.strictEqual(result.code, 0)
    const list = json(result)
    assert.lengthOf(list.items, 2)
    assert.strictEqual(list.items[0].id, first.id)
    second = list.items[1]
    assert.strictEqual(seconds(second.createdAt, second.parkedUntil), 2 * 86400)
    const onStore = await local(["parked", "--business", BUSINESS, "--customer", CUSTOMER, "--json"])
    assert.strictEqual(onStore.stdout, result.stdout)
    const human = await remote(["parked"])
    assert.match(human.stdout.split("\n")[0]!, /^ID\s+BUSINESS\s+CUSTOMER\s+PARKED\s+EXPIRES\s+CONTENT$/)
  })

  it("a bad --limit is refused before the server is asked (exit 2)", async () => {
    const result = await remote(["parked", "--limit", "0"])
    assert.strictEqual(result.code, 2)
    assert.strictEqual(firstLine(result.stderr), "wa-session: --limit must be 1 to 1000, got \"0\"")
  })

  it("cancel; again: MESSAGE_NOT_PARKED (exit 1); an unknown id: MESSAGE_NOT_FOUND (exit 2), as locally", async () => {
    const result = await remote(["cancel", second.id, "--json"])
    assert.strictEqual(result.code, 0)
    assert.containsSubset(json(result), { id: second.id, status: "cancelled" })
    const human = await remote(["cancel", second.id])
    assert.strictEqual(human.code, 1)
    assert.strictEqual(firstLine(human.stderr), notParked(second.id, "cancelled"))
    const again = await remote(["cancel", second.id, "--json"])
    assert.deepStrictEqual(json(again), json(await local(["cancel", second.id, "--json"])))
    const unknown = await remote(["cancel", "msg_nope", "--json"])
    assert.strictEqual(unknown.code, 2)
    assert.strictEqual(firstLine(unknown.stderr), "wa-session: MESSAGE_NOT_FOUND: No outbound message msg_nope")
    assert.deepStrictEqual(json(unknown), json(await local(["cancel", "msg_nope", "--json"])))
  })

  it("the customer's message releases the parked message; the list is empty", async () => {
    const delivered = await fake.sendInbound(`${server.url}/webhooks/exotel/${SECRET}`, {
      from: CUSTOMER,
      to: BUSINESS,
      text: "Hi, I'm back"
    })
    assert.strictEqual(delivered.status, 200)
    assert.deepStrictEqual(json(await remote(["parked", "--customer", CUSTOMER, "--json"])), { items: [] })
    const late = await remote(["cancel", first.id])
    assert.strictEqual(late.code, 1)
    assert.match(firstLine(late.stderr)!, new RegExp(`^wa-session: MESSAGE_NOT_PARKED: message ${first.id} is \\w+`))
  })
})
