import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { join } from "node:path"
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
    assert.strictEqual(result.code, 2)
    assert.match(result.stderr, /^wa-session: CONFIG: .*WA_SESSION_EXPIRING_LEAD must be seconds/)
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
    assert.strictEqual(sent.code, 0)
  })

  it("human: newest first, direction, type, a one-line preview cut to 60 characters, the status of ours", async () => {
    const result = await local(["history", ...pair(CUSTOMER)])
    assert.strictEqual(result.code, 0)
    assert.strictEqual(result.stderr, "")
    const lines = result.stdout.trimEnd().split("\n")
    assert.match(lines[0]!, /^TIME\s+DIR\s+TYPE\s+CONTENT\s+STATUS$/)
    assert.lengthOf(lines, 4)
    assert.match(
      lines[1]!,
      /^\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? \+05:30\s+→ out\s+text\s+Hello! I ordered .*…\s+pending \(dry run\)$/
    )
    const preview = /Hello! .*…/.exec(lines[1]!)![0]
    assert.isAtMost([...preview].length, 60)
    assert.match(lines[2]!, /← in\s+image\s+the \[31mbox \[0m arrived damaged$/)
    assert.match(lines[3]!, /← in\s+text\s+Where is my order\?$/)
    assert.notMatch(result.stdout, ANSI)
    assert.notInclude(result.stdout, "\u001b")
  })

  it("--json: the HTTP API's HistoryPage", async () => {
    const page = json(await local(["history", ...pair(CUSTOMER), "--json"]))
    assert.deepStrictEqual(Object.keys(page), ["items", "nextCursor"])
    assert.isNull(page.nextCursor)
    assert.deepStrictEqual(page.items.map((item: any) => item.direction), ["outbound", "inbound", "inbound"])
    const outbound = page.items[0]
    assert.containsSubset(outbound, {
      business: BUSINESS,
      customer: CUSTOMER,
      decision: "session",
      status: "pending",
      dryRun: true
    })
    assert.strictEqual(outbound.content.type, "text")
    assert.strictEqual(outbound.content.text.body, LONG)
    assert.lengthOf(outbound.history, 1)
    assert.containsSubset(outbound.history[0], { status: "pending", code: null, detail: null })
    const { receivedAt, sentAt, ...inbound } = page.items[2]
    assert.deepStrictEqual(inbound, {
      direction: "inbound",
      id: "wamid.h1",
      business: BUSINESS,
      customer: CUSTOMER,
      contentType: "text",
      content: { type: "text", text: { body: "Where is my order?" } },
      profileName: "Asha"
    })
    assert.isString(sentAt)
    assert.match(sentAt, /Z$/)
    assert.isString(receivedAt)
    assert.match(receivedAt, /Z$/)
  })

  it("--limit and --cursor page through, the cursor hint is printed", async () => {
    const first = json(await local(["history", ...pair(CUSTOMER), "--limit", "2", "--json"]))
    assert.lengthOf(first.items, 2)
    assert.isString(first.nextCursor)
    const human = await local(["history", ...pair(CUSTOMER), "--limit", "2"])
    assert.strictEqual(human.stdout.trimEnd().split("\n").at(-1), `More: --cursor ${first.nextCursor}`)
    const second = json(
      await local(["history", ...pair(CUSTOMER), "--limit", "2", "--cursor", first.nextCursor, "--json"])
    )
    assert.deepStrictEqual(second.items.map((item: any) => item.id), ["wamid.h1"])
    assert.isNull(second.nextCursor)
  })

  it("a pair with no messages; a bad cursor or limit is bad input (exit 2)", async () => {
    const none = await local(["history", ...pair("+919876543399")])
    assert.strictEqual(none.code, 0)
    assert.strictEqual(none.stdout.trim(), `No messages between ${BUSINESS} and +919876543399.`)
    const cursor = await local(["history", ...pair(CUSTOMER), "--cursor", "garbage", "--json"])
    assert.strictEqual(cursor.code, 2)
    assert.deepStrictEqual(json(cursor), {
      error: { code: "INVALID_REQUEST", message: "cursor is not a nextCursor of this API", path: "cursor" }
    })
    assert.strictEqual(cursor.stderr, "wa-session: INVALID_REQUEST: cursor is not a nextCursor of this API\n")
    const limit = await local(["history", ...pair(CUSTOMER), "--limit", "201"])
    assert.strictEqual(limit.code, 2)
    assert.include(limit.stderr, "--limit")
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
    assert.strictEqual(result.code, 0)
    const lines = result.stdout.trimEnd().split("\n")
    assert.match(lines[0]!, /^CREATED\s+TYPE\s+ID\s+PAIR\s+SUMMARY$/)
    const received = lines.find((line) => line.includes("wamid.e1"))
    assert.match(
      received!,
      /^\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? \+05:30\s+message\.received\s+evt_[0-9a-f]{32}\s+\+919876500001 → \+919876543302\s+wamid\.e1: Is the store open today\?$/
    )
    assert.match(
      lines.find((line) => line.includes("window.opened") && line.includes(CUSTOMER))!,
      /window\.opened\s+evt_\S+\s+\S+ → \S+\s+was none; session messages until \d{4}-/
    )
    assert.match(lines.at(-1)!, /^Next: --after evt_[0-9a-f]{32}$/)
    assert.isTrue(lines.slice(1, -1).every((line) => /message\.received|window\.opened/.test(line)))
  })

  it("--json: the HTTP API's EventsPage, the encoded events in log order", async () => {
    const page = json(await local(["events", "--json"]))
    assert.deepStrictEqual(Object.keys(page), ["items", "last"])
    assert.strictEqual(page.last, page.items.at(-1).id)
    const event = page.items.find((e: any) => e.type === "message.received" && e.data.messageId === "wamid.e1")
    assert.containsSubset(event, { business: BUSINESS, customer: CUSTOMER })
    assert.isString(event.id)
    assert.match(event.id, /^evt_[0-9a-f]{32}$/)
    assert.isString(event.createdAt)
    assert.match(event.createdAt, /Z$/)
    assert.strictEqual(event.data.contentType, "text")
    assert.strictEqual(event.data.content.type, "text")
    assert.strictEqual(event.data.content.text.body, "Is the store open today?")
  })

  it("pages with --after: the same log, page by page", async () => {
    const pages: Array<any> = []
    let after: string | null = null
    for (let i = 0; i < 50; i++) {
      const args: Array<string> = ["events", "--limit", "2", "--json", ...(after === null ? [] : ["--after", after])]
      const page = json(await local(args))
      if (page.items.length === 0) {
        assert.isNull(page.last)
        break
      }
      pages.push(...page.items)
      after = page.last
    }
    assert.deepStrictEqual(pages.map((e) => e.id), all.map((e) => e.id))
    const end = await local(["events", "--after", after!])
    assert.strictEqual(end.stdout.trim(), `No events after ${after}.`)
  })

  it("an unknown type, an unknown --after: INVALID_REQUEST (exit 2)", async () => {
    const type = await local(["events", "--type", "message.received,message.sent", "--json"])
    assert.strictEqual(type.code, 2)
    assert.containsSubset(json(type).error, { code: "INVALID_REQUEST", path: "type" })
    assert.match(
      type.stderr,
      /^wa-session: INVALID_REQUEST: type: unknown message\.sent; the types are message\.received/
    )
    const after = await local(["events", "--after", "evt_nope", "--json"])
    assert.strictEqual(after.code, 2)
    assert.deepStrictEqual(json(after), {
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
      assert.include(stdout, text)
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
    assert.strictEqual(await exited, 0)
    assert.lengthOf(stdout.trimEnd().split("\n"), 2)
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
    assert.strictEqual(recorded.code, 0)
  })

  it("endpoints add --json: the endpoint and its new secret, once", async () => {
    assert.strictEqual(added.code, 0)
    const { createdAt, id, secret, ...rest } = endpoint
    assert.deepStrictEqual(rest, {
      url: DEAD,
      events: null,
      state: "enabled",
      disabledReason: null,
      configured: false
    })
    assert.isString(id)
    assert.match(id, /^ep_[0-9a-f]{32}$/)
    assert.isString(createdAt)
    assert.match(createdAt, /Z$/)
    assert.isString(secret)
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/)
  })

  it("endpoints add (human): the secret clearly labelled, to store now", async () => {
    const result = await local(["endpoints", "add", "https://example.com/hooks", "--event", "window.expiring"])
    assert.strictEqual(result.code, 0)
    assert.match(result.stdout, /^Endpoint\s+ep_[0-9a-f]{32}$/m)
    assert.match(result.stdout, /^Events\s+window\.expiring$/m)
    assert.include(result.stdout, "Signing secret (shown this once: store it now, it cannot be shown again):")
    const secret = /^ {2}(whsec_\S+)$/m.exec(result.stdout)?.[1]
    assert.match(secret!, /^whsec_/)
    const listing = await local(["endpoints"])
    assert.notInclude(listing.stdout, secret!)
    assert.notInclude(listing.stdout, "whsec_")
  })

  it("a secret given with --secret is not printed back (human)", async () => {
    const secret = `whsec_${Buffer.alloc(32, 7).toString("base64")}`
    const result = await local(["endpoints", "add", "https://example.com/given", "--secret", secret])
    assert.strictEqual(result.code, 0)
    assert.match(result.stdout, /^Secret\s+the one given with --secret$/m)
    assert.notInclude(result.stdout, secret)
  })

  it("a secret given with --secret is not printed back (--json: null, as the API answers)", async () => {
    const secret = `whsec_${Buffer.alloc(32, 8).toString("base64")}`
    const result = await local(["endpoints", "add", "https://example.com/given-json", "--secret", secret, "--json"])
    assert.strictEqual(result.code, 0)
    assert.containsSubset(JSON.parse(result.stdout), { url: "https://example.com/given-json", secret: null })
    assert.notInclude(result.stdout, secret)
  })

  it("endpoints (human and --json) never show a secret", async () => {
    const human = await local(["endpoints"])
    assert.strictEqual(human.code, 0)
    assert.match(human.stdout, /^ID\s+URL\s+EVENTS\s+STATE\s+CREATED$/m)
    assert.match(
      human.stdout,
      new RegExp(`^${endpoint.id}\\s+http://127\\.0\\.0\\.1:9/wa-events\\s+all\\s+enabled\\s+`, "m")
    )
    const list = json(await local(["endpoints", "--json"]))
    assert.deepStrictEqual(
      list.items.find((e: any) => e.id === endpoint.id),
      (({ secret: _, ...rest }) => rest)(endpoint)
    )
    assert.notInclude(JSON.stringify(list), "whsec_")
  })

  it("bad endpoints: INVALID_ENDPOINT naming the field (exit 2), a bad secret never echoed", async () => {
    const url = await local(["endpoints", "add", "ftp://example.com/x", "--json"])
    assert.strictEqual(url.code, 2)
    assert.deepStrictEqual(json(url), {
      error: { code: "INVALID_ENDPOINT", message: "url: only http and https, got ftp:", path: "url" }
    })
    const type = await local(["endpoints", "add", "https://example.com/x", "--event", "message.sent"])
    assert.strictEqual(type.code, 2)
    assert.match(type.stderr, /^wa-session: INVALID_ENDPOINT: events: unknown type "message\.sent"/)
    const secret = await local(["endpoints", "add", "https://example.com/x", "--secret", "whsec_tooShortSecretValue"])
    assert.strictEqual(secret.code, 2)
    assert.match(secret.stderr, /^wa-session: INVALID_ENDPOINT: secret: /)
    assert.notInclude(secret.stdout + secret.stderr, "tooShortSecretValue")
    const stray = await local(["endpoints", "add", "https://example.com/x", "whsec_strayArgumentValue="])
    assert.strictEqual(stray.code, 2)
    assert.include(stray.stderr, "whsec_<hidden>")
    assert.notInclude(stray.stderr, "strayArgumentValue")
  })

  it("deliveries: pending to the dead endpoint (human and --json), filtered by state and endpoint", async () => {
    const page = json(await local(["deliveries", "--endpoint", endpoint.id, "--json"]))
    assert.deepStrictEqual(Object.keys(page), ["items", "nextCursor"])
    assert.deepStrictEqual(page.items.map((d: any) => d.eventType).sort(), ["message.received", "window.opened"])
    assert.containsSubset(page.items[0], {
      endpointId: endpoint.id,
      business: BUSINESS,
      customer: CUSTOMER,
      state: "pending",
      attempts: 0,
      lastStatus: null,
      deliveredAt: null
    })
    assert.isString(page.items[0].eventId)
    assert.match(page.items[0].eventId, /^evt_/)
    const human = await local(["deliveries", "--state", "pending", "--endpoint", endpoint.id])
    assert.strictEqual(human.code, 0)
    const lines = human.stdout.trimEnd().split("\n")
    assert.match(lines[0]!, /^EVENT\s+TYPE\s+ENDPOINT\s+STATE\s+TRIES\s+NEXT\s+LAST$/)
    assert.match(lines[1]!, new RegExp(`^evt_[0-9a-f]{32}\\s+\\S+\\s+${endpoint.id}\\s+pending\\s+0\\s+due\\s+-$`))
    const none = await local(["deliveries", "--state", "delivered"])
    assert.strictEqual(none.stdout.trim(), "No delivered deliveries.")
    const paged = json(await local(["deliveries", "--limit", "1", "--json"]))
    assert.isString(paged.nextCursor)
    const bad = await local(["deliveries", "--cursor", "nope", "--json"])
    assert.strictEqual(bad.code, 2)
    assert.containsSubset(json(bad).error, { code: "INVALID_REQUEST", path: "cursor" })
    const state = await local(["deliveries", "--state", "lost"])
    assert.strictEqual(state.code, 2)
  })

  it("deliveries replay: --since or --event required (usage, exit 2); replays; unknown endpoint exit 2", async () => {
    const usage = await local(["deliveries", "replay", "--json"])
    assert.strictEqual(usage.code, 2)
    assert.strictEqual(usage.stderr, "wa-session: --since or --event: say which events to deliver again\n")
    const since = await local(["deliveries", "replay", "--endpoint", endpoint.id, "--since", "2026-01-01T00:00:00Z"])
    assert.strictEqual(since.code, 0)
    assert.match(
      since.stdout.trim(),
      /^\d+ deliver(y|ies) pending again: the server's relay sends (it|them) \(same webhook-id\)\.$/
    )
    const event = itemsOf(await local(["deliveries", "--endpoint", endpoint.id, "--json"]))[0].eventId
    const pending = await local(["deliveries", "replay", "--endpoint", endpoint.id, "--event", event, "--json"])
    assert.deepStrictEqual(json(pending), { replayed: 0 })
    const nothing = await local(["deliveries", "replay", "--endpoint", endpoint.id, "--event", event])
    assert.strictEqual(nothing.stdout.trim(), "Nothing to deliver again (pending deliveries are on their way already).")
    const unknown = await local([
      "deliveries",
      "replay",
      "--endpoint",
      "ep_nope",
      "--since",
      "2026-01-01T00:00:00Z",
      "--json"
    ])
    assert.strictEqual(unknown.code, 2)
    assert.deepStrictEqual(json(unknown), {
      error: { code: "ENDPOINT_NOT_FOUND", message: "no endpoint ep_nope", id: "ep_nope" }
    })
    const instant = await local(["deliveries", "replay", "--since", "yesterday"])
    assert.strictEqual(instant.code, 2)
    assert.include(instant.stderr, "--since")
  })

  it("endpoints delete: its pending deliveries fail; unknown (ep_configured too, when there is none): exit 2", async () => {
    const deleted = await local(["endpoints", "delete", endpoint.id])
    assert.strictEqual(deleted.code, 0)
    assert.strictEqual(
      deleted.stdout.trim(),
      `Deleted endpoint ${endpoint.id}; its pending deliveries failed ("endpoint deleted").`
    )
    const failed = json(await local(["deliveries", "--endpoint", endpoint.id, "--json"]))
    assert.isTrue(failed.items.every((d: any) => d.state === "failed" && d.lastError === "endpoint deleted"))
    const again = await local(["endpoints", "delete", endpoint.id, "--json"])
    assert.strictEqual(again.code, 2)
    assert.containsSubset(json(again).error, { code: "ENDPOINT_NOT_FOUND", id: endpoint.id })
    // the configured one is refused (ENDPOINT_CONFIGURED, exit 1) when there is one: this store has none
    const configured = await local(["endpoints", "delete", "ep_configured"])
    assert.strictEqual(configured.code, 2)
    assert.match(configured.stderr, /^wa-session: ENDPOINT_NOT_FOUND: no endpoint ep_configured/)
  })

  it("the generated secrets were printed by `endpoints add` only", () => {
    const secrets = new Set([...printed.join("\n").matchAll(/whsec_[A-Za-z0-9+/=]+/g)].map((m) => m[0]))
    assert.isAbove(secrets.size, 0)
    for (const secret of secrets) {
      const where = printed.filter((text) => text.includes(secret))
      assert.lengthOf(where, 1)
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
    assert.strictEqual(result.code, 0)
    const lines = result.stdout.trimEnd().split("\n")
    assert.match(lines[0]!, /^ID\s+KIND\s+RECEIVED\s+STATE\s+REASON\s+RAW$/)
    const body = lines.find((line) => line.includes("not json at all"))!
    assert.match(
      body,
      /^q_[0-9a-f]{32}\s+body\s+\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? \+05:30\s+quarantined\s+the body is not JSON\s+not json at all: x+…$/
    )
    assert.strictEqual([.../not json.*…$/.exec(body)![0]].length, 80)
    assert.isTrue(lines.some((line) => line.startsWith(decodable) && line.includes("an older decoder refused it")))
  })

  it("--json: the HTTP API's QuarantinePage, raw whole; --state filters", async () => {
    const page = json(await local(["quarantine", "--json"]))
    const entry = page.items.find((e: any) => e.kind === "body")
    const { id, receivedAt, ...rest } = entry
    assert.deepStrictEqual(rest, {
      kind: "body",
      reason: "the body is not JSON",
      raw: garbage,
      state: "quarantined",
      resolvedAt: null,
      retries: 0
    })
    assert.isString(id)
    assert.match(id, /^q_/)
    assert.isString(receivedAt)
    assert.match(receivedAt, /Z$/)
    const resolved = await local(["quarantine", "--state", "resolved"])
    assert.strictEqual(resolved.stdout.trim(), "No resolved entries.")
    const bad = await local(["quarantine", "--cursor", "nope", "--json"])
    assert.strictEqual(bad.code, 2)
    assert.containsSubset(json(bad).error, { code: "INVALID_REQUEST", path: "cursor" })
  })

  it("retry an entry that decodes now: resolved, its message recorded", async () => {
    const result = await local(["quarantine", "retry", decodable, "--json"])
    assert.strictEqual(result.code, 0)
    const retried = json(result)
    assert.containsSubset(retried.entry, { id: decodable, kind: "item", state: "resolved" })
    assert.isString(retried.entry.resolvedAt)
    assert.match(retried.entry.resolvedAt, /Z$/)
    assert.containsSubset(retried.result, { accepted: 1, duplicates: 0, rejected: 0 })
    const history = json(await local(["history", ...pair(CUSTOMER), "--json"]))
    assert.lengthOf(history.items, 1)
    assert.containsSubset(history.items[0], { direction: "inbound", id: "wamid.q1", profileName: "Ravi" })
    const again = await local(["quarantine", "retry", decodable])
    assert.strictEqual(again.code, 0)
    assert.match(again.stdout, /^State\s+resolved \d{4}-\d\d-\d\d /m)
  })

  it("retry an entry that still does not decode: still quarantined, one more retry (human)", async () => {
    const id =
      json(await local(["quarantine", "--state", "quarantined", "--json"])).items.find((e: any) => e.kind === "body").id
    const result = await local(["quarantine", "retry", id])
    assert.strictEqual(result.code, 0)
    assert.match(result.stdout, /^State\s+quarantined: it still does not decode$/m)
    assert.match(result.stdout, /^Retries\s+1$/m)
    assert.match(result.stdout, /^Raw\s+not json at all: x+…$/m)
  })

  it("retry an unknown entry: QUARANTINE_NOT_FOUND (exit 2)", async () => {
    const result = await local(["quarantine", "retry", "q_nope", "--json"])
    assert.strictEqual(result.code, 2)
    assert.deepStrictEqual(json(result), {
      error: { code: "QUARANTINE_NOT_FOUND", message: "no quarantine entry q_nope", id: "q_nope" }
    })
  })
})
