/**
 * The core `MessageSender` port over Exotel: one message per request, Exotel's answer mapped to a receipt or a
 * `ProviderError`, and retries only for attempts known not to have reached or been accepted by Exotel (a
 * connection that could not be made, 429, 5xx), all within one deadline per send. An outcome that may be an
 * acceptance (a timeout, a connection lost after the request was sent, a 2xx without a message id) fails at once
 * with `Ambiguous`: never sent again, it is settled by the delivery report carrying our id.
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
import * as Schedule from "effect/Schedule"
import * as ExoStatus from "./ExoStatus.js"
import * as ExotelApi from "./ExotelApi.js"
import * as ExotelConfig from "./ExotelConfig.js"
import * as RetrySchedule from "./internal/retrySchedule.js"

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
      content: request.content,
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

/** An answer Exotel did not take the message with: may be sent again (see `internal/retrySchedule.ts`). */
interface Retry {
  readonly _tag: "Retry"
  readonly error: MessageSender.ProviderError
  readonly retryAfter: Option.Option<Duration.Duration>
}

type Verdict =
  | { readonly _tag: "Accepted"; readonly receipt: MessageSender.SendReceipt }
  | { readonly _tag: "Failed"; readonly error: MessageSender.ProviderError }
  | Retry

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

/** What an ambiguous outcome's detail says after what happened. */
const MAY_BE_ACCEPTED = "Exotel may have accepted the message, so it is not sent again: " +
  "its delivery report, which carries our id in custom_data, will settle it"

const ambiguous = (what: string, httpStatus: Option.Option<number>): Verdict => ({
  _tag: "Failed",
  error: providerError("Ambiguous", `${what}; ${MAY_BE_ACCEPTED}`, httpStatus)
})

/** The sid of the first message result that has one. */
const messageSid = (result: ExotelApi.SendResult): Option.Option<string> =>
  Option.flatMap(result.body, (body) =>
    Option.fromNullable(
      ExotelApi.messageResults(body).map((message) => message.data?.sid).find((sid) =>
        typeof sid === "string" && sid !== ""
      )
    ))

/** A message Exotel did not take: retried when Exotel says to retry later (30007, 30009), else final. */
const rejected = (message: ExotelApi.MessageResult, status: Option.Option<number>): Verdict => {
  const error = Option.fromNullable(message.error_data)
  const code = error.pipe(Option.flatMap((data) => Option.fromNullable(data.code)), Option.map(String))
  const words = errorWords(error)
  const detail = words.length > 0 ? words.join(": ") : `status ${message.status}`
  if (ExoStatus.isRetryLater(Option.getOrUndefined(code), words)) {
    return { _tag: "Retry", error: providerError("RateLimited", detail, status, code), retryAfter: Option.none() }
  }
  return {
    _tag: "Failed",
    error: providerError("Rejected", detail, status, code, ExoStatus.isReengagement(Option.getOrUndefined(code), words))
  }
}

/** A 2xx: Exotel took the request. Without a message id we cannot tell what became of the message. */
const interpretAccepted = (result: ExotelApi.SendResult): Verdict => {
  const status = Option.some(result.status)
  const first = Option.flatMap(result.body, (body) => Option.fromNullable(ExotelApi.messageResults(body)[0]))
  if (Option.isNone(first)) {
    return ambiguous(
      `Exotel answered HTTP ${result.status} without a message result (${errorText(result).text})`,
      status
    )
  }
  const message = first.value
  const sid = message.data?.sid
  if (message.status === "success" && typeof sid === "string" && sid !== "") {
    return { _tag: "Accepted", receipt: { providerMessageId: sid } }
  }
  if (message.status === "success") {
    return ambiguous(`Exotel answered HTTP ${result.status}, message status success, without a sid`, status)
  }
  return rejected(message, status)
}

/**
 * 429 and 5xx are retried: Exotel did not take the request. Unless the answer names a message id all the same:
 * then the message may be on its way. An HTTP-date is counted from the answer's `Date` (Exotel's clock), else
 * from ours.
 */
