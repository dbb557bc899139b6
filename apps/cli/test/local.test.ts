import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Behaviour, type FakeExotel, startFakeExotel } from "@wa-session/exotel-fake"
import { execFileSync } from "node:child_process"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { ANSI, baseEnv, bin, BUSINESS, CUSTOMER, exotelEnv, json, run, tempDir } from "./support.js"

const temp = tempDir("local")
const db = `sqlite:${join(temp.dir, "wa.db")}`
const env = { WA_SESSION_DATABASE_URL: db }
const local = (args: ReadonlyArray<string>, extra: Record<string, string> = {}) =>
  run(args, { env: { ...env, ...extra } })

const pair = (customer = CUSTOMER) => ["--business", BUSINESS, "--customer", customer]
const DAY1_10AM = "2026-01-20T10:00:00+05:30"

afterAll(temp.remove)

describe("local store (SQLite): recording and reading windows", () => {
  beforeAll(async () => {
    const recorded = await local(["inbound", ...pair(), "--at", DAY1_10AM, "--message-id", "wamid.1", "--json"])
    assert.strictEqual(recorded.code, 0)
  })

  it("inbound --json reports the message and the window after it", async () => {
    const result = await local(["inbound", ...pair(), "--at", DAY1_10AM, "--message-id", "wamid.1", "--json"])
    assert.strictEqual(result.code, 0)
    const recorded = json(result)
    assert.containsSubset(recorded, { messageId: "wamid.1", duplicate: true, adjustment: "none" })
    assert.containsSubset(recorded.window, {
      business: BUSINESS,
      customer: CUSTOMER,
      lastInboundAt: "2026-01-20T04:30:00.000Z"
    })
  })

  it("inbound (human) accepts numbers as people write them", async () => {
    const result = await local([
      "inbound",
      "--business",
      "91 98765-00001",
      "--customer",
      "+91 (98765) 43219",
      "--at",
      DAY1_10AM
    ])
    assert.strictEqual(result.code, 0)
    assert.match(result.stdout, /^Message\s+manual_msg_[0-9a-f]{32}$/m)
    assert.match(result.stdout, /^Pair\s+\+919876500001 → \+919876543219$/m)
  })

  it("status --at (human): state, expiry in local time, time left", async () => {
    const result = await local(["status", ...pair(), "--at", "2026-01-20T11:00:00+05:30"])
    assert.strictEqual(result.code, 0)
    assert.match(result.stdout, /^State\s+open$/m)
    assert.match(result.stdout, /^Expires\s+2026-01-21 10:00 \+05:30 \(in 23h\)$/m)
    assert.match(result.stdout, /^Remaining\s+23h$/m)
    assert.match(result.stdout, /^Last inbound\s+2026-01-20 10:00 \+05:30 \(1h ago\)$/m)
  })

  it("status --at --json", async () => {
    const result = await local(["status", ...pair(), "--at", "2026-01-20T11:00:00+05:30", "--json"])
    assert.strictEqual(result.code, 0)
    assert.deepStrictEqual(json(result), {
      business: BUSINESS,
      customer: CUSTOMER,
      state: "open",
      lastInboundAt: "2026-01-20T04:30:00.000Z",
      expiresAt: "2026-01-21T04:30:00.000Z",
      remainingSeconds: 82800,
      closedByProvider: false
    })
  })

  it("status of a pair whose customer never wrote: none", async () => {
    const result = await local(["status", ...pair("+919876543299"), "--json"])
    assert.strictEqual(result.code, 0)
    assert.containsSubset(json(result), { state: "none", expiresAt: null, remainingSeconds: 0 })
  })

  it("the safety margin comes from WA_SESSION_SAFETY_MARGIN, as for the server", async () => {
    const result = await local(["status", ...pair(), "--at", "2026-01-21T09:45:00+05:30", "--json"], {
      WA_SESSION_SAFETY_MARGIN: "30m"
    })
    assert.containsSubset(json(result), { state: "expired", remainingSeconds: 0 })
  })

  it("a safety margin: the relative times say when session messages stop, not the 24-hour mark", async () => {
    const margin = { WA_SESSION_SAFETY_MARGIN: "30m" }
    const open = await local(["status", ...pair(), "--at", "2026-01-21T09:15:00+05:30"], margin)
    assert.match(open.stdout, /^Expires\s+2026-01-21 10:00 \+05:30 \(in 45m\)$/m)
    assert.match(
      open.stdout,
      /^Remaining\s+15m \(session messages until 2026-01-21 09:30 \+05:30, safety margin 30m\)$/m
    )
    const why = await local(["explain", ...pair(), "--at", "2026-01-21T09:15:00+05:30"], margin)
    assert.match(
      why.stdout,
      /^State\s+open, closes 2026-01-21 09:30 \+05:30 \(in 15m; safety margin 30m before the 24-hour mark at 2026-01-21 10:00 \+05:30\)$/m
    )
    const soon = await local(["expiring", "--within", "1h", "--at", "2026-01-21T09:15:00+05:30"], margin)
    assert.match(soon.stdout.split("\n")[1]!, /^\+919876500001\s+\+919876543210\s+2026-01-21 09:30 \+05:30\s+15m\s/)
    const early = await local(["status", ...pair(), "--at", "2026-01-21T09:45:00+05:30"], margin)
    assert.match(early.stdout, /^State\s+expired$/m)
    assert.match(early.stdout, /^Remaining\s+- \(closed by the safety margin before the 24-hour mark\)$/m)
  })

  it("explain ends in a sentence in local time, the time left rounded", async () => {
    const result = await local(["explain", ...pair(), "--at", "2026-01-20T15:23:26.981+05:30"])
    const summary = result.stdout.trimEnd().split("\n").at(-1)!
    assert.match(
      summary,
      /^The latest customer message wamid\.1 was sent at 2026-01-20 10:00 \+05:30 \(received \d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? \+05:30\), so the window runs to 2026-01-21 10:00 \+05:30: open at 2026-01-20 15:23:26 \+05:30, 18h 36m left\.$/
    )
    assert.notInclude(result.stdout, "Z ")
    assert.notInclude(result.stdout, "ms")
    // --json keeps the core's summary (UTC), as the server answers it
    assert.include(
      json(await local([...["explain", ...pair()], "--at", "2026-01-20T15:23:26.981+05:30", "--json"])).summary,
      "open at 2026-01-20T09:53:26.981Z"
    )
  })

  it("expiring --within (human, soonest first)", async () => {
    const result = await local(["expiring", "--within", "2h", "--at", "2026-01-21T09:00:00+05:30"])
    assert.strictEqual(result.code, 0)
    const lines = result.stdout.trimEnd().split("\n")
    assert.match(lines[0]!, /^BUSINESS\s+CUSTOMER\s+CLOSES\s+LEFT\s+LAST INBOUND$/)
    assert.match(lines[1]!, /^\+919876500001\s+\+919876543210\s+2026-01-21 10:00 \+05:30\s+1h\s+23h ago$/)
  })

  it("expiring --json, --business and --limit", async () => {
    const result = await local([
      "expiring",
      "--within",
      "90m",
      "--business",
      BUSINESS,
      "--limit",
      "1",
      "--at",
      "2026-01-21T09:00:00+05:30",
      "--json"
    ])
    assert.strictEqual(result.code, 0)
    const page = json(result)
    assert.lengthOf(page.items, 1)
    assert.containsSubset(page.items[0], {
      state: "open",
      expiresAt: "2026-01-21T04:30:00.000Z",
      remainingSeconds: 3600
    })
    assert.isTrue(page.nextCursor === null || typeof page.nextCursor === "string")
  })

  it("expiring with a cursor it never printed is bad input (exit 2), not a storage failure", async () => {
    const result = await local(["expiring", "--cursor", "garbage", "--json"])
    assert.strictEqual(result.code, 2)
    assert.include(result.stderr, "wa-session: INVALID_CURSOR: cursor \"garbage\" is not the nextCursor")
    assert.containsSubset(json(result).error, { code: "INVALID_CURSOR", field: "cursor" })
  })

  it("expiring finds nothing outside the horizon", async () => {
    const result = await local(["expiring", "--within", "30m", "--at", "2026-01-21T09:00:00+05:30"])
    assert.strictEqual(result.code, 0)
    assert.strictEqual(result.stdout.trim(), "No window closes within 30m.")
  })

  it("explain (human and --json): the basis message and its timestamps", async () => {
    const human = await local(["explain", ...pair(), "--at", "2026-01-21T11:00:00+05:30"])
    assert.strictEqual(human.code, 0)
    assert.match(human.stdout, /^Basis message\s+wamid\.1$/m)
    assert.match(human.stdout, /^State\s+expired, closed 2026-01-21 10:00 \+05:30 \(1h ago\)$/m)
    const result = await local(["explain", ...pair(), "--at", "2026-01-21T11:00:00+05:30", "--json"])
    const explained = json(result)
    assert.containsSubset(explained, {
      state: "expired",
      basisMessageId: "wamid.1",
      lastInboundAt: "2026-01-20T04:30:00.000Z",
      closedByProviderAt: null,
      safetyMarginSeconds: 0
    })
    assert.isString(explained.summary)
    assert.include(explained.summary, "wamid.1")
  })
})

