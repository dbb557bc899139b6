import {
  type HttpApi,
  HttpApiBuilder,
  HttpApiError,
  HttpApiSwagger,
  type HttpApp,
  HttpMiddleware,
  type HttpRouter,
  HttpServer,
  HttpServerError,
  HttpServerRequest,
  HttpServerResponse
} from "@effect/platform"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import {
  InternalError,
  InvalidRequestError,
  MAX_LISTED_PROBLEMS,
  MethodNotAllowedError,
  NotFoundError,
  type PayloadTooLargeError,
  WaSessionApi
} from "@wa-session/http-api"
import type { EventLog, Ids, MessageSender, SessionService, SessionStore, Tokens } from "@wa-session/session-core"
import { Cause, Effect, Layer, Option, Redacted, Runtime, Schema } from "effect"
import * as Http from "node:http"
import { AuthorizationLive, makeVerifier } from "./Auth.js"
import { type EdgeSettings, ServerConfig } from "./Config.js"
import * as Edge from "./Edge.js"
import { brief } from "./ErrorText.js"
import { EventsLive } from "./Http/Events.js"
import { HealthLive } from "./Http/Health.js"
import { MessagesLive } from "./Http/Messages.js"
import { QuarantineLive } from "./Http/Quarantine.js"
import { SessionsLive } from "./Http/Sessions.js"
import { WebhooksLive } from "./Http/Webhooks.js"
import type { Ingest } from "./Ingest.js"
import { HTTP_METHODS, Metrics } from "./Metrics.js"
import { BODY_METHODS, makeBodyReader, payloadTooLargeError } from "./NodeReply.js"
import * as Routes from "./Routes.js"
import type { Sends } from "./Sends.js"
import { refuseUnstorableText } from "./StorableRequest.js"
import * as Webhook from "./Webhook.js"

/** What the HTTP layers need from the rest of the application. */
export type AppServices =
  | SessionStore.SessionStore
  | SessionService.SessionConfig
  | MessageSender.MessageSender
  | Ids.Ids
  | Metrics
  | Ingest
  | ServerConfig
  | EventLog.EventLog
  | Tokens.Tokens
  | Sends

export const ApiLive: Layer.Layer<HttpApi.Api, never, AppServices> = HttpApiBuilder.api(WaSessionApi).pipe(
  Layer.provide([MessagesLive, SessionsLive, EventsLive, QuarantineLive, WebhooksLive, HealthLive]),
  Layer.provide(AuthorizationLive)
)

type CommonError = InvalidRequestError | NotFoundError | PayloadTooLargeError | InternalError

const issuePath = (path: ReadonlyArray<PropertyKey>) => path.map(String).join(".")

const isTooLarge = (error: unknown): boolean => {
  const text = String((error as { cause?: unknown })?.cause ?? error)
  return /maxBytes|too large|exceed/i.test(text)
}

/**
 * Every error leaves as contract JSON with a `code`: schema decode failures and text no store keeps as it is
 * (`refuseUnstorableText`) become INVALID_REQUEST (with the field path), unknown routes NOT_FOUND, unreadable bodies
 * INVALID_REQUEST or PAYLOAD_TOO_LARGE, and defects INTERNAL_ERROR (logged with their cause, never sent).
 */
