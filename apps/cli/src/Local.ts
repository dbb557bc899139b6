import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { RandomIds, SystemClock, VirtualClock } from "@wa-session/clock"
import { ExotelSender } from "@wa-session/exotel"
import {
  type Ids,
  MessageSender,
  type PhoneNumber,
  type SessionStore,
  SessionService,
  type SessionWindow
} from "@wa-session/session-core"
import { StoreConfig } from "@wa-session/storage"
import { Config, ConfigError, DateTime, Duration, Effect, Either, Layer, Option } from "effect"
import { Backend, type BackendShape, type WindowView } from "./Backend.js"
import { parseDuration } from "./Input.js"

export const toWindowView = (status: SessionWindow.WindowStatus): WindowView => ({
  business: status.business,
  customer: status.customer,
  state: status.state,
  lastInboundAt: status.lastInboundAt,
  expiresAt: status.expiresAt,
  remaining: status.remaining,
  closedByProvider: status.closedByProvider
})

/** The server's setting, read the same way: seconds (`300`) or a duration (`5 minutes`, `5m`), under 24 hours. */
export const safetyMargin = Config.string("WA_SESSION_SAFETY_MARGIN").pipe(
  Config.mapOrFail((value) => {
    const trimmed = value.trim()
    const parsed = parseDuration(/^\d+(\.\d+)?$/.test(trimmed) ? `${trimmed}s` : trimmed)
    return Either.isRight(parsed) && Duration.lessThan(parsed.right, Duration.hours(24))
      ? Either.right(parsed.right)
      : Either.left(ConfigError.InvalidData(
        [],
        `WA_SESSION_SAFETY_MARGIN must be seconds (e.g. 300) or a duration (e.g. "5 minutes") under 24 hours, ` +
          `got "${value}"`
      ))
  }),
  Config.option
)

/** The use-case settings of the server, from the same configuration. */
export const settingsLayer: Layer.Layer<SessionService.SessionConfig, ConfigError.ConfigError> = Layer.unwrapEffect(
  Effect.map(safetyMargin, (margin) =>
    SessionService.layerConfig(
      Option.match(margin, { onNone: () => ({}), onSome: (safetyMargin) => ({ safetyMargin }) })
    ))
)

const EXOTEL_CREDENTIALS = ["EXOTEL_API_KEY", "EXOTEL_API_TOKEN", "EXOTEL_ACCOUNT_SID"] as const

/** Like the server: with none of the Exotel credentials set, nothing is sent (dry run). */
export const noCredentials: Effect.Effect<boolean, ConfigError.ConfigError> = Effect.map(
  Config.all(EXOTEL_CREDENTIALS.map((name) => Config.option(Config.string(name)))),
  (values) => values.every((value) => Option.isNone(value) || value.value.trim() === "")
)

const dryRunSender = Layer.succeed(MessageSender.MessageSender, {
  send: () => Effect.dieMessage("dry run: the sender must not be called")
})

const exotelSender = ExotelSender.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))

/** The clock "now" reads: the system clock, or a virtual one fixed at `--at`. */
export const clockLayer = (at: Option.Option<DateTime.Utc>): Layer.Layer<never> =>
  Option.match(at, { onNone: () => SystemClock.layer, onSome: VirtualClock.layerAt })

type Services = SessionStore.SessionStore | SessionService.SessionConfig | Ids.Ids

/** The commands over the use cases, given a store, the settings and ids. */
export const make: Effect.Effect<BackendShape, never, Services> = Effect.gen(function*() {
  const context = yield* Effect.context<Services>()
  const use = <A, E>(effect: Effect.Effect<A, E, Services>) => Effect.provide(effect, context)
  const status = (pair: PhoneNumber.Pair) => use(Effect.map(SessionService.windowStatus(pair), toWindowView))
  return {
    now: DateTime.now,
    status,
    send: (request) =>
      Effect.gen(function*() {
        const dryRun = request.dryRun || (yield* noCredentials)
        const result = yield* SessionService.send({
          from: request.from,
          to: request.to,
          content: request.content,
          fallback: request.fallback,
          idempotencyKey: request.idempotencyKey,
          dryRun
        }).pipe(Effect.provide(dryRun ? dryRunSender : exotelSender), use)
        const message = result.message
        return {
          id: message.id,
          decision: message.decision,
          reason: message.reason,
          window: { state: message.windowState, expiresAt: message.windowExpiresAt },
          providerMessageId: message.providerMessageId,
          status: message.status,
          dryRun: message.dryRun,
          replayed: Option.some(result.replayed)
        }
      }),
    expiring: (request) =>
      use(SessionService.listExpiring(request)).pipe(
        Effect.map((page) => ({ items: page.items.map(toWindowView), nextCursor: page.nextCursor }))
      ),
    explain: (pair) =>
      use(SessionService.explainWindow(pair)).pipe(
        Effect.map((explanation) => ({
          status: toWindowView(explanation.status),
          basisMessageId: explanation.basisMessageId,
          basisReceivedAt: explanation.basisReceivedAt,
          firstSeenAt: explanation.firstSeenAt,
          closedByProviderAt: explanation.closedByProviderAt,
          safetyMargin: explanation.safetyMargin,
          summary: explanation.summary
        }))
      ),
    inbound: (request) =>
      Effect.gen(function*() {
        const messageId = yield* Option.match(request.messageId, {
          onSome: Effect.succeed,
          onNone: () => RandomIds.make("manual_").next
        })
        const recorded = yield* use(SessionService.recordInbound({
          business: request.business,
          customer: request.customer,
          messageId,
          providerTimestamp: request.sentAt
        }))
        const window = yield* status({ business: request.business, customer: request.customer } as PhoneNumber.Pair)
        return { messageId, duplicate: recorded.duplicate, adjustment: recorded.adjustment, window }
      })
  }
})

/** The local backend: the store chosen by WA_SESSION_DATABASE_URL (the server's default), random ids. */
export const layer = Layer.effect(Backend, make).pipe(
  Layer.provide(Layer.mergeAll(StoreConfig.layerConfig(), settingsLayer, RandomIds.layer))
)
