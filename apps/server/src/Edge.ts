import { Duration } from "effect"
import type * as Http from "node:http"
import type * as Net from "node:net"
import type { EdgeSettings } from "./Config.js"

/**
 * The server's own limits on connections, which node:http lacks: a connection that sends nothing is never timed
 * out by `headersTimeout` (only one that started a request is), and `maxConnections` refuses the newest connection,
 * so idle sockets held open by anyone would lock out Exotel and the health checks. Here a connection has
 * `headersTimeout` to send its first request; at the cap the oldest connection still waiting for its first request
 * is closed to make room, and only when every open connection is busy is the new one refused.
 */
export interface ConnectionGuard {
  /** A request arrived on this socket: it is no longer a candidate for eviction. */
  readonly served: (socket: Net.Socket) => void
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
    const timer = setTimeout(() => {
      if (waiting.has(socket)) socket.destroy()
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

  return {
    served: (socket) => {
      waiting.delete(socket)
    },
    open: () => open
  }
}