describe("local store (SQLite): send", () => {
  const OPEN = "+919876543220"
  const EXPIRED = "+919876543221"
  beforeAll(async () => {
    assert.strictEqual((await local(["inbound", ...pair(OPEN)])).code, 0)
    assert.strictEqual((await local(["inbound", ...pair(EXPIRED), "--at", DAY1_10AM])).code, 0)
  })

  const send = (to: string, ...rest: ReadonlyArray<string>) =>
    ["send", "--from", BUSINESS, "--to", to, ...rest] as const

  it("a session message inside the window (human); no Exotel credentials means a dry run", async () => {
    const result = await local(send(OPEN, "--text", "Your order is out for delivery"))
    assert.strictEqual(result.code, 0)
    assert.match(result.stdout, /^Decision\s+session$/m)
    assert.match(result.stdout, /^Reason\s+the window is open$/m)
    assert.match(result.stdout, /^Window\s+open, closes .* \(in 23h 59m\)$/m)
    assert.match(result.stdout, /^Provider id\s+dry run: nothing sent \(no EXOTEL_\* credentials\)$/m)
  })

  it("with a safety margin, the window line says when session messages stop", async () => {
    const result = await local(send(OPEN, "--text", "Hi", "--dry-run"), { WA_SESSION_SAFETY_MARGIN: "30m" })
    assert.strictEqual(result.code, 0)
    assert.match(
      result.stdout,
      /^Window\s+open, closes .* \(in 23h 29m; safety margin 30m before the 24-hour mark at .*\)$/m
    )
  })

  it("--dry-run --json", async () => {
    const result = await local(send(OPEN, "--text", "Hi", "--dry-run", "--json"))
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
  })

  it("outside the window without a fallback: SESSION_EXPIRED, exit 1", async () => {
    const result = await local(send(EXPIRED, "--text", "Following up", "--json"))
    assert.strictEqual(result.code, 1)
    assert.containsSubset(json(result).error, {
      code: "SESSION_EXPIRED",
      customer: EXPIRED,
      expiredAt: "2026-01-21T04:30:00.000Z"
    })
    assert.strictEqual(
      result.stderr,
      `wa-session: SESSION_EXPIRED: the 24-hour window of ${EXPIRED} closed at 2026-01-21 10:00 +05:30; ` +
        "send a template (--fallback-template)\n"
    )
  })

  it("outside the window with a fallback: the template goes instead", async () => {
    const args = ["--fallback-template", "follow_up", "--language", "en", "--param", "Following up"]
    const result = await local(send(EXPIRED, "--text", "Following up", ...args, "--json"))
    assert.strictEqual(result.code, 0)
    const sent = json(result)
    assert.containsSubset(sent, { decision: "template", reason: "SESSION_EXPIRED" })
    assert.containsSubset(sent.window, { state: "expired", expiresAt: "2026-01-21T04:30:00.000Z" })
    const human = await local(send(EXPIRED, "--text", "Following up", ...args))
    assert.match(human.stdout, /^Reason\s+SESSION_EXPIRED: sent as the fallback template$/m)
  })

  it("a customer who never wrote: NO_ACTIVE_SESSION, exit 1 (human)", async () => {
    const result = await local(send("+919876543298", "--text", "Hello"))
    assert.strictEqual(result.code, 1)
    assert.strictEqual(result.stdout, "")
    assert.match(result.stderr, /^wa-session: NO_ACTIVE_SESSION: \+919876543298 has never written/)
  })

  it("the same idempotency key returns the first result", async () => {
    const first = json(await local(send(OPEN, "--text", "Once", "--idempotency-key", "k-1", "--json")))
    const again = json(await local(send(OPEN, "--text", "Once", "--idempotency-key", "k-1", "--json")))
    assert.strictEqual(again.id, first.id)
    assert.isFalse(first.replayed)
    assert.isTrue(again.replayed)
  })

  it("the same idempotency key with another message: IDEMPOTENCY_KEY_REUSED, exit 2, nothing stored", async () => {
    const first = json(await local(send(OPEN, "--text", "Only this", "--idempotency-key", "k-2", "--json")))
    const other = await local(send(OPEN, "--text", "Something else", "--idempotency-key", "k-2", "--json"))
    assert.strictEqual(other.code, 2)
    assert.containsSubset(json(other).error, {
      code: "IDEMPOTENCY_KEY_REUSED",
      idempotencyKey: "k-2",
      messageId: first.id
    })
    const human = await local(send("+919876543297", "--text", "Only this", "--idempotency-key", "k-2"))
    assert.strictEqual(human.code, 2)
    assert.strictEqual(human.stdout, "")
    assert.strictEqual(
      human.stderr,
      `wa-session: IDEMPOTENCY_KEY_REUSED: idempotency key "k-2" was already used for message ${first.id} with ` +
        "another request (recipient, content, fallback or dryRun); use a new key for a new message\n"
    )
    // --dry-run is part of the request; missing Exotel credentials are not
    assert.strictEqual(
      (await local(send(OPEN, "--text", "Only this", "--idempotency-key", "k-2", "--dry-run"))).code,
      2
    )
    const again = json(await local(send(OPEN, "--text", "Only this", "--idempotency-key", "k-2", "--json")))
    assert.deepStrictEqual(again, { ...first, replayed: true })
  })

  it("invalid content is bad input naming the path (exit 2)", async () => {
    const result = await local(send(OPEN, "--text", "", "--json"))
    assert.strictEqual(result.code, 2)
    assert.containsSubset(json(result).error, { code: "INVALID_MESSAGE", path: "text.body" })
  })

  it("a content file of any type", async () => {
    const file = join(temp.dir, "image.json")
    writeFileSync(file, JSON.stringify({ type: "image", image: { link: "https://example.com/a.png" } }))
    const result = await local(send(OPEN, "--content-file", file, "--dry-run", "--json"))
    assert.strictEqual(result.code, 0)
    assert.containsSubset(json(result), { decision: "session" })
  })

  it("a bad phone number is bad usage naming the option (exit 2)", async () => {
    const result = await local(send("12", "--text", "Hi"))
    assert.strictEqual(result.code, 2)
    assert.include(result.stderr, "--to")
    assert.include(result.stderr, "is not a phone number")
  })

  it("--param without --fallback-template is bad usage (exit 2)", async () => {
    const result = await local(send(OPEN, "--text", "Hi", "--param", "x"))
    assert.strictEqual(result.code, 2)
    assert.include(result.stderr, "--fallback-template")
  })
})

