// Issue 17, the command line's part: every refusal of the command line is one line naming the option (and the JSON
// error with --json), reads never create a store, help and built-in options as documented.
import { afterAll, assert, describe, it } from "@effect/vitest"
import { existsSync, readdirSync } from "node:fs"
import { join } from "node:path"
import { BUSINESS, CUSTOMER, json, type Result, run, tempDir } from "./support.js"

const temp = tempDir("usage")
afterAll(temp.remove)

const pair = ["--business", BUSINESS, "--customer", CUSTOMER]

/** The first line of stderr. */
const firstLine = (result: Result): string => result.stderr.split("\n")[0] ?? ""

/** Exit 2, the one line, and with `--json` the same error as JSON on stdout. */
const refused = async (args: ReadonlyArray<string>, line: string, field: string) => {
  const human = await run(args, { cwd: temp.dir })
  assert.strictEqual(human.code, 2, args.join(" "))
  assert.strictEqual(human.stderr, `wa-session: ${line}\n`, args.join(" "))
  assert.strictEqual(human.stdout, "", args.join(" "))
  const machine = await run([...args, "--json"], { cwd: temp.dir })
  assert.strictEqual(machine.code, 2, `${args.join(" ")} --json`)
  assert.strictEqual(firstLine(machine), `wa-session: ${line}`)
  assert.deepStrictEqual(json(machine), { error: { code: "USAGE", message: line, field } })
}

describe.concurrent("a bad option value: one line naming the option, and the JSON error with --json", () => {
  it("a phone number", () =>
    refused(
      ["status", "--business", BUSINESS, "--customer", "12"],
      "--customer: \"12\" is not a phone number in E.164 form (2 digits, at least 8 needed)",
      "--customer"
    ))

  it("an instant", () =>
    refused(
      ["status", ...pair, "--at", "tomorrow"],
      "--at: expected an ISO-8601 instant with an offset, like 2026-01-20T10:00:00+05:30, got \"tomorrow\"",
      "--at"
    ))

  it("a duration", () =>
    refused(
      ["expiring", "--within", "soon"],
      "--within: expected seconds (300) or a duration like 2h, 90m, 1h30m or \"2 hours\", got \"soon\"",
      "--within"
    ))

  it("a limit that is no number, or out of range", async () => {
    await refused(["events", "--limit", "abc"], "--limit must be 1 to 1000, got \"abc\"", "--limit")
    await refused(["history", ...pair, "--limit", "201"], "--limit must be 1 to 200, got \"201\"", "--limit")
  })

  it("a state that is not one of the states", () =>
    refused(
      ["deliveries", "--state", "lost"],
      "--state: expected pending, delivered or failed, got \"lost\"",
      "--state"
    ))

  it("a content file that does not exist", () =>
    refused(
      ["check", "--content-file", "nowhere.json"],
      "--content-file: nowhere.json does not exist",
      "--content-file"
    ))
})

describe.concurrent("what is wrong with the command line, not what @effect/cli looked for next", () => {
  it("an unknown option before the required ones is named, not the first required option", () =>
    refused(
      ["status", "--bogus", "1", ...pair],
      "--bogus: unknown option of wa-session status (see wa-session status --help)",
      "--bogus"
    ))

  it("--server given to check, which works offline, is an unknown option of check, not a missing --text", () =>
    refused(
      ["check", "--server", "http://127.0.0.1:8080", "--text", "hi"],
      "--server: unknown option of wa-session check (see wa-session check --help)",
      "--server"
    ))

  it("a misspelt option, with the option it may be", () =>
    refused(
      ["status", ...pair, "--jsno"],
      "--jsno: unknown option of wa-session status; did you mean --json? (see wa-session status --help)",
      "--jsno"
    ))

  it("a missing option, a missing value, one of two options, an option given twice, a stray argument", async () => {
    await refused(
      ["status", "--business", BUSINESS],
      "--customer: missing; wa-session status needs it (see --help)",
      "--customer"
    )
    // (`check --text --json` is the text "--json")
    const noValue = await run(["check", "--json", "--text"])
    assert.strictEqual(noValue.code, 2)
    assert.strictEqual(noValue.stderr, "wa-session: --text: missing its value\n")
    assert.deepStrictEqual(json(noValue), {
      error: { code: "USAGE", message: "--text: missing its value", field: "--text" }
    })
    await refused(
      ["check"],
      "--text or --content-file: missing; wa-session check needs one of them (see --help)",
      "--text"
    )
    await refused(["check", "--text", "a", "--text", "b"], "--text: given more than once", "--text")
    await refused(
      ["status", ...pair, "extra"],
      "extra: unexpected argument; see wa-session status --help",
      "extra"
    )
  })

  it("an unknown command", async () => {
    const result = await run(["frobnicate"])
    assert.strictEqual(result.code, 2)
    assert.strictEqual(
      result.stderr,
      "wa-session: frobnicate: unknown command; see wa-session --help for the commands\n"
    )
  })
})

