/**
 * A fake Exotel WhatsApp API: a real HTTP server on loopback that speaks Exotel's v2 wire format, records every
 * request, can be scripted per request, and POSTs Exotel-shaped delivery reports and inbound messages.
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { STATUS_NAMES } from "./internal/statuses.js"
import { checkContent, checkMessage, type ErrorData, isObject } from "./internal/validate.js"

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
 * A request the fake received. The `authorization` header is kept without its secret.
 *
 * @since 0.1.0
 * @category models
 */
export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  /** Whether Basic auth matched the configured API key and token. */
  readonly authorized: boolean
  /** The JSON body, or `undefined` when the body was empty or not JSON. */
  readonly body: unknown
  readonly rawBody: string
  readonly receivedAt: Date
  /**
   * What the fake answered; `undefined` while it hangs, when it reset the connection, and while an `acceptAfter`
   * answer is not yet due (or when it was due after the client had gone).
   */
  readonly response: { readonly status: number; readonly body: unknown } | undefined
}

/**
 * A message the fake accepted (answered with a sid).
 *
 * @since 0.1.0
 * @category models
 */
export interface AcceptedMessage {
  readonly sid: string
  readonly from: string
  readonly to: string
  readonly content: Readonly<Record<string, unknown>>
  readonly customData: string | undefined
  readonly statusCallback: string | undefined
  readonly acceptedAt: Date
}

/**
 * How the fake answers one request to the send endpoint. `Accept` is the normal behaviour (check auth, validate,
 * answer 202); `AcceptAfter` is the same, the answer written only `delayMs` later; `FailMessage` is the same but the
 * message at `index` fails; `Unauthorized` answers 401; the others answer without looking at credentials or body.
 *
 * @since 0.1.0
 * @category models
 */
export type Behaviour =
  | { readonly _tag: "Accept" }
  | { readonly _tag: "AcceptAfter"; readonly delayMs: number }
  | { readonly _tag: "FailMessage"; readonly index: number; readonly error: ErrorData }
  | { readonly _tag: "RateLimited"; readonly retryAfter: string | undefined }
  | { readonly _tag: "ServerError"; readonly status: number }
  | { readonly _tag: "Unauthorized" }
  | { readonly _tag: "Hang" }
  | { readonly _tag: "Reset" }
  | {
    readonly _tag: "Respond"
    readonly status: number
    readonly body: unknown
    readonly headers: Readonly<Record<string, string>>
  }
  | {
    readonly _tag: "RespondText"
    readonly status: number
    readonly text: string
    readonly headers: Readonly<Record<string, string>>
  }

/**
 * Constructors of {@link Behaviour}s.
 *
 * @since 0.1.0
 * @category constructors
 */
export const Behaviour = {
  accept: (): Behaviour => ({ _tag: "Accept" }),
  /**
   * Accepts at once, exactly as `accept` does (validated, recorded in `messages` with a sid, auto delivery reports
   * scheduled), but writes the answer only after `delayMs`: Exotel taking a message and answering late. A client
   * that gives up meanwhile never sees the answer, and the message stays accepted. `reset()` leaves such pending
   * answers to come; `close()` drops them. Since 0.2.0.
   */
  acceptAfter: (delayMs: number): Behaviour => ({ _tag: "AcceptAfter", delayMs }),
  /** The message at `index` of the batch fails (default error: 30010 EX_INVALID_REQUEST). */
  failMessage: (index: number, error?: Partial<ErrorData>): Behaviour => ({
    _tag: "FailMessage",
    index,
    error: {
      code: error?.code ?? 30010,
      message: error?.message ?? STATUS_NAMES[error?.code ?? 30010]?.[0] ?? "EX_INVALID_REQUEST",
      description: error?.description ?? "Invalid request"
    }
  }),
  /** 429, with `Retry-After` when given (seconds, or an HTTP-date). */
  rateLimited: (retryAfter?: number | string): Behaviour => ({
    _tag: "RateLimited",
    retryAfter: retryAfter === undefined ? undefined : String(retryAfter)
  }),
  serverError: (status = 500): Behaviour => ({ _tag: "ServerError", status }),
  unauthorized: (): Behaviour => ({ _tag: "Unauthorized" }),
  /** Never answers; the connection stays open until the client gives up or the fake closes. */
  hang: (): Behaviour => ({ _tag: "Hang" }),
  /** Destroys the connection without answering (the client sees a reset). */
  reset: (): Behaviour => ({ _tag: "Reset" }),
  /** Answers `body` as JSON. */
  respond: (status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): Behaviour => ({
    _tag: "Respond",
    status,
    body,
    headers
  }),
  /** Answers `text` as is (an HTML error page of a proxy, say); `content-type` defaults to text/plain. */
  respondText: (status: number, text: string, headers: Readonly<Record<string, string>> = {}): Behaviour => ({
    _tag: "RespondText",
    status,
    text,
    headers
  })
} as const