describe("local store: configuration and storage failures", () => {
  it("an unusable WA_SESSION_DATABASE_URL is bad usage (exit 2)", async () => {
    const result = await run(["status", ...pair(), "--json"], { env: { WA_SESSION_DATABASE_URL: "mysql://db/x" } })
    assert.strictEqual(result.code, 2)
    assert.strictEqual(json(result).error.code, "INVALID_DATABASE_URL")
    assert.include(result.stderr, "WA_SESSION_DATABASE_URL")
  })

  it("a store that cannot be opened is a storage failure (exit 3)", async () => {
    const blocker = join(temp.dir, "not-a-directory")
    writeFileSync(blocker, "")
    const result = await run(["inbound", ...pair()], { env: { WA_SESSION_DATABASE_URL: `sqlite:${blocker}/wa.db` } })
    assert.strictEqual(result.code, 3)
    assert.match(result.stderr, /^wa-session: STORAGE_ERROR: /)
    // a read does not try: there is no store there
    const read = await run(["status", ...pair()], { env: { WA_SESSION_DATABASE_URL: `sqlite:${blocker}/wa.db` } })
    assert.strictEqual(read.code, 2)
    assert.strictEqual(
      read.stderr.split("\n")[0],
      `wa-session: STORE_NOT_FOUND: no store at ${blocker}/wa.db ` +
        `(WA_SESSION_DATABASE_URL=sqlite:${blocker}/wa.db); a command that reads never creates one: set ` +
        "WA_SESSION_DATABASE_URL to the server's store, or record into this one first (inbound, send)"
    )
  })

  it("an invalid WA_SESSION_SAFETY_MARGIN names the setting (exit 2)", async () => {
    const result = await local(["status", ...pair()], { WA_SESSION_SAFETY_MARGIN: "soon" })
    assert.strictEqual(result.code, 2)
    assert.include(result.stderr, "WA_SESSION_SAFETY_MARGIN")
  })
})

