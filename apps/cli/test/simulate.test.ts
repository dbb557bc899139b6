import { afterAll, assert, describe, it } from "@effect/vitest"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { ANSI, json, run, scenarios, tempDir, writeJson } from "./support.js"

const temp = tempDir("simulate")
afterAll(temp.remove)

const SCENARIOS = readdirSync(scenarios).filter((name) => /^scenario-.*(?<!\.expected)\.json$/.test(name)).sort()

describe.concurrent("simulate: the seed's scenarios", () => {
  it("ships all four", () => {
    assert.deepStrictEqual(SCENARIOS, [
      "scenario-1-customer-initiates.json",
      "scenario-2-window-extends.json",
      "scenario-3-window-expires.json",
      "scenario-4-template-first.json"
    ])
  })

  for (const name of SCENARIOS) {
    it(`${name} --json matches ${name.replace(".json", ".expected.json")}`, async () => {
      const expected = JSON.parse(readFileSync(join(scenarios, name.replace(".json", ".expected.json")), "utf8"))
      const result = await run(["simulate", join(scenarios, name), "--json"])
      assert.strictEqual(result.code, 0)
      assert.strictEqual(result.stderr, "")
      assert.deepStrictEqual(json(result), expected)
    })
  }

  it("prints a table in local time with relative expiries (human)", async () => {
    const result = await run(["simulate", join(scenarios, "scenario-2-window-extends.json")])
    assert.strictEqual(result.code, 0)
    assert.notMatch(result.stdout, ANSI)
    const lines = result.stdout.trimEnd().split("\n")
    assert.match(lines[0]!, /^#\s+AT\s+EVENT\s+CUSTOMER\s+WINDOW\s+EXPIRES\s+DECISION\s+REASON$/)
    assert.include(lines[2], "2026-01-20 15:00 +05:30  inbound")
    assert.match(lines[3]!, /send\s+\+919876543210\s+open\s+2026-01-21 15:00 \+05:30 \(in 23h 55m\)\s+session/)
    assert.match(lines[4]!, /check .* open .* \(in 5h\)/)
    assert.match(lines[5]!, /check .* expired /)
  })

  it("scenario 3 refuses the session message without a fallback and sends the template with one", async () => {
    const steps = json(await run(["simulate", join(scenarios, "scenario-3-window-expires.json"), "--json"]))
    assert.deepStrictEqual(steps.slice(2).map((s: any) => [s.decision, s.reason]), [
      ["rejected", "SESSION_EXPIRED"],
      ["template", "SESSION_EXPIRED"]
    ])
  })
})

describe.concurrent("simulate: park and release (docs/scenarios/park-and-release.json)", () => {
  const file = join(scenarios, "park-and-release.json")

  it("--json matches park-and-release.expected.json", async () => {
    const expected = JSON.parse(readFileSync(join(scenarios, "park-and-release.expected.json"), "utf8"))
    const result = await run(["simulate", file, "--json"])
    assert.strictEqual(result.code, 0)
    assert.strictEqual(result.stderr, "")
    assert.deepStrictEqual(json(result), expected)
  })

  it("three parked messages, one re-engagement template, released in order by the customer's next message", async () => {
    const steps = json(await run(["simulate", file, "--json"]))
    assert.deepStrictEqual(
      steps.map((s: any) => [s.kind, s.decision, s.reason, s.reengagement ?? null, s.released ?? null]),
      [
        ["inbound", null, null, null, null],
        ["check", null, null, null, null],
        ["send", "parked", "SESSION_EXPIRED", true, null],
        ["send", "parked", "SESSION_EXPIRED", false, null],
        ["send", "parked", "SESSION_EXPIRED", false, null],
        ["inbound", null, null, null, [2, 3, 4]],
        ["send", "session", null, null, null]
      ]
    )
  })

  it("the table says what was parked, re-engaged and released (human)", async () => {
    const result = await run(["simulate", file])
    assert.strictEqual(result.code, 0)
    const lines = result.stdout.trimEnd().split("\n")
    assert.match(lines[3]!, /send .* parked\s+SESSION_EXPIRED: parked; the fallback template went to re-engage$/)
    assert.match(lines[4]!, /parked\s+SESSION_EXPIRED: parked; no template: the customer was re-engaged within the/)
    assert.match(lines[5]!, /parked\s+SESSION_EXPIRED: parked; no fallback template to re-engage with$/)
    assert.match(lines[6]!, /inbound .* open .*released #2, #3, #4$/)
    assert.match(lines[7]!, /send .* open .* session$/)
  })

  it("parks only while the window is not open; a customer who never wrote; a late message releases nothing", async () => {
    const park = (at: string, customer: string) => ({
      at,
      kind: "send",
      customer,
      content: { type: "text", text: { body: "hello" } },
      whenClosed: "park"
    })
    const timeline = writeJson(temp.dir, "park.json", {
      business: "+919876500001",
      events: [
        park("2026-01-20T09:00:00+05:30", "+919876543211"),
        { at: "2026-01-20T10:00:00+05:30", kind: "inbound", customer: "+919876543210" },
        park("2026-01-20T10:05:00+05:30", "+919876543210"),
        // a message sent before the other customer's window would have closed, delivered two days late: no window
        {
          at: "2026-01-22T10:00:00+05:30",
          kind: "inbound",
          customer: "+919876543211",
          sentAt: "2026-01-20T08:00:00+05:30"
        },
        { ...park("2026-01-22T10:01:00+05:30", "+919876543211"), ttl: "31 days" },
        { at: "2026-01-22T10:02:00+05:30", kind: "inbound", customer: "+919876543211" }
      ]
    })
    const steps = json(await run(["simulate", timeline, "--json"]))
    assert.deepStrictEqual(steps.map((s: any) => [s.state, s.decision, s.reason, s.released ?? null]), [
      ["none", "parked", "NO_ACTIVE_SESSION", null],
      ["open", null, null, null],
      ["open", "session", null, null],
      ["expired", null, null, null],
      ["expired", "rejected", "INVALID_MESSAGE", null],
      ["open", null, null, [0]]
    ])
  })

  it("a whenClosed that is neither park nor fallback names the field", async () => {
    const timeline = writeJson(temp.dir, "bad-park.json", {
      business: "+919876500001",
      events: [{
        at: "2026-01-20T10:00:00+05:30",
        kind: "send",
        customer: "+919876543210",
        content: { type: "text", text: { body: "hi" } },
        whenClosed: "later"
      }]
    })
    const result = await run(["simulate", timeline, "--json"])
    assert.strictEqual(result.code, 2)
    assert.lengthOf(json(result).error.issues, 1)
    assert.match(json(result).error.issues[0], /^events\[0\]\.whenClosed: /)
  })
})

describe.concurrent("simulate: timelines", () => {
  it("late and duplicate deliveries, a safety margin, every reason (YAML)", async () => {
    const file = writeJson(
      temp.dir,
      "timeline.yaml",
      [
        "business: '+91 98765 00001'",
        "safetyMargin: 30m",
        "events:",
        "  - { at: '2026-01-20T10:00:00+05:30', kind: inbound, customer: '+919876543210', messageId: m1 }",
        "  - { at: '2026-01-20T12:00:00+05:30', kind: inbound, customer: '+919876543210', messageId: m0,",
        "      sentAt: '2026-01-20T09:00:00+05:30' }",
        "  - { at: '2026-01-20T12:01:00+05:30', kind: inbound, customer: '+919876543210', messageId: m1 }",
        "  - { at: '2026-01-21T09:29:59+05:30', kind: check, customer: '+919876543210' }",
        "  - { at: '2026-01-21T09:30:00+05:30', kind: check, customer: '+919876543210' }",
        "  - { at: '2026-01-21T09:30:00+05:30', kind: send, customer: '+919876543211',",
        "      content: { type: text, text: { body: hi } } }",
        "  - { at: '2026-01-21T09:30:00+05:30', kind: send, customer: '+919876543210', content: { type: carousel } }",
        "  - { at: '2026-01-21T09:30:00+05:30', kind: send, customer: '+919876543210',",
        "      content: { type: text, text: { body: '' } } }"
      ].join("\n")
    )
    const steps = json(await run(["simulate", file, "--json"]))
    assert.deepStrictEqual(steps.map((s: any) => [s.kind, s.state, s.expiresAt, s.decision, s.reason]), [
      ["inbound", "open", "2026-01-21T04:30:00.000Z", null, null],
      ["inbound", "open", "2026-01-21T04:30:00.000Z", null, null],
      ["inbound", "open", "2026-01-21T04:30:00.000Z", null, null],
      ["check", "open", "2026-01-21T04:30:00.000Z", null, null],
      ["check", "expired", "2026-01-21T04:30:00.000Z", null, null],
      ["send", "none", null, "rejected", "NO_ACTIVE_SESSION"],
      ["send", "expired", "2026-01-21T04:30:00.000Z", "rejected", "MESSAGE_TYPE_NOT_SUPPORTED"],
      ["send", "expired", "2026-01-21T04:30:00.000Z", "rejected", "INVALID_MESSAGE"]
    ])
    assert.deepStrictEqual(steps[0], {
      index: 0,
      at: "2026-01-20T04:30:00.000Z",
      kind: "inbound",
      customer: "+919876543210",
      state: "open",
      expiresAt: "2026-01-21T04:30:00.000Z",
      decision: null,
      reason: null
    })
  })

  it("an empty timeline prints an empty array", async () => {
    const file = writeJson(temp.dir, "empty.json", { business: "+919876500001", events: [] })
    const result = await run(["simulate", file, "--json"])
    assert.strictEqual(result.code, 0)
    assert.deepStrictEqual(json(result), [])
  })

  it("a malformed file exits 2 naming each event index and field", async () => {
    const file = writeJson(temp.dir, "bad.json", {
      business: "+919876500001",
      events: [
        { at: "2026-01-20T10:00:00+05:30", kind: "inbound", customer: "+919876543210" },
        { at: "2026-01-20 10:05", kind: "send", customer: "+919876543210", content: { type: "text" } },
        { at: "2026-01-20T10:06:00+05:30", kind: "sned", customer: "+919876543210" },
        { at: "2026-01-20T10:07:00+05:30", kind: "send", customer: "12" },
        { at: "2026-01-20T10:08:00+05:30", kind: "check", customer: "+919876543210", fallbak: 1 }
      ]
    })
    const result = await run(["simulate", file, "--json"])
    assert.strictEqual(result.code, 2)
    const error = json(result).error
    assert.containsSubset(error, { code: "USAGE", field: file })
    assert.lengthOf(error.issues, 5)
    assert.isString(error.issues[0])
    assert.match(error.issues[0], /^events\[1\]\.at: /)
    assert.isString(error.issues[1])
    assert.match(error.issues[1], /^events\[2\]\.kind: /)
    assert.deepStrictEqual(error.issues.slice(2), [
      "events[3].customer: \"12\" is not a phone number in E.164 form (2 digits, at least 8 needed)",
      "events[3].content: is missing",
      "events[4].fallbak: is not a known field"
    ])
    const lines = result.stderr.trimEnd().split("\n")
    assert.lengthOf(lines, 5)
    assert.match(lines[0]!, /^wa-session: .*bad\.json: events\[1\]\.at: expected an ISO-8601 instant with an offset/)
    assert.match(lines[1]!, /bad\.json: events\[2\]\.kind: must be one of inbound, send, check; got "sned"$/)
    assert.match(lines[2]!, /bad\.json: events\[3\]\.customer: "12" is not a phone number/)
    assert.match(lines[3]!, /bad\.json: events\[3\]\.content: is missing$/)
    assert.match(lines[4]!, /bad\.json: events\[4\]\.fallbak: is not a known field$/)
  })

  it("a bad business number or safety margin names the field", async () => {
    const file = writeJson(temp.dir, "bad-top.json", { business: "hello", safetyMargin: "soon", events: [] })
    const result = await run(["simulate", file])
    assert.strictEqual(result.code, 2)
    assert.match(result.stderr, /business: "hello" is not a phone number/)
    assert.match(result.stderr, /safetyMargin: expected seconds \(300\) or a duration like 2h, 90m, 1h30m/)
  })

  it("a safety margin of 24 hours or more is refused like the setting (no window would ever be open)", async () => {
    const file = writeJson(temp.dir, "day-margin.json", { business: "+919876500001", safetyMargin: "1d", events: [] })
    const result = await run(["simulate", file])
    assert.strictEqual(result.code, 2)
    assert.match(result.stderr, /safetyMargin: must be shorter than 24 hours/)
  })

  it("a file that is not JSON exits 2", async () => {
    const file = writeJson(temp.dir, "broken.json", "{ \"events\": [ ,")
    const result = await run(["simulate", file])
    assert.strictEqual(result.code, 2)
    assert.include(result.stderr, "is not valid JSON")
  })
})