/**
 * A delivery report to POST. Fields left out come from the accepted message with that `sid` (`to`,
 * `custom_data`) and from Exotel's status table (`exo_detailed_status`, `description`).
 *
 * @since 0.1.0
 * @category models
 */
export interface DeliveryReportInput {
  readonly sid: string
  readonly code: number
  readonly detailedStatus?: string
  readonly description?: string
  readonly to?: string
  readonly customData?: string
  /** ISO-8601 or Unix seconds; defaults to now in India time, as Exotel sends it. */
  readonly timestamp?: string | number
  /** Send `exo_status_code` as a string (seen in some captures). */
  readonly codeAsString?: boolean
}

/**
 * An inbound (customer) message to POST. `content` defaults to a text message with `text`.
 *
 * @since 0.1.0
 * @category models
 */
export interface InboundInput {
  /** The customer. */
  readonly from: string
  /** The business number. */
  readonly to: string
  readonly text?: string
  readonly content?: Readonly<Record<string, unknown>>
  readonly profileName?: string
  readonly sid?: string
  /** ISO-8601 or Unix seconds; defaults to now in India time. */
  readonly timestamp?: string | number
  /** Defaults to `incoming_message`, the value seen in production (the docs say `icm`). */
  readonly callbackType?: string
}

/**
 * The answer of the webhook the fake posted to.
 *
 * @since 0.1.0
 * @category models
 */
export interface WebhookDelivery {
  readonly status: number
  readonly body: string
}

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

const hex = (): string => randomUUID().replace(/-/g, "")

const IST_OFFSET_MS = 330 * 60_000

/** `2022-10-19T21:48:31+05:30`: Exotel's timestamps are in India time with the offset. */
const istTimestamp = (date: Date): string =>
  new Date(date.getTime() + IST_OFFSET_MS).toISOString().replace(/\.\d{3}Z$/, "+05:30")

const stripAuth = (headers: Http.IncomingHttpHeaders): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    out[name] = name === "authorization" ? String(value).split(" ")[0] + " <redacted>" : String(value)
  }
  return out
}

const readBody = (request: Http.IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    request.on("error", reject)
  })

const parseJson = (text: string): { readonly ok: true; readonly value: unknown } | { readonly ok: false } => {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false }
  }
}

const failureBody = (status: number, error: ErrorData) => ({
  request_id: hex(),
  method: "POST",
  http_code: status,
  response: { code: status, status: "failure", error_data: error }
})

const unauthorizedBody = () =>
  failureBody(401, {
    code: 401,
    message: "Authentication failed",
    description: "The API key and token do not match an account"
  })