export const normalizeErrors = (
  maxBodyBytes: number,
  secret: Redacted.Redacted<string>,
  apiToken: Redacted.Redacted<string>
) => {
  const allowedMethods = Routes.makeAllowedMethods()
  const verify = makeVerifier(apiToken)
  const refuseUnstorable = refuseUnstorableText((authorization) =>
    authorization !== undefined && /^bearer /i.test(authorization) && verify(authorization.slice(7).trim())
  )
  return HttpApiBuilder.middleware(
    WaSessionApi,
    (app: HttpApp.Default): HttpApp.Default<CommonError> =>
      Effect.catchAllCause(
        Effect.zipRight(refuseUnstorable, app),
        (cause): Effect.Effect<HttpServerResponse.HttpServerResponse, CommonError> => {
          const failure = Cause.failureOption(cause)
          const error: unknown = Option.isSome(failure) ? failure.value : Option.getOrUndefined(Cause.dieOption(cause))
          if (error instanceof HttpApiError.HttpApiDecodeError) {
            // An optional field's union adds "Expected undefined" next to the real problem: keep the real one.
            const issues = error.issues.filter((issue) =>
              !(issue.message.startsWith("Expected undefined") &&
                error.issues.some((other) => other !== issue && issuePath(other.path) === issuePath(issue.path)))
            )
            const first = issues[0]
            return Effect.fail(
              new InvalidRequestError({
                message: brief(
                  first === undefined
                    ? error.message
                    : `${first.path.length === 0 ? "request" : issuePath(first.path)}: ${first.message}`
                ),
                ...(first === undefined ? {} : { path: issuePath(first.path) }),
                issues: issues.slice(0, MAX_LISTED_PROBLEMS).map((issue) => ({
                  path: issuePath(issue.path),
                  message: brief(issue.message)
                })),
                ...(issues.length > MAX_LISTED_PROBLEMS ? { issueCount: issues.length } : {})
              })
            )
          }
          if (error instanceof HttpServerError.RouteNotFound) {
            const path = redactPath(error.request.url, secret)
            const allow = allowedMethods(path)
            // the method is among them when the router refused the path itself (a parameter too long, say): not found
            if (allow.length > 0 && !allow.includes(error.request.method)) {
              return Effect.succeed(methodNotAllowedResponse(error.request.method, path, allow))
            }
            return Effect.fail(new NotFoundError({ message: `No route ${error.request.method} ${path}` }))
          }
          if (error instanceof HttpServerError.RequestError) {
            return Effect.fail(
              isTooLarge(error)
                ? payloadTooLargeError(maxBodyBytes)
                : new InvalidRequestError({ message: "The request body is not valid JSON" })
            )
          }
          // Formatting the decode error of a very deeply nested value overflows the stack: still the client's mistake.
          if (error instanceof RangeError && /call stack/i.test(error.message)) {
            return Effect.fail(new InvalidRequestError({ message: "The request body is nested too deeply" }))
          }
          if (Option.isSome(failure) || Cause.isInterruptedOnly(cause)) return Effect.failCause(cause)
          return Effect.zipRight(
            Effect.logError("request failed", cause),
            Effect.fail(new InternalError({ message: "Internal error; see the server log" }))
          )
        }
      )
  )
}

/** 405 with `Allow`, as contract JSON. */
const methodNotAllowedResponse = (method: string, path: string, allow: ReadonlyArray<string>) =>
  HttpServerResponse.unsafeJson(
    Schema.encodeSync(MethodNotAllowedError)(
      new MethodNotAllowedError({ message: `${method} is not allowed on ${path}; use ${allow.join(", ")}`, allow })
    ),
    { status: 405, headers: { allow: allow.join(", ") } }
  )

/**
 * A request path fit for the log: no query, and the webhook secret replaced by `<secret>` wherever it appears, as
 * sent or percent-encoded (a mistyped webhook path still carries it).
 */
export const redactPath = (url: string, secret: Redacted.Redacted<string>): string => {
  const path = url.split("?")[0] ?? url
  const value = Redacted.value(secret)
  if (value === "") return path
  const redact = (text: string) =>
    [value, encodeURIComponent(value)].reduce((result, spelling) => result.split(spelling).join("<secret>"), text)
  let decoded = path
  try {
    decoded = decodeURIComponent(path)
  } catch {
    // a malformed escape: the raw path is all there is
  }
  // escaped some other way (lower-case hex, an escaped letter): it shows once decoded, so log the decoded path
  return decoded.includes(value) ? redact(decoded) : redact(path)
}

const QUIET = new Set(["/healthz", "/readyz", "/metrics"])

