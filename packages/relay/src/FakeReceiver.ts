/**
 * The business's endpoint, faked for tests: a real `node:http` server on 127.0.0.1 that records every request,
 * checks its Standard Webhooks signature with the `standardwebhooks` package, and answers as scripted (a status,
 * a list of statuses, no answer at all, or no server at all).
 *
 * @example
 * ```ts
 * import * as FakeReceiver from "@wa-session/relay/FakeReceiver"
 *
 * const receiver = await FakeReceiver.start({ secret: "whsec_…" }) // port 0: any free port
 * receiver.script([503, 503]) // the next two requests get 503, then the default (200)
 * // point an endpoint at receiver.url, deliver...
 * await receiver.waitFor((received) => received.some((r) => r.status === 200), 5_000)
 * receiver.delivered() // the requests answered 2xx, with .verified, .body, .id...
 * await receiver.close()
 * ```
 * @since 0.1.0
 */
import * as Http from "node:http"
import type { Socket } from "node:net"
import { Webhook } from "standardwebhooks"

/**
 * One request as the receiver got it.
 *
 * @since 0.1.0
 * @category models
 */
export interface ReceivedRequest {
  readonly method: string
  /** The path and query, e.g. `/hooks/wa`. */
  readonly path: string
  /** The `webhook-id` header (the event's id), `undefined` when absent. */
  readonly id: string | undefined
  /** The `webhook-timestamp` header (Unix seconds, as sent). */
  readonly timestamp: string | undefined
  /** The `webhook-signature` header. */
  readonly signature: string | undefined
  readonly headers: Readonly<Record<string, string>>
  /** The body parsed as JSON, `undefined` when it is not JSON. */
  readonly body: unknown
  readonly rawBody: string
  /**
   * Whether `new Webhook(secret).verify(rawBody, headers)` accepted it. Note that `verify` also rejects a
   * `webhook-timestamp` more than 5 minutes away from this machine's clock.
   */
  readonly verified: boolean
  /** Why `verify` refused it (e.g. `"No matching signature found"`, `"Message timestamp too old"`). */
  readonly verifyError: string | undefined
  readonly receivedAt: Date
  /** The status it was answered with; `null` while held by `hang`, or when it was never answered. */
  readonly status: number | null
}

/**
 * What `waitFor` waits for: a number of requests received, or a condition on all the requests received so far.
 *
 * @since 0.1.0
 * @category models
 */
export type Condition = number | ((received: ReadonlyArray<ReceivedRequest>) => boolean)

/**
 * @since 0.1.0
 * @category models
 */
