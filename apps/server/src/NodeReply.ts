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

/**
 * Reads a request's body up to `limit` bytes: `body` gets it whole, or `tooLarge` is called once the limit is passed
 * (the rest is read and dropped). A request that fails while being read gets neither.
 */
export const readBody = (
  req: Http.IncomingMessage,
  limit: number,
  on: { readonly body: (body: Buffer) => void; readonly tooLarge: () => void }
): void => {
  const chunks: Array<Buffer> = []
  let size = 0
  let done = false
  req.on("data", (chunk: Buffer) => {
    if (done) return
    size += chunk.length
    if (size > limit) {
      done = true
      on.tooLarge()
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
    on.body(Buffer.concat(chunks, size))
  })
}