const postJson = async (url: string, body: unknown): Promise<WebhookDelivery> => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "user-agent": "exotel-fake" },
    body: JSON.stringify(body)
  })
  return { status: response.status, body: await response.text() }
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
  const maxMessages = options.maxMessages ?? 100
  const log = options.log ?? (() => {})
  const expectedAuth = "Basic " + Buffer.from(`${options.apiKey}:${options.apiToken}`).toString("base64")
  const messagesPath = `/v2/accounts/${options.accountSid}/messages`
  const auto = options.autoDeliveryReports === true
    ? {}
    : options.autoDeliveryReports === false
    ? undefined
    : options.autoDeliveryReports

  const deliveryReportItem = (report: DeliveryReportInput): Record<string, unknown> => {
    const known = messages.find((message) => message.sid === report.sid)
    const entry = STATUS_NAMES[report.code]
    const item: Record<string, unknown> = {
      callback_type: "dlr",
      sid: report.sid,
      to: report.to ?? known?.to,
      exo_status_code: report.codeAsString === true ? String(report.code) : report.code,
      exo_detailed_status: report.detailedStatus ?? entry?.[0] ?? "EX_UNKNOWN_ERROR",
      description: report.description ?? entry?.[1] ?? "Unknown status",
      timestamp: report.timestamp ?? istTimestamp(new Date()),
      custom_data: report.customData ?? known?.customData
    }
    for (const key of Object.keys(item)) if (item[key] === undefined) delete item[key]
    return item
  }

  const inboundItem = (inbound: InboundInput): Record<string, unknown> => ({
    callback_type: inbound.callbackType ?? "incoming_message",
    sid: inbound.sid ?? hex(),
    from: inbound.from,
    to: inbound.to,
    profile_name: inbound.profileName ?? "Customer",
    timestamp: inbound.timestamp ?? istTimestamp(new Date()),
    content: inbound.content ?? { type: "text", text: { body: inbound.text ?? "Hello" } }
  })

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
        sendBatch(callbackUrl, [deliveryReportItem({ sid: message.sid, code })]).then(
          (delivery) => log(`delivery report ${code} for ${message.sid} -> ${callbackUrl}: ${delivery.status}`),
          (error: unknown) =>
            log(`delivery report ${code} for ${message.sid} -> ${callbackUrl} failed: ${String(error)}`)
        )
      }, delayMs * (i + 1))
      timers.add(timer)
    })
  }

  const accept = (body: unknown, failing: { readonly index: number; readonly error: ErrorData } | undefined) => {
    if (!isObject(body) || !isObject(body.whatsapp) || !Array.isArray(body.whatsapp.messages)) {
      return {
        status: 400,
        body: failureBody(400, {
          code: 1001,
          message: "at least one channel is mandatory",
          description: "The request must carry a channel object such as whatsapp: { messages: [...] }"
        })
      }
    }
    const batch: ReadonlyArray<unknown> = body.whatsapp.messages
    if (batch.length === 0) {
      return {
        status: 400,
        body: failureBody(400, { code: 1002, message: "messages is empty", description: "whatsapp.messages is empty" })
      }
    }
    if (batch.length > maxMessages) {
      return {
        status: 400,
        body: failureBody(400, {
          code: 1003,
          message: "too many messages",
          description: `at most ${maxMessages} messages per request, got ${batch.length}`
        })
      }
    }
    const channel = body.whatsapp
    const results = batch.map((message, index) => {
      const problem = failing !== undefined && failing.index === index
        ? failing.error
        : checkMessage(message, options.catalogs)
      if (problem !== undefined) return { code: 400, status: "failure", error_data: problem }
      const wire = message as Record<string, unknown>
      const inherited = (field: "custom_data" | "status_callback"): string | undefined => {
        const value = wire[field] ?? channel[field] ?? (body as Record<string, unknown>)[field]
        return typeof value === "string" ? value : undefined
      }
      const accepted: AcceptedMessage = {
        sid: hex(),
        from: wire.from as string,
        to: wire.to as string,
        content: wire.content as Record<string, unknown>,
        customData: inherited("custom_data"),
        statusCallback: inherited("status_callback"),
        acceptedAt: new Date()
      }
      messages.push(accepted)
      scheduleAutoReports(accepted)
      return { code: 202, status: "success", data: { sid: accepted.sid } }
    })
    const failed = results.filter((result) => result.status === "failure").length
    return {
      status: 202,
      body: {
        request_id: hex(),
        method: "POST",
        http_code: 202,
        metadata: { total: results.length, success: results.length - failed, failed },
        response: { whatsapp: { messages: results } }
      }
    }
  }

  const control = async (
    path: string,
    method: string,
    body: unknown
  ): Promise<{ readonly status: number; readonly body: unknown }> => {
    const input = isObject(body) ? body : {}
    if (method === "GET" && path === "/__fake/requests") return { status: 200, body: requests }
    if (method === "GET" && path === "/__fake/messages") return { status: 200, body: messages }
    if (method === "POST" && path === "/__fake/reset") {
      fake.reset()
      return { status: 200, body: { ok: true } }
    }
    if (method === "POST" && path === "/__fake/inbound") {
      if (typeof input.callbackUrl !== "string" || typeof input.from !== "string" || typeof input.to !== "string") {
        return { status: 400, body: { error: "callbackUrl, from and to are required" } }
      }
      const item = inboundItem(input as unknown as InboundInput)
      return { status: 200, body: { item, delivery: await sendBatch(input.callbackUrl, [item]) } }
    }
    if (method === "POST" && path === "/__fake/delivery-report") {
      const known = messages.find((message) => message.sid === input.sid)
      const callbackUrl = typeof input.callbackUrl === "string" ? input.callbackUrl : known?.statusCallback
      if (typeof input.sid !== "string" || typeof input.code !== "number" || callbackUrl === undefined) {
        return { status: 400, body: { error: "sid and code are required, and callbackUrl unless the sid is known" } }
      }
      const item = deliveryReportItem(input as unknown as DeliveryReportInput)
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
        const result = acceptRequest(path, authorized, parsed, undefined)
        return answerLater(behaviour.delayMs, response, () => answer(result.status, result.body))
      }
      case "Unauthorized":
        return answer(401, unauthorizedBody())
      case "Accept":
      case "FailMessage": {
        const failing = behaviour._tag === "FailMessage" ? behaviour : undefined
        const result = acceptRequest(path, authorized, parsed, failing)
        return answer(result.status, result.body)
      }
    }
  }

  /** The normal answer of the send endpoint: credentials, then the account, then the body. */
  const acceptRequest = (
    path: string,
    authorized: boolean,
    parsed: ReturnType<typeof parseJson>,
    failing: { readonly index: number; readonly error: ErrorData } | undefined
  ): { readonly status: number; readonly body: unknown } => {
    if (!authorized) return { status: 401, body: unauthorizedBody() }
    if (path.replace(/\/$/, "") !== messagesPath) {
      return {
        status: 403,
        body: failureBody(403, {
          code: 403,
          message: "Forbidden",
          description: "The account SID in the URL does not belong to these credentials"
        })
      }
    }
    if (!parsed.ok) {
      return {
        status: 400,
        body: failureBody(400, { code: 1000, message: "Invalid JSON", description: "body is not JSON" })
      }
    }
    return accept(parsed.value, failing)
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

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
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
    deliveryReportItem,
    inboundItem,
    sendDeliveryReport: (callbackUrl, report) => sendBatch(callbackUrl, [deliveryReportItem(report)]),
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