export interface FakeReceiver {
  /** `http://127.0.0.1:<port>`; every path under it is accepted (and recorded). */
  readonly url: string
  readonly port: number
  /** Every request so far, in arrival order (a live array). */
  readonly received: ReadonlyArray<ReceivedRequest>
  /** The requests answered with a 2xx. */
  readonly delivered: () => ReadonlyArray<ReceivedRequest>
  /**
   * Resolves with `received` once the condition holds (checked now, on each request and on each answer); rejects
   * after `timeoutMs` (default 5000) with what was received, or when the receiver is closed.
   */
  readonly waitFor: (condition: Condition, timeoutMs?: number) => Promise<ReadonlyArray<ReceivedRequest>>
  /** The status for every following request that `script` does not cover (initially 200). */
  readonly respondWith: (status: number) => void
  /** The statuses for the next `statuses.length` answered requests, in order; then back to `respondWith`'s. */
  readonly script: (statuses: ReadonlyArray<number>) => void
  /**
   * `true`: accept requests and answer none of them. `false`: answer the held requests whose client is still
   * connected, in order (consuming the script as if they had just arrived), and answer normally again.
   */
  readonly hang: (on: boolean) => void
  /**
   * How many client connections are open now. A connection's requests are all in `received` before it counts as
   * closed: 0 after a client process died means everything it had sent was read.
   */
  readonly openConnections: () => number
  /** Stops listening and destroys every open connection (held requests included): connections are refused. */
  readonly goDown: () => Promise<void>
  /** Listens again, on the same port. */
  readonly comeBack: () => Promise<void>
  /** Forgets the requests, the script and the held requests (destroyed); back to 200, not hung. */
  readonly reset: () => void
  /** Stops for good: like `goDown`, and pending `waitFor`s reject. */
  readonly close: () => Promise<void>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface StartOptions {
  /** The endpoint's signing secret, `whsec_…`, as given to the sender. */
  readonly secret: string
  /** Default 0: a free port chosen by the system. */
  readonly port?: number | undefined
}

interface Entry extends ReceivedRequest {
  status: number | null
}

interface Held {
  readonly record: Entry
  readonly response: Http.ServerResponse
}

interface Waiter {
  readonly check: () => void
  readonly fail: (error: Error) => void
}

const firstHeader = (value: string | ReadonlyArray<string> | undefined): string | undefined =>
  typeof value === "string" ? value : value?.[0]

const describe = (received: ReadonlyArray<ReceivedRequest>): string => {
  if (received.length === 0) return "no requests received"
  const last = received.slice(-10).map((r) => `${r.id ?? "(no webhook-id)"} → ${r.status ?? "no answer"}`)
  return `${received.length} request(s) received${received.length > 10 ? ", the last 10" : ""}: ${last.join(", ")}`
}

/**
 * Starts a receiver on 127.0.0.1.
 *
 * @since 0.1.0
 * @category constructors
 */
export const start = async (options: StartOptions): Promise<FakeReceiver> => {
  const webhook = new Webhook(options.secret)
  const received: Array<Entry> = []
  const sockets = new Set<Socket>()
  const waiters = new Set<Waiter>()
  let held: Array<Held> = []
  let script: Array<number> = []
  let defaultStatus = 200
  let hung = false
  let listening = false
  let closed = false

  const notify = () => {
    for (const waiter of waiters) waiter.check()
  }

  const nextStatus = (): number => script.shift() ?? defaultStatus

  const answer = (record: Entry, response: Http.ServerResponse) => {
    if (response.destroyed || response.socket === null || response.socket.destroyed) return
    const status = nextStatus()
    const body = status === 204 || status === 304 ? "" : `fake receiver: ${status}\n`
    const headers: Http.OutgoingHttpHeaders = {
      "content-type": "text/plain",
      "content-length": Buffer.byteLength(body)
    }
    // A client that followed the redirect would come back here, and show up as a second request.
    if (status >= 300 && status < 400) headers["location"] = "/redirected-by-fake-receiver"
    response.writeHead(status, headers)
    response.end(body)
    record.status = status
    notify()
  }

  const verify = (rawBody: string, headers: Http.IncomingHttpHeaders): string | undefined => {
    try {
      webhook.verify(rawBody, {
        "webhook-id": firstHeader(headers["webhook-id"]) ?? "",
        "webhook-timestamp": firstHeader(headers["webhook-timestamp"]) ?? "",
        "webhook-signature": firstHeader(headers["webhook-signature"]) ?? ""
      }, { jsonParse: false })
      return undefined
    } catch (error) {
      return error instanceof Error ? error.message : String(error)
    }
  }

  const server = Http.createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      const rawBody = Buffer.concat(chunks).toString("utf8")
      let body: unknown = undefined
      try {
        body = JSON.parse(rawBody)
      } catch {
        body = undefined
      }
      const headers: { [name: string]: string } = {}
      for (const [name, value] of Object.entries(request.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : String(value)
      }
      const verifyError = verify(rawBody, request.headers)
      const record: Entry = {
        method: request.method ?? "GET",
        path: request.url ?? "/",
        id: firstHeader(request.headers["webhook-id"]),
        timestamp: firstHeader(request.headers["webhook-timestamp"]),
        signature: firstHeader(request.headers["webhook-signature"]),
        headers,
        body,
        rawBody,
        verified: verifyError === undefined,
        verifyError,
        receivedAt: new Date(),
        status: null
      }
      received.push(record)
      if (hung) {
        held.push({ record, response })
        notify()
      } else {
        answer(record, response)
      }
    })
  })
  server.on("connection", (socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject)
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject)
        listening = true
        resolve()
      })
    })

  // After the sockets are gone, give a client in this same process one turn of the event loop to see them closed,
  // so that its next request opens a new connection (refused) instead of racing onto a dead keep-alive one.
  const stop = () =>
    new Promise<void>((resolve, reject) => {
      if (!listening) return resolve()
      listening = false
      held = []
      server.close((error) => (error === undefined ? setTimeout(resolve, 10) : reject(error)))
      for (const socket of sockets) socket.destroy()
    })

  await listen(options.port ?? 0)
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error(`expected a TCP address, got ${address}`)
  const port = address.port

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    delivered: () => received.filter((r) => r.status !== null && r.status >= 200 && r.status < 300),
    waitFor: (condition, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const holds = typeof condition === "number"
          ? (all: ReadonlyArray<ReceivedRequest>) => all.length >= condition
          : condition
        const what = typeof condition === "number"
          ? `${condition} request(s)`
          : `condition ${condition.name === "" ? "(anonymous)" : condition.name}`
        const done = () => {
          clearTimeout(timer)
          waiters.delete(waiter)
        }
        const waiter: Waiter = {
          check: () => {
            if (!holds(received)) return
            done()
            resolve(received)
          },
          fail: (error) => {
            done()
            reject(error)
          }
        }
        const timer = setTimeout(
          () =>
            waiter.fail(
              new Error(`FakeReceiver.waitFor: ${what} not met within ${timeoutMs} ms; ${describe(received)}`)
            ),
          timeoutMs
        )
        waiters.add(waiter)
        waiter.check()
      }),
    respondWith: (status) => {
      defaultStatus = status
    },
    script: (statuses) => {
      script = [...statuses]
    },
    hang: (on) => {
      hung = on
      if (on) return
      const release = held
      held = []
      for (const { record, response } of release) answer(record, response)
    },
    openConnections: () => sockets.size,
    goDown: stop,
    comeBack: async () => {
      if (closed) throw new Error("FakeReceiver.comeBack: the receiver is closed")
      if (!listening) await listen(port)
    },
    reset: () => {
      received.length = 0
      script = []
      defaultStatus = 200
      hung = false
      for (const { response } of held) response.destroy()
      held = []
    },
    close: async () => {
      closed = true
      for (const waiter of waiters) waiter.fail(new Error(`FakeReceiver closed; ${describe(received)}`))
      await stop()
    }
  }
}
