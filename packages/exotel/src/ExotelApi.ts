/**
 * The raw Exotel WhatsApp client: `POST /v2/accounts/{sid}/messages` with Basic auth and Schema-encoded JSON.
 * It returns what Exotel answered (status, decoded body, raw text) and decides nothing; the sender on top of it
 * maps answers to domain results and retries.
 *
 * @since 0.1.0
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Duration from "effect/Duration"
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
 * The request got no answer: `Transport` (connection refused or reset, DNS, TLS) or `Timeout` (no full answer
 * within the request timeout; Exotel may still have accepted it).
 *
 * @since 0.1.0
 * @category errors
 */
export class ExotelApiError extends Schema.TaggedError<ExotelApiError>("@wa-session/exotel/ExotelApiError")(
  "ExotelApiError",
  { reason: Schema.Literal("Transport", "Timeout"), detail: Schema.String }
) {
  /** @since 0.1.0 */
  override get message(): string {
    return `Exotel request failed (${this.reason}): ${this.detail}`
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ExotelApiShape {
  /** The full URL messages are posted to. */
  readonly messagesUrl: string
  /** Posts one request, once: no retries here. */
  readonly sendMessages: (body: SendRequest) => Effect.Effect<SendResult, ExotelApiError>
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

    const sendMessages = (body: SendRequest): Effect.Effect<SendResult, ExotelApiError> =>
      encodeRequest(HttpClientRequest.post(path), body).pipe(
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
          RequestError: (error) => Effect.fail(new ExotelApiError({ reason: "Transport", detail: describe(error) })),
          ResponseError: (error) => Effect.fail(new ExotelApiError({ reason: "Transport", detail: describe(error) }))
        }),
        Effect.timeoutFail({
          duration: options.requestTimeout,
          onTimeout: () =>
            new ExotelApiError({ reason: "Timeout", detail: `no answer within ${format(options.requestTimeout)}` })
        }),
        Effect.withSpan("ExotelApi.sendMessages", { attributes: { messages: body.whatsapp.messages.length } })
      )

    return { messagesUrl: options.baseUrl + path, sendMessages }
  }
)

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
