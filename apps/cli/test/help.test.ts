import { assert, describe, it } from "@effect/vitest"
import { ANSI, run } from "./support.js"

const COMMANDS = [
  "serve",
  "send",
  "parked",
  "cancel",
  "status",
  "expiring",
  "explain",
  "check",
  "inbound",
  "history",
  "events",
  "deliveries",
  "quarantine",
  "endpoints",
  "simulate"
] as const
const SUBCOMMANDS = ["deliveries replay", "quarantine retry", "endpoints add", "endpoints delete"] as const

describe.concurrent("--help", () => {
  it("lists every command with what it does; the usage line starts with wa-session", async () => {
    const result = await run(["--help"])
    assert.strictEqual(result.code, 0)
    for (const command of [...COMMANDS, ...SUBCOMMANDS]) {
      assert.match(result.stdout, new RegExp(`^  ${command} +[A-Z]`, "m"), command)
    }
    assert.match(result.stdout, /^\$ wa-session <command> \[options\]$/m)
  })

  for (const command of COMMANDS) {
    it(`${command} --help has a description and an example`, async () => {
      const result = await run([command, "--help"])
      assert.strictEqual(result.code, 0)
      assert.match(result.stdout, /Examples?:/)
      assert.include(result.stdout, `$ ${command === "serve" ? "PORT=8080 " : ""}wa-session ${command}`)
      assert.strictEqual(result.stderr, "")
      // the usage line names the program, not the command alone
      assert.match(result.stdout, new RegExp(`^USAGE\\n\\n\\$ wa-session ${command}\\b`, "m"))
    })
  }

  it("a repeatable option that may be left out is shown optional in the usage line", async () => {
    const usage = async (command: ReadonlyArray<string>) => (await run([...command, "--help"])).stdout
    assert.include(await usage(["deliveries", "replay"]), " [--event ID...] ")
    assert.include(await usage(["endpoints", "add"]), " [--event TYPE...] ")
    assert.include(await usage(["send"]), " [--param VALUE...] ")
  })

  it("describes each option once, in its own words: no type of value, no \"This setting is optional\"", async () => {
    for (const command of COMMANDS) {
      const result = await run([command, "--help"])
      assert.notInclude(result.stdout, "A user-defined piece of text", command)
      assert.notInclude(result.stdout, "This setting is optional", command)
      assert.notInclude(result.stdout, "A true or false value", command)
      assert.notInclude(result.stdout, "--wizard", command)
    }
    const status = (await run(["status", "--help"])).stdout
    assert.include(
      status,
      "  --customer E164\n      The customer number (E.164; + optional, spaces and dashes allowed)\n"
    )
    assert.include(status, "  --json\n      Print JSON for machines instead of text\n")
  })

  for (const command of SUBCOMMANDS) {
    it(`${command} --help has a description and an example`, async () => {
      const result = await run([...command.split(" "), "--help"])
      assert.strictEqual(result.code, 0)
      assert.match(result.stdout, /Examples?:/)
      assert.include(result.stdout, `$ wa-session ${command}`)
      assert.strictEqual(result.stderr, "")
    })
  }

  it("lists the subcommands under their command, with their usage", async () => {
    for (const command of SUBCOMMANDS) {
      const [parent] = command.split(" ")
      const result = await run([parent!, "--help"])
      assert.match(result.stdout, new RegExp(`^  ${command} +[A-Z]`, "m"))
      assert.match(result.stdout, new RegExp(`^\\$ wa-session ${command}\\b`, "m"))
    }
  })

  it("has no colour when stdout is not a terminal", async () => {
    const result = await run(["status", "--help"])
    assert.notMatch(result.stdout, ANSI)
  })

  it("--version prints the version", async () => {
    const result = await run(["--version"])
    assert.strictEqual(result.code, 0)
    assert.strictEqual(result.stdout.trim(), "0.1.0")
  })

  it("an unknown command is bad usage (exit 2)", async () => {
    const result = await run(["frobnicate"])
    assert.strictEqual(result.code, 2)
  })

  it("a missing required option is bad usage (exit 2) and names it", async () => {
    const result = await run(["status", "--business", "+919876500001"])
    assert.strictEqual(result.code, 2)
    assert.strictEqual(result.stderr, "wa-session: --customer: missing; wa-session status needs it (see --help)\n")
    assert.notMatch(result.stderr, ANSI)
  })

  it("no command: the help (exit 0)", async () => {
    const result = await run([])
    assert.strictEqual(result.code, 0)
    assert.match(result.stdout, /^COMMANDS$/m)
  })
})
