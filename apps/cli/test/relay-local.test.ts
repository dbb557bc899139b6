import { spawn } from "node:child_process"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Fixtures from "./fixtures.js"
import { ANSI, baseEnv, bin, BUSINESS, json, type Result, root, run, tempDir } from "./support.js"

const temp = tempDir("relay-local")
const filename = join(temp.dir, "wa.db")
const env = { WA_SESSION_DATABASE_URL: `sqlite:${filename}` }
/** Everything the commands printed, to check where secrets appear. */
const printed: Array<string> = []
const local = async (args: ReadonlyArray<string>) => {
  const result = await run(args, { env })
  printed.push(result.stdout, result.stderr)
  return result
}

const pair = (customer: string) => ["--business", BUSINESS, "--customer", customer]

const LONG = "Hello! I ordered the blue kurta last week and the tracking page still says it has not shipped. " +
  "Can you check?"

afterAll(temp.remove)

describe("settings (local store)", () => {
  it("WA_SESSION_EXPIRING_LEAD is read as the server reads it: an invalid one names the setting (exit 2)", async () => {
    const result = await run(["inbound", "--business", BUSINESS, "--customer", "+919876543300"], {
      env: { ...env, WA_SESSION_EXPIRING_LEAD: "soon" }
    })
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/^wa-session: CONFIG: .*WA_SESSION_EXPIRING_LEAD must be seconds/)
  })
})

