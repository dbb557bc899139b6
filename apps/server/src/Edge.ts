import { InvalidRequestError, RequestTimeoutError } from "@wa-session/http-api"
import { Duration } from "effect"
import type * as Http from "node:http"
import type * as Net from "node:net"
import type { EdgeSettings } from "./Config.js"
import { encodeJson } from "./NodeReply.js"

/**
 * The server's own limits on connections, which node:http lacks: a connection that sends nothing is never timed
 * out by `headersTimeout` (only one that started a request is), and `maxConnections` refuses the newest connection,
 * so idle sockets held open by anyone would lock out Exotel and the health checks. Here a connection has
 * `headersTimeout` to send its first request; at the cap the connection idle the longest (never sent a request, or
 * kept alive between requests) is closed to make room, and only when every open connection is busy with a request
 * is the new one refused.
 */
export interface ConnectionGuard {
  /** A request arrived on this socket: it is no longer a candidate for eviction. */
  readonly served: (socket: Net.Socket) => void
  /** The answer on this socket was sent: idle again, a candidate for eviction (after the older ones). */
  readonly idle: (socket: Net.Socket) => void
  /** Open connections now (for tests and metrics). */
  readonly open: () => number
}

export const guardConnections = (server: Http.Server, settings: EdgeSettings): ConnectionGuard => {
  server.headersTimeout = Duration.toMillis(settings.headersTimeout)
  server.requestTimeout = Duration.toMillis(settings.requestTimeout)
  server.keepAliveTimeout = Duration.toMillis(settings.idleTimeout)
  const firstRequestWithin = Duration.toMillis(settings.headersTimeout)
  /** Sockets that have not sent a request yet, oldest first (a Set keeps insertion order). */
  const waiting = new Set<Net.Socket>()
  let open = 0

  server.on("connection", (socket: Net.Socket) => {
    open++
    // node's own headersTimeout takes over (with a 408) once the first bytes came
    let silent = true
    socket.once("data", () => {
      silent = false
    })
    const timer = setTimeout(() => {
      if (silent && waiting.has(socket)) socket.destroy()
    }, firstRequestWithin)
    timer.unref()
    socket.once("close", () => {
      open--
      waiting.delete(socket)
      clearTimeout(timer)
    })
    if (open > settings.maxConnections) {
      const oldest = waiting.values().next()
      if (oldest.done === true) {
        socket.destroy()
        return
      }
      waiting.delete(oldest.value)
      oldest.value.destroy()
    }
    waiting.add(socket)
  })

  server.on("clientError", (error: NodeJS.ErrnoException, socket: Net.Socket) => {
    // as node itself: no answer of ours in the middle of one already being written
    const answering = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true
    if (error.code === "ECONNRESET" || !socket.writable || answering) {
      socket.destroy()
      return
    }
    // closed once written, as node does: a client that keeps its side open must not hold the connection
    socket.end(clientErrorAnswer(error.code), () => socket.destroy())
    setTimeout(() => socket.destroy(), 1_000).unref()
  })

  return {
    served: (socket) => {
      waiting.delete(socket)
    },
    idle: (socket) => {
      if (socket.destroyed) return
      // shutting down: node closes the connections idle when it starts, not those whose request ends later, which
      // would hold the exit for the whole keep-alive time
      if (!server.listening) {
        setImmediate(() => server.closeIdleConnections())
        return
      }
      // a kept-alive connection between requests can make room again, after the ones idle for longer
      waiting.delete(socket)
      waiting.add(socket)
    },
    open: () => open
  }
}

const rawAnswer = (status: number, reason: string, body: string) =>
  `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${
    Buffer.byteLength(body)
  }\r\nconnection: close\r\n\r\n${body}`

const invalidRequest = (message: string) => encodeJson(InvalidRequestError, new InvalidRequestError({ message }))

/**
 * What node:http answers a request it could not parse or that came too slowly, as contract JSON with a `code`
 * (node's own answers have no body).
 */
export const clientErrorAnswer = (code: string | undefined): string => {
  switch (code) {
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return rawAnswer(
        408,
        "Request Timeout",
        encodeJson(
          RequestTimeoutError,
          new RequestTimeoutError({ message: "The request did not arrive in time; the connection is closed" })
        )
      )
    case "HPE_HEADER_OVERFLOW":
      return rawAnswer(431, "Request Header Fields Too Large", invalidRequest("The request headers are too large"))
    default:
      return rawAnswer(400, "Bad Request", invalidRequest("The request is not valid HTTP"))
  }
}
