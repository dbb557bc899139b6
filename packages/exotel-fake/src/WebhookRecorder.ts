/**
 * A loopback HTTP endpoint that records what is POSTed to it: the other side of the fake's webhooks, for tests
 * that check what Exotel sends without running the wa-session server.
 *
 * @since 0.1.0
 */
import * as Http from "node:http"
import { listen } from "./internal/wire.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface ReceivedWebhook {
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  /** The JSON body, or `undefined` when it was not JSON. */
  readonly body: unknown
  readonly rawBody: string
  readonly receivedAt: Date
}

/**
 * @since 0.1.0
 * @category models
 */
export interface WebhookRecorder {
  /** Base URL; any path under it is recorded. */
  readonly url: string
  readonly received: ReadonlyArray<ReceivedWebhook>
  /** Resolves once `count` webhooks in total were received, rejects after `timeoutMs` (default 5000). */
  readonly waitFor: (count: number, timeoutMs?: number) => Promise<ReadonlyArray<ReceivedWebhook>>
  /** The status to answer with from now on (default 200). */
  readonly respondWith: (status: number) => void
  readonly close: () => Promise<void>
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const startWebhookRecorder = async (
  options: { readonly port?: number; readonly host?: string } = {}
): Promise<WebhookRecorder> => {
  const received: Array<ReceivedWebhook> = []
  const waiters = new Set<() => void>()
  let status = 200
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
      const headers: Record<string, string> = {}
      for (const [name, value] of Object.entries(request.headers)) {
        if (value !== undefined) headers[name] = String(value)
      }
      received.push({
        method: request.method ?? "GET",
        path: request.url ?? "/",
        headers,
        body,
        rawBody,
        receivedAt: new Date()
      })
      response.writeHead(status)
      response.end()
      for (const waiter of waiters) waiter()
    })
  })
  const address = await listen(server, options.port ?? 0, options.host ?? "127.0.0.1")
  const recorder: WebhookRecorder = {
    url: `http://${address.address}:${address.port}`,
    received,
    waitFor: (count, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (received.length < count) return
          waiters.delete(check)
          clearTimeout(timer)
          resolve(received)
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`received ${received.length} webhooks, expected ${count} within ${timeoutMs} ms`))
        }, timeoutMs)
        waiters.add(check)
        check()
      }),
    respondWith: (next) => {
      status = next
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)))
        server.closeAllConnections()
      })
  }
  return recorder
}
