import { HttpApiBuilder, type HttpApiGroup } from "@effect/platform"
import { type Authorization, InvalidRequestError, WaSessionApi } from "@wa-session/http-api"
import { PhoneNumber, SessionService, type SessionStore } from "@wa-session/session-core"
import { Duration, Effect, type Layer, Option } from "effect"
import * as Translate from "./Translate.js"

// Longer than any window (24 h plus the clock-skew tolerance): absent, the list holds every open window.
export const DEFAULT_EXPIRING_WITHIN_SECONDS = 25 * 60 * 60
export const DEFAULT_PAGE_SIZE = 100

export const SessionsLive: Layer.Layer<
  HttpApiGroup.ApiGroup<"wa-session", "sessions">,
  never,
  SessionStore.SessionStore | SessionService.SessionConfig | Authorization
> = HttpApiBuilder.group(WaSessionApi, "sessions", (handlers) =>
  handlers
    .handle("getSession", ({ path }) =>
      Effect.gen(function*() {
        const business = yield* Translate.phone(path.business, "business")
        const customer = yield* Translate.phone(path.customer, "customer")
        const status = yield* SessionService.windowStatus(new PhoneNumber.Pair({ business, customer }))
        return Translate.sessionView(status)
      }).pipe(
        Effect.catchTags({ InvalidPhoneNumber: Translate.invalidPhoneNumber, StorageError: Translate.storageError })
      ))
    .handle("listExpiring", ({ urlParams }) =>
      Effect.gen(function*() {
        const business = urlParams.business === undefined
          ? Option.none()
          : Option.some(yield* Translate.phone(urlParams.business, "business"))
        const page = yield* SessionService.listExpiring({
          within: Duration.seconds(urlParams.expiringWithin ?? DEFAULT_EXPIRING_WITHIN_SECONDS),
          business,
          limit: urlParams.limit ?? DEFAULT_PAGE_SIZE,
          cursor: Option.fromNullable(urlParams.cursor)
        })
        return { items: page.items.map(Translate.sessionView), nextCursor: Option.getOrNull(page.nextCursor) }
      }).pipe(
        Effect.catchTags({
          InvalidPhoneNumber: Translate.invalidPhoneNumber,
          // The port has no error of its own for a bad cursor: the stores report it as this StorageError.
          StorageError: (error) =>
            urlParams.cursor !== undefined && error.detail === "invalid cursor"
              ? Effect.fail(
                new InvalidRequestError({ message: "cursor is not a nextCursor of this API", path: "cursor" })
              )
              : Translate.storageError(error)
        })
      ))
)
