import { assert, describe, it } from "@effect/vitest"
import { ANSI, run } from "./support.js"

const COMMANDS = [
  "serve",
  "send",
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
  it("lists every command", async () => {
    const result = await run(["--help"])
    assert.strictEqual(result.code, 0)
    for (const command of COMMANDS) assert.include(result.stdout, `- ${command}`)
  })

  for (const command of COMMANDS) {
    it(`${command} --help has a description and an example`, async () => {
      const result = await run([command, "--help"])
      assert.strictEqual(result.code, 0)
      assert.match(result.stdout, /Examples?:/)
      assert.include(result.stdout, `$ ${command === "serve" ? "PORT=8080 " : ""}wa-session ${command}`)
      assert.strictEqual(result.stderr, "")
    })
  }

  for (const command of SUBCOMMANDS) {
    it(`${command} --help has a description and an example`, async () => {
      const result = await run([...command.split(" "), "--help"])
      assert.strictEqual(result.code, 0)
      assert.match(result.stdout, /Examples?:/)
      assert.include(result.stdout, `$ wa-session ${command}`)
      assert.strictEqual(result.stderr, "")
    })
  }

  it("lists the subcommands under their command", async () => {
    const result = await run(["--help"])
    for (const command of SUBCOMMANDS) {
      const [parent, child] = command.split(" ")
      assert.match(result.stdout, new RegExp(`- ${parent} .*\\] ${child}\\b`))
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
    assert.include(result.stderr, "--customer")
    assert.notMatch(result.stderr, ANSI)
  })
})