/** One structured line per request: method, path (secret redacted, no query), status, duration. */
export const accessLog = (secret: Redacted.Redacted<string>) =>
  HttpMiddleware.make((app) =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const started = performance.now()
      const exit = yield* Effect.exit(app)
      const status = exit._tag === "Success"
        ? exit.value.status
        : HttpServerError.causeResponseStripped(exit.cause)[0].status
      const path = redactPath(request.url, secret)
      const log = QUIET.has(path) ? Effect.logDebug : Effect.logInfo
      yield* log("http").pipe(
        Effect.annotateLogs({
          method: request.method,
          path,
          status,
          ms: Math.round((performance.now() - started) * 10) / 10
        })
      )
      return yield* exit
    })
  )

/** The HttpApi app (contract, OpenAPI at /openapi.json, Swagger UI at /docs) served on the `HttpServer`. */
export const HttpAppLive: Layer.Layer<
  never,
  never,
  HttpServer.HttpServer | HttpRouter.HttpRouter.DefaultServices | AppServices
> = Layer.unwrapEffect(Effect.gen(function*() {
  const settings = yield* ServerConfig
  return HttpApiBuilder.httpApp.pipe(
    Effect.map((app) =>
      HttpServer.serve(
        HttpServerRequest.withMaxBodySize(app, Option.some(settings.maxBodyBytes)),
        accessLog(settings.webhookSecret)
      )
    ),
    Layer.unwrapEffect,
    Layer.provide(HttpApiSwagger.layer({ path: "/docs" })),
    Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })),
    Layer.provide(normalizeErrors(settings.maxBodyBytes, settings.webhookSecret, settings.apiToken)),
    Layer.provide(ApiLive),
    Layer.provide([HttpApiBuilder.Router.Live, HttpApiBuilder.Middleware.layer])
  )
}))

/** Takes a request (returns true) or leaves it to the Effect stack; `forward` hands a request over later. */
export type Dispatch = (
  req: Http.IncomingMessage,
  res: Http.ServerResponse,
  forward: (req: Http.IncomingMessage, res: Http.ServerResponse) => void
) => boolean

/**
 * An http.Server that offers each request to `dispatch` first: what it takes (the webhook hot path, oversized
 * bodies) never reaches the Effect HTTP stack. Its connections are guarded (`Edge`).
 */
export class DispatchingServer extends Http.Server {
  readonly guard: Edge.ConnectionGuard
  constructor(
    readonly dispatch: Dispatch,
    edge: EdgeSettings,
    /** Told of every answered request, with the time since it arrived (milliseconds, `performance.now()`). */
    readonly answered: (req: Http.IncomingMessage, res: Http.ServerResponse, millis: number) => void = () => {}
  ) {
    // how often node checks the headers and request timeouts (its default, 30 s, would let them run 30 s over)
    super({ connectionsCheckingInterval: 1000 })
    this.guard = Edge.guardConnections(this, edge)
  }
  override emit(event: string | symbol, ...args: Array<any>): boolean {
    if (event === "request") {
      const started = performance.now()
      const req = args[0] as Http.IncomingMessage
      const res = args[1] as Http.ServerResponse
      const socket = req.socket
      this.guard.served(socket)
      res.once("finish", () => {
        this.guard.idle(socket)
        this.answered(req, res, performance.now() - started)
      })
      if (this.dispatch(req, res, (req, res) => super.emit("request", req, res))) return true
    }
    return super.emit(event as string, ...args)
  }
}

const EMPTY_JSON = Buffer.from("{}")

const isJsonType = (type: string | undefined): boolean => {
  if (type === undefined) return false
  const essence = (type.split(";")[0] ?? "").trim().toLowerCase()
  return essence === "application/json" || essence.endsWith("+json")
}

