/**
 * Webhook ingest, end to end: the real wa-session server (SQLite, then PostgreSQL) receiving Exotel inbound webhooks
 * over loopback from autocannon, against bench/baseline-server.mjs (bare node:http + better-sqlite3 doing the same
 * durable upsert per request). Rounds are interleaved (baseline, project on SQLite, project on PostgreSQL, repeat)
 * so drift on the machine hits every target alike; each figure is the median of the rounds with its min-max.
 *
 *   pnpm --filter @wa-session/bench bench      BENCH_SECONDS=4 BENCH_ROUNDS=3 BENCH_CONNECTIONS=1,32 BENCH_WRITE=1
 *
 * Writes docs/performance/webhook.json and the "Webhook ingest, end to end" section of docs/performance.md unless
 * BENCH_WRITE=0. Bounded: rounds x targets x seconds of load, 127.0.0.1 only.
 */
import autocannon from "autocannon"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { freePort, ROOT, type RunningServer, SECRET, sleep, startServer, tmpDir } from "./reliability/harness.js"

const SECONDS = Number(process.env["BENCH_SECONDS"] ?? 4)
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 3)
const CONNECTION_LEVELS = (process.env["BENCH_CONNECTIONS"] ?? "1,32").split(",").map(Number)
const WARMUP_SECONDS = 2
const WRITE = process.env["BENCH_WRITE"] !== "0"
const PAIRS = 1000

interface Target {
  readonly name: string
  readonly url: string
  readonly stop: () => Promise<void>
}

const startBaseline = async (dir: string): Promise<Target> => {
  const port = await freePort()
  const child = ChildProcess.spawn(
    process.execPath,
    [Path.join(import.meta.dirname, "baseline-server.mjs"), String(port), Path.join(dir, "baseline.db"), SECRET, "full"],
    { stdio: ["ignore", "pipe", "inherit"] }
  )
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk) => String(chunk).includes("ready") && resolve())
    child.once("exit", (code) => reject(new Error(`baseline exited with ${code}`)))
  })
  return {
    name: "baseline (node:http + better-sqlite3)",
    url: `http://127.0.0.1:${port}/webhooks/exotel/${SECRET}`,
    stop: async () => {
      child.kill("SIGTERM")
      await new Promise((resolve) => child.once("exit", resolve))
    }
  }
}

const project = (name: string, server: RunningServer): Target => ({ name, url: server.webhookUrl, stop: server.stop })

let counter = 0
const inboundBody = () => {
  const n = counter++
  const sentAt = new Date(Date.now() - (n % 3600) * 1000)
  return JSON.stringify({
    whatsapp: {
      messages: [{
        callback_type: "incoming_message",
        sid: `bench.${process.pid}.${n}`,
        from: `9197${String(10000000 + (n % PAIRS)).slice(-8)}`,
        to: "919876500001",
        profile_name: "Bench",
        timestamp: new Date(sentAt.getTime() + 330 * 60_000).toISOString().replace(/\.\d{3}Z$/, "+05:30"),
        content: { type: "text", text: { body: "Hello, where is my order?" } }
      }]
    }
  })
}

interface Run {
  readonly rps: number
  readonly p50: number
  readonly p99: number
  readonly requests: number
  readonly non2xx: number
  readonly errors: number
}

const load = async (url: string, seconds: number, connections: number): Promise<Run> => {
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    timeout: 10,
    requests: [{
      method: "POST",
      headers: { "content-type": "application/json" },
      setupRequest: (request) => ({ ...request, body: inboundBody() })
    }]
  })
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts
  }
}

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
const summary = (runs: ReadonlyArray<Run>, key: "rps" | "p50" | "p99") => ({
  median: median(runs.map((r) => r[key])),
  min: Math.min(...runs.map((r) => r[key])),
  max: Math.max(...runs.map((r) => r[key]))
})

const pgTarget = async (): Promise<{ target: Target; drop: () => Promise<void> } | undefined> => {
  if (process.env["BENCH_PG"] === "0") return undefined
  const pg = await import("./reliability/pg.js")
  if (!pg.pgAvailable) return undefined
  const schema = pg.freshSchema("bench")
  await pg.createSchema(schema)
  const server = await startServer({ databaseUrl: pg.urlWithSchema(schema), env: { WA_SESSION_LOG_LEVEL: "warning" } })
  return { target: project("wa-session on PostgreSQL", server), drop: async () => { await pg.dropSchema(schema) } }
}

