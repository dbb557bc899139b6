/**
 * The HTTP edge, through the real server process: every other spelling of the webhook route is 404 and leaves the
 * secret out of all output (the banner masks it too); 20,000 idle connections that never send a request do not
 * lock anyone out: /healthz and the webhook still answer while they pile up.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Net from "node:net"
import * as Path from "node:path"
import {
  batch,
  businessNumber,
  customerNumber,
  freePort,
  inboundItem,
  listEvents,
  recordFigures,
  SECRET,
  sleep,
  startServer,
  tmpDir
} from "./harness.js"

const servers: Array<{ stop: () => Promise<void> }> = []

/** A PostgreSQL cluster of the test's own (to freeze it) needs Debian's cluster tools and root. */
const PG_VERSION = Fs.existsSync("/etc/postgresql") ? (Fs.readdirSync("/etc/postgresql")[0] ?? "") : ""
const canMakeCluster = PG_VERSION !== "" && process.getuid?.() === 0 &&
  ChildProcess.spawnSync("which", ["pg_createcluster"]).status === 0
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()))
})

/** A request on a connection of its own with its path exactly as given (fetch would normalise it). */
const rawRequest = (port: number, method: string, path: string, body = "") =>
  new Promise<{ status: number; text: string }>((resolve) => {
    const request = Http.request(
      { host: "127.0.0.1", port, method, path, agent: false, headers: { "content-type": "application/json" } },
      (response) => {
        const chunks: Array<Buffer> = []
        response.on("data", (chunk: Buffer) => chunks.push(chunk))
        response.on("end", () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }))
      }
    )
    request.setTimeout(10_000, () => request.destroy(new Error("timed out")))
    request.on("error", (error) => resolve({ status: 0, text: String(error) }))
    request.end(body)
  })

const item = (n: number) =>
  inboundItem({
    sid: `edge-${n}`,
    business: businessNumber(1),
    customer: customerNumber(n),
    sentAt: Math.floor(Date.now() / 1000) * 1000,
    text: `edge ${n}`
  })

