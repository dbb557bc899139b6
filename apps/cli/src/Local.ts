import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { RandomIds, RandomTokens, Settings, SystemClock, VirtualClock } from "@wa-session/clock"
import { ExotelSender, Webhook } from "@wa-session/exotel"
import { Views } from "@wa-session/http-api"
import {
  type EventLog,
  type Ids,
  Ingest,
  type PhoneNumber,
  RelayService,
  SessionService,
  SessionStore,
  type SessionWindow,
  type Tokens
} from "@wa-session/session-core"
import { StoreConfig } from "@wa-session/storage"
import { type ConfigError, Context, DateTime, type Duration, Effect, Either, Layer, Option } from "effect"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import { Backend, type BackendShape, type MessageDetailView, type WindowView } from "./Backend.js"
import { InvalidInput, MessageNotFound, MessageNotParked, StoreNotFound } from "./Errors.js"

export const toWindowView = (
  status: SessionWindow.WindowStatus,
  safetyMargin: Duration.Duration
): WindowView => ({
  business: status.business,
  customer: status.customer,
  state: status.state,
  lastInboundAt: status.lastInboundAt,
  expiresAt: status.expiresAt,
  remaining: status.remaining,
  closedByProvider: status.closedByProvider,
  safetyMargin
})

/** The use-case settings, as the server reads them (`WA_SESSION_SAFETY_MARGIN`, `…_EXPIRING_LEAD`, `…_SEND_RATE`). */
export const settingsLayer: Layer.Layer<SessionService.SessionConfig, ConfigError.ConfigError> = Layer.unwrapEffect(
  Effect.map(Settings.sessionSettings, SessionService.layerConfig)
)

const exotelSender = ExotelSender.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))

/** The clock "now" reads: the system clock, or a virtual one fixed at `--at`. */
export const clockLayer = (at: Option.Option<DateTime.Utc>): Layer.Layer<never> =>
  Option.match(at, { onNone: () => SystemClock.layer, onSome: VirtualClock.layerAt })

type Services =
  | SessionStore.SessionStore
  | EventLog.EventLog
  | SessionService.SessionConfig
  | Ids.Ids
  | Tokens.Tokens

// The HTTP API's models, built from the core's values by the mappings the server's handlers use.
const { deliveryView, endpointView, historyEntry, quarantineView } = Views

/** A cursor the store does not know, refused in the server's words (`INVALID_REQUEST`, the field in `path`). */
const badCursor = (path: "cursor" | "after") =>
<A, E extends { readonly _tag: string }, R>(
  effect: Effect.Effect<A, E, R>
) =>
  Effect.catchIf(
    effect,
    (error): error is Extract<E, SessionStore.InvalidCursor> => error._tag === "InvalidCursor",
    () => Effect.fail(new InvalidInput({ code: "INVALID_REQUEST", message: Views.invalidCursorMessage(path), path }))
  )

