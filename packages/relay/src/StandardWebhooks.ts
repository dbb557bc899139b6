/**
 * The `EventTransport` over HTTP, signed per Standard Webhooks: each event is POSTed as JSON to the endpoint's URL
 * with the `webhook-id`, `webhook-timestamp` and `webhook-signature` headers, the signature computed by the
 * `standardwebhooks` package with the endpoint's `whsec_…` secret. One request per call, bounded by a timeout,
 * redirects not followed; every outcome, an error status or no answer at all, is an `AttemptResult`.
 *
 * @since 0.1.0
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Delivery, type Event, EventTransport } from "@wa-session/session-core"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { Webhook } from "standardwebhooks"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Bounds one attempt, the reading of the answer included. Default: `Delivery.defaultRetryPolicy.timeout` (10 s). */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * The `user-agent` of every delivery.
 *
 * @since 0.1.0
 * @category constants
 */
export const USER_AGENT = "wa-session"

const SIGNATURE_HEADER = "webhook-signature"

const noAnswer = (detail: string): Delivery.AttemptResult => ({ _tag: "NoAnswer", detail })
const answered = (status: number): Delivery.AttemptResult => ({ _tag: "Answered", status })

/** Only absolute http(s) URLs are posted to; anything else is answered here, the same whichever client runs. */
const isPostable = (url: string): boolean => {
  try {
    const parsed = new URL(url)
    return (parsed.protocol === "http:" || parsed.protocol === "https:") && parsed.hostname !== ""
  } catch {
    return false
  }
}

/**
 * Reads the answer's body to the end without keeping it: nothing for a status without a body, at once when it is
 * small, else as a stream (any size).
 */
const discard = (response: HttpClientResponse.HttpClientResponse) => {
  if (response.status === 204 || response.status === 304) return Effect.void
  const length = Number(response.headers["content-length"] ?? Number.NaN)
  return length <= 65_536 ? response.arrayBuffer : Stream.runDrain(response.stream)
}

/**
 * Signers by secret: making one decodes the key (five times the cost of a signature), and a server has few
 * endpoints. Kept per transport, so secrets live no longer than it. The one place the secret is unwrapped; a secret
 * the library can't decode yields no signature, and no request.
 */
const makeSigner = () => {
  const signers = new Map<string, Webhook>()
  return (
    secret: Redacted.Redacted<string>,
    msgId: string,
    at: DateTime.Utc,
    body: string
  ): Either.Either<string, void> =>
    Either.try({
      try: () => {
        const key = Redacted.value(secret)
        let signer = signers.get(key)
        if (signer === undefined) {
          signer = new Webhook(key)
          if (signers.size >= 64) signers.clear()
          signers.set(key, signer)
        }
        return signer.sign(msgId, DateTime.toDate(at), body)
      },
      catch: () => undefined
    })
}

const TRANSPORT_CODES: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
  [["ECONNREFUSED"], "connection refused"],
  [["ECONNRESET", "EPIPE"], "connection reset"],
  [["UND_ERR_SOCKET", "UND_ERR_CLOSED"], "connection closed before an answer"],
  [["ENOTFOUND"], "host not found (DNS)"],
  [["EAI_AGAIN"], "DNS lookup failed"],
  [["ETIMEDOUT", "UND_ERR_CONNECT_TIMEOUT"], "connection timed out"],
  [["EHOSTUNREACH"], "host unreachable"],
  [["ENETUNREACH"], "network unreachable"],
  [["UND_ERR_HEADERS_OVERFLOW"], "answer headers too large"],
  [["ERR_INVALID_URL", "ERR_INVALID_PROTOCOL"], "invalid URL"]
]

/** The `code`s along an error's `cause` chain (and an `AggregateError`'s `errors`), outermost first. */
const errorCodes = (error: unknown, depth = 0): ReadonlyArray<string> => {
  if (depth > 8 || typeof error !== "object" || error === null) return []
  const cause = "cause" in error ? error.cause : undefined
  const code = "code" in error ? error.code : undefined
  const errors = "errors" in error ? error.errors : undefined
  return [
    ...(typeof code === "string" ? [code] : []),
    ...errorCodes(cause, depth + 1),
    ...(Array.isArray(errors) ? errors.flatMap((inner) => errorCodes(inner, depth + 1)) : [])
  ]
}

/**
 * A short, human account of why there was no answer. Built from error codes only, never from messages, so it
 * can't carry a header value (the signature) or anything else that went into the request.
 */
const describe = (error: HttpClientError.HttpClientError): string => {
  if (error._tag === "RequestError" && error.reason === "InvalidUrl") return "invalid URL"
  if (error._tag === "RequestError" && error.reason === "Encode") return "the request could not be encoded"
  const codes = errorCodes(error.cause)
  for (const [known, detail] of TRANSPORT_CODES) {
    if (codes.some((code) => known.includes(code))) return detail
  }
  const tls = codes.find((code) => code.startsWith("ERR_TLS") || code.includes("CERT") || code.includes("SSL"))
  if (tls !== undefined) return `TLS error (${tls})`
  const first = codes[0]
  return first === undefined ? "no answer (transport error)" : `no answer (${first})`
}

