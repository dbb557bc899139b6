/**
 * The raw Exotel WhatsApp client: `POST /v2/accounts/{sid}/messages` with Basic auth and Schema-encoded JSON.
 * It returns what Exotel answered (status, decoded body, raw text) and decides nothing; the sender on top of it
 * maps answers to domain results and retries. When no answer comes, its error tells a connection that could not
 * be made (`Connect`: the request never reached Exotel) from one lost afterwards (`Transport`) and from a timeout.
 *
 * @since 0.1.0
 */
import type * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { pipe } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { ExotelConfig } from "./ExotelConfig.js"

/**
 * A JSON object passed through as is (a message's `content`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const JsonObject = Schema.Record({ key: Schema.String, value: Schema.Unknown })

/**
 * One Message Object. `custom_data` is echoed back in delivery reports; `status_callback` receives the delivery
 * reports and the customer's replies to this message.
 *
 * @since 0.1.0
 * @category schemas
 */
export const WireMessage = Schema.Struct({
  from: Schema.String,
  to: Schema.String,
  content: JsonObject,
  custom_data: Schema.optional(Schema.String),
  status_callback: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type WireMessage = typeof WireMessage.Type

/**
 * The send request. Messages must be wrapped in the `whatsapp` channel object: a bare message is refused with
 * 400 / 1001 "at least one channel is mandatory".
 *
 * @since 0.1.0
 * @category schemas
 */
export const SendRequest = Schema.Struct({
  custom_data: Schema.optional(Schema.String),
  status_callback: Schema.optional(Schema.String),
  whatsapp: Schema.Struct({
    custom_data: Schema.optional(Schema.String),
    status_callback: Schema.optional(Schema.String),
    messages: Schema.Array(WireMessage)
  })
})

/**
 * @since 0.1.0
 * @category models
 */
export type SendRequest = typeof SendRequest.Type

/**
 * Exotel's error object (`{ code, message, description }`; each key is optional here, none is documented).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ErrorData = Schema.Struct({
  code: Schema.optional(Schema.NullOr(Schema.Union(Schema.Number, Schema.String))),
  message: Schema.optional(Schema.NullOr(Schema.String)),
  description: Schema.optional(Schema.NullOr(Schema.String))
})

/**
 * @since 0.1.0
 * @category models
 */
export type ErrorData = typeof ErrorData.Type

/**
 * The result of one message: `status: "success"` with `data.sid`, or a failure with `error_data`. Its `code` is
 * 202 (some integrations see 200).
 *
 * @since 0.1.0
 * @category schemas
 */
export const MessageResult = Schema.Struct({
  code: Schema.optional(Schema.NullOr(Schema.Number)),
  status: Schema.String,
  data: Schema.optional(Schema.NullOr(Schema.Struct({ sid: Schema.String }))),
  error_data: Schema.optional(Schema.NullOr(ErrorData))
})

/**
 * @since 0.1.0
 * @category models
 */
export type MessageResult = typeof MessageResult.Type

const ResponseBody = Schema.Struct({
  code: Schema.optional(Schema.NullOr(Schema.Number)),
  status: Schema.optional(Schema.NullOr(Schema.String)),
  error_data: Schema.optional(Schema.NullOr(ErrorData)),
  whatsapp: Schema.optional(Schema.NullOr(Schema.Struct({ messages: Schema.Array(MessageResult) })))
})

/**
 * Exotel's answer. On success `response.whatsapp.messages[i]` is the result of the i-th message; on a refused
 * request `response` carries `error_data` (as an object, or in an array in some Exotel v2 APIs).
 *
 * @since 0.1.0
 * @category schemas
 */
export const SendResponse = Schema.Struct({
  request_id: Schema.optional(Schema.NullOr(Schema.String)),
  method: Schema.optional(Schema.NullOr(Schema.String)),
  http_code: Schema.optional(Schema.NullOr(Schema.Number)),
  metadata: Schema.optional(
    Schema.NullOr(Schema.Struct({ total: Schema.Number, success: Schema.Number, failed: Schema.Number }))
  ),
  response: Schema.optional(Schema.NullOr(Schema.Union(ResponseBody, Schema.Array(ResponseBody))))
})

/**
 * @since 0.1.0
 * @category models
 */
export type SendResponse = typeof SendResponse.Type

const bodiesOf = (response: SendResponse): ReadonlyArray<typeof ResponseBody.Type> => {
  const body = response.response
  if (body === undefined || body === null) return []
  return Array.isArray(body) ? body : [body as typeof ResponseBody.Type]
}

/**
 * The per-message results of an answer (empty when it has none).
 *
 * @since 0.1.0
 * @category getters
 */
export const messageResults = (response: SendResponse): ReadonlyArray<MessageResult> =>
  bodiesOf(response).flatMap((entry) => entry.whatsapp?.messages ?? [])

/**
 * The first error object of an answer: the request-level one, else the first message's.
 *
 * @since 0.1.0
 * @category getters
 */
export const firstError = (response: SendResponse): Option.Option<ErrorData> => {
  const bodies = bodiesOf(response)
  return Option.firstSomeOf([
    ...bodies.map((entry) => Option.fromNullable(entry.error_data)),
    ...messageResults(response).map((result) => Option.fromNullable(result.error_data))
  ])
}

/**
 * What Exotel answered. `body` is the decoded JSON when it has the documented shape; `text` is the raw body,
 * always kept so Exotel's own words reach the error.
 *
 * @since 0.1.0
 * @category models
 */
export interface SendResult {
  readonly status: number
  readonly headers: Headers.Headers
  readonly body: Option.Option<SendResponse>
  readonly text: string
}

/**
 * Why a request got no answer, split by whether Exotel may have read it:
 *
 * - `Connect` (since 0.2.0): the connection could not be made (refused, DNS, unreachable network or host, connect
 *   timeout, TLS handshake or certificate failure), so the request never reached Exotel;
 * - `Transport`: the connection failed after it was made (reset, closed, an answer cut short): Exotel may have read
 *   the request and accepted it;
 * - `Timeout`: no full answer within the attempt's timeout: Exotel may have accepted it.
 *
 * @since 0.2.0
 * @category errors
 */
export const ExotelApiErrorReason = Schema.Literal("Connect", "Transport", "Timeout")

/**
 * The request got no answer; `reason` says whether it may have reached Exotel (see {@link ExotelApiErrorReason}).
 *
 * @since 0.1.0
 * @category errors
 */
export class ExotelApiError extends Schema.TaggedError<ExotelApiError>("@wa-session/exotel/ExotelApiError")(
  "ExotelApiError",
  { reason: ExotelApiErrorReason, detail: Schema.String }
) {
  /** @since 0.1.0 */
  override get message(): string {
    return `Exotel request failed (${this.reason}): ${this.detail}`
  }
}

/**
 * Options of one request.
 *
 * @since 0.2.0
 * @category models
 */
export interface SendOptions {
  /** Time allowed for this request, answer included, instead of the configured `requestTimeout`. */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ExotelApiShape {
  /** The full URL messages are posted to. */
  readonly messagesUrl: string
  /** Posts one request, once: no retries here. `options` since 0.2.0. */
  readonly sendMessages: (body: SendRequest, options?: SendOptions) => Effect.Effect<SendResult, ExotelApiError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class ExotelApi extends Context.Tag("@wa-session/exotel/ExotelApi")<ExotelApi, ExotelApiShape>() {}

const decodeResponse = Schema.decodeUnknownOption(Schema.parseJson(SendResponse))
const encodeRequest = HttpClientRequest.schemaBodyJson(SendRequest)

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<ExotelApiShape, never, ExotelConfig | HttpClient.HttpClient> = Effect.gen(
  function*() {
    const options = yield* ExotelConfig
    const client = (yield* HttpClient.HttpClient).pipe(
      HttpClient.mapRequest((request) =>
        pipe(
          request,
          HttpClientRequest.prependUrl(options.baseUrl),
          HttpClientRequest.basicAuth(options.apiKey, options.apiToken),
          HttpClientRequest.acceptJson
        )
      )
    )
    const path = `/v2/accounts/${encodeURIComponent(options.accountSid)}/messages`

    const sendMessages = (
      body: SendRequest,
      sendOptions: SendOptions = {}
    ): Effect.Effect<SendResult, ExotelApiError> => {
      const timeout = Duration.decode(sendOptions.timeout ?? options.requestTimeout)
      return encodeRequest(HttpClientRequest.post(path), body).pipe(
        Effect.orDie,
        Effect.flatMap(client.execute),
        Effect.flatMap((response) =>
          Effect.map(response.text, (text): SendResult => ({
            status: response.status,
            headers: response.headers,
            body: decodeResponse(text),
            text
          }))
        ),
        Effect.catchTags({
          RequestError: (error) => Effect.fail(requestFailure(error)),
          ResponseError: (error) => Effect.fail(new ExotelApiError({ reason: "Transport", detail: describe(error) }))
        }),
        Effect.timeoutFail({
          duration: timeout,
          onTimeout: () => new ExotelApiError({ reason: "Timeout", detail: `no answer within ${format(timeout)}` })
        }),
        Effect.withSpan("ExotelApi.sendMessages", { attributes: { messages: body.whatsapp.messages.length } })
      )
    }

    return { messagesUrl: options.baseUrl + path, sendMessages }
  }
)

/**
 * A request error is `Connect` when the request was never sent: an invalid URL, or a failure of the connection
 * itself (see {@link connectFailureCode}); any other is `Transport`.
 */
const requestFailure = (error: HttpClientError.RequestError): ExotelApiError =>
  error.reason === "InvalidUrl" || Option.isSome(connectFailureCode(error.cause))
    ? new ExotelApiError({ reason: "Connect", detail: describe(error) })
    : new ExotelApiError({ reason: "Transport", detail: describe(error) })

/** Codes that only a connection that could not be made gives (undici, Node's `net`/`dns`, OpenSSL's X.509). */
const CONNECT_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERR_TLS_HANDSHAKE_TIMEOUT",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_CRL",
  "UNABLE_TO_DECRYPT_CERT_SIGNATURE",
  "UNABLE_TO_DECRYPT_CRL_SIGNATURE",
  "UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY",
  "CERT_SIGNATURE_FAILURE",
  "CRL_SIGNATURE_FAILURE",
  "CERT_NOT_YET_VALID",
  "CERT_HAS_EXPIRED",
  "CRL_NOT_YET_VALID",
  "CRL_HAS_EXPIRED",
  "ERROR_IN_CERT_NOT_BEFORE_FIELD",
  "ERROR_IN_CERT_NOT_AFTER_FIELD",
  "ERROR_IN_CRL_LAST_UPDATE_FIELD",
  "ERROR_IN_CRL_NEXT_UPDATE_FIELD",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "CERT_CHAIN_TOO_LONG",
  "CERT_REVOKED",
  "INVALID_CA",
  "PATH_LENGTH_EXCEEDED",
  "INVALID_PURPOSE",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "HOSTNAME_MISMATCH"
])

/** OpenSSL errors of the handshake: protocol negotiation (e.g. TLS spoken to a plain HTTP port) and alerts about it. */
const TLS_HANDSHAKE_CODE = /^ERR_SSL_.*(HANDSHAKE|WRONG_VERSION_NUMBER|PROTOCOL|CERTIFICATE|UNKNOWN_CA)/

/** Node's system errors name the call that failed: `connect` and `getaddrinfo` come before anything is written. */
const CONNECT_SYSCALLS: ReadonlySet<string> = new Set(["connect", "getaddrinfo"])

const MAX_CAUSE_DEPTH = 8

const stringField = (value: object, field: "code" | "syscall"): string | undefined => {
  const read: unknown = Reflect.get(value, field)
  return typeof read === "string" ? read : undefined
}

const ownConnectCode = (value: object): Option.Option<string> => {
  const code = stringField(value, "code")
  const syscall = stringField(value, "syscall")
  if (code !== undefined && (CONNECT_CODES.has(code) || TLS_HANDSHAKE_CODE.test(code))) return Option.some(code)
  if (syscall !== undefined && CONNECT_SYSCALLS.has(syscall)) return Option.some(code ?? syscall)
  return Option.none()
}

/** An `AggregateError` (one connection attempt per address) is a connect failure when every attempt is one. */
const aggregateConnectCode = (value: object, depth: number): Option.Option<string> => {
  const errors: unknown = (value as { readonly errors?: unknown }).errors
  if (!Array.isArray(errors) || errors.length === 0) return Option.none()
  const codes = errors.map((error: unknown) => findConnectCode(error, depth + 1))
  return codes.every(Option.isSome) ? codes[0]! : Option.none()
}

const findConnectCode = (value: unknown, depth: number): Option.Option<string> => {
  if (typeof value !== "object" || value === null || depth > MAX_CAUSE_DEPTH) return Option.none()
  return ownConnectCode(value).pipe(
    Option.orElse(() => aggregateConnectCode(value, depth)),
    Option.orElse(() => findConnectCode((value as { readonly cause?: unknown }).cause, depth + 1))
  )
}

/**
 * The code showing that a failed request never reached the server, found in the error or its `cause` chain (and
 * in every error of an `AggregateError`): the connection was refused (`ECONNREFUSED`), the name did not resolve
 * (`ENOTFOUND`, `EAI_AGAIN`), the network or host was unreachable (`ENETUNREACH`, `EHOSTUNREACH`), connecting timed
 * out (`UND_ERR_CONNECT_TIMEOUT`), any other error of Node's `connect`/`getaddrinfo` calls, or the TLS handshake
 * failed (certificate errors such as `DEPTH_ZERO_SELF_SIGNED_CERT` or `ERR_TLS_CERT_ALTNAME_INVALID`, protocol errors
 * such as `ERR_SSL_WRONG_VERSION_NUMBER`). `None` when nothing shows it: the request may have been sent.
 *
 * @since 0.2.0
 * @category getters
 */
export const connectFailureCode = (cause: unknown): Option.Option<string> => findConnectCode(cause, 0)

const describe = (error: { readonly message: string; readonly cause?: unknown }): string => {
  const cause = error.cause
  const causeText = cause instanceof Error
    ? [cause.message, cause.cause instanceof Error ? cause.cause.message : undefined].filter(Boolean).join(": ")
    : undefined
  return causeText === undefined || causeText === "" ? error.message : `${error.message} (${causeText})`
}

const format = (duration: Duration.Duration): string => `${Math.round(Duration.toMillis(duration))} ms`

/**
 * The raw client over the configured account; needs an `HttpClient` (e.g. `NodeHttpClient.layerUndici`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<ExotelApi, never, ExotelConfig | HttpClient.HttpClient> = Layer.effect(
  ExotelApi,
  make
)

/**
 * Whether the answer is a 2xx.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isAccepted = (result: SendResult): boolean => result.status >= 200 && result.status < 300
