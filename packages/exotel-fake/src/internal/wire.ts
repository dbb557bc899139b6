import { randomUUID } from "node:crypto"
import type * as Http from "node:http"
import type { AddressInfo } from "node:net"
import type { WebhookDelivery } from "../Callbacks.js"
import type { ErrorData } from "./errorData.js"

export const hex = (): string => randomUUID().replace(/-/g, "")

const IST_OFFSET_MS = 330 * 60_000

/** `2022-10-19T21:48:31+05:30`: Exotel's timestamps are in India time with the offset. */
export const istTimestamp = (date: Date): string =>
  new Date(date.getTime() + IST_OFFSET_MS).toISOString().replace(/\.\d{3}Z$/, "+05:30")

export const stripAuth = (headers: Http.IncomingHttpHeaders): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    out[name] = name === "authorization" ? String(value).split(" ")[0] + " <redacted>" : String(value)
  }
  return out
}

export const readBody = (request: Http.IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    request.on("error", reject)
  })

export type ParsedJson = { readonly ok: true; readonly value: unknown } | { readonly ok: false }

export const parseJson = (text: string): ParsedJson => {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false }
  }
}

/** An answer of the fake: a status and a JSON body. */
export interface Answer {
  readonly status: number
  readonly body: unknown
}

export const failureBody = (status: number, error: ErrorData) => ({
  request_id: hex(),
  method: "POST",
  http_code: status,
  response: { code: status, status: "failure", error_data: error }
})

/** An answer with Exotel's failure body. */
export const failure = (status: number, error: ErrorData): Answer => ({ status, body: failureBody(status, error) })

export const unauthorizedBody = () =>
  failureBody(401, {
    code: 401,
    message: "Authentication failed",
    description: "The API key and token do not match an account"
  })

export const postJson = async (url: string, body: unknown): Promise<WebhookDelivery> => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "user-agent": "exotel-fake" },
    body: JSON.stringify(body)
  })
  return { status: response.status, body: await response.text() }
}

/** Listens on `host:port` (0: a free port) and resolves with the address it got. */
export const listen = async (server: Http.Server, port: number, host: string): Promise<AddressInfo> => {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(port, host, () => {
      server.off("error", reject)
      resolve()
    })
  })
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error(`expected a TCP address, got ${address}`)
  return address
}
