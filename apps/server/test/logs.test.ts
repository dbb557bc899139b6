import { assert, describe, it } from "@effect/vitest"
import { Logging } from "@wa-session/clock"
import { ConfigProvider, Effect, Exit, Fiber } from "effect"
import * as Program from "../src/Program.js"
import { eventually, freePort } from "./support.js"

// The server's program itself (settings from a map, not the environment), in this process, on a loopback port; what
// it writes goes to a memory console.
const TOKEN = "logs-test-token-0123456789"
const SECRET = "logs-test-secret-0123456789"
const EVENTS_SECRET = `whsec_${Buffer.alloc(32, 7).toString("base64")}`
const BUSINESS = "919876500001"
const CUSTOMER = "919876543210"

interface Running {
  readonly base: string
  readonly memory: Logging.MemoryConsole
  /** Interrupts the program (as a signal does) and waits for its end. */
  readonly stop: Effect.Effect<Exit.Exit<void, Program.StartError>>
}

/** Starts the program with `env` (plus a port, a memory store and the secrets), once its banner is out. */
const start = (env: Record<string, string>) =>
  Effect.gen(function*() {
    const port = yield* freePort
    const memory = Logging.makeMemoryConsole()
    const vars = {
      HOST: "127.0.0.1",
      PORT: String(port),
      WA_SESSION_DATABASE_URL: "memory:",
      WA_SESSION_API_TOKEN: TOKEN,
      WA_SESSION_WEBHOOK_SECRET: SECRET,
      WA_SESSION_EVENTS_SECRET: EVENTS_SECRET,
      WA_SESSION_EVENTS_URL: "none",
      ...env
    }
    const fiber = yield* Program.main.pipe(
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(vars)))),
      Effect.withConsole(memory.console),
      Effect.fork
    )
    yield* eventually(
      () => memory.stdout.some((line) => line.includes("listening on")) || fiber.unsafePoll() !== null,
      "the banner"
    )
    const running: Running = {
      base: `http://127.0.0.1:${port}`,
      memory,
      stop: Effect.zipRight(Fiber.interrupt(fiber), Fiber.await(fiber))
    }
    return running
  })

