import { assert, describe, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { baseEnv, repo } from "./support.js"

const pnpm = (args: ReadonlyArray<string>, cwd: string) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(
      "npx",
      ["-y", "pnpm@10.34.9", "--silent", ...args],
      { cwd, env: baseEnv() },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code ?? -1), stdout, stderr })
    )
  )

// The root's `cli` script runs `pnpm --filter @wa-session/cli start` from the repository root, where pnpm sets
// INIT_CWD to the root: the caller's directory reaches the CLI only when the script first moves back to it
// (`cd "$INIT_CWD" && pnpm --filter @wa-session/cli start`).
const rootScript: string = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")).scripts.cli
const rootScriptKeepsDirectory = rootScript.includes("INIT_CWD")
if (!rootScriptKeepsDirectory) {
  console.warn(
    `\n${"!".repeat(80)}\n!! the root package.json's cli script (${rootScript}) does not keep the caller's ` +
      `directory: SKIPPING the pnpm cli test from a subdirectory\n${"!".repeat(80)}\n`
  )
}

describe("from the repository", () => {
  it("pnpm --silent cli <args> runs the CLI with clean --json output", async () => {
    const result = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile(
        "npx",
        ["-y", "pnpm@10.34.9", "--silent", "cli", "check", "--text", "Hi", "--json"],
        { cwd: repo, env: baseEnv() },
        (error, stdout) => resolve({ code: error === null ? 0 : Number(error.code ?? -1), stdout })
      )
    )
    assert.strictEqual(result.code, 0)
    assert.deepStrictEqual(JSON.parse(result.stdout), { valid: true, type: "text", violations: [] })
  }, 180_000)

  it("relative paths are read from the directory pnpm was started in, a subdirectory too", async () => {
    const result = await pnpm(
      ["--filter", "@wa-session/cli", "start", "simulate", "scenarios/scenario-1-customer-initiates.json", "--json"],
      join(repo, "docs")
    )
    assert.strictEqual(result.code, 0, result.stderr)
    assert.deepStrictEqual(
      JSON.parse(result.stdout),
      JSON.parse(readFileSync(join(repo, "docs", "scenarios", "scenario-1-customer-initiates.expected.json"), "utf8"))
    )
  }, 180_000)

  it.skipIf(!rootScriptKeepsDirectory)("pnpm cli from a subdirectory: relative paths from there", async () => {
    const result = await pnpm(
      ["cli", "simulate", "scenarios/scenario-1-customer-initiates.json", "--json"],
      join(repo, "docs")
    )
    assert.strictEqual(result.code, 0, result.stderr)
    assert.strictEqual(JSON.parse(result.stdout)[0].kind, "inbound")
  }, 180_000)

  it("pnpm cli serve runs the server from source (a bad setting: exit 2, one line)", async () => {
    const result = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(
        "npx",
        ["-y", "pnpm@10.34.9", "--silent", "cli", "serve"],
        { cwd: repo, env: baseEnv({ PORT: "eighty" }) },
        (error, _stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code ?? -1), stderr })
      )
    )
    assert.strictEqual(result.code, 2)
    assert.match(result.stderr, /wa-session: invalid configuration: .*PORT/)
  }, 180_000)
})
