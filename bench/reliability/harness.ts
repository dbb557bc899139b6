/**
 * What the reliability suite and the bench share: start the real server as a black box (a child process), wait
 * for it, talk to it over loopback with bounded timeouts, build Exotel-shaped items, and record figures.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"

export const ROOT = Path.resolve(import.meta.dirname, "..", "..")
export const SERVER_DIR = Path.join(ROOT, "apps", "server")
export const SERVER_MAIN = Path.join(SERVER_DIR, "src", "main.ts")

export const TOKEN = "reliability-token-0123456789abcdef"
export const SECRET = "reliability-secret-0123456789abcdef"

export const SIZE: "ci" | "full" = process.env["RELIABILITY_SIZE"] === "full" ? "full" : "ci"
export const sized = (ci: number, full: number): number => (SIZE === "full" ? full : ci)

export const PG_URL = process.env["WA_SESSION_TEST_PG_URL"] ?? "postgres://postgres@127.0.0.1:5432/test"

export const tmpDir = (label: string): string => Fs.mkdtempSync(Path.join(Os.tmpdir(), `wa-rel-${label}-`))

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = Net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address() as Net.AddressInfo
      server.close(() => resolve(address.port))
    })
  })

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `check` every 100 ms until it holds; fails after `timeoutMs`. */
export const waitUntil = async (check: () => Promise<boolean> | boolean, what: string, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await sleep(100)
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}

export interface ServerOptions {
  readonly databaseUrl: string
  readonly port?: number
  readonly env?: Readonly<Record<string, string>>
  /** Extra node flags before `--import tsx` (e.g. `--cpu-prof`). */
  readonly nodeArgs?: ReadonlyArray<string>
}

export interface RunningServer {
  readonly url: string
  readonly port: number
  readonly child: ChildProcess.ChildProcess
  readonly webhookUrl: string
  /** Everything the process wrote to stdout and stderr so far. */
  readonly log: () => string
  readonly alive: () => boolean
  readonly kill9: () => Promise<void>
  readonly stop: () => Promise<void>
}

const exited = (child: ChildProcess.ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once("exit", () => resolve()))

/**
 * Starts `node --import tsx apps/server/src/main.ts` and resolves once GET /healthz answers 200 (60 s at most: on a
 * loaded 2-core machine, tsx compiling the server beside other suites' servers took over 30 s).
 */
