import { describe, expect, it } from "vitest"
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
    expect(result.code).toBe(0)
    for (const command of COMMANDS) expect(result.stdout).toContain(`- ${command}`)
  })

  for (const command of COMMANDS) {
    it(`${command} --help has a description and an example`, async () => {
      const result = await run([command, "--help"])
      expect(result.code).toBe(0)
      expect(result.stdout).toMatch(/Examples?:/)
      expect(result.stdout).toContain(`$ ${command === "serve" ? "PORT=8080 " : ""}wa-session ${command}`)
      expect(result.stderr).toBe("")
    })
  }

  for (const command of SUBCOMMANDS) {
    it(`${command} --help has a description and an example`, async () => {
      const result = await run([...command.split(" "), "--help"])
      expect(result.code).toBe(0)
      expect(result.stdout).toMatch(/Examples?:/)
      expect(result.stdout).toContain(`$ wa-session ${command}`)
      expect(result.stderr).toBe("")
    })
  }

  it("lists the subcommands under their command", async () => {
    const result = await run(["--help"])
    for (const command of SUBCOMMANDS) {
      const [parent, child] = command.split(" ")
      expect(result.stdout).toMatch(new RegExp(`- ${parent} .*\\] ${child}\\b`))
    }
  })

  it("has no colour when stdout is not a terminal", async () => {
    const result = await run(["status", "--help"])
    expect(result.stdout).not.toMatch(ANSI)
  })

  it("--version prints the version", async () => {
    const result = await run(["--version"])
    expect(result.code).toBe(0)
    expect(result.stdout.trim()).toBe("0.1.0")
  })

  it("an unknown command is bad usage (exit 2)", async () => {
    const result = await run(["frobnicate"])
    expect(result.code).toBe(2)
  })

  it("a missing required option is bad usage (exit 2) and names it", async () => {
    const result = await run(["status", "--business", "+919876500001"])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("--customer")
    expect(result.stderr).not.toMatch(ANSI)
  })
})
