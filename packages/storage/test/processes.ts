import { Effect } from "effect"
import * as esbuild from "esbuild"
import * as NodeChild from "node:child_process"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import * as NodeUrl from "node:url"

/** The send time of message m0 in the crash test; mN is sent N seconds later. */
export const CRASH_BASE = Date.UTC(2032, 0, 1)

/** A fresh temporary directory, removed when the scope closes (also when the test fails). */
export const tempDir = (prefix: string) =>
  Effect.acquireRelease(
    Effect.sync(() => NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), `wa-storage-${prefix}-`))),
    (dir) => Effect.sync(() => NodeFs.rmSync(dir, { recursive: true, force: true }))
  )

export const PACKAGE_DIR = NodeUrl.fileURLToPath(new URL("..", import.meta.url))

export interface Finished {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** A fixture process: its output so far, a way to wait for a line, and its end. */
export interface Fixture {
  readonly child: NodeChild.ChildProcess
  readonly stdout: () => string
  /** Resolves once the output has a line `line` (fails if the process ends first). */
  readonly waitForLine: (line: string) => Effect.Effect<void, Error>
  readonly finished: Effect.Effect<Finished>
}

const bundles = new Map<string, Promise<string>>()

/**
 * Bundles `test/fixtures/<script>` into one .mjs (once per test file): a child then starts in a fraction of a
 * second instead of loading hundreds of modules through tsx. better-sqlite3 (native) stays external, so the bundle
 * lives under this package's node_modules where it resolves.
 */
const bundle = (script: string): Effect.Effect<string> =>
  Effect.promise(() => {
    const existing = bundles.get(script)
    if (existing !== undefined) return existing
    const name = `${script.replace(/\.ts$/, "")}.mjs`
    const outfile = NodePath.join(PACKAGE_DIR, "node_modules", ".cache", "wa-storage-fixtures", name)
    const built = esbuild.build({
      entryPoints: [NodePath.join(PACKAGE_DIR, "test", "fixtures", script)],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      outfile,
      external: ["better-sqlite3", "pg-native"],
      logLevel: "error",
      banner: {
        js: "import { createRequire as __waCreateRequire } from 'node:module'; " +
          "const require = __waCreateRequire(import.meta.url);"
      }
    }).then(() => outfile)
    bundles.set(script, built)
    return built
  })

/** Starts `test/fixtures/<script>` (bundled) in a new Node process; killed with SIGKILL when interrupted. */
export const startFixture = (script: string, args: ReadonlyArray<string>): Effect.Effect<Fixture> =>
  Effect.flatMap(bundle(script), (bundled) =>
    Effect.sync(() => {
      const child = NodeChild.spawn(process.execPath, [bundled, ...args], {
        cwd: PACKAGE_DIR,
        stdio: ["pipe", "pipe", "pipe"]
      })
      let stdout = ""
      let stderr = ""
      let ended: Finished | undefined
      const listeners = new Set<() => void>()
      const notify = () => listeners.forEach((listener) => listener())
      child.stdout.on("data", (chunk) => {
        stdout += String(chunk)
        notify()
      })
      child.stderr.on("data", (chunk) => (stderr += String(chunk)))
      child.on("close", (code, signal) => {
        ended = { code, signal, stdout, stderr }
        notify()
      })
      const waitForLine = (line: string) =>
        Effect.async<void, Error>((resume) => {
          const check = () => {
            if (stdout.split("\n").includes(line)) {
              listeners.delete(check)
              resume(Effect.void)
            } else if (ended !== undefined) {
              listeners.delete(check)
              const how = ended.code ?? ended.signal
              resume(Effect.fail(new Error(`${script} ended (${how}) before "${line}": ${stderr}`)))
            }
          }
          listeners.add(check)
          check()
          return Effect.sync(() => listeners.delete(check))
        })
      const finished = Effect.async<Finished>((resume) => {
        const check = () => {
          if (ended !== undefined) {
            listeners.delete(check)
            resume(Effect.succeed(ended))
          }
        }
        listeners.add(check)
        check()
        return Effect.sync(() => {
          listeners.delete(check)
          child.kill("SIGKILL")
        })
      })
      return { child, stdout: () => stdout, waitForLine, finished }
    }))

/** Waits for a "go" line on stdin (the barrier that lets several writers start at once). */
export const awaitGo = (): Promise<void> =>
  new Promise((resolve) => {
    let input = ""
    process.stdin.on("data", (chunk) => {
      input += String(chunk)
      if (input.split("\n").includes("go")) resolve()
    })
  })