export const startServer = async (options: ServerOptions): Promise<RunningServer> => {
  const port = options.port ?? (await freePort())
  const chunks: Array<string> = []
  // `--import tsx` resolves from the working directory, so the server runs from its own package
  const child = ChildProcess.spawn(process.execPath, [...(options.nodeArgs ?? []), "--import", "tsx", SERVER_MAIN], {
    cwd: SERVER_DIR,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env["PATH"] ?? "",
      HOME: process.env["HOME"] ?? "",
      HOST: "127.0.0.1",
      PORT: String(port),
      WA_SESSION_DATABASE_URL: options.databaseUrl,
      WA_SESSION_API_TOKEN: TOKEN,
      WA_SESSION_WEBHOOK_SECRET: SECRET,
      ...options.env
    }
  })
  child.stdout!.on("data", (chunk) => chunks.push(String(chunk)))
  child.stderr!.on("data", (chunk) => chunks.push(String(chunk)))
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${chunks.join("")}`)
    if (Date.now() > deadline) {
      child.kill("SIGKILL")
      throw new Error(`server not healthy after 60 s:\n${chunks.join("")}`)
    }
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })
      if (response.status === 200) break
    } catch {
      // not listening yet
    }
    await sleep(100)
  }
  return {
    url,
    port,
    child,
    webhookUrl: `${url}/webhooks/exotel/${SECRET}`,
    log: () => chunks.join(""),
    alive: () => child.exitCode === null && child.signalCode === null,
    kill9: async () => {
      child.kill("SIGKILL")
      await exited(child)
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill("SIGTERM")
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000)
      await exited(child)
      clearTimeout(timer)
    }
  }
}

export interface Answer {
  readonly status: number
  readonly body: any
  readonly text: string
}

/** One HTTP request with a timeout; a network failure answers status 0. */
export const request = async (
  method: string,
  url: string,
  options: { body?: string | Buffer; headers?: Record<string, string>; timeoutMs?: number } = {}
): Promise<Answer> => {
  try {
    const response = await fetch(url, {
      method,
      headers: options.headers ?? {},
      ...(options.body === undefined ? {} : { body: options.body }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000)
    })
    const text = await response.text()
    let body: unknown = undefined
    try {
      body = JSON.parse(text)
    } catch {
      // not JSON
    }
    return { status: response.status, body, text }
  } catch (error) {
    return { status: 0, body: undefined, text: String(error) }
  }
}

export const postJson = (url: string, value: unknown, headers: Record<string, string> = {}) =>
  request("POST", url, {
    body: JSON.stringify(value),
    headers: { "content-type": "application/json", ...headers }
  })

export const auth = { authorization: `Bearer ${TOKEN}` }

export const getSession = (server: { url: string }, business: string, customer: string) =>
  request("GET", `${server.url}/v1/sessions/${encodeURIComponent(business)}/${encodeURIComponent(customer)}`, {
    headers: auth
  })

/** Runs `tasks` with at most `concurrency` in flight. */
export const pool = async <A>(concurrency: number, tasks: ReadonlyArray<() => Promise<A>>): Promise<Array<A>> => {
  const results: Array<A> = new Array(tasks.length)
  let next = 0
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++
      results[index] = await tasks[index]!()
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker))
  return results
}

/** A deterministic PRNG (mulberry32), so a failing run can be replayed with its seed. */
export const rng = (seed: number) => {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <A>(items: ReadonlyArray<A>): A => items[Math.floor(next() * items.length)]!,
    shuffle: <A>(items: ReadonlyArray<A>): Array<A> => {
      const out = [...items]
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1))
        ;[out[i], out[j]] = [out[j]!, out[i]!]
      }
      return out
    }
  }
}

export const seedFromEnv = (): number => Number(process.env["RELIABILITY_SEED"] ?? Date.now() % 1_000_000)

/** `2026-01-20T10:00:00+05:30`: India time with its offset, whole seconds, as Exotel sends it. */
export const istTimestamp = (ms: number): string =>
  new Date(ms + 330 * 60_000).toISOString().replace(/\.\d{3}Z$/, "+05:30")

export const businessNumber = (i: number): string => `+9198765${String(10000 + i).slice(-5)}`
export const customerNumber = (i: number): string => `+9197${String(10000000 + i).slice(-8)}`

export interface Inbound {
  readonly sid: string
  readonly business: string
  readonly customer: string
  /** provider timestamp, whole seconds, in ms */
  readonly sentAt: number
  readonly text: string
}

export const inboundItem = (m: Inbound) => ({
  callback_type: "incoming_message",
  sid: m.sid,
  from: m.customer.slice(1),
  to: m.business.slice(1),
  profile_name: "Reliability",
  timestamp: istTimestamp(m.sentAt),
  content: { type: "text", text: { body: m.text } }
})

export const batch = (items: ReadonlyArray<unknown>) => ({ whatsapp: { messages: items } })

/** Expected window per pair: the maximum provider timestamp (the rule SessionWindow.record implements). */
export const pairKey = (business: string, customer: string) => `${business}|${customer}`

// ---- figures ---------------------------------------------------------------------------------------------

export const FIGURES_FILE = process.env["RELIABILITY_FIGURES_FILE"] ??
  Path.join(Os.tmpdir(), "wa-reliability-figures.jsonl")

/** Appends one line of figures; the global teardown prints them all at the end of the run. */
export const recordFigures = (suite: string, figures: Record<string, number | string>): void => {
  Fs.appendFileSync(FIGURES_FILE, JSON.stringify({ suite, ...figures }) + "\n")
}

export const FAKE_CREDENTIALS = { apiKey: "rel-key", apiToken: "rel-token-0123456789", accountSid: "relacct1" } as const

/** The server's environment to send through the fake Exotel, with our webhook as status_callback. */
export const exotelEnv = (fakeUrl: string, port: number): Record<string, string> => ({
  EXOTEL_API_KEY: FAKE_CREDENTIALS.apiKey,
  EXOTEL_API_TOKEN: FAKE_CREDENTIALS.apiToken,
  EXOTEL_ACCOUNT_SID: FAKE_CREDENTIALS.accountSid,
  EXOTEL_BASE_URL: fakeUrl,
  WA_SESSION_PUBLIC_URL: `http://127.0.0.1:${port}`
})