/** The commands over the use cases, given a store, the settings and ids. */
export const make: Effect.Effect<BackendShape, never, Services> = Effect.gen(function*() {
  const context = yield* Effect.context<Services>()
  const use = <A, E>(effect: Effect.Effect<A, E, Services>) => Effect.provide(effect, context)
  const { safetyMargin } = Context.get(context, SessionService.SessionConfig)
  const windowView = (status: SessionWindow.WindowStatus) => toWindowView(status, safetyMargin)
  const status = (pair: PhoneNumber.Pair) => use(Effect.map(SessionService.windowStatus(pair), windowView))
  return {
    now: DateTime.now,
    status,
    send: (request) =>
      Effect.gen(function*() {
        // like the server: with none of the Exotel credentials set, nothing is sent (dry run)
        const unconfigured = yield* Settings.isDryRun
        const result = yield* SessionService.send({
          from: request.from,
          to: request.to,
          content: request.content,
          fallback: request.fallback,
          idempotencyKey: request.idempotencyKey,
          // what the caller asked for (part of the request an idempotency key stands for); missing credentials are
          // the setting's dry run, as on the server
          dryRun: request.dryRun,
          ...Option.match(request.park, {
            onNone: () => ({}),
            onSome: (park) => ({ whenClosed: "park" as const, ttl: Option.getOrUndefined(park.ttl) })
          })
        }).pipe(
          Effect.provide(request.dryRun || unconfigured ? Settings.DryRunSender : exotelSender),
          Effect.updateService(SessionService.SessionConfig, (settings) => ({
            ...settings,
            dryRun: settings.dryRun || unconfigured
          })),
          use
        )
        const message = result.message
        return {
          id: message.id,
          decision: Views.decisionOf(message),
          reason: message.reason,
          window: { state: message.windowState, expiresAt: message.windowExpiresAt },
          providerMessageId: message.providerMessageId,
          status: message.status,
          dryRun: message.dryRun,
          replayed: Option.some(result.replayed),
          parkedUntil: message.parkedUntil,
          reengagementMessageId: Option.map(result.reengagement ?? Option.none(), (template) => template.id)
        }
      }),
    expiring: (request) =>
      use(SessionService.listExpiring(request)).pipe(
        Effect.map((page) => ({ items: page.items.map(windowView), nextCursor: page.nextCursor }))
      ),
    explain: (pair) =>
      use(SessionService.explainWindow(pair)).pipe(
        Effect.map((explanation) => ({
          status: windowView(explanation.status),
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
          onNone: () => use(Settings.manualMessageId)
        })
        const recorded = yield* use(SessionService.recordInbound({
          business: request.business,
          customer: request.customer,
          messageId,
          providerTimestamp: request.sentAt
        }))
        const window = yield* status({ business: request.business, customer: request.customer })
        return { messageId, duplicate: recorded.duplicate, adjustment: recorded.adjustment, window }
      }),
    history: (request) =>
      use(SessionService.history(request.pair, request.limit, request.cursor)).pipe(
        Effect.map((page) => ({ items: page.items.map(historyEntry), nextCursor: Option.getOrNull(page.nextCursor) })),
        badCursor("cursor")
      ),
    events: (request) =>
      use(RelayService.listEvents(request)).pipe(
        Effect.map((page) => ({ items: page.items, last: Option.getOrNull(page.last) })),
        badCursor("after")
      ),
    deliveries: (request) =>
      use(RelayService.listDeliveries({
        state: request.state,
        endpointId: request.endpoint,
        limit: request.limit,
        cursor: request.cursor
      })).pipe(
        Effect.map((page) => ({ items: page.items.map(deliveryView), nextCursor: Option.getOrNull(page.nextCursor) })),
        badCursor("cursor")
      ),
    replay: (request) =>
      use(RelayService.replay({ endpointId: request.endpoint, since: request.since, eventIds: request.eventIds })),
    quarantine: (request) =>
      use(Effect.flatMap(SessionStore.SessionStore, (store) => store.listQuarantine(request))).pipe(
        Effect.map((page) => ({
          items: page.items.map(quarantineView),
          nextCursor: Option.getOrNull(page.nextCursor)
        })),
        badCursor("cursor")
      ),
    retryQuarantined: (id) =>
      use(SessionService.retryQuarantined(id, Webhook.fromQuarantine)).pipe(
        Effect.map((outcome) => ({ entry: quarantineView(outcome.entry), result: Ingest.counts(outcome.results) }))
      ),
    endpoints: use(RelayService.listEndpoints).pipe(Effect.map((endpoints) => endpoints.map(endpointView))),
    addEndpoint: (request) =>
      use(RelayService.addEndpoint(request)).pipe(
        Effect.map((endpoint) => ({
          ...endpointView(endpoint),
          secret: Option.isSome(request.secret) ? Option.none() : Option.some(endpoint.secret)
        })),
        Effect.catchTag("InvalidEndpoint", (error) =>
          Effect.fail(new InvalidInput({ code: "INVALID_ENDPOINT", message: error.message, path: error.field })))
      ),
    deleteEndpoint: (id) => use(RelayService.deleteEndpoint(id)),
    parked: (request) =>
      use(Effect.flatMap(SessionStore.SessionStore, (store) => store.listParked(request))).pipe(
        Effect.map((messages) => ({ items: messages.map(Views.messageView) }))
      ),
    cancel: (id) =>
      use(SessionService.cancelParked(id)).pipe(
        Effect.flatMap(Option.match({
          onNone: (): Effect.Effect<MessageDetailView, MessageNotFound | MessageNotParked> =>
            Effect.fail(new MessageNotFound({ id })),
          onSome: ({ cancelled, message }): Effect.Effect<MessageDetailView, MessageNotParked> =>
            cancelled
              ? Effect.succeed(Views.messageView(message))
              : Effect.fail(new MessageNotParked({ id: message.id, status: message.status }))
        }))
      )
  }
})

/**
 * Fails when the store `WA_SESSION_DATABASE_URL` names does not exist: a SQLite file (opening it would create an
 * empty store, which answers `none` for every pair). Memory stores are always new; a PostgreSQL database is never
 * created (the connection fails). An invalid URL is left for the store's layer to refuse.
 */
export const existingStore: Effect.Effect<void, StoreNotFound | ConfigError.ConfigError> = Effect.gen(function*() {
  const url = yield* StoreConfig.url
  const parsed = StoreConfig.parse(url)
  if (Either.isLeft(parsed) || parsed.right._tag !== "Sqlite" || parsed.right.filename === ":memory:") return
  const file = NodePath.resolve(parsed.right.filename)
  if (!NodeFs.existsSync(file)) return yield* new StoreNotFound({ url: StoreConfig.display(url), file })
})

/** The local backend: the store chosen by WA_SESSION_DATABASE_URL (the server's default), random ids and secrets. */
export const layer = Layer.effect(Backend, make).pipe(
  Layer.provide(Layer.mergeAll(StoreConfig.layerConfig(), settingsLayer, RandomIds.layer, RandomTokens.layer))
)
