import { assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as path from "node:path"

const packageDir = path.resolve(import.meta.dirname, "..")

describe("the API reference (docs/api/)", () => {
  it("matches the code, every public export has @since and the main functions an @example", () => {
    // regenerates into a temporary directory and compares; the fix for a failure is `pnpm docs:api`
    const result = spawnSync(process.execPath, ["scripts/docs-api.mjs", "--check"], {
      cwd: packageDir,
      encoding: "utf8"
    })
    assert.strictEqual(result.status, 0, `${result.stdout}${result.stderr}`)
  }, 180_000)
})
