import { assert, beforeAll, describe, it } from "@effect/vitest"
import { Behaviour, startFakeExotel } from "@wa-session/exotel-fake"
import { Effect } from "effect"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs/promises"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { freePort } from "./support.js"

// The real entry point in a child process: start-up, configuration errors, signals. It runs bundled (as
// `pnpm build` makes it, so the bundle is tested too): node starts it in a fraction of the time tsx needs.
const serverDir = Path.resolve(import.meta.dirname, "..")
const bundle = "dist/test/server.mjs"
const TOKEN = "process-test-token-0123456789"
const SECRET = "process-test-secret-0123456789"

interface Child {
  readonly process: ChildProcess.ChildProcess
  readonly output: () => { readonly stdout: string; readonly stderr: string }
  readonly exited: Promise<number | null>
}

const spawnServer = (env: Record<string, string>): Child => {
  const child = ChildProcess.spawn(process.execPath, [bundle], {
    cwd: serverDir,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  child.stdout!.on("data", (chunk) => (stdout += String(chunk)))
  child.stderr!.on("data", (chunk) => (stderr += String(chunk)))
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  return { process: child, output: () => ({ stdout, stderr }), exited }
}

const waitFor = async (predicate: () => boolean, what: string, ms = 40_000) => {
  const deadline = Date.now() + ms
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe("the server process", () => {
  beforeAll(() => {
    ChildProcess.execFileSync(process.execPath, ["scripts/build.mjs", bundle], { cwd: serverDir, stdio: "ignore" })
  }, 60_000)

  it.live("an invalid setting stops start-up with one line naming it", () =>
    Effect.promise(async () => {
      const child = spawnServer({ PORT: "eighty" })
      const code = await child.exited
      const { stderr, stdout } = child.output()
      assert.strictEqual(code, 2)
      const lines = stderr.trim().split("\n")
      assert.strictEqual(lines.length, 1, stderr)
      assert.match(lines[0]!, /^wa-session: invalid configuration: .*PORT/)
      assert.notInclude(stdout, "listening")
    }), 60_000)

  it.live("a port already in use stops start-up with one line and exit code 3", () =>
    Effect.promise(async () => {
      const dir = await Fs.mkdtemp(Path.join(Os.tmpdir(), "wa-session-main-"))
      const taken = Net.createServer()
      await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve))
      const port = (taken.address() as Net.AddressInfo).port
      try {
        const child = spawnServer({
          PORT: String(port),
          HOST: "127.0.0.1",
          WA_SESSION_DATABASE_URL: `sqlite:${dir}/db.sqlite`,
          WA_SESSION_API_TOKEN: TOKEN,
          WA_SESSION_WEBHOOK_SECRET: SECRET
        })
        const code = await child.exited
        const { stderr } = child.output()
        assert.strictEqual(code, 3, stderr)
        assert.match(stderr.trim(), /^wa-session: cannot listen: .*EADDRINUSE/)
      } finally {
        await new Promise((resolve) => taken.close(resolve))
        await Fs.rm(dir, { recursive: true, force: true })
      }
    }), 60_000)

  it.live(
    "starts, serves, and on SIGTERM answers the request in flight (unknown: Exotel hangs) before exiting",
    () =>
      Effect.promise(async () => {
        const dir = await Fs.mkdtemp(Path.join(Os.tmpdir(), "wa-session-main-"))
        const fake = await startFakeExotel({ apiKey: "key", apiToken: "token", accountSid: "acme1" })
        const port = await Effect.runPromise(freePort)
        const base = `http://127.0.0.1:${port}`
        const child = spawnServer({
          PORT: String(port),
          WA_SESSION_DATABASE_URL: `sqlite:${dir}/db.sqlite`,
          WA_SESSION_API_TOKEN: TOKEN,
          WA_SESSION_WEBHOOK_SECRET: SECRET,
          EXOTEL_API_KEY: fake.apiKey,
          EXOTEL_API_TOKEN: fake.apiToken,
          EXOTEL_ACCOUNT_SID: fake.accountSid,
          EXOTEL_BASE_URL: fake.url,
          EXOTEL_REQUEST_TIMEOUT: "1 second",
          EXOTEL_MAX_RETRIES: "0"
        })
        try {
          await waitFor(() => child.output().stdout.includes("listening on"), "the banner")
          const { stdout } = child.output()
          assert.include(stdout, `${base}/docs`)
          // the secret came from the environment: the banner masks it (wa-session webhook-url prints it whole)
          assert.include(stdout, `${base}/webhooks/exotel/${SECRET.slice(0, 4)}…`)
          assert.notInclude(stdout, SECRET)
          assert.include(stdout, "API token    from WA_SESSION_API_TOKEN")
          assert.notInclude(stdout, TOKEN)
          assert.notInclude(stdout, "DRY-RUN")
          // the Exotel cluster in use and the pacing
          assert.include(stdout, `Exotel       ${fake.url}; at most 200 sends a minute`)
          assert.strictEqual((await fetch(`${base}/healthz`)).status, 200)
          assert.strictEqual((await fetch(`${base}/docs`)).status, 200)

          const inbound = await fake.sendInbound(`${base}/webhooks/exotel/${SECRET}`, {
            from: "+919876543210",
            to: "+919876500001",
            text: "a secret order detail"
          })
          assert.strictEqual(inbound.status, 200)

          fake.script(Behaviour.hang())
          const inFlight = fetch(`${base}/v1/messages`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
            body: JSON.stringify({
              from: "+919876500001",
              to: "+919876543210",
              content: { type: "text", text: { body: "another secret detail" } }
            })
          })
          await waitFor(() => fake.requests.length === 1, "the send to reach Exotel", 10_000)
          const stopping = Date.now()
          child.process.kill("SIGTERM")
          const response = await inFlight
          // Exotel may have taken it: never sent again, and never a 502 that invites a retry with a new key
          assert.strictEqual(response.status, 202)
          assert.strictEqual((await response.json() as { status: string }).status, "unknown")
          assert.strictEqual(await child.exited, 0)
          // the kept-alive connection of the answered request does not hold the exit for the keep-alive time (65 s)
          assert.isBelow(Date.now() - stopping, 15_000)
          const logs = child.output().stdout + child.output().stderr
          // the shutdown is logged: the signal, then that the requests in flight drained
          assert.match(logs, /level=INFO .*message="wa-session stopping[^"]*" reason=SIGTERM\n/)
          assert.match(logs, /level=INFO .*message="wa-session stopped" reason=SIGTERM drained=true ms=\d+\n/)
          assert.notInclude(logs, "secret order detail")
          assert.notInclude(logs, "another secret detail")
          assert.notInclude(logs, TOKEN)
        } finally {
          child.process.kill("SIGKILL")
          await fake.close()
          await Fs.rm(dir, { recursive: true, force: true })
        }
      }),
    90_000
  )
})