export const TEMPLATE = { type: "template", template: { name: "order_update", language: { code: "en" } } } as const

export const sendMessage = (
  server: { url: string },
  body: Record<string, unknown>,
  headers: Record<string, string> = {}
) => postJson(`${server.url}/v1/messages`, body, { ...auth, ...headers })

/** Our message id, from the custom_data the Exotel adapter sends (`{"id":"msg_…"}`; a fallback's ends in `-fallback`). */
export const ourId = (message: { readonly customData?: string | undefined }): string | undefined => {
  try {
    const id = JSON.parse(message.customData ?? "null")?.id
    return typeof id === "string" ? id : undefined
  } catch {
    return undefined
  }
}

export const getMessage = (server: { url: string }, id: string) =>
  request("GET", `${server.url}/v1/messages/${encodeURIComponent(id)}`, { headers: auth })

// ---- the relay: where the server delivers its events -------------------------------------------------------

/** The signing secret of the configured events endpoint (`WA_SESSION_EVENTS_SECRET`): fixed, so restarts agree. */
export const EVENTS_SECRET = `whsec_${Buffer.alloc(32, 0x5a).toString("base64")}`

/** The path the configured endpoint posts to under the receiver's URL. */
export const EVENTS_PATH = "/hooks/wa-session"

/** The server's environment to deliver every event to `receiverUrl` (signed with `EVENTS_SECRET`). */
export const relayEnv = (receiverUrl: string, extra: Record<string, string> = {}): Record<string, string> => ({
  WA_SESSION_EVENTS_URL: `${receiverUrl}${EVENTS_PATH}`,
  WA_SESSION_EVENTS_SECRET: EVENTS_SECRET,
  ...extra
})

/** An event as `GET /v1/events` answers it (the JSON of session-core's `Event`). */
export interface LoggedEvent {
  readonly id: string
  readonly type: string
  readonly createdAt: string
  readonly business: string | null
  readonly customer: string | null
  readonly data: any
}

/** The whole event log in log order, page by page (`last` as the next `after`); at most `maxPages` pages of 1,000. */
export const listEvents = async (server: { url: string }, maxPages = 1_000): Promise<Array<LoggedEvent>> => {
  const all: Array<LoggedEvent> = []
  let after: string | undefined
  for (let page = 0; page < maxPages; page++) {
    const query = new URLSearchParams({ limit: "1000" })
    if (after !== undefined) query.set("after", after)
    const answer = await request("GET", `${server.url}/v1/events?${query}`, { headers: auth })
    if (answer.status !== 200) throw new Error(`GET /v1/events answered ${answer.status}: ${answer.text}`)
    const items = answer.body.items as Array<LoggedEvent>
    all.push(...items)
    if (items.length === 0 || answer.body.last === null) return all
    after = answer.body.last as string
  }
  throw new Error(`GET /v1/events: more than ${maxPages} pages`)
}

/** Deliveries in a state (`GET /v1/deliveries?state=`), up to `limit` (1 to 1000). */
export const listDeliveries = async (
  server: { url: string },
  state: "pending" | "failed" | "delivered",
  limit = 1000
): Promise<Array<any>> => {
  const answer = await request("GET", `${server.url}/v1/deliveries?state=${state}&limit=${limit}`, { headers: auth })
  if (answer.status !== 200) throw new Error(`GET /v1/deliveries answered ${answer.status}: ${answer.text}`)
  return answer.body.items as Array<any>
}