/**
 * The transport over an `HttpClient` (e.g. `NodeHttpClient.layerUndici`).
 *
 * - Body: the event's JSON text (`Event.Payload.body`), exactly `{ "id", "type", "createdAt", "business", "customer", "data" }`.
 * - Headers: `content-type: application/json`, `user-agent: wa-session`, `webhook-id` (the event's id),
 *   `webhook-timestamp` (`attemptAt` in whole Unix seconds) and `webhook-signature` (`v1,<base64>`).
 * - No redirect is followed: a 3xx is an answer like any other. With `FetchHttpClient` this sets
 *   `redirect: "manual"`; the undici client never follows redirects.
 * - No trace context is sent to the endpoint (it is a third party), and the signature is redacted from the
 *   client's span attributes.
 * - The answer's body is read and discarded within the timeout; if the status came but the body did not finish in
 *   time, the status still counts.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<EventTransport.EventTransportShape, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const timeout = Duration.decode(options.timeout ?? Delivery.defaultRetryPolicy.timeout)
    const timedOut = `timed out after ${Duration.format(timeout)}`
    // No client span and no trace headers: the business is a third party, and the client span would copy every
    // header (the signature among them) into attributes; `StandardWebhooks.post` is the span, without headers. It
    // also makes an attempt about a third of the CPU it was.
    const client = (yield* HttpClient.HttpClient).pipe(
      HttpClient.withTracerPropagation(false),
      HttpClient.withTracerDisabledWhen(() => true)
    )
    const sign = makeSigner()

    const millis = Duration.toMillis(timeout)

    // The attempt runs in a fiber of its own watched by one timer (Effect.timeoutOption cost several fibers and a
    // scheduled sleep per attempt); at the deadline the caller gets the status if it came, and the attempt is
    // interrupted in the background (which aborts the request).
    const exchange = (request: HttpClientRequest.HttpClientRequest): Effect.Effect<Delivery.AttemptResult> =>
      Effect.suspend(() => {
        let status: number | undefined
        const attempt = client.execute(request).pipe(
          Effect.flatMap((response) => {
            status = response.status
            return Effect.as(Effect.ignore(discard(response)), answered(response.status))
          }),
          Effect.catchAll((error) => Effect.succeed(noAnswer(describe(error))))
        )
        // masked from the fork to the wait (an interruption in between would leave the request running unwatched); the
        // attempt itself runs as interruptible as its caller was
        return Effect.uninterruptibleMask((restore) =>
          Effect.flatMap(Effect.forkDaemon(restore(withoutRedirects(attempt))), (fiber) =>
            restore(Effect.async<Delivery.AttemptResult>((resume) => {
              let answeredYet = false
              const answer = (result: Effect.Effect<Delivery.AttemptResult>) => {
                if (answeredYet) {
                  return
                }
                answeredYet = true
                clearTimeout(timer)
                resume(result)
              }
              const timer = setTimeout(() => {
                answer(Effect.succeed(status === undefined ? noAnswer(timedOut) : answered(status)))
                fiber.unsafeInterruptAsFork(FiberId.none)
              }, millis)
              fiber.addObserver(answer)
              return Effect.sync(() => {
                answeredYet = true
                clearTimeout(timer)
                fiber.unsafeInterruptAsFork(FiberId.none)
              })
            })))
        )
      })

    const post = (
      endpoint: Delivery.Endpoint,
      event: Event.Payload,
      attemptAt: DateTime.Utc
    ): Effect.Effect<Delivery.AttemptResult> =>
      Effect.suspend(() => {
        if (!isPostable(endpoint.url)) {
          return Effect.succeed(noAnswer("invalid URL"))
        }
        const body = event.body
        const signature = sign(endpoint.secret, event.id, attemptAt, body)
        if (Either.isLeft(signature)) {
          return Effect.succeed(noAnswer("invalid signing secret"))
        }
        const request = HttpClientRequest.post(endpoint.url).pipe(
          HttpClientRequest.setHeaders({
            "user-agent": USER_AGENT,
            "webhook-id": event.id,
            "webhook-timestamp": String(Math.floor(attemptAt.epochMillis / 1000)),
            [SIGNATURE_HEADER]: signature.right
          }),
          HttpClientRequest.bodyText(body, "application/json")
        )
        return exchange(request)
      }).pipe(
        Effect.tap((result) =>
          Effect.annotateCurrentSpan(
            "outcome",
            result._tag === "Answered" ? `HTTP ${result.status}` : result.detail
          )
        ),
        Effect.withSpan("StandardWebhooks.post", {
          attributes: { endpointId: endpoint.id, eventId: event.id, eventType: event.type },
          captureStackTrace: false
        })
      )

    return EventTransport.EventTransport.of({ post })
  })

/** Keeps a fetch-based client from following redirects, whatever other `RequestInit` is in the context. */
const withoutRedirects = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(
    Effect.serviceOption(FetchHttpClient.RequestInit),
    (init) =>
      Effect.provideService(effect, FetchHttpClient.RequestInit, {
        ...Option.getOrElse(init, () => ({})),
        redirect: "manual"
      })
  )

/**
 * `EventTransport` over the `HttpClient` in the context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<EventTransport.EventTransport, never, HttpClient.HttpClient> =>
  Layer.effect(EventTransport.EventTransport, make(options))