describe.concurrent("--server", () => {
  it("a URL without its scheme is bad usage naming --server (exit 2), not an unreachable server", () =>
    refused(
      ["status", ...pair, "--server", "127.0.0.1:8080"],
      "--server: expected the server's http:// or https:// URL, like http://127.0.0.1:8080, got \"127.0.0.1:8080\"",
      "--server"
    ))

  it("a URL with credentials is bad usage, and its password is never printed", async () => {
    await refused(
      ["status", ...pair, "--server", "http://user:pw-secret@127.0.0.1:9"],
      "--server: the URL must not carry credentials (user:password@); give the API token with --token or " +
        "WA_SESSION_API_TOKEN",
      "--server"
    )
    await refused(
      ["status", ...pair, "--server", "ftp://user:pw-secret@127.0.0.1:9"],
      "--server: expected the server's http:// or https:// URL, like http://127.0.0.1:8080, got " +
        "\"ftp://user:***@127.0.0.1:9\"",
      "--server"
    )
    // a stray URL is echoed as an unexpected argument: its password hidden there too
    const stray = await run(["status", ...pair, "--server", "http://127.0.0.1:9", "http://u:pw-secret@x", "--json"])
    assert.strictEqual(stray.code, 2)
    assert.notInclude(stray.stdout + stray.stderr, "pw-secret")
    assert.include(stray.stderr, "http://u:***@x")
  })
})

describe.concurrent("an empty or blank id, key or cursor: bad usage naming the option, before any backend", () => {
  // nobody listens there: a value the command line let through would fail as SERVER_UNREACHABLE (exit 3)
  const nowhere = ["--server", "http://127.0.0.1:9", "--token", "t"]

  it("inbound --message-id, local and with --server (not an internal error, not an unreachable server)", async () => {
    const inbound = ["inbound", ...pair, "--message-id"]
    await refused([...inbound, ""], "--message-id: must not be empty", "--message-id")
    await refused([...inbound, "", ...nowhere], "--message-id: must not be empty", "--message-id")
    await refused([...inbound, "  ", ...nowhere], "--message-id: must not be blank (only whitespace)", "--message-id")
    await refused(
      [...inbound, "m".repeat(201), ...nowhere],
      "--message-id: at most 200 characters, got 201",
      "--message-id"
    )
  })

  it("send --idempotency-key, and a template parameter @effect/cli would drop", async () => {
    const send = ["send", "--from", BUSINESS, "--to", CUSTOMER, "--text", "Hi", "--dry-run", ...nowhere]
    await refused([...send, "--idempotency-key", ""], "--idempotency-key: must not be empty", "--idempotency-key")
    await refused(
      [...send, "--idempotency-key", "k".repeat(201)],
      "--idempotency-key: at most 200 characters, got 201",
      "--idempotency-key"
    )
    await refused(
      [...send, "--fallback-template", "t", "--param", "a", "--param", "", "--param", "c"],
      "--param: must not be empty",
      "--param"
    )
  })

  it("cursors, event and endpoint ids, and the ID of cancel, quarantine retry and endpoints delete", async () => {
    await refused(["expiring", "--cursor", "", ...nowhere], "--cursor: must not be empty", "--cursor")
    await refused(["events", "--after", " ", ...nowhere], "--after: must not be blank (only whitespace)", "--after")
    await refused(["deliveries", "--endpoint", "", ...nowhere], "--endpoint: must not be empty", "--endpoint")
    await refused(["deliveries", "replay", "--event", "", ...nowhere], "--event: must not be empty", "--event")
    await refused(
      ["endpoints", "add", "https://example.com/hook", "--event", "", ...nowhere],
      "--event: must not be empty",
      "--event"
    )
    await refused(["cancel", "", ...nowhere], "ID: must not be empty", "ID")
    await refused(["quarantine", "retry", " ", ...nowhere], "ID: must not be blank (only whitespace)", "ID")
    await refused(["endpoints", "delete", "", ...nowhere], "ID: must not be empty", "ID")
  })
})

describe.concurrent("a command that reads never creates a store", () => {
  for (const args of [["status", ...pair], ["explain", ...pair], ["expiring"], ["events"], ["deliveries"]]) {
    it(`${args[0]} where there is none: STORE_NOT_FOUND (exit 2), saying where it looked`, async () => {
      const where = tempDir("no-store")
      try {
        const file = join(where.dir, "data", "wa-session.db")
        const message = `no store at ${file} (WA_SESSION_DATABASE_URL=sqlite:./data/wa-session.db); a command ` +
          "that reads never creates one: set WA_SESSION_DATABASE_URL to the server's store, or record into this " +
          "one first (inbound, send)"
        const human = await run(args, { cwd: where.dir })
        assert.strictEqual(human.code, 2)
        assert.strictEqual(human.stderr, `wa-session: STORE_NOT_FOUND: ${message}\n`)
        const machine = await run([...args, "--json"], { cwd: where.dir })
        assert.strictEqual(machine.code, 2)
        assert.strictEqual(firstLine(machine), `wa-session: STORE_NOT_FOUND: ${message}`)
        assert.deepStrictEqual(json(machine), {
          error: { code: "STORE_NOT_FOUND", message, url: "sqlite:./data/wa-session.db", file }
        })
        assert.deepStrictEqual(readdirSync(where.dir), [])
      } finally {
        where.remove()
      }
    })
  }

  it("a command that records creates it, then the reads find it", async () => {
    const where = tempDir("new-store")
    try {
      const recorded = await run(["inbound", ...pair], { cwd: where.dir })
      assert.strictEqual(recorded.code, 0)
      assert.isTrue(existsSync(join(where.dir, "data", "wa-session.db")))
      const status = await run(["status", ...pair, "--json"], { cwd: where.dir })
      assert.strictEqual(status.code, 0)
      assert.strictEqual(json(status).state, "open")
    } finally {
      where.remove()
    }
  })
})

