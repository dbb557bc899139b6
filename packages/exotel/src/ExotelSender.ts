/**
 * The core `MessageSender` port over Exotel: one message per request, Exotel's answer mapped to a receipt or a
 * `ProviderError`, and retries only for requests Exotel did not accept.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import { MessageSender } from "@wa-session/session-core"
import * as Clock from "effect/Clock"
import type * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as ExoStatus from "./ExoStatus.js"
import * as ExotelApi from "./ExotelApi.js"
import * as ExotelConfig from "./ExotelConfig.js"

/**
 * The `custom_data` sent with a message: our outbound id and idempotency key, as JSON. Delivery reports echo it.
 *
 * @since 0.1.0
 * @category models
 */
export interface CustomData {
  readonly id: string
  readonly idempotencyKey?: string
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const encodeCustomData = (request: MessageSender.SendRequest): string =>
  JSON.stringify(
    Option.match(request.idempotencyKey, {
      onNone: (): CustomData => ({ id: request.outboundId }),
      onSome: (idempotencyKey): CustomData => ({ id: request.outboundId, idempotencyKey })
    })
  )

/**
 * The wire request for one message: wrapped in `whatsapp.messages`, with `custom_data` and, when configured, our
 * webhook as `status_callback`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const toWire = (
  request: MessageSender.SendRequest,
  statusCallbackUrl: Option.Option<string>
): ExotelApi.SendRequest => ({
  whatsapp: {
    messages: [{
      from: request.from,
      to: request.to,
      content: request.content as unknown as ExotelApi.WireMessage["content"],
      custom_data: encodeCustomData(request),
      ...Option.match(statusCallbackUrl, { onNone: () => ({}), onSome: (url) => ({ status_callback: url }) })
    }]
  }
})

const HAS_LETTERS = /[A-Za-z]/

/**
 * Reads a `Retry-After` header: delay seconds, or an HTTP-date (the delay is then counted from `nowMillis`; a
 * date in the past means no delay). `None` when unreadable.
 *
 * @since 0.1.0
 * @category constructors
 */
export const parseRetryAfter = (value: string, nowMillis: number): Option.Option<Duration.Duration> => {
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Option.some(Duration.seconds(Number(trimmed)))
  if (!HAS_LETTERS.test(trimmed)) return Option.none()
  const at = Date.parse(trimmed)
  return Number.isFinite(at) ? Option.some(Duration.millis(Math.max(0, at - nowMillis))) : Option.none()
}

type Verdict =
  | { readonly _tag: "Accepted"; readonly receipt: MessageSender.SendReceipt }
  | { readonly _tag: "Failed"; readonly error: MessageSender.ProviderError }
  | {
    readonly _tag: "Retry"
    readonly error: MessageSender.ProviderError
    readonly retryAfter: Option.Option<Duration.Duration>
  }

const MAX_TEXT = 500

const errorWords = (error: Option.Option<ExotelApi.ErrorData>): ReadonlyArray<string> => {
  const candidates: ReadonlyArray<unknown> = Option.match(error, {
    onNone: () => [],
    onSome: (data) => [data.message, data.description]
  })
  const words = candidates.filter((word): word is string => typeof word === "string" && word.trim() !== "")
  return words.filter((word, i) => words.indexOf(word) === i)
}

const errorText = (result: ExotelApi.SendResult): { readonly code: Option.Option<string>; readonly text: string } => {
  const error = Option.flatMap(result.body, ExotelApi.firstError)
  const code = error.pipe(
    Option.flatMap((data) => Option.fromNullable(data.code)),
    Option.map(String)
  )
  const unique = errorWords(error)
  const raw = result.text.trim()
  const text = unique.length > 0
    ? unique.join(": ")
    : raw === ""
    ? "no body"
    : raw.length > MAX_TEXT
    ? raw.slice(0, MAX_TEXT) + "…"
    : raw
  return { code, text }
}

const providerError = (
  reason: MessageSender.ProviderError["reason"],
  detail: string,
  httpStatus: Option.Option<number>,
  providerCode: Option.Option<string> = Option.none(),
  reengagement = false
) => new MessageSender.ProviderError({ reason, detail, httpStatus, providerCode, reengagement })

const interpretAccepted = (result: ExotelApi.SendResult): Verdict => {
  const status = Option.some(result.status)
  const first = Option.flatMap(result.body, (body) => Option.fromNullable(ExotelApi.messageResults(body)[0]))
  if (Option.isNone(first)) {
    return {
      _tag: "Failed",
      error: providerError(
        "Unavailable",
        `Exotel answered HTTP ${result.status} without a message result (not retried: it accepted the request): ` +
          errorText(result).text,
        status
      )
    }
  }
  const message = first.value
  const sid = message.data?.sid
  if (message.status === "success" && typeof sid === "string" && sid !== "") {
    return { _tag: "Accepted", receipt: { providerMessageId: sid } }
  }
  if (message.status === "success") {
    return {
      _tag: "Failed",
      error: providerError("Unavailable", `Exotel accepted the message without a sid (not retried)`, status)
    }
  }
  const error = Option.fromNullable(message.error_data)
  const code = error.pipe(Option.flatMap((data) => Option.fromNullable(data.code)), Option.map(String))
  const words = errorWords(error)
  return {
    _tag: "Failed",
    error: providerError(
      "Rejected",
      words.length > 0 ? words.join(": ") : `status ${message.status}`,
      status,
      code,
      Option.contains(code, String(ExoStatus.REENGAGEMENT_CODE)) || words.includes(ExoStatus.REENGAGEMENT_NAME)
    )
  }
}

/** An HTTP-date is counted from the answer's `Date` (Exotel's clock), else from ours. */
const interpret = (result: ExotelApi.SendResult, nowMillis: number): Verdict => {
  if (ExotelApi.isAccepted(result)) return interpretAccepted(result)
  const { code, text } = errorText(result)
  const status = Option.some(result.status)
  const detail = `HTTP ${result.status}: ${text}`
  if (result.status === 429) {
    return {
      _tag: "Retry",
      error: providerError("RateLimited", detail, status, code),
      retryAfter: Option.flatMap(
        Option.fromNullable(result.headers["retry-after"]),
        (value) => parseRetryAfter(value, serverNow(result, nowMillis))
      )
    }
  }
  if (result.status >= 500) {
    return { _tag: "Retry", error: providerError("Unavailable", detail, status, code), retryAfter: Option.none() }
  }
  if (result.status === 401 || result.status === 403 || result.status === 402 || result.status === 404) {
    return { _tag: "Failed", error: providerError("Configuration", detail, status, code) }
  }
  if (result.status >= 400) return { _tag: "Failed", error: providerError("BadRequest", detail, status, code) }
  return { _tag: "Failed", error: providerError("Unavailable", detail, status, code) }
}

const serverNow = (result: ExotelApi.SendResult, nowMillis: number): number => {
  const date = result.headers["date"]
  const parsed = date === undefined ? Number.NaN : Date.parse(date)
  return Number.isFinite(parsed) ? parsed : nowMillis
}

const interpretApiError = (error: ExotelApi.ExotelApiError, policy: ExotelConfig.RetryPolicy): Verdict => {
  const providerErr = providerError("Unavailable", error.message, Option.none())
  return error.reason === "Timeout" && !policy.retryTimeouts
    ? { _tag: "Failed", error: providerErr }
    : { _tag: "Retry", error: providerErr, retryAfter: Option.none() }
}

const backoff = (policy: ExotelConfig.RetryPolicy, retry: number): Effect.Effect<Duration.Duration> =>
  Effect.map(Random.next, (random) => {
    const ceiling = Math.min(Duration.toMillis(policy.maxDelay), Duration.toMillis(policy.baseDelay) * 2 ** retry)
    return Duration.millis(Math.round(ceiling / 2 + (random * ceiling) / 2))
  })

const withDetail = (error: MessageSender.ProviderError, suffix: string) =>
  providerError(error.reason, `${error.detail} ${suffix}`, error.httpStatus, error.providerCode)

/**
 * The sender over the configured Exotel account. HTTP 401/402/403/404 → `Configuration`; 400/422 and other
 * 4xx → `BadRequest` with Exotel's text; 429 → retried after `Retry-After` (or a jittered backoff), then
 * `RateLimited`; 5xx, resets and timeouts → retried with backoff, then `Unavailable`; a 2xx whose message failed →
 * `Rejected` with Exotel's code. A 2xx is never retried.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<
  MessageSender.MessageSenderShape,
  never,
  ExotelApi.ExotelApi | ExotelConfig.ExotelConfig
> = Effect.gen(function*() {
  const api = yield* ExotelApi.ExotelApi
  const options = yield* ExotelConfig.ExotelConfig
  const policy = options.retry
  if (Option.isNone(options.statusCallbackUrl)) {
    yield* Effect.logWarning(
      "Exotel: no status callback URL configured; delivery reports and replies go to the account's default URL only"
    )
  }

  const attempt = (
    body: ExotelApi.SendRequest,
    retry: number
  ): Effect.Effect<MessageSender.SendReceipt, MessageSender.ProviderError> =>
    Effect.gen(function*() {
      const outcome = yield* Effect.either(api.sendMessages(body))
      const now = yield* Clock.currentTimeMillis
      const verdict = Either.match(outcome, {
        onLeft: (error) => interpretApiError(error, policy),
        onRight: (result) => interpret(result, now)
      })
      if (verdict._tag === "Accepted") return verdict.receipt
      if (verdict._tag === "Failed") return yield* Effect.fail(verdict.error)
      if (retry >= policy.maxRetries) {
        return yield* Effect.fail(withDetail(verdict.error, `(gave up after ${retry + 1} attempts)`))
      }
      if (
        Option.isSome(verdict.retryAfter) &&
        Duration.greaterThan(verdict.retryAfter.value, policy.maxRetryAfter)
      ) {
        return yield* Effect.fail(
          withDetail(
            verdict.error,
            `(Exotel asked to retry after ${Duration.format(verdict.retryAfter.value)}, ` +
              `longer than the ${Duration.format(policy.maxRetryAfter)} we wait)`
          )
        )
      }
      const delay = Option.isSome(verdict.retryAfter) ? verdict.retryAfter.value : yield* backoff(policy, retry)
      yield* Effect.logWarning(
        `Exotel: ${verdict.error.detail}; retry ${retry + 1} of ${policy.maxRetries} in ${Duration.format(delay)}`
      )
      yield* Effect.sleep(delay)
      return yield* attempt(body, retry + 1)
    })

  const send = (request: MessageSender.SendRequest) =>
    attempt(toWire(request, options.statusCallbackUrl), 0).pipe(
      Effect.withSpan("ExotelSender.send", { attributes: { outboundId: request.outboundId } })
    )

  return { send }
})

/**
 * The `MessageSender` port over {@link ExotelApi.ExotelApi}.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<MessageSender.MessageSender, never, ExotelApi.ExotelApi | ExotelConfig.ExotelConfig> =
  Layer.effect(MessageSender.MessageSender, make)

/**
 * The whole adapter from options: `MessageSender` and the raw `ExotelApi`. Needs an `HttpClient`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWith = (
  options: ExotelConfig.ExotelOptionsInput
): Layer.Layer<MessageSender.MessageSender | ExotelApi.ExotelApi, never, HttpClient.HttpClient> =>
  layer.pipe(Layer.provideMerge(ExotelApi.layer), Layer.provide(ExotelConfig.layer(options)))

/**
 * The whole adapter from configuration (`EXOTEL_*`, see `ExotelConfig.config`). Needs an `HttpClient`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  defaults: Parameters<typeof ExotelConfig.config>[0] = {}
): Layer.Layer<MessageSender.MessageSender | ExotelApi.ExotelApi, ConfigError.ConfigError, HttpClient.HttpClient> =>
  layer.pipe(Layer.provideMerge(ExotelApi.layer), Layer.provide(ExotelConfig.layerConfig(defaults)))
