import { HttpServerResponse } from "@effect/platform"
import { Webhook as ExotelWebhook } from "@wa-session/exotel"
import {
  InternalError,
  InvalidWebhookError,
  MethodNotAllowedError,
  NotFoundError,
  StorageUnavailableError
} from "@wa-session/http-api"
import type { SessionStore } from "@wa-session/session-core"
import { Cause, Effect, Exit, Metric, Runtime } from "effect"
import type * as Http from "node:http"
import { makeVerifier } from "./Auth.js"
import { ServerConfig } from "./Config.js"
import { Ingest, type IngestAnswer } from "./Ingest.js"
import { Metrics } from "./Metrics.js"
import { type BodyReader, encodeJson, type Reply, writeReply } from "./NodeReply.js"

export type { Reply } from "./NodeReply.js"

/**
 * The webhook hot path, served straight from node:http: no Effect HTTP request object, no router, no tracing
 * span and no schema-driven body decoding (see docs/adr/0004). The body is read by the server's `BodyReader` (with
 * the size limit: an oversized body is answered 413 there) and handed as text to `Ingest`, which answers only after
 * the transaction holding its items committed.
 * The contract (`webhooks.exotelWebhook`) describes the same route and is served by `WebhooksLive` should a
 * request ever reach the HttpApi app.
 */
export const PATH_PREFIX = "/webhooks/exotel/"

export const notFound: Reply = {
  status: 404,
  body: encodeJson(NotFoundError, new NotFoundError({ message: "Not found" }))
}

const methodNotAllowed = (method: string): Reply => ({
  status: 405,
  body: encodeJson(
    MethodNotAllowedError,
    new MethodNotAllowedError({ message: `${method} is not allowed on the webhook; Exotel POSTs`, allow: ["POST"] })
  )
})

const invalidWebhook = (reason: string): Reply => ({
  status: 400,
  body: encodeJson(InvalidWebhookError, new InvalidWebhookError({ message: `Not an Exotel webhook batch: ${reason}` }))
})

/** A body that could not be read (the connection was cut, or the platform refused it): nothing is recorded. */
export const unreadableBody: Reply = {
  status: 400,
  body: encodeJson(
    InvalidWebhookError,
    new InvalidWebhookError({ message: "The request body could not be read; nothing was recorded, retry" })
  )
}

/**
 * The answer to a delivery of wa-session's own events (`isEventDelivery`): an events endpoint points at an Exotel
 * webhook. Refused and not quarantined, since quarantining records an event, which would be delivered here again;
 * the event itself is in the sender's log.
 */
export const eventDelivery: Reply = invalidWebhook(
  "this is a delivery of wa-session events (webhook-id and webhook-signature headers), sent by an events endpoint " +
    "that points at this Exotel webhook; nothing was recorded: point the endpoint at your application"
)

/**
 * Whether a request is a delivery of wa-session's events: Standard Webhooks headers, which Exotel does not send, on
 * a JSON body that is not an Exotel batch (a gateway in front of the webhook may add such headers to Exotel's posts).
 */
export const isEventDelivery = (
  headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>,
  body: string | Buffer
): boolean => {
  if (headers["webhook-id"] === undefined || headers["webhook-signature"] === undefined) return false
  try {
    return !ExotelWebhook.isBatch(JSON.parse(typeof body === "string" ? body : body.toString("utf8")))
  } catch {
    // not JSON, so not one of our events: kept in the quarantine like any other such body
    return false
  }
}

const storageUnavailable: Reply = {
  status: 503,
  body: encodeJson(
    StorageUnavailableError,
    new StorageUnavailableError({ message: "The store is unavailable; nothing was recorded, retry later" })
  )
}

const internalError: Reply = {
  status: 500,
  body: encodeJson(InternalError, new InternalError({ message: "Internal error; see the server log" }))
}

