import { Authorization, UnauthorizedError } from "@wa-session/http-api"
import { Effect, Layer, Redacted } from "effect"
import * as Crypto from "node:crypto"
import { ServerConfig } from "./Config.js"

const digest = (value: string) => Crypto.createHash("sha256").update(value, "utf8").digest()

/**
 * Compares a presented secret with the expected one in constant time: both are hashed first, so neither the
 * content nor the length of the expected secret leaks through timing.
 */
export const makeVerifier = (expected: Redacted.Redacted<string>) => {
  const expectedDigest = digest(Redacted.value(expected))
  return (presented: string): boolean => Crypto.timingSafeEqual(digest(presented), expectedDigest)
}

const unauthorized = new UnauthorizedError({
  message: "A valid bearer token is required: Authorization: Bearer <WA_SESSION_API_TOKEN>"
})

export const AuthorizationLive = Layer.effect(
  Authorization,
  Effect.map(ServerConfig, (settings) => {
    const verify = makeVerifier(settings.apiToken)
    return Authorization.of({
      bearer: (token) => verify(Redacted.value(token)) ? Effect.void : Effect.fail(unauthorized)
    })
  })
)