describe("the HTTP edge", () => {
  it("webhook path variants: 404 with a code, nothing recorded, the secret in no output", async () => {
    const server = await startServer({ databaseUrl: `sqlite:${Path.join(tmpDir("edge-paths"), "db.sqlite")}` })
    servers.push(server)
    const body = JSON.stringify(batch([item(1)]))
    const variants: ReadonlyArray<readonly [string, string]> = [
      ["POST", `//webhooks/exotel/${SECRET}`],
      ["POST", `/WEBHOOKS/exotel/${SECRET}`],
      ["POST", `/Webhooks/Exotel/${SECRET}`],
      ["POST", `/webhooks//exotel/${SECRET}`],
      ["POST", `/webhooks/exotel//${SECRET}`],
      ["POST", `/webhooks/exotel/${SECRET}/`],
      ["POST", `/webhooks/exotel/${SECRET}/extra`],
      ["POST", `/%77ebhooks/exotel/${SECRET}`],
      ["POST", `/webhooks%2Fexotel%2F${SECRET}`],
      ["POST", `/webhooks/exotel/${encodeURIComponent(SECRET)}%2F`],
      ["GET", `/webhooks/exotel/${SECRET}`],
      ["DELETE", `/webhooks/exotel/${SECRET}`],
      ["POST", `/v1/${SECRET}`],
      ["GET", `/docs/${SECRET}?secret=${SECRET}`]
    ]
    const expected = (path: string) => path === `/webhooks/exotel/${SECRET}` ? 405 : 404
    for (const [method, path] of variants) {
      const answer = await rawRequest(server.port, method, path, body)
      assert.strictEqual(answer.status, expected(path), `${method} ${path}`)
      assert.strictEqual(typeof JSON.parse(answer.text).code, "string", `${method} ${path}`)
    }
    const exact = await rawRequest(server.port, "POST", `/webhooks/exotel/${SECRET}`, body)
    assert.strictEqual(exact.status, 200)
    const received = (await listEvents(server)).filter((event) => event.type === "message.received")
    assert.lengthOf(received, 1)
    await server.stop()
    assert.include(server.log(), "/webhooks/exotel/")
    assert.notInclude(server.log(), SECRET)
  })

  it("a 100,000-item batch, five at once: kept whole in the quarantine, one log line each, /healthz keeps answering", async () => {
    const server = await startServer({ databaseUrl: `sqlite:${Path.join(tmpDir("edge-flood"), "db.sqlite")}` })
    servers.push(server)
    const huge = JSON.stringify(batch(Array.from({ length: 100_000 }, (_, n) => n)))
    const underCap = JSON.stringify(batch(Array.from({ length: 999 }, (_, n) => ({ callback_type: "nonsense", n }))))
    const linesBefore = server.log().split("\n").length
    const started = Date.now()
    let slowestHealth = 0
    const healthLoop = (async () => {
      while (Date.now() - started < 3_000) {
        const t0 = Date.now()
        const health = await rawRequest(server.port, "GET", "/healthz")
        assert.strictEqual(health.status, 200)
        slowestHealth = Math.max(slowestHealth, Date.now() - t0)
      }
    })()
    const answers = await Promise.all([
      ...Array.from({ length: 5 }, () => rawRequest(server.port, "POST", `/webhooks/exotel/${SECRET}`, huge)),
      rawRequest(server.port, "POST", `/webhooks/exotel/${SECRET}`, underCap)
    ])
    const tookMs = Date.now() - started
    await healthLoop
    for (const answer of answers.slice(0, 5)) {
      assert.strictEqual(answer.status, 400)
      assert.strictEqual(JSON.parse(answer.text).code, "INVALID_WEBHOOK")
      assert.match(JSON.parse(answer.text).message, /over the limit of 1000/)
    }
    assert.strictEqual(answers[5]!.status, 200)
    assert.deepStrictEqual(JSON.parse(answers[5]!.text), { accepted: 0, duplicates: 0, rejected: 999 })
    const newLines = server.log().split("\n").length - linesBefore
    recordFigures("edge-flood", {
      batches: 6,
      items: 500_999,
      newLogLines: newLines,
      tookMs,
      slowestHealthMs: slowestHealth
    })
    // one summary line per batch (and the access log has no line for the webhook): far from one per item
    assert.isBelow(newLines, 20)
  })

  it("the SQLite file deleted while running: webhooks get 503 (Exotel retries), /readyz fails, nothing is acknowledged", async () => {
    const dir = tmpDir("edge-deleted")
    const file = Path.join(dir, "db.sqlite")
    const server = await startServer({ databaseUrl: `sqlite:${file}` })
    servers.push(server)
    const post = (n: number) =>
      rawRequest(server.port, "POST", `/webhooks/exotel/${SECRET}`, JSON.stringify(batch([item(n)])))
    assert.strictEqual((await post(1)).status, 200)
    assert.strictEqual((await rawRequest(server.port, "GET", "/readyz")).status, 200)
    Fs.rmSync(file)
    for (const suffix of ["-wal", "-shm"]) Fs.rmSync(`${file}${suffix}`, { force: true })
    const after = await post(2)
    assert.strictEqual(after.status, 503)
    assert.strictEqual(JSON.parse(after.text).code, "STORAGE_UNAVAILABLE")
    const ready = await rawRequest(server.port, "GET", "/readyz")
    assert.strictEqual(ready.status, 503)
    assert.strictEqual(JSON.parse(ready.text).code, "NOT_READY")
    assert.strictEqual((await rawRequest(server.port, "GET", "/healthz")).status, 200)
    assert.isTrue(server.alive())
  })

  it.skipIf(!canMakeCluster)(
    "a frozen PostgreSQL (SIGSTOP): 503 within 5 s, /readyz within 3 s, recovery after SIGCONT",
    async () => {
      const port = await freePort()
      const name = `wa_frozen_${port}`
      ChildProcess.execFileSync("pg_createcluster", [PG_VERSION, name, "-p", String(port), "--", "--auth=trust"], {
        stdio: "ignore"
      })
      const processes = () =>
        ChildProcess.spawnSync("pgrep", ["-f", `${PG_VERSION}/${name}`]).stdout.toString().trim().split("\n")
          .filter((line) => line !== "").map(Number)
      const signal = (name: NodeJS.Signals) => {
        for (const pid of processes()) {
          try {
            process.kill(pid, name)
          } catch {
            // gone meanwhile
          }
        }
      }
      try {
        ChildProcess.execFileSync("pg_ctlcluster", [PG_VERSION, name, "start"], { stdio: "ignore" })
        const server = await startServer({ databaseUrl: `postgres://postgres@127.0.0.1:${port}/postgres` })
        servers.push(server)
        const post = (n: number) =>
          rawRequest(server.port, "POST", `/webhooks/exotel/${SECRET}`, JSON.stringify(batch([item(n)])))
        assert.strictEqual((await post(1)).status, 200)
        signal("SIGSTOP")
        const t0 = Date.now()
        const frozen = await post(2)
        const webhookMs = Date.now() - t0
        assert.strictEqual(frozen.status, 503)
        assert.strictEqual(JSON.parse(frozen.text).code, "STORAGE_UNAVAILABLE")
        assert.isBelow(webhookMs, 5_000)
        const t1 = Date.now()
        const ready = await rawRequest(server.port, "GET", "/readyz")
        const readyMs = Date.now() - t1
        assert.strictEqual(ready.status, 503)
        assert.isBelow(readyMs, 3_000)
        assert.strictEqual((await rawRequest(server.port, "GET", "/healthz")).status, 200)
        signal("SIGCONT")
        let recovered = 0
        const deadline = Date.now() + 30_000
        while (Date.now() < deadline) {
          if ((await post(3)).status === 200) {
            recovered = Date.now()
            break
          }
          await sleep(250)
        }
        recordFigures("edge-frozen-pg", { webhookMs, readyMs, recoveredAfterMs: recovered === 0 ? -1 : recovered - t1 })
        assert.isAbove(recovered, 0)
        await server.stop()
      } finally {
        signal("SIGCONT")
        ChildProcess.spawnSync("pg_dropcluster", ["--stop", PG_VERSION, name], { stdio: "ignore" })
      }
    }
  )

  it("20,000 idle connections: /healthz and the webhook keep answering, idle ones are closed", async () => {
    const server = await startServer({
      databaseUrl: `sqlite:${Path.join(tmpDir("edge-idle"), "db.sqlite")}`,
      env: { WA_SESSION_MAX_CONNECTIONS: "1000", WA_SESSION_HEADERS_TIMEOUT: "5s" }
    })
    servers.push(server)
    const TOTAL = 20_000
    const open = new Set<Net.Socket>()
    let refused = 0
    let closedByServer = 0
    const connect = () =>
      new Promise<void>((resolve) => {
        const socket = Net.connect(server.port, "127.0.0.1")
        socket.on("connect", () => {
          open.add(socket)
          resolve()
        })
        socket.on("error", () => {
          refused++
          resolve()
        })
        socket.on("close", () => {
          if (open.delete(socket)) closedByServer++
        })
      })
    const health: Array<number> = []
    const webhook: Array<number> = []
    let slowest = 0
    for (let made = 0; made < TOTAL; made += 500) {
      await Promise.all(Array.from({ length: 500 }, connect))
      const started = Date.now()
      health.push((await rawRequest(server.port, "GET", "/healthz")).status)
      webhook.push(
        (await rawRequest(server.port, "POST", `/webhooks/exotel/${SECRET}`, JSON.stringify(batch([item(made)]))))
          .status
      )
      slowest = Math.max(slowest, Date.now() - started)
    }
    recordFigures("edge", { idleConnections: TOTAL, refused, closedByServer, stillOpen: open.size, slowestMs: slowest })
    assert.isTrue(health.every((status) => status === 200))
    assert.isTrue(webhook.every((status) => status === 200))
    assert.isAtMost(open.size, 1000)
    assert.isTrue(server.alive())
    for (const socket of open) socket.destroy()
  })
})
