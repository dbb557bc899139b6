// One server under benchmark, in its own process, printing "ready <port>":
//   bare            node:http + better-sqlite3, one transaction per request (the baseline)
//   bare-nodb       node:http + JSON.parse, no database (the floor)
//   fast            wa-session as shipped (node:http fast path, grouped commits) on SQLite
//   httpapi         wa-session with the webhook served by its HttpApi route instead, on SQLite
//   fast-nostore    fast path on a store that records nothing (HTTP + decode + ingest cost, no database)
//   httpapi-nostore HttpApi route on the same store
import { HttpServer } from "@effect/platform"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { type Ingest, SessionWindow } from "@wa-session/session-core"
import { Storage } from "@wa-session/storage"
import { Context, Duration, Effect, Layer, Logger, LogLevel, Option, Redacted } from "effect"
import * as Http from "node:http"
import { createRequire } from "node:module"
import type { AddressInfo } from "node:net"
import * as Path from "node:path"
import * as App from "../src/App.js"
import { EDGE_DEFAULTS, MAX_BODY_BYTES, RELAY_DEFAULTS, type ServerSettings } from "../src/Config.js"
import { HttpAppLive } from "../src/Server.js"

const [variant = "fast", dir = "/tmp", synchronous = "full"] = process.argv.slice(2)
const SECRET = "bench-secret-0123456789abcdef"

// better-sqlite3 without its type package (not a dependency of this app): the few calls the baseline makes.
interface Statement {
  readonly run: (...params: ReadonlyArray<unknown>) => { readonly changes: number }
}
interface Sqlite {
  readonly pragma: (statement: string) => unknown
  readonly exec: (sql: string) => void
  readonly prepare: (sql: string) => Statement
  readonly transaction: <A extends ReadonlyArray<unknown>, R>(f: (...args: A) => R) => (...args: A) => R
}
const Database = createRequire(import.meta.url)("better-sqlite3") as new(filename: string) => Sqlite

// The orchestrator reads this process's CPU time around each run: cost per request, robust to a busy machine.
process.on("SIGUSR2", () => {
  const usage = process.cpuUsage()
  console.log(`cpu ${usage.user + usage.system}`)
})

// Records nothing, answers at once: what is left is the HTTP stack, the decoding and the ingest.
const unused = (operation: string) => () => Effect.dieMessage(`${operation}: not used by the benchmark`)
type Answered =
  | "backend"
  | "ingest"
  | "ping"
  | "configureEndpoint"
  | "claimDeliveries"
  | "claimSends"
  | "emitDueWindowEvents"
  | "prune"
  | "expireParked"
  | "findEndpoint"
  | "recoverSends"
const ingestOnly: Pick<Storage.StorageShape, Answered> = {
  backend: "memory",
  // the background workers find nothing to do
  configureEndpoint: () => Effect.void,
  claimDeliveries: () => Effect.succeed([]),
  claimSends: () => Effect.succeed([]),
  emitDueWindowEvents: () => Effect.succeed(0),
  prune: () => Effect.succeed({ inbound: 0, outbound: 0, deliveries: 0, events: 0, quarantine: 0 }),
  expireParked: () => Effect.succeed(0),
  findEndpoint: () => Effect.succeed(Option.none()),
  recoverSends: () => Effect.succeed({ requeued: 0, unknown: 0 }),
  ingest: (batch) =>
    Effect.succeed({
      items: batch.items.map((item): Ingest.ItemResult =>
        item._tag === "Inbound"
          ? {
            _tag: "Inbound",
            duplicate: false,
            window: new SessionWindow.SessionWindow({
              business: item.message.business,
              customer: item.message.customer,
              lastInboundAt: item.message.sentAt,
              basisMessageId: item.message.messageId,
              basisReceivedAt: item.message.receivedAt,
              firstSeenAt: item.message.receivedAt,
              closedByProviderAt: Option.none()
            }, true)
          }
          : { _tag: "Window" }
      )
    }),
  ping: Effect.void
}
// every other operation dies: the benchmark only posts webhooks
const noStore = new Proxy(ingestOnly, {
  get: (target, key) => key in target ? target[key as keyof typeof target] : unused(String(key))
}) as unknown as Storage.StorageShape
const NoStore = Layer.succeed(Storage.Storage, noStore)

