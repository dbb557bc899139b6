/**
 * A fake Exotel WhatsApp API: a real HTTP server on loopback that speaks Exotel's v2 wire format, records every
 * request, can be scripted per request, and POSTs Exotel-shaped delivery reports and inbound messages.
 *
 * @since 0.1.0
 */
import * as Http from "node:http"
import { Behaviour } from "./Behaviour.js"
import type { DeliveryReportInput, InboundInput, WebhookDelivery } from "./Callbacks.js"
import {
  controlInput,
  deliveryReportItem,
  inboundItem,
  isDeliveryReportRequest,
  isInboundRequest
} from "./internal/callbacks.js"
import { acceptRequest, type SendEndpoint } from "./internal/sendEndpoint.js"
import { checkContent, type ErrorData, isObject } from "./internal/validate.js"
import {
  type Answer,
  failureBody,
  listen,
  parseJson,
  postJson,
  readBody,
  stripAuth,
  unauthorizedBody
} from "./internal/wire.js"
import type { AcceptedMessage, RecordedRequest } from "./Recorded.js"

/**
 * Exotel's error object: `{ code, message, description }`.
 *
 * @since 0.1.0
 * @category models
 */
export type { ErrorData } from "./internal/validate.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface FakeExotelOptions {
  /** Defaults to 0: a free port. */
  readonly port?: number
  /** Defaults to 127.0.0.1. */
  readonly host?: string
  readonly apiKey: string
  readonly apiToken: string
  readonly accountSid: string
  /** Largest batch accepted (Exotel documents 100). */
  readonly maxMessages?: number
  /**
   * Post delivery reports by itself to each accepted message's `status_callback`: `codes` in order, `delayMs`
   * apart (defaults: 30001 sent then 30002 delivered, 200 ms). For demos; tests script reports explicitly.
   */
  readonly autoDeliveryReports?: boolean | { readonly codes?: ReadonlyArray<number>; readonly delayMs?: number }
  /** Where the fake reports what it does (auto reports that failed, for instance). Defaults to nothing. */
  readonly log?: (line: string) => void
  /**
   * The catalogs linked to the account, each with the retailer ids of its products. When given, a `product` or
   * `product_list` message naming another catalog fails with 30034 EX_CATALOGUE_NOT_FOUND, and one naming a product
   * its catalog lacks with 30037 EX_PRODUCT_NOT_FOUND, as Exotel answers per message. Defaults to any catalog and
   * product being there. Since 0.2.0.
   */
  readonly catalogs?: Readonly<Record<string, ReadonlyArray<string>>>
}

/**
 * How the fake judges one message's `content`: `undefined` when it takes it, else the error it answers for that
 * message. Reply `context` and interactive `flow`, `product` and `product_list` are checked as WhatsApp does (exactly
 * what session-core's `MessageContent.validate` accepts); other types more loosely (the type, its object, the fields
 * Exotel calls mandatory, text up to 4096 characters).
 *
 * @since 0.2.0
 * @category validation
 */
export const judgeContent = (
  content: unknown,
  catalogs?: Readonly<Record<string, ReadonlyArray<string>>>
): ErrorData | undefined =>
  isObject(content)
    ? checkContent(content, catalogs)
    : { code: 30020, message: "EX_MISSING_PARAM", description: "content is mandatory" }

/**
 * @since 0.1.0
 * @category models
 */
export interface FakeExotel {
  /** The base URL to configure the adapter with, e.g. `http://127.0.0.1:40123`. */
  readonly url: string
  readonly port: number
  readonly apiKey: string
  readonly apiToken: string
  readonly accountSid: string
  /** The send endpoint: `${url}/v2/accounts/${accountSid}/messages`. */
  readonly messagesUrl: string
  /** Every request received, oldest first. */
  readonly requests: ReadonlyArray<RecordedRequest>
  /** Every message accepted, oldest first. */
  readonly messages: ReadonlyArray<AcceptedMessage>
  /** Queues behaviours for the next requests to the send endpoint, one request each. */
  readonly script: (...behaviours: ReadonlyArray<Behaviour>) => void
  /** Behaviours queued and not yet used. */
  readonly pending: () => number
  /** The batch item of a delivery report, as Exotel would post it. */
  readonly deliveryReportItem: (report: DeliveryReportInput) => Record<string, unknown>
  /** The batch item of an inbound message, as Exotel would post it. */
  readonly inboundItem: (inbound: InboundInput) => Record<string, unknown>
  readonly sendDeliveryReport: (callbackUrl: string, report: DeliveryReportInput) => Promise<WebhookDelivery>
  readonly sendInbound: (callbackUrl: string, inbound: InboundInput) => Promise<WebhookDelivery>
  /** POSTs `{ whatsapp: { messages: items } }`: any mix of items, well-formed or not. */
  readonly sendBatch: (callbackUrl: string, items: ReadonlyArray<unknown>) => Promise<WebhookDelivery>
  /**
   * Forgets requests, messages and queued behaviours; stops pending auto reports. Pending `acceptAfter` answers
   * still come.
   */
  readonly reset: () => void
  /** Stops the server, dropping open connections (hanging ones, and those waiting for an `acceptAfter` answer). */
  readonly close: () => Promise<void>
}

