import { assert, describe, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { baseEnv, repo } from "./support.js"

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
