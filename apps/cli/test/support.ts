import { execFile, spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

export const root = join(dirname(fileURLToPath(import.meta.url)), "..")
export const repo = join(root, "..", "..")
export const bin = join(root, "dist", "wa-session.mjs")
export const scenarios = join(repo, "docs", "scenarios")

export const BUSINESS = "+919876500001"
export const CUSTOMER = "+919876543210"

export interface Result {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** A clean environment: no Exotel credentials, no colour preferences, India time for predictable local times. */
export const baseEnv = (extra: Record<string, string> = {}): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue
    if (/^(EXOTEL_|WA_SESSION_|NO_COLOR|FORCE_COLOR|INIT_CWD|PORT|HOST)/.test(key)) continue
    env[key] = value
  }
  return { ...env, TZ: "Asia/Kolkata", ...extra }
}

/** Runs `node dist/wa-session.mjs ...args` as a child process. */
export const run = (
  args: ReadonlyArray<string>,
  options: { readonly env?: Record<string, string>; readonly cwd?: string } = {}
): Promise<Result> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { env: baseEnv(options.env), cwd: options.cwd ?? root, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1
        resolve({ code, stdout, stderr })
      }
    )
  })

export const json = (result: Result): any => {
  try {
    return JSON.parse(result.stdout)
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\n--- stderr:\n${result.stderr}`)
  }
}

export const ANSI = /\u001b\[[0-9;]*m/

export const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), `wa-cli-${prefix}-`))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

export const writeJson = (dir: string, name: string, value: unknown): string => {
  const path = join(dir, name)
  writeFileSync(path, typeof value === "string" ? value : JSON.stringify(value, null, 2))
  return path
}

/** A loopback port nobody listens on (the server's PORT must be 1 or more). */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer()
    probe.once("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address()
      probe.close(() => resolve(typeof address === "object" && address !== null ? address.port : 1))
    })
  })

/** The settings that send through a fake Exotel, without retries (a refusal is final at once). */
export const exotelEnv = (fake: {
  readonly url: string
  readonly apiKey: string
  readonly apiToken: string
  readonly accountSid: string
}): Record<string, string> => ({
  EXOTEL_BASE_URL: fake.url,
  EXOTEL_API_KEY: fake.apiKey,
  EXOTEL_API_TOKEN: fake.apiToken,
  EXOTEL_ACCOUNT_SID: fake.accountSid,
  EXOTEL_MAX_RETRIES: "0"
})

export interface RunningServer {
  readonly url: string
  readonly stop: () => Promise<number | null>
  readonly output: () => string
}

/** A child process: the server via `wa-session serve` on a free port, with the URL it printed. */
export const startServer = async (env: Record<string, string>) => {
  const port = await freePort()
  return await new Promise<RunningServer>(
    (resolve, reject) => {
      const child = spawn(process.execPath, [bin, "serve"], { env: baseEnv({ PORT: String(port), ...env }), cwd: root })
      let output = ""
      const timer = setTimeout(() => reject(new Error(`the server did not start:\n${output}`)), 60_000)
      const onData = (chunk: Buffer) => {
        output += chunk.toString()
        const match = /listening on (http:\/\/[^\s]+)/.exec(output)
        if (match !== null) {
          clearTimeout(timer)
          resolve({
            url: match[1]!,
            output: () => output,
            stop: () =>
              new Promise((done) => {
                if (child.exitCode !== null) return done(child.exitCode)
                child.once("exit", (code) => done(code))
                child.kill("SIGTERM")
              })
          })
        }
      }
      child.stdout.on("data", onData)
      child.stderr.on("data", onData)
      child.once("exit", (code) => {
        clearTimeout(timer)
        reject(new Error(`the server exited with ${code}:\n${output}`))
      })
    }
  )
}