/** The reply to an ingest outcome; failures other than a store failure are logged as defects. */
export const replyTo = (exit: Exit.Exit<IngestAnswer, SessionStore.StorageError>): Effect.Effect<Reply> => {
  if (Exit.isSuccess(exit)) {
    const answer = exit.value
    return Effect.succeed(
      answer._tag === "Ack"
        ? { status: 200, body: JSON.stringify(answer.ack) }
        : invalidWebhook(`${answer.reason}; it is kept in the quarantine as ${answer.quarantineId}`)
    )
  }
  const failure = Cause.failureOption(exit.cause)
  if (failure._tag === "Some") {
    const error = failure.value
    return Effect.as(
      Effect.logError("webhook not recorded: storage failed").pipe(
        Effect.annotateLogs({ operation: error.operation, detail: error.detail })
      ),
      storageUnavailable
    )
  }
  return Effect.as(Effect.logError("webhook failed", exit.cause), internalError)
}

export const toResponse = (reply: Reply) =>
  HttpServerResponse.text(reply.body, { status: reply.status, contentType: "application/json" })

/** A node:http request listener that takes the requests it handles (returns true) and leaves the others. */
export type Intercept = (req: Http.IncomingMessage, res: Http.ServerResponse) => boolean

/** Whether `url` is the webhook route with this server's secret, compared in constant time. */
export const makeSecretMatcher = (verify: (secret: string) => boolean) => (url: string): boolean => {
  const end = url.indexOf("?")
  const raw = url.slice(PATH_PREFIX.length, end === -1 ? undefined : end)
  if (raw === "" || raw.includes("/")) return false
  let secret: string
  try {
    secret = decodeURIComponent(raw)
  } catch {
    return false
  }
  return verify(secret)
}

/**
 * Whether a request path is a spelling of the webhook route (any case, repeated or back slashes, percent-encoded):
 * such requests are answered by the intercept, the exact route or 404, and never reach the router or its access
 * log, where a secret in the path would be written down.
 */
export const isWebhookPath = (url: string): boolean => {
  const end = url.indexOf("?")
  const path = end === -1 ? url : url.slice(0, end)
  let decoded = path
  try {
    decoded = decodeURIComponent(path)
  } catch {
    // a malformed escape: judge the raw text
  }
  return decoded.replace(/[\\/]+/g, "/").toLowerCase().startsWith("/webhooks")
}

/** Counts a webhook answer, by its status, in `wa_session_webhook_requests_total`. */
export const countAnswer = (status: number): Effect.Effect<void, never, Metrics> =>
  Effect.flatMap(Metrics, (metrics) => Metric.increment(metrics.webhookRequests(status)))

export const makeIntercept = (
  bodies: BodyReader
): Effect.Effect<Intercept, never, Ingest | ServerConfig | Metrics> =>
  Effect.gen(function*() {
    const { ingest } = yield* Ingest
    const settings = yield* ServerConfig
    const runtime = yield* Effect.runtime<Metrics>()
    const runFork = Runtime.runFork(runtime)
    const runSync = Runtime.runSync(runtime)
    const matches = makeSecretMatcher(makeVerifier(settings.webhookSecret))
    const reply = (res: Http.ServerResponse, r: Reply, options?: Parameters<typeof writeReply>[2]) => {
      runSync(countAnswer(r.status))
      writeReply(res, r, options)
    }
    // an ingest's answer is counted in its own fiber, not by a second run
    const answer = (body: Buffer) =>
      Effect.flatMap(Effect.exit(ingest(body.toString("utf8"))), replyTo).pipe(Effect.tap((r) => countAnswer(r.status)))

    return (req, res) => {
      const url = req.url
      // the route itself is taken without normalising the path (the hot path); other spellings need it
      if (url === undefined || !(url.startsWith(PATH_PREFIX) || isWebhookPath(url))) return false
      if (!url.startsWith(PATH_PREFIX) || !matches(url)) {
        req.resume()
        reply(res, notFound)
        return true
      }
      if (req.method !== "POST") {
        req.resume()
        reply(res, methodNotAllowed(req.method ?? ""), { headers: { allow: "POST" } })
        return true
      }
      bodies.read(req, res, (body) => {
        if (isEventDelivery(req.headers, body)) {
          return reply(res, eventDelivery)
        }
        runFork(answer(body)).addObserver((replied) => {
          if (Exit.isSuccess(replied)) writeReply(res, replied.value)
          else reply(res, internalError)
        })
      })
      return true
    }
  })