describe("local store: send through Exotel (the fake)", () => {
  let fake: FakeExotel
  const OPEN = "+919876543230"
  beforeAll(async () => {
    fake = await startFakeExotel({ apiKey: "key-1", apiToken: "token-1", accountSid: "acct1" })
    assert.strictEqual((await local(["inbound", ...pair(OPEN)])).code, 0)
  })
  afterAll(() => fake.close())

  it("sends and prints the provider's message id (human and --json)", async () => {
    const human = await local(["send", "--from", BUSINESS, "--to", OPEN, "--text", "Hi"], exotelEnv(fake))
    assert.strictEqual(human.code, 0)
    const sid = fake.messages.at(-1)?.sid
    assert.isDefined(sid)
    assert.match(human.stdout, new RegExp(`^Provider id\\s+${sid}$`, "m"))
    const result = await local(["send", "--from", BUSINESS, "--to", OPEN, "--text", "Again", "--json"], exotelEnv(fake))
    assert.containsSubset(json(result), {
      decision: "session",
      status: "accepted",
      dryRun: false,
      providerMessageId: fake.messages.at(-1)?.sid
    })
    assert.deepStrictEqual(fake.messages.at(-1)?.content, { type: "text", text: { body: "Again" } })
  })

  it("a provider failure exits 3; --json names the message it stored, as the server's body does", async () => {
    fake.script(Behaviour.unauthorized())
    const result = await local(["send", "--from", BUSINESS, "--to", OPEN, "--text", "Hi", "--json"], exotelEnv(fake))
    assert.strictEqual(result.code, 3)
    const error = json(result).error
    assert.strictEqual(error.code, "PROVIDER_ERROR")
    assert.match(error.messageId, /^msg_[0-9a-f]{32}$/)
    assert.deepStrictEqual(Object.keys(error), ["code", "message", "reason", "providerCode", "httpStatus", "messageId"])
    // the adapter's warning comes first: the failure is the one line of the command line, the last
    assert.deepStrictEqual(
      result.stderr.trimEnd().split("\n").filter((line) => line.startsWith("wa-session:")),
      [`wa-session: PROVIDER_ERROR: ${error.message}`]
    )
    assert.strictEqual(result.stderr.trimEnd().split("\n").at(-1), `wa-session: PROVIDER_ERROR: ${error.message}`)
    const history = json(await local(["history", ...pair(OPEN), "--json"]))
    assert.containsSubset(history.items[0], { id: error.messageId, status: "failed" })
  })

  it("incomplete Exotel credentials are bad configuration naming the variable (exit 2)", async () => {
    const result = await local(["send", "--from", BUSINESS, "--to", OPEN, "--text", "Hi"], {
      EXOTEL_API_KEY: "only-the-key"
    })
    assert.strictEqual(result.code, 2)
    assert.match(result.stderr, /EXOTEL_API_TOKEN|EXOTEL_ACCOUNT_SID/)
  })
})

