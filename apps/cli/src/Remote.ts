import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpApiClient from "@effect/platform/HttpApiClient"
import * as HttpApiError from "@effect/platform/HttpApiError"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { type ExplanationView, type SessionView, WaSessionApi } from "@wa-session/http-api"
import { DateTime, Duration, Effect, Layer, Match, Option, ParseResult, Predicate, Record, Redacted } from "effect"
import { Backend, type BackendError, type BackendShape, type ExplainView, type WindowView } from "./Backend.js"
import { RemoteFailure, ServerUnreachable } from "./Errors.js"

export interface RemoteOptions {
  readonly url: string
  readonly token: Option.Option<Redacted.Redacted<string>>
  /** `--at`: the server evaluates status, explain and expiring at this instant instead of now. */
  readonly at: Option.Option<DateTime.Utc>
}

const toWindowView = (view: SessionView, safetyMargin: Duration.Duration): WindowView => ({
  business: view.business,
  customer: view.customer,
  state: view.state,
  lastInboundAt: Option.fromNullable(view.lastInboundAt),
  expiresAt: Option.fromNullable(view.expiresAt),
  remaining: Duration.seconds(view.remainingSeconds),
  closedByProvider: view.closedByProvider,
  safetyMargin
})

const marginOf = (view: ExplanationView): Duration.Duration => Duration.seconds(view.safetyMarginSeconds)

const toExplainView = (view: ExplanationView): ExplainView => ({
  status: toWindowView(view.status, marginOf(view)),
  basisMessageId: Option.fromNullable(view.basisMessageId),
  basisReceivedAt: Option.fromNullable(view.basisReceivedAt),
  firstSeenAt: Option.fromNullable(view.firstSeenAt),
  closedByProviderAt: Option.fromNullable(view.closedByProviderAt),
  safetyMargin: Duration.seconds(view.safetyMarginSeconds),
  summary: view.summary
})

/** An optional field of a request: present only when the option holds a value. */
const optionalField = <K extends string, A>(key: K, value: Option.Option<A>): { readonly [P in K]?: A } =>
  Option.match(value, { onNone: () => ({}), onSome: (a) => Record.singleton(key, a) })

interface PairPath {
  readonly business: string
  readonly customer: string
}

const pathOf = (pair: PairPath) => ({
  business: pair.business,
  customer: pair.customer
})

/** What the typed client fails with before the server's answer is read as a contract error. */
type TransportError = HttpClientError.HttpClientError | ParseResult.ParseError | HttpApiError.HttpApiDecodeError

/** An error of the API contract: every one has its stable `code` and a message (see `@wa-session/http-api`). */
interface ContractError {
  readonly code: string
  readonly message: string
}

const DETAIL_SKIP = new Set(["_tag", "code", "message"])

/**
 * Every answer of the server that is not a success, as one of the CLI's failures: the contract's errors keep their
 * code and details; a transport failure or an answer outside the contract means the server is unreachable.
 */
const fromServer =
  (url: string) => <E extends ContractError>(error: E | TransportError): ServerUnreachable | RemoteFailure => {
    if (HttpClientError.isHttpClientError(error)) {
      return Match.valueTags(error, {
        RequestError: (error) =>
          new ServerUnreachable({ url, message: `cannot reach ${url}: ${transportReason(error)}` }),
        ResponseError: (error) =>
          new ServerUnreachable({
            url,
            message: `${url} answered outside the API contract (HTTP ${String(error.response.status)})`
          })
      })
    }
    if (ParseResult.isParseError(error)) {
      return new ServerUnreachable({ url, message: `${url} answered outside the API contract: ${String(error)}` })
    }
    if (error instanceof HttpApiError.HttpApiDecodeError) {
      return new ServerUnreachable({ url, message: `${url}: ${String(error)}` })
    }
    const details = Object.fromEntries(Object.entries(error).filter(([key]) => !DETAIL_SKIP.has(key)))
    return new RemoteFailure({ code: error.code, message: error.message, details })
  }

/** Why a request did not reach the server: the system's code (`ECONNREFUSED`) or message, from the fetch failure. */
const transportReason = (error: HttpClientError.RequestError): string => {
  const cause = error.cause
  const inner = Predicate.hasProperty(cause, "cause") ? cause.cause : undefined
  const text = (value: unknown) =>
    Predicate.hasProperty(value, "code") && typeof value.code === "string"
      ? value.code
      : value instanceof Error
      ? value.message
      : undefined
  return text(inner) ?? text(cause) ?? "connection failed"
}

/** A 401 when no token was sent says where one goes. */
const withTokenHint = (error: ServerUnreachable | RemoteFailure, noToken: boolean): ServerUnreachable | RemoteFailure =>
  noToken && error._tag === "RemoteFailure" && error.code === "UNAUTHORIZED"
    ? new RemoteFailure({
      ...error,
      message: `${error.message}; no token was sent: give --token or set WA_SESSION_API_TOKEN`
    })
    : error