const interpret = (result: ExotelApi.SendResult, nowMillis: number): Verdict => {
  if (ExotelApi.isAccepted(result)) return interpretAccepted(result)
  const { code, text } = errorText(result)
  const status = Option.some(result.status)
  const detail = `HTTP ${result.status}: ${text}`
  const retryable = result.status === 429 || result.status >= 500
  const sid = messageSid(result)
  if (retryable && Option.isSome(sid)) {
    return ambiguous(`Exotel answered HTTP ${result.status} naming message ${sid.value} (${text})`, status)
  }
  // the window is over, whatever the HTTP status says: the same consequences as a 30018 under a 2xx
  const words = errorWords(Option.flatMap(result.body, ExotelApi.firstError))
  if (ExoStatus.isReengagement(Option.getOrUndefined(code), words)) {
    return { _tag: "Failed", error: providerError("Rejected", detail, status, code, true) }
  }
  if (!retryable && ExoStatus.isRetryLater(Option.getOrUndefined(code), words)) {
    return { _tag: "Retry", error: providerError("RateLimited", detail, status, code), retryAfter: Option.none() }
  }
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

/** Only a connection that could not be made is known not to have reached Exotel. */
const interpretApiError = (error: ExotelApi.ExotelApiError): Verdict =>
  error.reason === "Connect"
    ? { _tag: "Retry", error: providerError("Unavailable", error.message, Option.none()), retryAfter: Option.none() }
    : ambiguous(error.message, Option.none())

const withDetail = (error: MessageSender.ProviderError, suffix: string) =>
  providerError(error.reason, `${error.detail} ${suffix}`, error.httpStatus, error.providerCode)

/**
 * The least time a retry must have left before the deadline: an attempt cut short by the deadline times out, and
 * a timeout is ambiguous, so a retry with less time than this (or than the request timeout, if shorter) is not
 * made and the send fails with the error known not to be an acceptance.
 */
const MIN_ATTEMPT_TIME = Duration.seconds(1)

/**
 * The sender over the configured Exotel account. One message per request; no message is ever sent twice:
 *
 * - 2xx with the message's sid → the receipt; 2xx whose message failed → `Rejected` with Exotel's code
 *   (`reengagement` for 30018);
 * - 2xx without a message result, or a success without a sid → `Ambiguous` (Exotel took the request);
 * - 401/402/403/404 → `Configuration`; 400/422 and other 4xx → `BadRequest` with Exotel's text;
 * - 429 → retried after `Retry-After` (or a jittered backoff), then `RateLimited`; 5xx → retried with backoff,
 *   then `Unavailable`; a connection that could not be made (`ExotelApiError` `Connect`) → retried, then
 *   `Unavailable`. A 429 or 5xx that names a message id is `Ambiguous` instead;
 * - a timeout, or a connection lost after it was made (`Timeout`, `Transport`) → `Ambiguous` at once: the message
 *   may have been accepted; it is never re-sent automatically, and its delivery report (which carries our id in
 *   `custom_data`) settles it.
 *
 * Retries follow a `Schedule` on `Clock`: an exponential backoff from the policy's `baseDelay`, capped at `maxDelay`
 * and jittered (between half and all of it), replaced by Exotel's `Retry-After` when it gives one (a longer one than
 * `maxRetryAfter` is not waited for), at most `maxRetries` of them. Every send has one deadline (`sendDeadline`, 15 s
 * by default): each attempt's timeout is the request timeout or the time left, whichever is shorter, and a retry
 * whose wait would end past the deadline (or leave the attempt less than a second, or than the request timeout if
 * shorter) is not made: the send fails with the last error, its detail naming the deadline.
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
  const minAttempt = Duration.min(options.requestTimeout, MIN_ATTEMPT_TIME)
  if (Option.isNone(options.statusCallbackUrl)) {
    yield* Effect.logWarning(
      "Exotel: no status callback URL configured; delivery reports and replies go to the account's default URL only"
    )
  }

  const attemptTimeout = (deadline: number) =>
    Effect.map(
      Clock.currentTimeMillis,
      (now) => Duration.min(options.requestTimeout, Duration.millis(Math.max(0, deadline - now)))
    )

  /** One attempt: Exotel's receipt, or a final failure, as the result; an attempt to retry as the error. */
  const attempt = (
    body: ExotelApi.SendRequest,
    deadline: number
  ): Effect.Effect<Either.Either<MessageSender.SendReceipt, MessageSender.ProviderError>, Retry> =>
    Effect.gen(function*() {
      const timeout = yield* attemptTimeout(deadline)
      const outcome = yield* Effect.either(api.sendMessages(body, { timeout }))
      const now = yield* Clock.currentTimeMillis
      const verdict = Either.match(outcome, {
        onLeft: interpretApiError,
        onRight: (result) => interpret(result, now)
      })
      switch (verdict._tag) {
        case "Accepted":
          return Either.right(verdict.receipt)
        case "Failed":
          return Either.left(verdict.error)
        case "Retry":
          return yield* Effect.fail(verdict)
      }
    })

  const logRetry = (decision: RetrySchedule.Decision<Retry>) =>
    decision._tag === "Retry"
      ? Effect.logWarning(
        `Exotel: ${decision.input.error.detail}; retry ${decision.retry} of ${policy.maxRetries} ` +
          `in ${Duration.format(decision.delay)}`
      )
      : Effect.void

  const send = (request: MessageSender.SendRequest) =>
    Effect.gen(function*() {
      const deadline = (yield* Clock.currentTimeMillis) + Duration.toMillis(options.sendDeadline)
      const retries = RetrySchedule.make<Retry>(policy, { deadline, sendDeadline: options.sendDeadline, minAttempt })
        .pipe(Schedule.tapOutput(logRetry))
      const outcome = yield* attempt(toWire(request, options.statusCallbackUrl), deadline).pipe(
        // the schedule stops only at a `GiveUp`: the send fails with the last error, saying why it was not retried
        Effect.retryOrElse(retries, (last, decision) =>
          Effect.succeed(Either.left(decision._tag === "GiveUp" ? withDetail(last.error, decision.why) : last.error)))
      )
      return yield* outcome
    }).pipe(Effect.withSpan("ExotelSender.send", { attributes: { outboundId: request.outboundId } }))

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