/**
 * Starts the fake on loopback. Resolves once it listens.
 *
 * @example
 * ```ts
 * import { Behaviour, startFakeExotel } from "@wa-session/exotel-fake"
 * const fake = await startFakeExotel({ apiKey: "key", apiToken: "token", accountSid: "acme1" })
 * fake.script(Behaviour.rateLimited(1), Behaviour.accept())
 * // ... point the adapter at fake.url, send, then:
 * await fake.sendDeliveryReport("http://127.0.0.1:3000/webhooks/exotel", { sid: fake.messages[0]!.sid, code: 30018 })
 * await fake.close()
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const startFakeExotel = async (options: FakeExotelOptions): Promise<FakeExotel> => {
  const requests: Array<RecordedRequest> = []
  const messages: Array<AcceptedMessage> = []
  const queue: Array<Behaviour> = []
  const timers = new Set<ReturnType<typeof setTimeout>>()
  const lateAnswers = new Set<ReturnType<typeof setTimeout>>()
  const log = options.log ?? (() => {})
  const expectedAuth = "Basic " + Buffer.from(`${options.apiKey}:${options.apiToken}`).toString("base64")
  const messagesPath = `/v2/accounts/${options.accountSid}/messages`
  const auto = options.autoDeliveryReports === true
    ? {}
    : options.autoDeliveryReports === false
    ? undefined
    : options.autoDeliveryReports

  const endpoint: SendEndpoint = {
    messagesPath,
    maxMessages: options.maxMessages ?? 100,
    catalogs: options.catalogs,
    onAccepted: (message) => {
      messages.push(message)
      scheduleAutoReports(message)
    }
  }

  const knownMessage = (sid: string) => messages.find((message) => message.sid === sid)
  const reportItem = (report: DeliveryReportInput) => deliveryReportItem(report, knownMessage(report.sid))

  const sendBatch = (callbackUrl: string, items: ReadonlyArray<unknown>) =>
    postJson(callbackUrl, { whatsapp: { messages: items } })

  const scheduleAutoReports = (message: AcceptedMessage) => {
    if (auto === undefined || message.statusCallback === undefined) return
    const callbackUrl = message.statusCallback
    const codes = auto.codes ?? [30001, 30002]
    const delayMs = auto.delayMs ?? 200
    codes.forEach((code, i) => {
      const timer = setTimeout(() => {
        timers.delete(timer)
        sendBatch(callbackUrl, [reportItem({ sid: message.sid, code })]).then(
          (delivery) => log(`delivery report ${code} for ${message.sid} -> ${callbackUrl}: ${delivery.status}`),
          (error: unknown) =>
            log(`delivery report ${code} for ${message.sid} -> ${callbackUrl} failed: ${String(error)}`)
        )
      }, delayMs * (i + 1))
      timers.add(timer)
    })
  }

  const control = async (path: string, method: string, body: unknown): Promise<Answer> => {
    const input = controlInput(body)
    if (method === "GET" && path === "/__fake/requests") return { status: 200, body: requests }
    if (method === "GET" && path === "/__fake/messages") return { status: 200, body: messages }
    if (method === "POST" && path === "/__fake/reset") {
      fake.reset()
      return { status: 200, body: { ok: true } }
    }
    if (method === "POST" && path === "/__fake/inbound") {
      if (!isInboundRequest(input)) {
        return { status: 400, body: { error: "callbackUrl, from and to are required" } }
      }
      const item = inboundItem(input)
      return { status: 200, body: { item, delivery: await sendBatch(input.callbackUrl, [item]) } }
    }
    if (method === "POST" && path === "/__fake/delivery-report") {
      const known = messages.find((message) => message.sid === input.sid)
      const callbackUrl = typeof input.callbackUrl === "string" ? input.callbackUrl : known?.statusCallback
      if (!isDeliveryReportRequest(input) || callbackUrl === undefined) {
        return { status: 400, body: { error: "sid and code are required, and callbackUrl unless the sid is known" } }
      }
      const item = deliveryReportItem(input, known)
      return { status: 200, body: { item, delivery: await sendBatch(callbackUrl, [item]) } }
    }
    return { status: 404, body: { error: `no control endpoint ${method} ${path}` } }
  }

  const handle = async (request: Http.IncomingMessage, response: Http.ServerResponse) => {
    const rawBody = await readBody(request)
    const parsed = parseJson(rawBody)
    const path = (request.url ?? "/").split("?")[0] ?? "/"
    const method = request.method ?? "GET"
    const authorized = request.headers.authorization === expectedAuth
    const record: { -readonly [K in keyof RecordedRequest]: RecordedRequest[K] } = {
      method,
      path,
      headers: stripAuth(request.headers),
      authorized,
      body: parsed.ok ? parsed.value : undefined,
      rawBody,
      receivedAt: new Date(),
      response: undefined
    }
    const answer = (status: number, body: unknown, headers: Readonly<Record<string, string>> = {}) => {
      record.response = { status, body }
      response.writeHead(status, { "content-type": "application/json", ...headers })
      response.end(JSON.stringify(body))
    }
    if (path.startsWith("/__fake/")) {
      const result = await control(path, method, record.body)
      return answer(result.status, result.body)
    }
    requests.push(record)
    const isMessages = /^\/v2\/accounts\/[^/]+\/messages\/?$/.test(path)
    if (!isMessages) {
      return answer(404, failureBody(404, { code: 404, message: "Not Found", description: `no resource at ${path}` }))
    }
    if (method !== "POST") {
      return answer(405, failureBody(405, { code: 405, message: "Method Not Allowed", description: "use POST" }))
    }
    const behaviour = queue.shift() ?? Behaviour.accept()
    switch (behaviour._tag) {
      case "Hang":
        return
      case "Reset":
        request.socket.destroy()
        return
      case "Respond":
        return answer(behaviour.status, behaviour.body, behaviour.headers)
      case "RespondText":
        record.response = { status: behaviour.status, body: behaviour.text }
        response.writeHead(behaviour.status, { "content-type": "text/plain", ...behaviour.headers })
        response.end(behaviour.text)
        return
      case "RateLimited":
        return answer(
          429,
          failureBody(429, { code: 429, message: "Too Many Requests", description: "rate limit exceeded" }),
          behaviour.retryAfter === undefined ? {} : { "retry-after": behaviour.retryAfter }
        )
      case "ServerError":
        return answer(
          behaviour.status,
          failureBody(behaviour.status, {
            code: behaviour.status,
            message: "Internal Server Error",
            description: "something went wrong"
          })
        )
      case "AcceptAfter": {
        const result = acceptRequest(endpoint, { path, authorized, parsed }, undefined)
        return answerLater(behaviour.delayMs, response, () => answer(result.status, result.body))
      }
      case "Unauthorized":
        return answer(401, unauthorizedBody())
      case "Accept":
      case "FailMessage": {
        const failing = behaviour._tag === "FailMessage" ? behaviour : undefined
        const result = acceptRequest(endpoint, { path, authorized, parsed }, failing)
        return answer(result.status, result.body)
      }
    }
  }

  /** Writes an answer after `delayMs`, unless the client has gone by then (the answer then goes nowhere). */
  const answerLater = (delayMs: number, response: Http.ServerResponse, write: () => void) => {
    const timer = setTimeout(() => {
      lateAnswers.delete(timer)
      if (response.destroyed || response.writableEnded || response.socket === null || response.socket.destroyed) {
        log(`answer due after ${delayMs} ms dropped: the client had gone`)
        return
      }
      write()
    }, delayMs)
    lateAnswers.add(timer)
  }

  const server = Http.createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log(`fake exotel: ${String(error)}`)
      if (!response.headersSent) {
        response.writeHead(500, { "content-type": "application/json" })
        response.end(JSON.stringify({ error: String(error) }))
      }
    })
  })

  const address = await listen(server, options.port ?? 0, options.host ?? "127.0.0.1")
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address
  const url = `http://${host}:${address.port}`

  const fake: FakeExotel = {
    url,
    port: address.port,
    apiKey: options.apiKey,
    apiToken: options.apiToken,
    accountSid: options.accountSid,
    messagesUrl: url + messagesPath,
    requests,
    messages,
    script: (...behaviours) => {
      queue.push(...behaviours)
    },
    pending: () => queue.length,
    deliveryReportItem: reportItem,
    inboundItem,
    sendDeliveryReport: (callbackUrl, report) => sendBatch(callbackUrl, [reportItem(report)]),
    sendInbound: (callbackUrl, inbound) => sendBatch(callbackUrl, [inboundItem(inbound)]),
    sendBatch,
    reset: () => {
      requests.length = 0
      messages.length = 0
      queue.length = 0
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer)
        timers.clear()
        for (const timer of lateAnswers) clearTimeout(timer)
        lateAnswers.clear()
        server.close((error) => (error === undefined ? resolve() : reject(error)))
        server.closeAllConnections()
      })
  }
  return fake
}
