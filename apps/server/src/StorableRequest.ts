import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { InvalidRequestError } from "@wa-session/http-api"
import { StorableText } from "@wa-session/session-core"
import { Effect, Option } from "effect"
import { brief } from "./ErrorText.js"
import { BODY_METHODS } from "./NodeReply.js"

/**
 * Text in an API request that a store could not keep as it is (a NUL character, an unpaired surrogate: see
 * `StorableText`) is refused here with 400, once for every route, instead of failing in PostgreSQL as a 503 or
 * coming back changed. Only for requests with the API token (`authorized`): the others get their 401 (or 404) from
 * the API, which stores nothing. The Exotel webhook is left alone: its decoder quarantines such items.
 */
export const refuseUnstorableText = (
  authorized: (authorization: string | undefined) => boolean
): Effect.Effect<void, InvalidRequestError, HttpServerRequest.HttpServerRequest> =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (request.url.startsWith("/webhooks/") || !authorized(request.headers.authorization)) return
    if (hasNul(request.url)) {
      // no `path`: that names fields of the body, and a body may have a `url`
      return yield* Effect.fail(new InvalidRequestError({ message: `the request URL ${StorableText.PROBLEM}` }))
    }
    if (!BODY_METHODS.has(request.method)) return
    // an unreadable body is the route's to report
    const text = yield* Effect.orElseSucceed(request.text, () => "")
    if (!ESCAPED_NUL_OR_SURROGATE.test(text)) return
    const found = Option.flatMap(parseJson(text), (value) => firstUnstorable(value, []))
    if (Option.isSome(found)) {
      const path = brief(found.value.join("."))
      return yield* Effect.fail(
        new InvalidRequestError({
          message: `${path === "" ? "body" : path}: ${StorableText.PROBLEM}`,
          ...(path === "" ? {} : { path })
        })
      )
    }
  })

// The body arrives as UTF-8, which cannot spell either: JSON can, with an escape (a raw NUL is not JSON at all).
const ESCAPED_NUL_OR_SURROGATE = /\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})/

// Path and query, as the router and the schemas will read them (a malformed escape is the router's to refuse).
const hasNul = (url: string): boolean => {
  if (!url.includes("%00") && !url.includes("\u0000")) return false
  try {
    return decodeURIComponent(url.replaceAll("+", " ")).includes("\u0000")
  } catch {
    return url.includes("\u0000")
  }
}

const parseJson = (text: string): Option.Option<unknown> => {
  try {
    return Option.some(JSON.parse(text))
  } catch {
    return Option.none()
  }
}

/** The path of the first string, or key, that a store could not keep as it is. */
const firstUnstorable = (value: unknown, path: ReadonlyArray<string>): Option.Option<ReadonlyArray<string>> => {
  if (typeof value === "string") return StorableText.isStorable(value) ? Option.none() : Option.some(path)
  if (typeof value !== "object" || value === null) return Option.none()
  for (const [key, child] of Object.entries(value)) {
    const at = [...path, key]
    if (!StorableText.isStorable(key)) return Option.some(at)
    const found = firstUnstorable(child, at)
    if (Option.isSome(found)) return found
  }
  return Option.none()
}
