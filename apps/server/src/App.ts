import type { HttpClient } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { RandomIds, RandomTokens, Settings } from "@wa-session/clock"
import { ExotelSender } from "@wa-session/exotel"
import { StandardWebhooks } from "@wa-session/relay"
import {
  Delivery,
  type EventTransport,
  type Ids,
  MessageSender,
  RelayService,
  SessionService,
  type SessionStore
} from "@wa-session/session-core"
import { Bounded, GroupCommit, type Storage, StoreConfig } from "@wa-session/storage"
import { type ConfigError, Effect, Exit, Layer, Metric, Option } from "effect"
import { ServerConfig, type ServerSettings, webhookUrl } from "./Config.js"
import * as Ingest from "./Ingest.js"
import * as Metrics from "./Metrics.js"
import * as Sends from "./Sends.js"
import { HttpAppLive, layerNodeServer, layerNodeServerTest } from "./Server.js"
import * as Workers from "./Workers.js"

/** Times every send (retries included) into the Exotel latency histogram. */
export const metered = <E, R>(
  sender: Layer.Layer<MessageSender.MessageSender, E, R>
): Layer.Layer<MessageSender.MessageSender, E, R | Metrics.Metrics> =>
  Layer.effect(
    MessageSender.MessageSender,
    Effect.gen(function*() {
      const inner = yield* MessageSender.MessageSender
      const metrics = yield* Metrics.Metrics
      return {
        send: (request) =>
          Effect.suspend(() => {
            const started = performance.now()
            return inner.send(request).pipe(
              Effect.onExit((exit) =>
                Metric.update(
                  metrics.exotelRequestDuration(Exit.isSuccess(exit) ? "ok" : "error"),
                  (performance.now() - started) / 1000
                )
              )
            )
          })
      }
    })
  ).pipe(Layer.provide(sender))

/**
 * The Exotel adapter from `EXOTEL_*`, our webhook as its default `status_callback` when the public URL is known.
 * Needs an `HttpClient`.
 */
export const ExotelSenderFromConfig = (
  settings: ServerSettings
): Layer.Layer<MessageSender.MessageSender, ConfigError.ConfigError, HttpClient.HttpClient> =>
  ExotelSender.layerConfig({
    statusCallbackUrl: Option.map(settings.publicUrl, () => webhookUrl(settings, ""))
  })

export interface AppOptions {
  readonly settings: ServerSettings
  readonly dryRun: boolean
  /** Defaults to Exotel from configuration, or the dry-run sender. */
  readonly sender?: Layer.Layer<MessageSender.MessageSender, ConfigError.ConfigError> | undefined
  /** Defaults to the store chosen by the database URL (its ingests grouped into shared commits either way). */
  readonly store?:
    | Layer.Layer<Storage.Storage, SessionStore.StorageError | StoreConfig.InvalidDatabaseUrl>
    | undefined
  /** Defaults to random ids. */
  readonly ids?: Layer.Layer<Ids.Ids> | undefined
  /** Defaults to Standard Webhooks over HTTP. */
  readonly transport?: Layer.Layer<EventTransport.EventTransport> | undefined
  /** How often the background loops look for work (defaults: `Workers.DEFAULT_INTERVALS`). */
  readonly intervals?: Workers.WorkerIntervals | undefined
}

/** The relay settings of the server's configuration. */
export const relaySettings = (settings: ServerSettings): Partial<RelayService.RelaySettings> => ({
  leaseFor: settings.deliveryLease,
  retry: {
    ...Delivery.defaultRetryPolicy,
    retryFor: settings.deliveryRetryFor,
    maxDelay: settings.deliveryMaxBackoff
  }
})

/** Everything but HTTP: store, sender, ids, settings, metrics and the webhook ingest. */
export const layerServices = (options: AppOptions) => {
  const { settings } = options
  const sender = options.sender ??
    (options.dryRun
      ? Settings.DryRunSender
      : ExotelSenderFromConfig(settings).pipe(Layer.provide(NodeHttpClient.layerUndici)))
  // bounded twice for webhooks: each caller gets its answer in time (the group commit's own bound, queueing
  // included), and the group writer is not stuck behind a dead connection (every operation's bound)
  const store = GroupCommit.layer({ timeout: settings.storeTimeout }).pipe(
    Layer.provide(Bounded.layer({ timeout: settings.storeTimeout })),
    Layer.provide(options.store ?? StoreConfig.layerFromUrl(settings.databaseUrl))
  )
  const transport = options.transport ??
    StandardWebhooks.layer({ timeout: Delivery.defaultRetryPolicy.timeout }).pipe(
      Layer.provide(NodeHttpClient.layerUndici)
    )
  return Layer.merge(Workers.layer(options.intervals), Sends.layer).pipe(
    Layer.provideMerge(Ingest.layer),
    Layer.provideMerge(metered(sender)),
    Layer.provideMerge(
      Layer.mergeAll(
        store,
        transport,
        options.ids ?? RandomIds.layer,
        RandomTokens.layer,
        SessionService.layerConfig({
          safetyMargin: settings.safetyMargin,
          dryRun: options.dryRun,
          expiringLead: settings.expiringLead,
          sendPacing: { perMinute: settings.sendRate },
          sendRetryFor: settings.sendRetryFor,
          reengageInterval: settings.reengageInterval
        }),
        RelayService.layerConfig(relaySettings(settings)),
        Metrics.layer,
        Layer.succeed(ServerConfig, settings)
      )
    )
  )
}

/** The server on `HOST:PORT`. */
export const layer = (options: AppOptions) =>
  HttpAppLive.pipe(
    Layer.provideMerge(layerNodeServer({ host: options.settings.host, port: options.settings.port })),
    Layer.provideMerge(layerServices(options))
  )

/** The server on a loopback port (`settings.port`, 0 for a free one), with an `HttpClient` aimed at it. */
export const layerTest = (options: AppOptions) =>
  HttpAppLive.pipe(
    Layer.provideMerge(layerNodeServerTest(options.settings.port)),
    Layer.provideMerge(layerServices(options))
  )
