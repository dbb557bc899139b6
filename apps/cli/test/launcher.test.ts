import { afterEach, assert, describe, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { baseEnv, root, run, tempDir } from "./support.js"

// Each test runs its own copy of dist/wa-session.mjs + wa-session.cjs, so its cache directory is its own.

const copies: Array<{ remove: () => void }> = []
afterEach(() => {
  for (const copy of copies.splice(0)) copy.remove()
})

const copyOfDist = () => {
  const temp = tempDir("launcher")
  copies.push(temp)
  for (const file of ["wa-session.mjs", "wa-session.cjs"]) copyFileSync(join(root, "dist", file), join(temp.dir, file))
  return { dir: temp.dir, xdg: join(temp.dir, "xdg") }
}

const runCopy = (dir: string, args: ReadonlyArray<string>, env: Record<string, string>) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [join(dir, "wa-session.mjs"), ...args],
      { env: baseEnv(env) },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr })
    )
  })

const cacheFiles = (dir: string) =>
  existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith(".v8cache")).map((name) => join(dir, name)) : []

describe("the launcher's code cache", () => {
  it("is written beside the bundle on the first run and reused, not rewritten, on the next", async () => {
    const { dir, xdg } = copyOfDist()
    const expected = await run(["--help"])
    const first = await runCopy(dir, ["--help"], { XDG_CACHE_HOME: xdg })
    assert.deepStrictEqual(first, expected)
    const [cache] = cacheFiles(join(dir, ".cache"))
    assert.match(cache!, new RegExp(`wa-session-[0-9a-f]{16}-${process.version}-${process.arch}\\.v8cache$`))
    const written = statSync(cache!).mtimeMs
    const second = await runCopy(dir, ["--help"], { XDG_CACHE_HOME: xdg })
    assert.deepStrictEqual(second, expected)
    assert.strictEqual(statSync(cache!).mtimeMs, written)
    assert.deepStrictEqual(cacheFiles(xdg), [])
  })

  it("replaces a cache V8 rejects, and the command still works", async () => {
    const { dir, xdg } = copyOfDist()
    await runCopy(dir, ["--version"], { XDG_CACHE_HOME: xdg })
    const [cache] = cacheFiles(join(dir, ".cache"))
    writeFileSync(cache!, Buffer.alloc(4096, 7))
    const result = await runCopy(dir, ["check", "--text", "hello", "--json"], { XDG_CACHE_HOME: xdg })
    assert.strictEqual(result.code, 0)
    assert.deepStrictEqual(JSON.parse(result.stdout), { valid: true, type: "text", violations: [] })
    assert.isFalse(readFileSync(cache!).equals(Buffer.alloc(4096, 7)))
  })

  it("falls back to the user's cache directory when it cannot write beside the bundle", async () => {
    const { dir, xdg } = copyOfDist()
    // a file where the cache directory would go: mkdir fails even for root
    writeFileSync(join(dir, ".cache"), "")
    const result = await runCopy(dir, ["--version"], { XDG_CACHE_HOME: xdg })
    assert.strictEqual(result.stdout.trim(), "0.1.0")
    assert.lengthOf(cacheFiles(join(xdg, "wa-session")), 1)
  })

  it("prefers the user's cache it wrote while the bundle's directory was not writable", async () => {
    const { dir, xdg } = copyOfDist()
    writeFileSync(join(dir, ".cache"), "")
    await runCopy(dir, ["--version"], { XDG_CACHE_HOME: xdg })
    const [userCache] = cacheFiles(join(xdg, "wa-session"))
    const written = statSync(userCache!).mtimeMs
    rmSync(join(dir, ".cache"))
    const result = await runCopy(dir, ["--help"], { XDG_CACHE_HOME: xdg })
    assert.strictEqual(result.code, 0)
    // accepted: not rewritten, and nothing written beside the bundle
    assert.strictEqual(statSync(userCache!).mtimeMs, written)
    assert.isFalse(existsSync(join(dir, ".cache")))
  })

  it("removes caches of other builds, and writes none with WA_SESSION_NO_CODE_CACHE", async () => {
    const { dir, xdg } = copyOfDist()
    const stale = join(dir, ".cache", "wa-session-0000000000000000-v20.0.0-x64.v8cache")
    const none = await runCopy(dir, ["--version"], { XDG_CACHE_HOME: xdg, WA_SESSION_NO_CODE_CACHE: "1" })
    assert.strictEqual(none.stdout.trim(), "0.1.0")
    assert.isFalse(existsSync(join(dir, ".cache")))
    assert.deepStrictEqual(cacheFiles(xdg), [])
    await runCopy(dir, ["--version"], { XDG_CACHE_HOME: xdg })
    writeFileSync(stale, "old")
    // a cache of another build (another hash in its name) goes when this build writes its own
    for (const cache of cacheFiles(join(dir, ".cache"))) if (cache !== stale) writeFileSync(cache, "rejected")
    await runCopy(dir, ["--version"], { XDG_CACHE_HOME: xdg })
    assert.deepStrictEqual(cacheFiles(join(dir, ".cache")).map((path) => path.includes("0000000000000000")), [false])
  })
})
