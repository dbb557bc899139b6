import { assert, describe, it } from "@effect/vitest"
import * as NodeChild from "node:child_process"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import * as NodeUrl from "node:url"

const directoryModule = NodeUrl.pathToFileURL(NodePath.resolve(import.meta.dirname, "../src/Directory.ts")).href
const storeModule = NodeUrl.pathToFileURL(NodePath.resolve(import.meta.dirname, "../src/SqliteStore.ts")).href

/**
 * Runs `script` in a child process with a deadline: a regression to Node's recursive mkdir spins without yielding,
 * which would hang this test's own worker for good.
 */
const runAlone = (script: string) =>
  NodeChild.spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    encoding: "utf8",
    timeout: 60_000
  })

describe("Directory.makeDirectory", () => {
  it("creates every missing level and accepts a directory that exists", () => {
    const root = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "wa-directory-"))
    try {
      const nested = NodePath.join(root, "a", "b", "c")
      const result = runAlone(
        `import { makeDirectory } from ${JSON.stringify(directoryModule)}
         makeDirectory(${JSON.stringify(nested)}); makeDirectory(${JSON.stringify(nested)})`
      )
      assert.strictEqual(result.status, 0, result.stderr)
      assert.isTrue(NodeFs.statSync(nested).isDirectory())
    } finally {
      NodeFs.rmSync(root, { recursive: true, force: true })
    }
  })

  it("a level that cannot be created fails at once (Node's recursive mkdir spins forever under /proc)", () => {
    assert.strictEqual(process.platform, "linux", "this case needs /proc")
    const result = runAlone(
      `import { makeDirectory } from ${JSON.stringify(directoryModule)}
       try { makeDirectory("/proc/wa-session-nope/data"); console.log("created") } catch (e) { console.log(e.code) }`
    )
    assert.isNull(result.signal, "killed at the deadline: the call did not return")
    assert.strictEqual(result.stdout.trim(), "ENOENT")
  })

  it("a SQLite store under such a path fails with StorageError instead of hanging", () => {
    const result = runAlone(
      `import { Effect, Layer } from "effect"
       import { layer } from ${JSON.stringify(storeModule)}
       const exit = await Effect.runPromiseExit(Layer.build(layer({ filename: "/proc/wa-session-nope/x.db" })).pipe(Effect.scoped))
       console.log(exit._tag === "Failure" ? JSON.stringify(exit.cause.error?._tag) : "built")`
    )
    assert.isNull(result.signal, "killed at the deadline: opening the store did not return")
    assert.strictEqual(result.stdout.trim(), "\"StorageError\"", result.stderr)
  })
})
