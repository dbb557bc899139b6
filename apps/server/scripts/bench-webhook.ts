// Webhook ingest: wa-session's fast path vs the same route through the HttpApi stack vs bare node:http (+
// better-sqlite3), see docs/performance.md "Webhook ingest". Each server runs in its own process, the load generator
// in another. The markdown table goes to stdout, progress to stderr.
//   node --import tsx scripts/bench-webhook.ts
//   BENCH_SECONDS=3 BENCH_ROUNDS=3 BENCH_CONCURRENCY=1,32 BENCH_SYNC=full|normal BENCH_VARIANTS=bare,fast,...
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"

const here = import.meta.dirname
const seconds = Number(process.env.BENCH_SECONDS ?? 3)
const synchronous = process.env.BENCH_SYNC ?? "full"
const concurrencies = (process.env.BENCH_CONCURRENCY ?? "1,32").split(",").map(Number)
const variants = (process.env.BENCH_VARIANTS ?? "bare,httpapi,fast,bare-nodb,httpapi-nostore,fast-nostore")
  .split(",")
const SECRET = "bench-secret-0123456789abcdef"

interface Result {
  readonly requests: number
  /** with the warm-up requests, which the CPU time includes */
  readonly total: number
  readonly rps: number
  readonly p50: string
  readonly p99: string
  readonly statuses: Record<string, number>
}

const cpuOf = (child: ChildProcess.ChildProcess) =>
  new Promise<number>((resolve) => {
    const onData = (chunk: unknown) => {
      const match = /cpu (\d+)/.exec(String(chunk))
      if (match) {
        child.stdout!.off("data", onData)
        resolve(Number(match[1]))
      }
    }
    child.stdout!.on("data", onData)
    child.kill("SIGUSR2")
  })

const startServer = (variant: string, dir: string) =>
  new Promise<{ port: number; child: ChildProcess.ChildProcess }>((resolve, reject) => {
    const child = ChildProcess.spawn(
      process.execPath,
      ["--import", "tsx", Path.join(here, "bench-server.ts"), variant, dir, synchronous],
      { stdio: ["ignore", "pipe", "inherit"] }
    )
    let out = ""
    child.stdout!.on("data", (chunk) => {
      out += String(chunk)
      const match = /ready (\d+)/.exec(out)
      if (match) resolve({ port: Number(match[1]), child })
    })
    child.on("exit", (code) => reject(new Error(`${variant} exited with ${code}`)))
  })

const load = (url: string, concurrency: number) =>
  new Promise<Result>((resolve, reject) => {
    ChildProcess.execFile(
      process.execPath,
      [Path.join(here, "load.mjs"), url, String(concurrency), String(seconds)],
      (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout)))
    )
  })

const stop = (child: ChildProcess.ChildProcess) =>
  new Promise<void>((resolve) => {
    child.removeAllListeners("exit")
    child.on("exit", () => resolve())
    child.kill("SIGTERM")
  })

const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const runs = new Map<string, Array<{ rps: number; p50: number; p99: number; cpu: number; ok: boolean }>>()
const [load1] = Os.loadavg()
// Rounds interleave the servers, so a busy spell of the machine does not land on one of them only; the table shows
// the median of the rounds.
for (let round = 1; round <= rounds; round++) {
  for (const variant of variants) {
    const dir = await Fs.mkdtemp(Path.join(Os.tmpdir(), `wa-bench-${variant}-`))
    const { child, port } = await startServer(variant, dir)
    const url = `http://127.0.0.1:${port}/webhooks/exotel/${SECRET}`
    await load(url, 4) // warm-up (JIT, SQLite cache)
    for (const concurrency of concurrencies) {
      const cpuBefore = await cpuOf(child)
      const result = await load(url, concurrency)
      const cpu = (await cpuOf(child)) - cpuBefore
      const key = `${variant}|${concurrency}`
      const list = runs.get(key) ?? []
      list.push({
        rps: result.rps,
        p50: Number(result.p50),
        p99: Number(result.p99),
        cpu: cpu / result.total,
        ok: (result.statuses["200"] ?? 0) === result.requests
      })
      runs.set(key, list)
      console.error(
        `round ${round} ${variant} c=${concurrency}: ${result.rps} req/s, ${Math.round(cpu / result.total)} µs/req`
      )
    }
    await stop(child)
    await Fs.rm(dir, { recursive: true, force: true })
  }
}
const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}
const rows = [...runs].map(([key, list]) => {
  const [variant, concurrency] = key.split("|")
  const cells = [
    variant,
    concurrency,
    median(list.map((r) => r.rps)),
    median(list.map((r) => r.p50)).toFixed(2),
    median(list.map((r) => r.p99)).toFixed(1),
    Math.round(median(list.map((r) => r.cpu))),
    list.every((r) => r.ok) ? "all 200" : "NOT ALL 200"
  ]
  return `| ${cells.join(" | ")} |`
})
const [load2] = Os.loadavg()
console.log(
  [
    `node ${process.version}, ${Os.cpus().length} CPUs (${Os.cpus()[0]?.model}), ` +
    `load average ${load1?.toFixed(1)} at start and ${load2?.toFixed(1)} at the end, ` +
    `SQLite synchronous=${synchronous}, one inbound message per request, median of ${rounds} rounds of ${seconds} s`,
    "",
    "| server | concurrency | req/s | p50 ms | p99 ms | server CPU µs/req | answers |",
    "|---|---|---|---|---|---|---|",
    ...rows
  ].join("\n")
)
