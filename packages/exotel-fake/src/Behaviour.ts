/**
 * How the fake answers the send endpoint, request by request: scripted with `FakeExotel.script`.
 *
 * @since 0.2.0
 */
import type { ErrorData } from "./internal/errorData.js"
import { STATUS_NAMES } from "./internal/statuses.js"

/**
 * How the fake answers one request to the send endpoint. `Accept` is the normal behaviour (check auth, validate,
 * answer 202); `AcceptAfter` is the same, the answer written only `delayMs` later; `FailMessage` is the same but the
 * message at `index` fails; `Unauthorized` answers 401; the others answer without looking at credentials or body.
 *
 * @since 0.1.0
 * @category models
 */
export type Behaviour =
  | { readonly _tag: "Accept" }
  | { readonly _tag: "AcceptAfter"; readonly delayMs: number }
  | { readonly _tag: "FailMessage"; readonly index: number; readonly error: ErrorData }
  | { readonly _tag: "RateLimited"; readonly retryAfter: string | undefined }
  | { readonly _tag: "ServerError"; readonly status: number }
  | { readonly _tag: "Unauthorized" }
  | { readonly _tag: "Hang" }
  | { readonly _tag: "Reset" }
  | {
    readonly _tag: "Respond"
    readonly status: number
    readonly body: unknown
    readonly headers: Readonly<Record<string, string>>
  }
  | {
    readonly _tag: "RespondText"
    readonly status: number
    readonly text: string
    readonly headers: Readonly<Record<string, string>>
  }

/**
 * Constructors of {@link Behaviour}s.
 *
 * @since 0.1.0
 * @category constructors
 */
export const Behaviour = {
  accept: (): Behaviour => ({ _tag: "Accept" }),
  /**
   * Accepts at once, exactly as `accept` does (validated, recorded in `messages` with a sid, auto delivery reports
   * scheduled), but writes the answer only after `delayMs`: Exotel taking a message and answering late. A client
   * that gives up meanwhile never sees the answer, and the message stays accepted. `reset()` leaves such pending
   * answers to come; `close()` drops them. Since 0.2.0.
   */
  acceptAfter: (delayMs: number): Behaviour => ({ _tag: "AcceptAfter", delayMs }),
  /** The message at `index` of the batch fails (default error: 30010 EX_INVALID_REQUEST). */
  failMessage: (index: number, error?: Partial<ErrorData>): Behaviour => ({
    _tag: "FailMessage",
    index,
    error: {
      code: error?.code ?? 30010,
      message: error?.message ?? STATUS_NAMES[error?.code ?? 30010]?.[0] ?? "EX_INVALID_REQUEST",
      description: error?.description ?? "Invalid request"
    }
  }),
  /** 429, with `Retry-After` when given (seconds, or an HTTP-date). */
  rateLimited: (retryAfter?: number | string): Behaviour => ({
    _tag: "RateLimited",
    retryAfter: retryAfter === undefined ? undefined : String(retryAfter)
  }),
  serverError: (status = 500): Behaviour => ({ _tag: "ServerError", status }),
  unauthorized: (): Behaviour => ({ _tag: "Unauthorized" }),
  /** Never answers; the connection stays open until the client gives up or the fake closes. */
  hang: (): Behaviour => ({ _tag: "Hang" }),
  /** Destroys the connection without answering (the client sees a reset). */
  reset: (): Behaviour => ({ _tag: "Reset" }),
  /** Answers `body` as JSON. */
  respond: (status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): Behaviour => ({
    _tag: "Respond",
    status,
    body,
    headers
  }),
  /** Answers `text` as is (an HTML error page of a proxy, say); `content-type` defaults to text/plain. */
  respondText: (status: number, text: string, headers: Readonly<Record<string, string>> = {}): Behaviour => ({
    _tag: "RespondText",
    status,
    text,
    headers
  })
} as const
