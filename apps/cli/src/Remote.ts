import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpApiClient from "@effect/platform/HttpApiClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { type SessionView, WaSessionApi } from "@wa-session/http-api"
import { DateTime, Duration, Effect, Layer, Option, Predicate, Redacted } from "effect"
import { Backend, type BackendError, type BackendShape, RemoteFailure, type WindowView } from "./Backend.js"
import { ServerUnreachable, UsageError } from "./Errors.js"

export interface RemoteOptions {
  readonly url: string
  readonly token: Option.Option<Redacted.Redacted<string>>
}

const toWindowView = (view: SessionView): WindowView => ({
  business: view.business,
  customer: view.customer,
  state: view.state,
  lastInboundAt: Option.fromNullable(view.lastInboundAt),
  expiresAt: Option.fromNullable(view.expiresAt),
  remaining: Duration.seconds(view.remainingSeconds),
  closedByProvider: view.closedByProvider
})

const DETAIL_SKIP = new Set(["_tag", "code", "message"])

/** Every answer of the server that is not a success, as one of the CLI's failures. */
const fromServer = (url: string) => (error: unknown): BackendError => {
  if (Predicate.isTagged(error, "RequestError")) {
    return new ServerUnreachable({ url, message: `cannot reach ${url}: ${describeCause(error)}` })
  }
  if (Predicate.isTagged(error, "ResponseError")) {
    const status = Predicate.hasProperty(error, "response") && Predicate.hasProperty(error.response, "status")
      ? ` (HTTP ${String(error.response.status)})`
      : ""
    return new ServerUnreachable({ url, message: `${url} answered outside the API contract${status}` })
  }
  if (Predicate.isTagged(error, "ParseError")) {
    return new ServerUnreachable({ url, message: `${url} answered outside the API contract: ${String(error)}` })
  }
  if (Predicate.isRecord(error) && typeof error.code === "string") {
    const details = Object.fromEntries(Object.entries(error).filter(([key]) => !DETAIL_SKIP.has(key)))
    const message = typeof error.message === "string" ? error.message : error.code
    return new RemoteFailure({ code: error.code, message, details })
  }
  return new ServerUnreachable({ url, message: `${url}: ${String(error)}` })
}

const describeCause = (error: object): string => {
  const cause = Predicate.hasProperty(error, "cause") ? error.cause : undefined
  const inner = Predicate.hasProperty(cause, "cause") ? cause.cause : undefined
  const text = (value: unknown) =>
    Predicate.hasProperty(value, "code") && typeof value.code === "string"
      ? value.code
      : value instanceof Error
      ? value.message
      : undefined
  return text(inner) ?? text(cause) ?? "connection failed"
}

const notInApi = (command: string, why: string) =>
  Effect.fail(
    new UsageError({
      field: "--server",
      message: `${command} is not available through the HTTP API (${why}); ` +
        "run it without --server, on the server's store"
    })
  )

/** The commands through a running server: the typed client of the API contract, authenticated with the token. */
export const make = (options: RemoteOptions): Effect.Effect<BackendShape, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const url = options.url.replace(/\/+$/, "")
    const client = yield* HttpApiClient.make(WaSessionApi, {
      baseUrl: url,
      transformClient: (http) =>
        Option.match(options.token, {
          onNone: () => http,
          onSome: (token) => HttpClient.mapRequest(http, HttpClientRequest.bearerToken(Redacted.value(token)))
        })
    })
    const call = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, BackendError> =>
      Effect.mapError(effect, fromServer(url))
    return {
      now: DateTime.now,
      send: (request) =>
        request.dryRun
          ? Effect.fail(
            new UsageError({
              field: "--dry-run",
              message: "--dry-run is not available with --server: the HTTP API has no dry run (a server without " +
                "Exotel credentials never sends)"
            })
          )
          : call(client.messages.sendMessage({
          payload: {
            from: request.from,
            to: request.to,
            content: request.content,
            ...(request.fallback === undefined ? {} : { fallback: request.fallback }),
            ...Option.match(request.idempotencyKey, { onNone: () => ({}), onSome: (key) => ({ idempotencyKey: key }) })
          },
          headers: {}
        })).pipe(
          Effect.map((response) => ({
            id: response.id,
            decision: response.decision,
            reason: Option.fromNullable(response.reason),
            window: { state: response.window.state, expiresAt: Option.fromNullable(response.window.expiresAt) },
            providerMessageId: Option.fromNullable(response.providerMessageId),
            status: response.status,
            dryRun: response.dryRun,
            replayed: Option.none()
          }))
        ),
      status: (pair) =>
        call(client.sessions.getSession({ path: { business: pair.business, customer: pair.customer } })).pipe(
          Effect.map(toWindowView)
        ),
      expiring: (request) =>
        call(client.sessions.listExpiring({
          urlParams: {
            expiringWithin: Math.ceil(Duration.toMillis(request.within) / 1000),
            limit: request.limit,
            ...Option.match(request.business, { onNone: () => ({}), onSome: (business) => ({ business }) }),
            ...Option.match(request.cursor, { onNone: () => ({}), onSome: (cursor) => ({ cursor }) })
          }
        })).pipe(
          Effect.map((page) => ({
            items: page.items.map(toWindowView),
            nextCursor: Option.fromNullable(page.nextCursor)
          }))
        ),
      explain: () => notInApi("explain", "it has no explain endpoint"),
      inbound: () => notInApi("inbound", "inbound messages reach the server only through the Exotel webhook")
    }
  })

export const layer = (options: RemoteOptions): Layer.Layer<Backend> =>
  Layer.effect(Backend, make(options)).pipe(Layer.provide(FetchHttpClient.layer))