if (variant === "bare-nodb") {
  const server = Http.createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const items = JSON.parse(Buffer.concat(chunks).toString("utf8")).whatsapp.messages
      const body = JSON.stringify({ accepted: items.length, duplicates: 0, rejected: 0 })
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body)
    })
  })
  server.listen(0, "127.0.0.1", () => console.log(`ready ${(server.address() as AddressInfo).port}`))
} else if (variant === "bare") {
  // The baseline: node:http, JSON.parse, one better-sqlite3 transaction per request (dedup insert + window upsert).
  const db = new Database(Path.join(dir, "bare.db"))
  db.pragma("journal_mode = WAL")
  db.pragma(`synchronous = ${synchronous === "normal" ? "NORMAL" : "FULL"}`)
  db.exec(`create table if not exists inbound (business text, message_id text, primary key (business, message_id));
    create table if not exists windows (business text, customer text, last_inbound_at integer,
      primary key (business, customer))`)
  const dedup = db.prepare("insert into inbound values (?, ?) on conflict do nothing")
  const upsert = db.prepare(`insert into windows values (?, ?, ?) on conflict (business, customer)
    do update set last_inbound_at = max(last_inbound_at, excluded.last_inbound_at)`)
  const record = db.transaction((items: Array<any>) => {
    let accepted = 0
    for (const item of items) {
      if (dedup.run(item.to, item.sid).changes === 0) continue
      accepted++
      upsert.run(item.to, item.from, Date.parse(item.timestamp))
    }
    return accepted
  })
  const server = Http.createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const items = JSON.parse(Buffer.concat(chunks).toString("utf8")).whatsapp.messages
      const accepted = record(items)
      const body = JSON.stringify({ accepted, duplicates: items.length - accepted, rejected: 0 })
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body)
    })
  })
  server.listen(0, "127.0.0.1", () => console.log(`ready ${(server.address() as AddressInfo).port}`))
} else {
  const settings: ServerSettings = {
    host: "127.0.0.1",
    port: 0,
    databaseUrl: Redacted.make(`sqlite:${Path.join(dir, `${variant}.db`)}?synchronous=${synchronous}`),
    dataDir: dir,
    apiToken: Redacted.make("bench-token-0123456789abcdef"),
    apiTokenSource: { _tag: "Env", name: "WA_SESSION_API_TOKEN" },
    webhookSecret: Redacted.make(SECRET),
    webhookSecretSource: { _tag: "Env", name: "WA_SESSION_WEBHOOK_SECRET" },
    publicUrl: Option.none(),
    safetyMargin: Duration.zero,
    maxBodyBytes: MAX_BODY_BYTES,
    ...RELAY_DEFAULTS,
    edge: EDGE_DEFAULTS,
    eventsSecret: Redacted.make(`whsec_${Buffer.alloc(32, 1).toString("base64")}`),
    eventsSecretSource: { _tag: "Env", name: "WA_SESSION_EVENTS_SECRET" }
  }
  const options: App.AppOptions = { settings, dryRun: true, store: variant.endsWith("-nostore") ? NoStore : undefined }
  const server = variant.startsWith("fast")
    ? App.layer(options)
    : HttpAppLive.pipe(
      Layer.provideMerge(NodeHttpServer.layer(Http.createServer, { host: "127.0.0.1", port: 0 })),
      Layer.provideMerge(App.layerServices(options))
    )
  server.pipe(
    Layer.tap((context) =>
      Effect.sync(() => {
        const address = Context.get(context, HttpServer.HttpServer).address
        console.log(`ready ${address._tag === "TcpAddress" ? address.port : 0}`)
      })
    ),
    Layer.provide(Logger.minimumLogLevel(LogLevel.Warning)),
    Layer.launch,
    NodeRuntime.runMain
  )
}
