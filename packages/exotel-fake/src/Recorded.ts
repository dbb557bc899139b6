/**
 * What the fake records: every request it received and every message it accepted (`FakeExotel.requests`,
 * `FakeExotel.messages`, and `GET /__fake/requests`, `GET /__fake/messages`).
 *
 * @since 0.2.0
 */

/**
 * A request the fake received. The `authorization` header is kept without its secret.
 *
 * @since 0.1.0
 * @category models
 */
export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  /** Whether Basic auth matched the configured API key and token. */
  readonly authorized: boolean
  /** The JSON body, or `undefined` when the body was empty or not JSON. */
  readonly body: unknown
  readonly rawBody: string
  readonly receivedAt: Date
  /**
   * What the fake answered; `undefined` while it hangs, when it reset the connection, and while an `acceptAfter`
   * answer is not yet due (or when it was due after the client had gone).
   */
  readonly response: { readonly status: number; readonly body: unknown } | undefined
}

/**
 * A message the fake accepted (answered with a sid).
 *
 * @since 0.1.0
 * @category models
 */
export interface AcceptedMessage {
  readonly sid: string
  readonly from: string
  readonly to: string
  readonly content: Readonly<Record<string, unknown>>
  readonly customData: string | undefined
  readonly statusCallback: string | undefined
  readonly acceptedAt: Date
}
