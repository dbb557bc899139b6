import { PayloadTooLargeError } from "@wa-session/http-api"
import { Schema } from "effect"
import type * as Http from "node:http"

/**
 * What the server answers straight from node:http, before (or without) the Effect HTTP stack: the webhook fast path,
 * oversized bodies, requests node itself could not parse. Bodies are contract JSON with a `code`.
 */
export interface Reply {
  readonly status: number
  readonly body: string
}

/** Methods whose requests carry a JSON body on this API (read as JSON whatever their declared type). */
export const BODY_METHODS: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH"])

/** A contract error (or any schema's value) as the JSON text of a reply. */
export const encodeJson = <A, I>(schema: Schema.Schema<A, I>, value: A): string =>
  JSON.stringify(Schema.encodeSync(schema)(value))

/** Writes `reply` as JSON unless an answer is already on its way; `close` ends the connection after it. */
export const writeReply = (
  res: Http.ServerResponse,
  reply: Reply,
  options: { readonly close?: boolean; readonly headers?: Http.OutgoingHttpHeaders } = {}
): void => {
  if (res.headersSent || res.destroyed) return
  res.writeHead(reply.status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(reply.body),
    ...(options.close === true ? { connection: "close" } : {}),
    ...options.headers
  })
  res.end(reply.body)
}

/** The answer to a body over `limit` bytes, as the HttpApi error (`PayloadTooLargeError`) and as a node:http reply. */
export const payloadTooLargeError = (limit: number) =>
  new PayloadTooLargeError({ message: `The request body is larger than ${limit} bytes`, limit })

export const payloadTooLarge = (limit: number): Reply => ({
  status: 413,
  body: encodeJson(PayloadTooLargeError, payloadTooLargeError(limit))
})

/**
 * The one reader of request bodies before the Effect HTTP stack (the webhook fast path, bodies of unknown length):
 * a body up to `limit` bytes is handed over whole; a larger one, declared (`Content-Length`) or sent, is answered
 * 413 PAYLOAD_TOO_LARGE and the connection closed after it, `onRefused` told first.
 */
export interface BodyReader {
  /** Answers 413 now when the request declares a body over the limit (returns true), else does nothing. */
  readonly refuseDeclared: (req: Http.IncomingMessage, res: Http.ServerResponse) => boolean
  /**
   * Reads the body and hands it to `body`, or answers 413 once past the limit (the rest is read and dropped). A
   * request that fails while being read gets neither.
   */
  readonly read: (req: Http.IncomingMessage, res: Http.ServerResponse, body: (body: Buffer) => void) => void
}

export const makeBodyReader = (limit: number, onRefused: (req: Http.IncomingMessage) => void): BodyReader => {
  const tooLarge = payloadTooLarge(limit)
  const refuse = (req: Http.IncomingMessage, res: Http.ServerResponse) => {
    onRefused(req)
    writeReply(res, tooLarge, { close: true })
    req.resume()
  }
  return {
    refuseDeclared: (req, res) => {
      const declared = req.headers["content-length"]
      if (declared === undefined || !(Number(declared) > limit)) return false
      refuse(req, res)
      return true
    },
    read: (req, res, body) => {
      const chunks: Array<Buffer> = []
      let size = 0
      let done = false
      req.on("data", (chunk: Buffer) => {
        if (done) return
        size += chunk.length
        if (size > limit) {
          done = true
          refuse(req, res)
          return
        }
        chunks.push(chunk)
      })
      req.on("error", () => {
        done = true
      })
      req.on("end", () => {
        if (done) return
        done = true
        body(Buffer.concat(chunks, size))
      })
    }
  }
}
