import { HttpApiBuilder, type HttpApiGroup } from "@effect/platform"
import { Settings, VirtualClock } from "@wa-session/clock"
import { type Authorization, DEFAULT_HISTORY_PAGE_SIZE, DEFAULT_PAGE_SIZE, WaSessionApi } from "@wa-session/http-api"
import { type Ids, PhoneNumber, SessionService, SessionStore } from "@wa-session/session-core"
import { type DateTime, Duration, Effect, type Layer, Option } from "effect"
import * as Translate from "./Translate.js"

// Longer than any window (24 h plus the clock-skew tolerance): absent, the list holds every open window.
export const DEFAULT_EXPIRING_WITHIN_SECONDS = 25 * 60 * 60
/** A pair's parked messages are counted up to this many. */
export const PARKED_COUNT_LIMIT = 10_000

const pairOf = (path: { readonly business: string; readonly customer: string }) =>
  Effect.gen(function*() {
    const business = yield* Translate.phone(path.business, "business")
    const customer = yield* Translate.phone(path.customer, "customer")
    return new PhoneNumber.Pair({ business, customer })
  })

/**
 * Runs a read-only use case on a clock fixed at the request's `at` (when given), so its "now" is that instant; the
 * rest of the server keeps the real clock.
 */
const evaluatedAt = (at: DateTime.Utc | undefined) => <A, E, R>(useCase: Effect.Effect<A, E, R>) =>
  at === undefined ? useCase : Effect.withClock(useCase, VirtualClock.unsafeMake(at).clock)

export const SessionsLive: Layer.Layer<
  HttpApiGroup.ApiGroup<"wa-session", "sessions">,
  never,
  SessionStore.SessionStore | SessionService.SessionConfig | Ids.Ids | Authorization
> = HttpApiBuilder.group(WaSessionApi, "sessions", (handlers) =>
  handlers
    .handle("getSession", ({ path, urlParams }) =>
      Effect.gen(function*() {
        const pair = yield* pairOf(path)
        const status = yield* SessionService.windowStatus(pair).pipe(evaluatedAt(urlParams.at))
        const parked = yield* Effect.flatMap(SessionStore.SessionStore, (store) =>
          store.listParked({
            business: Option.some(pair.business),
            customer: Option.some(pair.customer),
            limit: PARKED_COUNT_LIMIT
          }))
        return Translate.pairSessionView(status, parked)
      }).pipe(
        Effect.catchTags({ InvalidPhoneNumber: Translate.invalidPhoneNumber, StorageError: Translate.storageError })
      ))
    .handle("explainSession", ({ path, urlParams }) =>
      Effect.gen(function*() {
        const pair = yield* pairOf(path)
        const explanation = yield* SessionService.explainWindow(pair).pipe(evaluatedAt(urlParams.at))
        return Translate.explanationView(explanation)
      }).pipe(
        Effect.catchTags({ InvalidPhoneNumber: Translate.invalidPhoneNumber, StorageError: Translate.storageError })
      ))
    .handle("recordInbound", ({ path, payload }) =>
      Effect.gen(function*() {
        const pair = yield* pairOf(path)
        const messageId = payload.messageId ?? (yield* Settings.manualMessageId)
        const recorded = yield* SessionService.recordInbound({
          business: pair.business,
          customer: pair.customer,
          messageId,
          providerTimestamp: Option.fromNullable(payload.sentAt)
        })
        const window = yield* SessionService.windowStatus(pair)
        yield* Effect.logInfo("inbound recorded by hand").pipe(
          Effect.annotateLogs({ messageId, duplicate: recorded.duplicate, adjustment: recorded.adjustment })
        )
        return Translate.inboundResponse(messageId, recorded, window)
      }).pipe(
        Effect.catchTags({ InvalidPhoneNumber: Translate.invalidPhoneNumber, StorageError: Translate.storageError })
      ))
    .handle("listMessages", ({ path, urlParams }) =>
      Effect.gen(function*() {
        const pair = yield* pairOf(path)
        const page = yield* SessionService.history(
          pair,
          urlParams.limit ?? DEFAULT_HISTORY_PAGE_SIZE,
          Option.fromNullable(urlParams.cursor)
        )
        return { items: page.items.map(Translate.historyEntry), nextCursor: Option.getOrNull(page.nextCursor) }
      }).pipe(
        Effect.catchTags({
          InvalidPhoneNumber: Translate.invalidPhoneNumber,
          InvalidCursor: Translate.invalidCursor("cursor"),
          StorageError: Translate.storageError
        })
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
        }).pipe(evaluatedAt(urlParams.at))
        return { items: page.items.map(Translate.sessionView), nextCursor: Option.getOrNull(page.nextCursor) }
      }).pipe(
        Effect.catchTags({
          InvalidPhoneNumber: Translate.invalidPhoneNumber,
          InvalidCursor: Translate.invalidCursor("cursor"),
          StorageError: Translate.storageError
        })
      )))
