// CPU per webhook of the ingest path alone (no HTTP): decode, SessionService.ingest, GroupCommit, SQLite with
// synchronous=full, one message per webhook, `CALLERS` at once. For profiling changes to the hot path:
//   node --import tsx scripts/bench-ingest.ts [webhooks=4000] [callers=32] [endpoint=live|dead|no]
// `live`: events go to a receiver in this process that answers 204 at once; `dead`: to a refused port.
import { Duration, Effect, Layer, Logger, LogLevel, ManagedRuntime, Option, Redacted } from "effect"
import * as Fs from "node:fs"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import * as App from "../src/App.js"
import { EDGE_DEFAULTS, MAX_BODY_BYTES, RELAY_DEFAULTS, type ServerSettings } from "../src/Config.js"
import { Ingest } from "../src/Ingest.js"

const [total = "4000", callers = "32", endpoint = "live"] = process.argv.slice(2)
let delivered = 0
const receiver = Http.createServer((req, res) => {
  req.resume()
  req.on("end", () => {
    delivered++
    res.writeHead(204).end()
  })
})
await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve))
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`
const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "wa-bench-ingest-"))
const settings: ServerSettings = {
  host: "127.0.0.1",
  port: 0,
  databaseUrl: Redacted.make(`sqlite:${Path.join(dir, "ingest.db")}`),
  dataDir: dir,
  apiToken: Redacted.make("bench-token-0123456789abcdef"),
  apiTokenSource: { _tag: "Env", name: "WA_SESSION_API_TOKEN" },
  webhookSecret: Redacted.make("bench-secret-0123456789abcdef"),
  webhookSecretSource: { _tag: "Env", name: "WA_SESSION_WEBHOOK_SECRET" },
  publicUrl: Option.none(),
  safetyMargin: Duration.zero,
  maxBodyBytes: MAX_BODY_BYTES,
  ...RELAY_DEFAULTS,
  edge: EDGE_DEFAULTS,
  eventsUrl: endpoint === "live"
    ? { _tag: "Url", url: receiverUrl }
    : endpoint === "dead"
    ? { _tag: "Url", url: "http://127.0.0.1:9/events" }
    : { _tag: "Off" },
  eventsSecret: Redacted.make(`whsec_${Buffer.alloc(32, 1).toString("base64")}`),
  eventsSecretSource: { _tag: "Env", name: "WA_SESSION_EVENTS_SECRET" }
}
const layer = App.layerServices({ settings, dryRun: true })
const runtime = ManagedRuntime.make(layer.pipe(Layer.provide(Logger.minimumLogLevel(LogLevel.Error))))

const body = (n: number) =>
  JSON.stringify({
    whatsapp: {
      messages: [{
        callback_type: "incoming_message",
        sid: `wamid.${n}`,
        from: `9197${String(10000000 + (n % 1000)).slice(-8)}`,
        to: "919876500001",
        profile_name: "Bench",
        timestamp: new Date().toISOString(),
        content: { type: "text", text: { body: "hello there" } }
      }]
    }
  })

const run = (from: number, count: number) =>
  runtime.runPromise(Effect.gen(function*() {
    const { ingest } = yield* Ingest
    yield* Effect.forEach(
      Array.from({ length: count }, (_, i) => body(from + i)),
      (text) => ingest(text),
      { concurrency: Number(callers), discard: true }
    )
  }))

await run(1_000_000, 500) // warm-up
const n = Number(total)
const warm = delivered
const cpu = process.cpuUsage()
const started = performance.now()
await run(0, n)
const ingested = performance.now() - started
// with a live endpoint, until every event of the run was delivered too (the first message of a pair has two)
const expected = warm + n + Math.min(n, 1000)
while (endpoint === "live" && delivered < expected && performance.now() - started < 120_000) {
  await new Promise((resolve) => setTimeout(resolve, 5))
}
const elapsed = performance.now() - started
const used = process.cpuUsage(cpu)
console.log(
  `${n} webhooks, ${callers} at once, endpoint ${endpoint}: ingested at ${Math.round((n / ingested) * 1000)}/s, ` +
    (endpoint === "live"
      ? `all ${delivered - warm} events delivered at ${Math.round((n / elapsed) * 1000)} webhooks/s, `
      : "") +
    `${Math.round((used.user + used.system) / n)} µs CPU per webhook`
)
await runtime.dispose()
receiver.close()
Fs.rmSync(dir, { recursive: true, force: true })
