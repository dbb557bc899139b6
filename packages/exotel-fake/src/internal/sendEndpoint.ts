import type { AcceptedMessage } from "../Recorded.js"
import type { ErrorData } from "./errorData.js"
import type { Catalogs } from "./interactive.js"
import { checkMessage, isObject } from "./validate.js"
import { type Answer, failure, hex, type ParsedJson, unauthorizedBody } from "./wire.js"

/** The account's send endpoint. */
export interface SendEndpoint {
  /** `/v2/accounts/${accountSid}/messages`. */
  readonly messagesPath: string
  readonly maxMessages: number
  readonly catalogs: Catalogs | undefined
  /** Called with each message taken, in batch order. */
  readonly onAccepted: (message: AcceptedMessage) => void
}

/** The message of the batch the script makes fail. */
export interface Failing {
  readonly index: number
  readonly error: ErrorData
}

/** Answers a batch: each message taken (a sid) or refused (its error); 400 when the batch itself is wrong. */
const acceptBatch = (endpoint: SendEndpoint, body: unknown, failing: Failing | undefined): Answer => {
  if (!isObject(body) || !isObject(body.whatsapp) || !Array.isArray(body.whatsapp.messages)) {
    return failure(400, {
      code: 1001,
      message: "at least one channel is mandatory",
      description: "The request must carry a channel object such as whatsapp: { messages: [...] }"
    })
  }
  const batch: ReadonlyArray<unknown> = body.whatsapp.messages
  if (batch.length === 0) {
    return failure(400, { code: 1002, message: "messages is empty", description: "whatsapp.messages is empty" })
  }
  if (batch.length > endpoint.maxMessages) {
    return failure(400, {
      code: 1003,
      message: "too many messages",
      description: `at most ${endpoint.maxMessages} messages per request, got ${batch.length}`
    })
  }
  const request = body
  const channel = body.whatsapp
  const results = batch.map((message, index) => {
    const checked = failing !== undefined && failing.index === index
      ? { error: failing.error }
      : checkMessage(message, endpoint.catalogs)
    if ("error" in checked) return { code: 400, status: "failure", error_data: checked.error }
    const { content, fields, from, to } = checked.taken
    const inherited = (field: "custom_data" | "status_callback"): string | undefined => {
      const value = fields[field] ?? channel[field] ?? request[field]
      return typeof value === "string" ? value : undefined
    }
    const accepted: AcceptedMessage = {
      sid: hex(),
      from,
      to,
      content,
      customData: inherited("custom_data"),
      statusCallback: inherited("status_callback"),
      acceptedAt: new Date()
    }
    endpoint.onAccepted(accepted)
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

/** The normal answer of the send endpoint: credentials, then the account, then the body. */
export const acceptRequest = (
  endpoint: SendEndpoint,
  request: { readonly path: string; readonly authorized: boolean; readonly parsed: ParsedJson },
  failing: Failing | undefined
): Answer => {
  if (!request.authorized) return { status: 401, body: unauthorizedBody() }
  if (request.path.replace(/\/$/, "") !== endpoint.messagesPath) {
    return failure(403, {
      code: 403,
      message: "Forbidden",
      description: "The account SID in the URL does not belong to these credentials"
    })
  }
  if (!request.parsed.ok) {
    return failure(400, { code: 1000, message: "Invalid JSON", description: "body is not JSON" })
  }
  return acceptBatch(endpoint, request.parsed.value, failing)
}