/** The commands through a running server: the typed client of the API contract, authenticated with the token. */
export const make = (options: RemoteOptions): Effect.Effect<BackendShape, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const url = options.url.replace(/\/+$/, "")
    // an empty WA_SESSION_API_TOKEN (an unset shell variable exported) is no token
    const token = Option.filter(options.token, (value) => Redacted.value(value).trim() !== "")
    const client = yield* HttpApiClient.make(WaSessionApi, {
      baseUrl: url,
      transformClient: (http) =>
        Option.match(token, {
          onNone: () => http,
          onSome: (value) => HttpClient.mapRequest(http, HttpClientRequest.bearerToken(Redacted.value(value)))
        })
    })
    const call = <A, E extends ContractError>(
      effect: Effect.Effect<A, E | TransportError>
    ): Effect.Effect<A, BackendError> =>
      Effect.mapError(effect, (error) => withTokenHint(fromServer(url)(error), Option.isNone(token)))
    const at = optionalField("at", options.at)
    // The window's answer has no safety margin, and its time left is in whole seconds (which cannot tell the margin
    // apart from the second cut off): the explanation, which has both, is asked for the margin.
    const explain = (pair: PairPath) => call(client.sessions.explainSession({ path: pathOf(pair), urlParams: at }))
    const safetyMargin = (pair: PairPath) => Effect.map(explain(pair), marginOf)
    return {
      now: Option.match(options.at, { onNone: () => DateTime.now, onSome: Effect.succeed }),
      send: (request) =>
        call(client.messages.sendMessage({
          payload: {
            from: request.from,
            to: request.to,
            content: request.content,
            ...(request.fallback === undefined ? {} : { fallback: request.fallback }),
            ...optionalField("idempotencyKey", request.idempotencyKey),
            dryRun: request.dryRun,
            ...Option.match(request.park, {
              onNone: () => ({}),
              onSome: (park) => ({
                whenClosed: "park" as const,
                // the API takes whole seconds
                ...optionalField("ttl", Option.map(park.ttl, (ttl) => Math.ceil(Duration.toMillis(ttl) / 1000)))
              })
            })
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
            replayed: Option.some(response.replayed),
            parkedUntil: Option.fromNullable(response.parkedUntil),
            reengagementMessageId: Option.fromNullable(response.reengagementMessageId)
          }))
        ),
      status: (pair) => Effect.map(explain(pair), (view) => toWindowView(view.status, marginOf(view))),
      expiring: (request) =>
        Effect.gen(function*() {
          const page = yield* call(client.sessions.listExpiring({
            urlParams: {
              expiringWithin: Math.ceil(Duration.toMillis(request.within) / 1000),
              limit: request.limit,
              ...optionalField("business", request.business),
              ...optionalField("cursor", request.cursor),
              ...at
            }
          }))
          const [first] = page.items
          // the margin is the server's setting, the same for every pair: asked once, when a window is listed
          const margin = first === undefined
            ? Duration.zero
            : yield* safetyMargin(first)
          return {
            items: page.items.map((item) => toWindowView(item, margin)),
            nextCursor: Option.fromNullable(page.nextCursor)
          }
        }),
      explain: (pair) => Effect.map(explain(pair), toExplainView),
      inbound: (request) =>
        Effect.gen(function*() {
          // asked first: a failure then records nothing
          const margin = yield* safetyMargin(request)
          const response = yield* call(client.sessions.recordInbound({
            path: pathOf(request),
            payload: { ...optionalField("messageId", request.messageId), ...optionalField("sentAt", request.sentAt) }
          }))
          return {
            messageId: response.messageId,
            duplicate: response.duplicate,
            adjustment: response.adjustment,
            window: toWindowView(response.window, margin)
          }
        }),
      history: (request) =>
        call(client.sessions.listMessages({
          path: pathOf(request.pair),
          urlParams: { limit: request.limit, ...optionalField("cursor", request.cursor) }
        })),
      events: (request) =>
        call(client.events.listEvents({
          urlParams: {
            limit: request.limit,
            ...optionalField("after", request.after),
            ...optionalField("type", Option.map(request.types, (types) => types.join(",")))
          }
        })),
      deliveries: (request) =>
        call(client.events.listDeliveries({
          urlParams: {
            limit: request.limit,
            ...optionalField("state", request.state),
            ...optionalField("endpoint", request.endpoint),
            ...optionalField("cursor", request.cursor)
          }
        })),
      replay: (request) =>
        call(client.events.replay({
          payload: {
            ...optionalField("endpoint", request.endpoint),
            ...optionalField("since", request.since),
            ...optionalField("eventIds", request.eventIds)
          }
        })).pipe(Effect.map((response) => response.replayed)),
      quarantine: (request) =>
        call(client.quarantine.listQuarantine({
          urlParams: {
            limit: request.limit,
            ...optionalField("state", request.state),
            ...optionalField("cursor", request.cursor)
          }
        })),
      retryQuarantined: (id) => call(client.quarantine.retryQuarantined({ path: { id } })),
      endpoints: call(client.events.listEndpoints()).pipe(Effect.map((list) => list.items)),
      addEndpoint: (request) =>
        call(client.events.addEndpoint({
          payload: {
            url: request.url,
            ...optionalField("events", request.events),
            ...optionalField("secret", Option.map(request.secret, Redacted.value))
          }
        })).pipe(
          Effect.map((added) => ({ ...added, secret: Option.map(Option.fromNullable(added.secret), Redacted.make) }))
        ),
      deleteEndpoint: (id) => call(client.events.deleteEndpoint({ path: { id } })),
      parked: (request) =>
        call(client.messages.listMessagesByState({
          urlParams: {
            state: "parked",
            limit: request.limit,
            ...optionalField("business", request.business),
            ...optionalField("customer", request.customer)
          }
        })),
      cancel: (id) => call(client.messages.cancelMessage({ path: { id } }))
    }
  })

export const layer = (options: RemoteOptions): Layer.Layer<Backend> =>
  Layer.effect(Backend, make(options)).pipe(Layer.provide(FetchHttpClient.layer))