const webhook = (base: string, sid: string, text: string) =>
  Effect.promise(() =>
    fetch(`${base}/webhooks/exotel/${SECRET}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        whatsapp: {
          messages: [{
            callback_type: "incoming_message",
            sid,
            from: CUSTOMER,
            to: BUSINESS,
            profile_name: "Asha",
            timestamp: new Date().toISOString(),
            content: { type: "text", text: { body: text } }
          }]
        }
      })
    }).then((response) => response.status)
  )

const get = (base: string, path: string) =>
  Effect.promise(() =>
    fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } }).then((response) => response.status)
  )

const parse = (lines: ReadonlyArray<string>) =>
  lines.map((line) => {
    try {
      return JSON.parse(line)
    } catch {
      return assert.fail(`not a JSON line: ${line}`)
    }
  })

describe("the server's logs", () => {
  it.live("WA_SESSION_LOG_FORMAT=json: every line is a JSON object with level and message, the banner too", () =>
    Effect.gen(function*() {
      const server = yield* start({ WA_SESSION_LOG_FORMAT: "json" })
      assert.strictEqual(yield* get(server.base, `/v1/sessions/${BUSINESS}/${CUSTOMER}`), 200)
      yield* eventually(() => server.memory.stdout.some((line) => line.includes("\"http\"")), "the access log line")
      const exit = yield* server.stop
      assert.isTrue(Exit.isInterrupted(exit))
      const lines = parse(server.memory.stdout)
      for (const line of lines) {
        assert.isString(line.level)
        assert.isString(line.message)
        assert.isString(line.timestamp)
      }
      const banner = lines.find((line) => String(line.message).startsWith("wa-session listening on http://127.0.0.1:"))
      assert.isDefined(banner)
      assert.isTrue(banner.banner.some((line: string) => line.startsWith("store")))
      assert.notInclude(JSON.stringify(banner), TOKEN)
      assert.notInclude(JSON.stringify(banner), SECRET)
      const access = lines.find((line) => line.message === "http")
      assert.deepInclude(access, { level: "INFO", method: "GET", status: 200 })
      assert.deepStrictEqual(server.memory.stderr, [])
    }))

  it.live("at debug level each webhook batch writes a line with its counts, and nothing of its content", () =>
    Effect.gen(function*() {
      const server = yield* start({ WA_SESSION_LOG_FORMAT: "json", WA_SESSION_LOG_LEVEL: "debug" })
      assert.strictEqual(yield* webhook(server.base, "wamid.logs-1", "my card number is 4111"), 200)
      assert.strictEqual(yield* webhook(server.base, "wamid.logs-1", "my card number is 4111"), 200)
      yield* eventually(
        () => server.memory.stdout.filter((line) => line.includes("webhook batch recorded")).length === 2,
        "two batch lines"
      )
      yield* server.stop
      const batches = parse(server.memory.stdout).filter((line) => line.message === "webhook batch recorded")
      assert.deepStrictEqual(
        batches.map(({ accepted, duplicates, items, level, rejected }) => ({
          level,
          items,
          accepted,
          duplicates,
          rejected
        })),
        [
          { level: "DEBUG", items: 1, accepted: 1, duplicates: 0, rejected: 0 },
          { level: "DEBUG", items: 1, accepted: 0, duplicates: 1, rejected: 0 }
        ]
      )
      const all = server.memory.stdout.join("\n")
      for (const secret of ["4111", "card number", SECRET, TOKEN, "Asha"]) assert.notInclude(all, secret)
    }))

  it.live("the level filters: info leaves the debug lines out, error leaves out info and warnings, none all", () =>
    Effect.gen(function*() {
      const levels = (level: string) =>
        Effect.gen(function*() {
          const server = yield* start({ WA_SESSION_LOG_FORMAT: "json", WA_SESSION_LOG_LEVEL: level })
          assert.strictEqual(yield* webhook(server.base, `wamid.logs-${level}`, "hello"), 200)
          // a 404 on /v1 is an info line; the dry-run warning comes at start-up
          assert.strictEqual(yield* get(server.base, "/v1/nothing-here"), 404)
          yield* server.stop
          // the banner is shown whatever the level: leave it out
          return parse(server.memory.stdout).filter((line) => line.banner === undefined).map((line) =>
            `${line.level} ${line.message}`
          )
        })
      const info = yield* levels("info")
      assert.include(info, "WARN dry-run: no Exotel credentials, nothing will be sent")
      assert.include(info, "INFO http")
      assert.include(info, "INFO wa-session stopped")
      assert.isFalse(info.some((line) => line.startsWith("DEBUG")), info.join("\n"))
      const warning = yield* levels("warning")
      assert.deepStrictEqual(warning, ["WARN dry-run: no Exotel credentials, nothing will be sent"])
      assert.deepStrictEqual(yield* levels("error"), [])
      assert.deepStrictEqual(yield* levels("none"), [])
    }))

  it.live("on shutdown: a line when it starts (with the reason), one when the requests in flight have drained", () =>
    Effect.gen(function*() {
      const server = yield* start({})
      assert.strictEqual(yield* get(server.base, "/healthz"), 200)
      yield* server.stop
      const stopping = server.memory.stdout.findIndex((line) => line.includes("message=\"wa-session stopping"))
      const stopped = server.memory.stdout.findIndex((line) => line.includes("message=\"wa-session stopped\""))
      assert.isAtLeast(stopping, 0, server.memory.stdout.join("\n"))
      assert.isAbove(stopped, stopping)
      assert.match(server.memory.stdout[stopping]!, /level=INFO .* reason=interrupted/)
      assert.match(server.memory.stdout[stopped]!, /level=INFO .* reason=interrupted drained=true ms=\d+/)
    }))

  it.live("an invalid log setting stops start-up with one line naming it (exit code 2)", () =>
    Effect.gen(function*() {
      for (
        const [name, value] of [["WA_SESSION_LOG_FORMAT", "xml"], ["WA_SESSION_LOG_LEVEL", "verbose"]] as const
      ) {
        const memory = Logging.makeMemoryConsole()
        const exit = yield* Program.main.pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map([[name, value]]))),
          Effect.withConsole(memory.console),
          Effect.exit
        )
        assert.strictEqual(Program.exitCode(exit), 2)
        assert.deepStrictEqual(memory.stdout, [])
        assert.strictEqual(memory.stderr.length, 1)
        assert.match(memory.stderr[0]!, new RegExp(`^wa-session: invalid configuration: ${name} must be one of `))
      }
    }))
})
