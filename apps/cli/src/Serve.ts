import * as HttpServer from "@effect/platform/HttpServer"
import { App, Config as Settings } from "@wa-session/server"
import { StoreConfig } from "@wa-session/storage"
import { Config, Console, Context, Effect, Layer, Logger, LogLevel } from "effect"

const LEVELS = {
  trace: LogLevel.Trace,
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warning: LogLevel.Warning,
  error: LogLevel.Error
} as const

const logLevel = Config.literal("trace", "debug", "info", "warning", "error")("WA_SESSION_LOG_LEVEL").pipe(
  Config.withDefault("info" as const),
  Config.map((level): LogLevel.LogLevel => LEVELS[level])
)

const banner = (settings: Settings.ServerSettings, dryRun: boolean, address: HttpServer.Address) => {
  const base = address._tag === "TcpAddress"
    ? `http://${address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname}:${address.port}`
    : `unix://${address.path}`
  return [
    `wa-session listening on ${base}`,
    `  API docs     ${base}/docs`,
    `  store        ${StoreConfig.display(settings.databaseUrl)}`,
    `  API token    ${
      settings.apiTokenSource._tag === "Env" ? settings.apiTokenSource.name : settings.apiTokenSource.path
    }`,
    ...(dryRun ? ["  DRY-RUN      no Exotel credentials (EXOTEL_*): decisions are stored, nothing is sent"] : [])
  ].join("\n")
}

/** The server, as `pnpm start` runs it: the settings, the app layer from @wa-session/server, launched. */
export const program: Effect.Effect<void, unknown> = Effect.gen(function*() {
  const settings = yield* Settings.load
  const dryRun = yield* Settings.isDryRun
  const level = yield* logLevel
  return yield* App.layer({ settings, dryRun }).pipe(
    Layer.tap((context) => Console.log(banner(settings, dryRun, Context.get(context, HttpServer.HttpServer).address))),
    Layer.launch,
    Logger.withMinimumLogLevel(level)
  )
}).pipe(Effect.provide(Logger.logFmt))