describe("history (local store)", () => {
  const CUSTOMER = "+919876543301"
  beforeAll(async () => {
    await Fixtures.customerMessage(filename, {
      business: BUSINESS,
      customer: CUSTOMER,
      messageId: "wamid.h1",
      content: { type: "text", text: { body: "Where is my order?" } }
    })
    await Fixtures.customerMessage(filename, {
      business: BUSINESS,
      customer: CUSTOMER,
      messageId: "wamid.h2",
      content: { type: "image", image: { id: "media-1", caption: "the \u001b[31mbox\u001b[0m\narrived damaged" } }
    })
    const sent = await local(["send", "--from", BUSINESS, "--to", CUSTOMER, "--text", LONG, "--dry-run"])
    expect(sent.code).toBe(0)
  })

  it("human: newest first, direction, type, a one-line preview cut to 60 characters, the status of ours", async () => {
    const result = await local(["history", ...pair(CUSTOMER)])
    expect(result.code).toBe(0)
    expect(result.stderr).toBe("")
    const lines = result.stdout.trimEnd().split("\n")
    expect(lines[0]).toMatch(/^TIME\s+DIR\s+TYPE\s+CONTENT\s+STATUS$/)
    expect(lines).toHaveLength(4)
    expect(lines[1]).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? \+05:30\s+→ out\s+text\s+Hello! I ordered .*…\s+pending \(dry run\)$/
    )
    const preview = /Hello! .*…/.exec(lines[1]!)![0]
    expect([...preview].length).toBeLessThanOrEqual(60)
    expect(lines[2]).toMatch(/← in\s+image\s+the \[31mbox \[0m arrived damaged$/)
    expect(lines[3]).toMatch(/← in\s+text\s+Where is my order\?$/)
    expect(result.stdout).not.toMatch(ANSI)
    expect(result.stdout).not.toContain("\u001b")
  })

  it("--json: the HTTP API's HistoryPage", async () => {
    const page = json(await local(["history", ...pair(CUSTOMER), "--json"]))
    expect(Object.keys(page)).toEqual(["items", "nextCursor"])
    expect(page.nextCursor).toBeNull()
    expect(page.items.map((item: any) => item.direction)).toEqual(["outbound", "inbound", "inbound"])
    expect(page.items[0]).toMatchObject({
      business: BUSINESS,
      customer: CUSTOMER,
      decision: "session",
      content: { type: "text", text: { body: LONG } },
      status: "pending",
      dryRun: true,
      history: [{ status: "pending", code: null, detail: null }]
    })
    expect(page.items[2]).toEqual({
      direction: "inbound",
      id: "wamid.h1",
      business: BUSINESS,
      customer: CUSTOMER,
      contentType: "text",
      content: { type: "text", text: { body: "Where is my order?" } },
      profileName: "Asha",
      sentAt: expect.stringMatching(/Z$/),
      receivedAt: expect.stringMatching(/Z$/)
    })
  })

  it("--limit and --cursor page through, the cursor hint is printed", async () => {
    const first = json(await local(["history", ...pair(CUSTOMER), "--limit", "2", "--json"]))
    expect(first.items).toHaveLength(2)
    expect(first.nextCursor).toEqual(expect.any(String))
    const human = await local(["history", ...pair(CUSTOMER), "--limit", "2"])
    expect(human.stdout.trimEnd().split("\n").at(-1)).toBe(`More: --cursor ${first.nextCursor}`)
    const second = json(
      await local(["history", ...pair(CUSTOMER), "--limit", "2", "--cursor", first.nextCursor, "--json"])
    )
    expect(second.items.map((item: any) => item.id)).toEqual(["wamid.h1"])
    expect(second.nextCursor).toBeNull()
  })

  it("a pair with no messages; a bad cursor or limit is bad input (exit 2)", async () => {
    const none = await local(["history", ...pair("+919876543399")])
    expect(none.code).toBe(0)
    expect(none.stdout.trim()).toBe(`No messages between ${BUSINESS} and +919876543399.`)
    const cursor = await local(["history", ...pair(CUSTOMER), "--cursor", "garbage", "--json"])
    expect(cursor.code).toBe(2)
    expect(json(cursor)).toEqual({
      error: { code: "INVALID_REQUEST", message: "cursor is not a nextCursor of this API", path: "cursor" }
    })
    expect(cursor.stderr).toBe("wa-session: INVALID_REQUEST: cursor is not a nextCursor of this API\n")
    const limit = await local(["history", ...pair(CUSTOMER), "--limit", "201"])
    expect(limit.code).toBe(2)
    expect(limit.stderr).toContain("--limit")
  })
})

describe("events (local store)", () => {
  const CUSTOMER = "+919876543302"
  let all: Array<any>
  beforeAll(async () => {
    await Fixtures.customerMessage(filename, {
      business: BUSINESS,
      customer: CUSTOMER,
      messageId: "wamid.e1",
      content: { type: "text", text: { body: "Is the store open today?" } }
    })
    all = json(await local(["events", "--limit", "1000", "--json"])).items
  })

  it("human: one line per event, with its pair and a summary; the next --after", async () => {
    const result = await local(["events", "--type", "message.received,window.opened"])
    expect(result.code).toBe(0)
    const lines = result.stdout.trimEnd().split("\n")
    expect(lines[0]).toMatch(/^CREATED\s+TYPE\s+ID\s+PAIR\s+SUMMARY$/)
    const received = lines.find((line) => line.includes("wamid.e1"))
    expect(received).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? \+05:30\s+message\.received\s+evt_[0-9a-f]{32}\s+\+919876500001 → \+919876543302\s+wamid\.e1: Is the store open today\?$/
    )
    expect(lines.find((line) => line.includes("window.opened") && line.includes(CUSTOMER))).toMatch(
      /window\.opened\s+evt_\S+\s+\S+ → \S+\s+was none; session messages until \d{4}-/
    )
    expect(lines.at(-1)).toMatch(/^Next: --after evt_[0-9a-f]{32}$/)
    expect(lines.slice(1, -1).every((line) => /message\.received|window\.opened/.test(line))).toBe(true)
  })

  it("--json: the HTTP API's EventsPage, the encoded events in log order", async () => {
    const page = json(await local(["events", "--json"]))
    expect(Object.keys(page)).toEqual(["items", "last"])
    expect(page.last).toBe(page.items.at(-1).id)
    const event = page.items.find((e: any) => e.type === "message.received" && e.data.messageId === "wamid.e1")
    expect(event).toMatchObject({
      id: expect.stringMatching(/^evt_[0-9a-f]{32}$/),
      createdAt: expect.stringMatching(/Z$/),
      business: BUSINESS,
      customer: CUSTOMER,
      data: { contentType: "text", content: { type: "text", text: { body: "Is the store open today?" } } }
    })
  })

  it("pages with --after: the same log, page by page", async () => {
    const pages: Array<any> = []
    let after: string | null = null
    for (let i = 0; i < 50; i++) {
      const args: Array<string> = ["events", "--limit", "2", "--json", ...(after === null ? [] : ["--after", after])]
      const page = json(await local(args))
      if (page.items.length === 0) {
        expect(page.last).toBeNull()
        break
      }
      pages.push(...page.items)
      after = page.last
    }
    expect(pages.map((e) => e.id)).toEqual(all.map((e) => e.id))
    const end = await local(["events", "--after", after!])
    expect(end.stdout.trim()).toBe(`No events after ${after}.`)
  })

  it("an unknown type, an unknown --after: INVALID_REQUEST (exit 2)", async () => {
    const type = await local(["events", "--type", "message.received,message.sent", "--json"])
    expect(type.code).toBe(2)
    expect(json(type).error).toMatchObject({ code: "INVALID_REQUEST", path: "type" })
    expect(type.stderr).toMatch(
      /^wa-session: INVALID_REQUEST: type: unknown message\.sent; the types are message\.received/
    )
    const after = await local(["events", "--after", "evt_nope", "--json"])
    expect(after.code).toBe(2)
    expect(json(after)).toEqual({
      error: { code: "INVALID_REQUEST", message: "after: no event with this id is kept", path: "after" }
    })
  })

  it("--follow prints the events as they come, until Ctrl-C (exit 0)", async () => {
    const last = all.at(-1).id
    const child = spawn(process.execPath, [bin, "events", "--follow", "--after", last, "--type", "message.received"], {
      env: baseEnv(env),
      cwd: root
    })
    let stdout = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
    const waitFor = async (text: string) => {
      for (let i = 0; i < 100 && !stdout.includes(text); i++) await new Promise((r) => setTimeout(r, 100))
      expect(stdout).toContain(text)
    }
    await waitFor("CREATED")
    await Fixtures.customerMessage(filename, {
      business: BUSINESS,
      customer: CUSTOMER,
      messageId: "wamid.follow-1",
      content: { type: "text", text: { body: "Following up" } }
    })
    await waitFor("wamid.follow-1: Following up")
    child.kill("SIGINT")
    expect(await exited).toBe(0)
    expect(stdout.trimEnd().split("\n")).toHaveLength(2)
  })
})

