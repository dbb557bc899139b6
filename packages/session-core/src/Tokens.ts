/**
 * The port for the random things the use cases need besides message ids: endpoint ids and signing secrets.
 * Implemented by `@wa-session/clock` (`RandomTokens`).
 *
 * @since 0.2.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"

/**
 * @since 0.2.0
 * @category models
 */
export interface TokensShape {
  /** A new unique id starting with `prefix` (e.g. `ep_`). */
  readonly id: (prefix: string) => Effect.Effect<string>
  /** A new Standard Webhooks signing secret: `whsec_` and the base64 of 32 random bytes. */
  readonly secret: Effect.Effect<Redacted.Redacted<string>>
}

/**
 * @since 0.2.0
 * @category tags
 */
export class Tokens extends Context.Tag("@wa-session/session-core/Tokens")<Tokens, TokensShape>() {}