const main = async () => {
  const started = Date.now()
  const loadAtStart = Os.loadavg().map((n) => Number(n.toFixed(2)))
  const dir = tmpDir("bench")
  const targets: Array<Target> = [await startBaseline(dir)]
  const sqlite = await startServer({ databaseUrl: `sqlite:${Path.join(dir, "wa.db")}`, env: { WA_SESSION_LOG_LEVEL: "warning" } })
  targets.push(project("wa-session on SQLite", sqlite))
  const pg = await pgTarget()
  if (pg) targets.push(pg.target)
  else console.warn("PostgreSQL not reachable (or BENCH_PG=0): the PostgreSQL run is left out")

  const runs = new Map<string, Array<Run>>()
  const keyOf = (target: Target, connections: number) => `${target.name}|${connections}`
  try {
    for (const target of targets) await load(target.url, WARMUP_SECONDS, 32)
    for (let round = 1; round <= ROUNDS; round++) {
      for (const connections of CONNECTION_LEVELS) for (const target of targets) {
        await sleep(300)
        const run = await load(target.url, SECONDS, connections)
        runs.set(keyOf(target, connections), [...(runs.get(keyOf(target, connections)) ?? []), run])
        console.log(
          `round ${round} c=${String(connections).padEnd(3)} ${target.name.padEnd(38)} ${run.rps.toFixed(0).padStart(6)} req/s  p50 ${run.p50} ms  p99 ${run.p99} ms` +
            `  (${run.requests} requests, non-2xx ${run.non2xx}, errors ${run.errors})`
        )
      }
    }
  } finally {
    for (const target of targets) await target.stop()
    await pg?.drop()
  }

  const results = CONNECTION_LEVELS.flatMap((connections) => targets.map((target) => {
    const base = runs.get(keyOf(targets[0]!, connections))!
    const r = runs.get(keyOf(target, connections))!
    return {
      target: target.name,
      connections,
      reqPerSec: summary(r, "rps"),
      latencyMs: { p50: summary(r, "p50"), p99: summary(r, "p99") },
      requests: r.reduce((n, x) => n + x.requests, 0),
      non2xx: r.reduce((n, x) => n + x.non2xx, 0),
      errors: r.reduce((n, x) => n + x.errors, 0),
      vsBaseline: {
        reqPerSec: summary(r, "rps").median / summary(base, "rps").median,
        p99: summary(r, "p99").median / Math.max(1, summary(base, "p99").median)
      }
    }
  }))
  const report = {
    bench: "webhook-ingest-e2e",
    date: new Date().toISOString(),
    machine: { cpus: Os.cpus().length, cpu: Os.cpus()[0]?.model ?? "?", node: process.version, platform: `${Os.platform()} ${Os.release()}`, loadAverageAtStart: loadAtStart, loadAverageAtEnd: Os.loadavg().map((n) => Number(n.toFixed(2))) },
    settings: { seconds: SECONDS, rounds: ROUNDS, connections: CONNECTION_LEVELS, warmupSeconds: WARMUP_SECONDS, itemsPerRequest: 1, pairs: PAIRS, sqliteSynchronous: "full" },
    targets: { reqPerSecAtLeast: 0.5, p99AtMost: 2 },
    results
  }

  const fmt = (s: { median: number; min: number; max: number }, digits = 0) =>
    `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`
  const table = [
    "| Target | connections | req/s median (min–max) | p50 ms | p99 ms | × baseline req/s | × baseline p99 | non-2xx / errors |",
    "|---|---:|---|---|---|---|---|---|",
    ...results.map((r) =>
      `| ${r.target} | ${r.connections} | ${fmt(r.reqPerSec)} | ${fmt(r.latencyMs.p50)} | ${fmt(r.latencyMs.p99)} | ${r.vsBaseline.reqPerSec.toFixed(2)} | ${r.vsBaseline.p99.toFixed(2)} | ${r.non2xx} / ${r.errors} |`
    )
  ].join("\n")
  console.log(`\n${table}\n`)
  const verdicts = results.filter((r) => !r.target.startsWith("baseline")).map((r) => {
    const ok = r.vsBaseline.reqPerSec >= 0.5 && r.vsBaseline.p99 <= 2
    const head = `${r.target}, ${r.connections} connection(s): ${r.vsBaseline.reqPerSec.toFixed(2)}x baseline req/s, p99 ${r.vsBaseline.p99.toFixed(2)}x`
    // the baseline is SQLite: the target (>= 0.5x req/s, p99 <= 2x) is the SQLite default's; PostgreSQL is for scale
    return r.target.includes("PostgreSQL")
      ? `${head} (PostgreSQL against the SQLite baseline, for information: there is no bare PostgreSQL baseline)`
      : `${head} (target >= 0.5x and <= 2x): ${ok ? "MEETS" : "MISSES"} the target`
  })
  for (const line of verdicts) console.log(line)
  console.log(`bench took ${((Date.now() - started) / 1000).toFixed(0)} s`)

  // compare with the previous run's JSON, when there is one
  const jsonFile = Path.join(ROOT, "docs", "performance", "webhook.json")
  if (Fs.existsSync(jsonFile)) {
    try {
      const previous = JSON.parse(Fs.readFileSync(jsonFile, "utf8")) as typeof report
      console.log(`\nagainst the previous run (${previous.date}):`)
      for (const r of results) {
        const before = previous.results.find((p) => p.target === r.target && (p as { connections?: number }).connections === r.connections)
        if (before) {
          console.log(
            `  ${r.target}, c=${r.connections}: req/s ${(r.reqPerSec.median / before.reqPerSec.median).toFixed(2)}x, ` +
              `ratio to baseline ${before.vsBaseline.reqPerSec.toFixed(2)} -> ${r.vsBaseline.reqPerSec.toFixed(2)}`
          )
        }
      }
    } catch {
      console.log("the previous docs/performance/webhook.json could not be read: no comparison")
    }
  }

  if (WRITE) {
    Fs.mkdirSync(Path.join(ROOT, "docs", "performance"), { recursive: true })
    Fs.writeFileSync(Path.join(ROOT, "docs", "performance", "webhook.json"), JSON.stringify(report, null, 2) + "\n")
    const section = [
      BEGIN,
      "## Webhook ingest, end to end (`pnpm bench`, `bench/webhook.ts`)",
      "",
      `The real server receiving Exotel inbound webhooks (one message per request, ${PAIRS} pairs, unique sids) over loopback`,
      `from autocannon (${CONNECTION_LEVELS.join(" and ")} connections, ${SECONDS} s per run, ${ROUNDS} interleaved rounds after a ${WARMUP_SECONDS} s warm-up per target),`,
      "against `bench/baseline-server.mjs`: bare `node:http` + better-sqlite3 doing the same durable upsert per request (dedup on",
      "(business, sid), window extended to the maximum timestamp, WAL with `synchronous=FULL`, answer after commit). Load",
      "generator and server share the machine. Medians of the rounds with min–max; machine-readable copy and history in",
      "`docs/performance/webhook.json` (compare a new run with it). autocannon reports latency in whole milliseconds, so",
      "sub-millisecond medians read 0 and the p99 ratio of the 1-connection runs is coarse (the baseline's p99 is taken as",
      "at least 1 ms).",
      "",
      `Measured ${report.date.slice(0, 10)} on ${report.machine.cpus} × ${report.machine.cpu}, Node ${report.machine.node}; load average`,
      `${loadAtStart.join(", ")} at the start (other work shared the machine: the spread of the rounds shows it).`,
      "",
      table,
      "",
      ...verdicts.map((line) => `* ${line}`),
      "",
      "Reading it: with 32 connections wa-session beats the baseline because it writes the items of concurrent requests in",
      "one transaction (one WAL fsync per group, each request answered after its group committed), while the baseline",
      "fsyncs once per request and blocks its event loop doing it. With one connection there is nothing to group: each",
      "request pays its own fsync plus the server's decoding and Effect runtime: 0.35-0.5x in our runs, under the 0.5x target when the machine is loaded. The",
      "PostgreSQL rows use the same SQLite baseline, so their ratios are for scale only (one connection pays a network",
      "round trip and a server-side WAL flush per request).",
      "",
      "Reproduce: `pnpm --filter @wa-session/bench bench` (`BENCH_SECONDS`, `BENCH_ROUNDS`, `BENCH_CONNECTIONS`, `BENCH_PG=0`,",
      "`BENCH_WRITE=0` to print without writing).",
      END
    ].join("\n")
    const file = Path.join(ROOT, "docs", "performance.md")
    const current = Fs.existsSync(file) ? Fs.readFileSync(file, "utf8") : "# Performance\n"
    const start = current.indexOf(BEGIN)
    const end = current.indexOf(END)
    const next = start >= 0 && end > start
      ? current.slice(0, start) + section + current.slice(end + END.length)
      : current.replace(/\n*$/, "\n\n") + section + "\n"
    Fs.writeFileSync(file, next)
    console.log("wrote docs/performance/webhook.json and the webhook section of docs/performance.md")
  }
  const failed = results.some((r) => r.non2xx > 0 || r.errors > 0)
  if (failed) {
    console.error("some requests failed (non-2xx or errors): see the table")
    process.exitCode = 1
  }
}

const BEGIN = "<!-- bench/webhook.ts: begin (generated; edit bench/webhook.ts) -->"
const END = "<!-- bench/webhook.ts: end -->"

await main()