describe("endpoints, deliveries and replay (local store)", () => {
  const CUSTOMER = "+919876543303"
  const DEAD = "http://127.0.0.1:9/wa-events"
  let added: Result
  let endpoint: any

  beforeAll(async () => {
    added = await local(["endpoints", "add", DEAD, "--json"])
    endpoint = json(added)
    const recorded = await local(["inbound", ...pair(CUSTOMER), "--message-id", "wamid.d1"])
    expect(recorded.code).toBe(0)
  })

  it("endpoints add --json: the endpoint and its new secret, once", async () => {
    expect(added.code).toBe(0)
    expect(endpoint).toEqual({
      id: expect.stringMatching(/^ep_[0-9a-f]{32}$/),
      url: DEAD,
      events: null,
      state: "enabled",
      disabledReason: null,
      configured: false,
      createdAt: expect.stringMatching(/Z$/),
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/)
    })
  })

  it("endpoints add (human): the secret clearly labelled, to store now", async () => {
    const result = await local(["endpoints", "add", "https://example.com/hooks", "--event", "window.expiring"])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^Endpoint\s+ep_[0-9a-f]{32}$/m)
    expect(result.stdout).toMatch(/^Events\s+window\.expiring$/m)
    expect(result.stdout).toContain("Signing secret (shown this once: store it now, it cannot be shown again):")
    const secret = /^ {2}(whsec_\S+)$/m.exec(result.stdout)?.[1]
    expect(secret).toMatch(/^whsec_/)
    const listing = await local(["endpoints"])
    expect(listing.stdout).not.toContain(secret)
    expect(listing.stdout).not.toContain("whsec_")
  })

  it("a secret given with --secret is not printed back (human)", async () => {
    const secret = `whsec_${Buffer.alloc(32, 7).toString("base64")}`
    const result = await local(["endpoints", "add", "https://example.com/given", "--secret", secret])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^Secret\s+the one given with --secret$/m)
    expect(result.stdout).not.toContain(secret)
  })

  it("a secret given with --secret is not printed back (--json: null, as the API answers)", async () => {
    const secret = `whsec_${Buffer.alloc(32, 8).toString("base64")}`
    const result = await local(["endpoints", "add", "https://example.com/given-json", "--secret", secret, "--json"])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ url: "https://example.com/given-json", secret: null })
    expect(result.stdout).not.toContain(secret)
  })

  it("endpoints (human and --json) never show a secret", async () => {
    const human = await local(["endpoints"])
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/^ID\s+URL\s+EVENTS\s+STATE\s+CREATED$/m)
    expect(human.stdout).toMatch(
      new RegExp(`^${endpoint.id}\\s+http://127\\.0\\.0\\.1:9/wa-events\\s+all\\s+enabled\\s+`, "m")
    )
    const list = json(await local(["endpoints", "--json"]))
    expect(list.items.find((e: any) => e.id === endpoint.id)).toEqual(
      (({ secret: _, ...rest }) => rest)(endpoint)
    )
    expect(JSON.stringify(list)).not.toContain("whsec_")
  })

  it("bad endpoints: INVALID_ENDPOINT naming the field (exit 2), a bad secret never echoed", async () => {
    const url = await local(["endpoints", "add", "ftp://example.com/x", "--json"])
    expect(url.code).toBe(2)
    expect(json(url)).toEqual({
      error: { code: "INVALID_ENDPOINT", message: "url: only http and https, got ftp:", path: "url" }
    })
    const type = await local(["endpoints", "add", "https://example.com/x", "--event", "message.sent"])
    expect(type.code).toBe(2)
    expect(type.stderr).toMatch(/^wa-session: INVALID_ENDPOINT: events: unknown type "message\.sent"/)
    const secret = await local(["endpoints", "add", "https://example.com/x", "--secret", "whsec_tooShortSecretValue"])
    expect(secret.code).toBe(2)
    expect(secret.stderr).toMatch(/^wa-session: INVALID_ENDPOINT: secret: /)
    expect(secret.stdout + secret.stderr).not.toContain("tooShortSecretValue")
    const stray = await local(["endpoints", "add", "https://example.com/x", "whsec_strayArgumentValue="])
    expect(stray.code).toBe(2)
    expect(stray.stderr).toContain("whsec_<hidden>")
    expect(stray.stderr).not.toContain("strayArgumentValue")
  })

  it("deliveries: pending to the dead endpoint (human and --json), filtered by state and endpoint", async () => {
    const page = json(await local(["deliveries", "--endpoint", endpoint.id, "--json"]))
    expect(Object.keys(page)).toEqual(["items", "nextCursor"])
    expect(page.items.map((d: any) => d.eventType).sort()).toEqual(["message.received", "window.opened"])
    expect(page.items[0]).toMatchObject({
      endpointId: endpoint.id,
      eventId: expect.stringMatching(/^evt_/),
      business: BUSINESS,
      customer: CUSTOMER,
      state: "pending",
      attempts: 0,
      lastStatus: null,
      deliveredAt: null
    })
    const human = await local(["deliveries", "--state", "pending", "--endpoint", endpoint.id])
    expect(human.code).toBe(0)
    const lines = human.stdout.trimEnd().split("\n")
    expect(lines[0]).toMatch(/^EVENT\s+TYPE\s+ENDPOINT\s+STATE\s+TRIES\s+NEXT\s+LAST$/)
    expect(lines[1]).toMatch(new RegExp(`^evt_[0-9a-f]{32}\\s+\\S+\\s+${endpoint.id}\\s+pending\\s+0\\s+due\\s+-$`))
    const none = await local(["deliveries", "--state", "delivered"])
    expect(none.stdout.trim()).toBe("No delivered deliveries.")
    const paged = json(await local(["deliveries", "--limit", "1", "--json"]))
    expect(paged.nextCursor).toEqual(expect.any(String))
    const bad = await local(["deliveries", "--cursor", "nope", "--json"])
    expect(bad.code).toBe(2)
    expect(json(bad).error).toMatchObject({ code: "INVALID_REQUEST", path: "cursor" })
    const state = await local(["deliveries", "--state", "lost"])
    expect(state.code).toBe(2)
  })

  it("deliveries replay: --since or --event required (usage, exit 2); replays; unknown endpoint exit 2", async () => {
    const usage = await local(["deliveries", "replay", "--json"])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toBe("wa-session: --since or --event: say which events to deliver again\n")
    const since = await local(["deliveries", "replay", "--endpoint", endpoint.id, "--since", "2026-01-01T00:00:00Z"])
    expect(since.code).toBe(0)
    expect(since.stdout.trim()).toMatch(
      /^\d+ deliver(y|ies) pending again: the server's relay sends (it|them) \(same webhook-id\)\.$/
    )
    const event = itemsOf(await local(["deliveries", "--endpoint", endpoint.id, "--json"]))[0].eventId
    const pending = await local(["deliveries", "replay", "--endpoint", endpoint.id, "--event", event, "--json"])
    expect(json(pending)).toEqual({ replayed: 0 })
    const nothing = await local(["deliveries", "replay", "--endpoint", endpoint.id, "--event", event])
    expect(nothing.stdout.trim()).toBe("Nothing to deliver again (pending deliveries are on their way already).")
    const unknown = await local([
      "deliveries",
      "replay",
      "--endpoint",
      "ep_nope",
      "--since",
      "2026-01-01T00:00:00Z",
      "--json"
    ])
    expect(unknown.code).toBe(2)
    expect(json(unknown)).toEqual({
      error: { code: "ENDPOINT_NOT_FOUND", message: "no endpoint ep_nope", id: "ep_nope" }
    })
    const instant = await local(["deliveries", "replay", "--since", "yesterday"])
    expect(instant.code).toBe(2)
    expect(instant.stderr).toContain("--since")
  })

  it("endpoints delete: its pending deliveries fail; unknown: exit 2; the configured one: exit 1", async () => {
    const deleted = await local(["endpoints", "delete", endpoint.id])
    expect(deleted.code).toBe(0)
    expect(deleted.stdout.trim()).toBe(
      `Deleted endpoint ${endpoint.id}; its pending deliveries failed ("endpoint deleted").`
    )
    const failed = json(await local(["deliveries", "--endpoint", endpoint.id, "--json"]))
    expect(failed.items.every((d: any) => d.state === "failed" && d.lastError === "endpoint deleted")).toBe(true)
    const again = await local(["endpoints", "delete", endpoint.id, "--json"])
    expect(again.code).toBe(2)
    expect(json(again).error).toMatchObject({ code: "ENDPOINT_NOT_FOUND", id: endpoint.id })
    const configured = await local(["endpoints", "delete", "ep_configured"])
    expect(configured.code).toBe(1)
    expect(configured.stderr).toMatch(
      /^wa-session: ENDPOINT_CONFIGURED: endpoint ep_configured comes from WA_SESSION_EVENTS_URL/
    )
  })

  it("the generated secrets were printed by `endpoints add` only", () => {
    const secrets = new Set([...printed.join("\n").matchAll(/whsec_[A-Za-z0-9+/=]+/g)].map((m) => m[0]))
    expect(secrets.size).toBeGreaterThan(0)
    for (const secret of secrets) {
      const where = printed.filter((text) => text.includes(secret))
      expect(where).toHaveLength(1)
    }
  })
})

