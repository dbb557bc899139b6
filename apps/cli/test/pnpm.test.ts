import { execFile } from "node:child_process"
import { describe, expect, it } from "vitest"
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
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual({ valid: true, type: "text", violations: [] })
  }, 180_000)
})
