/**
 * The `Tokens` port with node's cryptographic randomness: endpoint ids and Standard Webhooks signing secrets.
 *
 * @since 0.2.0
 */
import { Tokens } from "@wa-session/session-core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { randomBytes, randomUUID } from "node:crypto"

/**
 * A new Standard Webhooks signing secret: `whsec_` and the base64 of 32 random bytes.
 *
 * @since 0.2.0
 * @category constructors
 */
export const newSigningSecret = (): string => `whsec_${randomBytes(32).toString("base64")}`

/**
 * @since 0.2.0
 * @category constructors
 */
export const make: Tokens.TokensShape = {
  id: (prefix) => Effect.sync(() => `${prefix}${randomUUID().replace(/-/g, "")}`),
  secret: Effect.sync(() => Redacted.make(newSigningSecret()))
}

/**
 * @since 0.2.0
 * @category layers
 */
export const layer: Layer.Layer<Tokens.Tokens> = Layer.succeed(Tokens.Tokens, make)