const itemsOf = (result: Result): Array<any> => json(result).items

describe("quarantine (local store)", () => {
  const CUSTOMER = "+919876543304"
  const garbage = `not json at all: ${"x".repeat(200)}`
  let decodable: string

  beforeAll(async () => {
    await Fixtures.webhookBody(filename, garbage)
    decodable = await Fixtures.quarantinedItem(filename, {
      callback_type: "incoming_message",
      sid: "wamid.q1",
      from: CUSTOMER,
      to: BUSINESS,
      profile_name: "Ravi",
      timestamp: new Date().toISOString(),
      content: { type: "text", text: { body: "Sent while the decoder was broken" } }
    }, "an older decoder refused it")
  })

  it("human: id, kind, received, state, reason, the first 80 characters of raw", async () => {
    const result = await local(["quarantine"])
    expect(result.code).toBe(0)
    const lines = result.stdout.trimEnd().split("\n")
    expect(lines[0]).toMatch(/^ID\s+KIND\s+RECEIVED\s+STATE\s+REASON\s+RAW$/)
    const body = lines.find((line) => line.includes("not json at all"))!
    expect(body).toMatch(
      /^q_[0-9a-f]{32}\s+body\s+\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? \+05:30\s+quarantined\s+the body is not JSON\s+not json at all: x+…$/
    )
    expect([.../not json.*…$/.exec(body)![0]].length).toBe(80)
    expect(lines.some((line) => line.startsWith(decodable) && line.includes("an older decoder refused it"))).toBe(true)
  })

  it("--json: the HTTP API's QuarantinePage, raw whole; --state filters", async () => {
    const page = json(await local(["quarantine", "--json"]))
    const entry = page.items.find((e: any) => e.kind === "body")
    expect(entry).toEqual({
      id: expect.stringMatching(/^q_/),
      kind: "body",
      reason: "the body is not JSON",
      receivedAt: expect.stringMatching(/Z$/),
      raw: garbage,
      state: "quarantined",
      resolvedAt: null,
      retries: 0
    })
    const resolved = await local(["quarantine", "--state", "resolved"])
    expect(resolved.stdout.trim()).toBe("No resolved entries.")
    const bad = await local(["quarantine", "--cursor", "nope", "--json"])
    expect(bad.code).toBe(2)
    expect(json(bad).error).toMatchObject({ code: "INVALID_REQUEST", path: "cursor" })
  })

  it("retry an entry that decodes now: resolved, its message recorded", async () => {
    const result = await local(["quarantine", "retry", decodable, "--json"])
    expect(result.code).toBe(0)
    expect(json(result)).toMatchObject({
      entry: { id: decodable, kind: "item", state: "resolved", resolvedAt: expect.stringMatching(/Z$/) },
      result: { accepted: 1, duplicates: 0, rejected: 0 }
    })
    const history = json(await local(["history", ...pair(CUSTOMER), "--json"]))
    expect(history.items).toEqual([
      expect.objectContaining({ direction: "inbound", id: "wamid.q1", profileName: "Ravi" })
    ])
    const again = await local(["quarantine", "retry", decodable])
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/^State\s+resolved \d{4}-\d\d-\d\d /m)
  })

  it("retry an entry that still does not decode: still quarantined, one more retry (human)", async () => {
    const id =
      json(await local(["quarantine", "--state", "quarantined", "--json"])).items.find((e: any) => e.kind === "body").id
    const result = await local(["quarantine", "retry", id])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^State\s+quarantined: it still does not decode$/m)
    expect(result.stdout).toMatch(/^Retries\s+1$/m)
    expect(result.stdout).toMatch(/^Raw\s+not json at all: x+…$/m)
  })

  it("retry an unknown entry: QUARANTINE_NOT_FOUND (exit 2)", async () => {
    const result = await local(["quarantine", "retry", "q_nope", "--json"])
    expect(result.code).toBe(2)
    expect(json(result)).toEqual({
      error: { code: "QUARANTINE_NOT_FOUND", message: "no quarantine entry q_nope", id: "q_nope" }
    })
  })
})