/** The same request with its body already read: what the Effect stack reads is `body`. */
const withBody = (req: Http.IncomingMessage, body: Buffer): Http.IncomingMessage => {
  const copy = new Http.IncomingMessage(req.socket)
  copy.method = req.method!
  copy.url = req.url!
  copy.headers = { ...req.headers, "content-length": String(body.length) }
  copy.rawHeaders = req.rawHeaders
  copy.httpVersion = req.httpVersion
  copy.httpVersionMajor = req.httpVersionMajor
  copy.httpVersionMinor = req.httpVersionMinor
  copy.push(body)
  copy.push(null)
  // Else destroying it once read (as the Effect stack does) would count as an abort and destroy the socket.
  copy.complete = true
  return copy
}

/** The webhook's route template (the secret is a parameter). */
const WEBHOOK_ROUTE = `${Webhook.PATH_PREFIX}{secret}`

/** Makes the http.Server: the dispatch in front, the connection guard around; every answer timed in the metrics. */
const makeServer = Effect.gen(function*() {
  const settings = yield* ServerConfig
  const metrics = yield* Metrics
  const runSync = Runtime.runSync(yield* Effect.runtime<Metrics>())
  // a refused body on the webhook route is a webhook answer, counted as such
  const bodies = makeBodyReader(settings.maxBodyBytes, (req) => {
    if (req.url?.startsWith(Webhook.PATH_PREFIX)) runSync(Webhook.countAnswer(413))
  })
  const webhook = yield* Webhook.makeIntercept(bodies)
  const dispatch: Dispatch = (req, res, forward) => {
    if (bodies.refuseDeclared(req, res)) return true
    if (webhook(req, res)) return true
    if (!BODY_METHODS.has(req.method ?? "")) return false
    // Every body of this API is JSON: read it as JSON whatever it declares (curl -d says form-urlencoded, fetch with
    // a string says text/plain, some clients say nothing); a body that is not JSON is answered as such.
    if (!isJsonType(req.headers["content-type"])) req.headers["content-type"] = "application/json"
    const length = req.headers["content-length"]
    const chunked = req.headers["transfer-encoding"] !== undefined
    // No body at all is the empty object (the docs' "may be {}"), not null.
    if ((length === undefined && !chunked) || (length !== undefined && Number(length) === 0)) {
      forward(withBody(req, EMPTY_JSON), res)
      return true
    }
    // A body of unknown length (chunked): read it here with the limit, so an oversized one gets its 413 (the Effect
    // stack would reset the connection), then hand the request over with the body in hand.
    if (length === undefined) {
      bodies.read(req, res, (body) => forward(withBody(req, body.length === 0 ? EMPTY_JSON : body), res))
      return true
    }
    return false
  }
  const routeOf = Routes.makeRouteTemplate()
  const answered = (req: Http.IncomingMessage, res: Http.ServerResponse, millis: number) => {
    const method = req.method !== undefined && HTTP_METHODS.has(req.method) ? req.method : "other"
    // the webhook route by prefix: its secret is never matched here, nor becomes a label
    const route = req.url?.startsWith(Webhook.PATH_PREFIX) === true
      ? WEBHOOK_ROUTE
      : routeOf(method, req.url ?? "")
    metrics.observeRequest(method, route, res.statusCode, millis / 1000)
  }
  return () => new DispatchingServer(dispatch, settings.edge, answered)
})

/** node:http on `host:port` with the fast paths in front of the Effect stack. */
export const layerNodeServer = (options: { readonly host: string; readonly port: number }) =>
  Layer.unwrapScoped(Effect.map(makeServer, (make) => NodeHttpServer.layer(make, options)))

/** The same on a loopback port (0: a free one), with an `HttpClient` whose relative URLs go to it (tests). */
export const layerNodeServerTest = (port = 0) =>
  Layer.unwrapScoped(
    Effect.map(makeServer, (make) =>
      HttpServer.layerTestClient.pipe(
        Layer.provide(NodeHttpClient.layerWithoutAgent),
        Layer.provide(NodeHttpClient.makeAgentLayer({ keepAlive: false })),
        Layer.provideMerge(NodeHttpServer.layer(make, { host: "127.0.0.1", port }))
      ))
  )