describe.concurrent("built-in options", () => {
  it("--wizard is refused (exit 2) instead of waiting for a terminal, and not advertised", async () => {
    const result = await run(["status", "--wizard"])
    assert.strictEqual(result.code, 2)
    assert.strictEqual(
      result.stderr,
      "wa-session: --wizard: not available; see wa-session status --help for the options\n"
    )
    const machine = await run(["status", "--wizard", "--json"])
    assert.strictEqual(machine.code, 2)
    assert.deepStrictEqual(json(machine).error.field, "--wizard")
    for (const args of [["--help"], ["status", "--help"]]) {
      assert.notInclude((await run(args)).stdout, "--wizard")
    }
  })

  it("--completions prints a completion script, as documented", async () => {
    const result = await run(["--completions", "bash"])
    assert.strictEqual(result.code, 0)
    assert.include(result.stdout, "wa-session")
    assert.include(result.stdout, "complete")
    assert.include((await run(["--help"])).stdout, "--completions bash | fish | zsh | sh")
  })
})

describe.concurrent("logs like the server: WA_SESSION_LOG_FORMAT and WA_SESSION_LOG_LEVEL", () => {
  it("JSON lines on stderr at the level asked for, stdout untouched", async () => {
    const dir = tempDir("logs")
    try {
      const quietEnv = { WA_SESSION_DATABASE_URL: `sqlite:${join(dir.dir, "wa.db")}`, WA_SESSION_LOG_FORMAT: "json" }
      const env = { ...quietEnv, WA_SESSION_LOG_LEVEL: "debug" }
      const result = await run(["inbound", "--business", BUSINESS, "--customer", CUSTOMER, "--json"], { env })
      assert.strictEqual(result.code, 0, result.stderr)
      const lines = result.stderr.split("\n").filter((text) => text !== "").map((text) => JSON.parse(text))
      assert.isAbove(lines.length, 0)
      for (const entry of lines) {
        assert.include(["DEBUG", "INFO", "WARN", "ERROR"], entry.level)
        assert.isString(entry.message)
      }
      assert.isTrue(lines.some((entry) => entry.level === "DEBUG"))
      assert.strictEqual(json(result).duplicate, false)
      // the default level for the command line stays warning
      const quiet = await run(["status", "--business", BUSINESS, "--customer", CUSTOMER], { env: quietEnv })
      assert.strictEqual(quiet.code, 0, quiet.stderr)
      assert.strictEqual(quiet.stderr, "")
    } finally {
      dir.remove()
    }
  })

  it("--log-level anywhere on the command line, after the command's options too", async () => {
    const env = { WA_SESSION_DATABASE_URL: "memory:" }
    for (const args of [["--log-level", "debug", "status", ...pair], ["status", ...pair, "--log-level", "debug"]]) {
      const result = await run(args, { env })
      assert.strictEqual(result.code, 0, `${args.join(" ")}: ${result.stderr}`)
      assert.match(result.stderr, /DEBUG/, args.join(" "))
      assert.match(result.stdout, /^State\s+none$/m)
    }
    await refused(
      ["status", ...pair, "--log-level", "loud"],
      "--log-level: expected all, trace, debug, info, warning, error, fatal or none, got \"loud\"",
      "--log-level"
    )
  })

  it("a value that is not a level or a format: one line naming the variable", async () => {
    await refusedWith(
      ["status", ...pair],
      { WA_SESSION_LOG_LEVEL: "loud" },
      "WA_SESSION_LOG_LEVEL must be one of trace, debug, info, warning, error, none, got \"loud\"",
      "WA_SESSION_LOG_LEVEL"
    )
    await refusedWith(
      ["status", ...pair],
      { WA_SESSION_LOG_FORMAT: "xml" },
      "WA_SESSION_LOG_FORMAT must be one of logfmt, json, got \"xml\"",
      "WA_SESSION_LOG_FORMAT"
    )
  })
})

/** Like `refused`, with an environment. */
const refusedWith = async (
  args: ReadonlyArray<string>,
  env: Record<string, string>,
  line: string,
  field: string
) => {
  const human = await run(args, { cwd: temp.dir, env })
  assert.strictEqual(human.code, 2, human.stderr)
  assert.strictEqual(firstLine(human), `wa-session: ${line}`)
  const machine = await run([...args, "--json"], { cwd: temp.dir, env })
  assert.deepStrictEqual(json(machine), { error: { code: "USAGE", message: line, field } })
}