describe("colour", () => {
  const hasScript = (() => {
    try {
      return execFileSync("sh", ["-c", "command -v script"]).toString().trim() !== ""
    } catch {
      return false
    }
  })()
  // `script` (util-linux; Debian's bsdutils) gives the CLI a terminal. Without it the test is skipped loudly on a
  // workstation, and fails under CI=true, where .ci/run installs it.
  const NO_SCRIPT =
    "the `script` command (util-linux, Debian package bsdutils) is missing: no terminal to test colour on"
  const underCi = process.env["CI"] === "true"
  if (!hasScript && !underCi) {
    console.warn(`\n${"!".repeat(80)}\n!! ${NO_SCRIPT}: SKIPPING the terminal test\n${"!".repeat(80)}\n`)
  }
  const inTerminal = (extra: Record<string, string>) => {
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} check --text Hi`
    return execFileSync("script", ["-qec", command, "/dev/null"], { env: baseEnv(extra) }).toString()
  }

  it.skipIf(!hasScript && !underCi)("on a terminal the human output is coloured, unless NO_COLOR is set", () => {
    assert.isTrue(hasScript, `${NO_SCRIPT}; it cannot be skipped under CI=true`)
    assert.match(inTerminal({}), ANSI)
    assert.notMatch(inTerminal({ NO_COLOR: "1" }), ANSI)
  })

  it("piped output has no colour", async () => {
    const result = await local(["status", ...pair()])
    assert.notMatch(result.stdout, ANSI)
  })
})
