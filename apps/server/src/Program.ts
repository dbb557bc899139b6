import { HttpServer } from "@effect/platform"
import { Logging } from "@wa-session/clock"
import { ExotelConfig } from "@wa-session/exotel"
import { Delivery, RelayService } from "@wa-session/session-core"
import { StoreConfig } from "@wa-session/storage"
import {
  Cause,
  Config,
  ConfigError,
  Console,
  Context,
  Effect,
  Either,
  Exit,
  Layer,
  Logger,
  LogLevel,
  Match,
  Option,
  Predicate
} from "effect"
import * as App from "./App.js"
import * as Settings from "./Config.js"

const secretLine = (source: Settings.SecretSource, hint: string) =>
  source._tag === "Env"
    ? `from ${source.name}`
    : `${source.path}${source.created ? " (generated now, mode 0600)" : ""}; ${hint}`

/**
 * What the server prints once listening. URLs without credentials or query; the webhook secret masked, unless it
 * was generated just now and a person is watching (stdout is a terminal): then the whole URL, once, to copy.
 */
const banner = (
  settings: Settings.ServerSettings,
  dryRun: boolean,
  address: HttpServer.Address,
  terminal: boolean,
  exotelUrl: Option.Option<string>,
  enabledEndpoints: number
) => {
  const showSecret = terminal && settings.webhookSecretSource._tag === "File" && settings.webhookSecretSource.created
  const base = address._tag === "TcpAddress"
    ? `http://${address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname}:${address.port}`
    : `unix://${address.path}`
  const lines = [
    `wa-session listening on ${base}`,
    `  API docs     ${base}/docs  (OpenAPI ${base}/openapi.json)`,
    `  store        ${StoreConfig.display(settings.databaseUrl)}`,
    `  API token    ${secretLine(settings.apiTokenSource, "send it as Authorization: Bearer <token> to /v1/*")}`,
    `  webhook URL  ${
      showSecret
        ? Settings.webhookUrl(settings, base)
        : `${Settings.maskedWebhookUrl(settings, base)}  (whole: wa-session webhook-url)`
    }`,
    `  webhook key  ${secretLine(settings.webhookSecretSource, "it is the last segment of the webhook URL")}`,
    settings.eventsUrl._tag === "Url"
      ? `  events       delivered to ${Delivery.redactUrl(settings.eventsUrl.url)}`
      : enabledEndpoints > 0
      ? `  events       delivered to ${enabledEndpoints} endpoint${
        enabledEndpoints === 1 ? "" : "s"
      } (GET /v1/endpoints)`
      : "  events       kept (GET /v1/events); set WA_SESSION_EVENTS_URL or POST /v1/endpoints to have them delivered",
    `  events key   ${secretLine(settings.eventsSecretSource, "it signs the deliveries (Standard Webhooks)")}`,
    ...Option.match(exotelUrl, {
      onNone: () => [],
      onSome: (url) => [
        `  Exotel       ${url}${regionName(url)}; at most ${settings.sendRate} sends a minute (WA_SESSION_SEND_RATE)`
      ]
    })
  ]
  if (Option.isNone(settings.publicUrl)) {
    lines.push(
      "  note         WA_SESSION_PUBLIC_URL is not set: messages go out without status_callback, so Exotel posts",
      "               replies and delivery reports only to the account's default URL (point it at the webhook URL)"
    )
  }
  if (dryRun) {
    lines.push(
      "",
      "  !!! DRY-RUN: no Exotel credentials (EXOTEL_API_KEY, EXOTEL_API_TOKEN, EXOTEL_ACCOUNT_SID).",
      "  !!! Decisions are made and stored, NOTHING IS SENT; responses say \"dryRun\": true."
    )
  }
  return lines.join("\n")
}

const optional = (name: string) =>
  Config.option(Config.string(name)).pipe(Effect.orElseSucceed(() => Option.none<string>()))

/**
 * Under `pnpm start` the process runs in apps/server: move back to where pnpm was started, so the default
 * `./data` is the same directory the CLI (`pnpm cli`) uses.
 */
const originalDirectory = Effect.gen(function*() {
  const pkg = yield* optional("npm_package_name")
  const event = yield* optional("npm_lifecycle_event")
  const dir = yield* optional("INIT_CWD")
  if (Option.contains(pkg, "@wa-session/server") && Option.contains(event, "start") && Option.isSome(dir)) {
    if (dir.value !== "" && dir.value !== process.cwd()) yield* Effect.sync(() => process.chdir(dir.value))
  }
})

/** " (Mumbai)" for a known cluster's URL (`EXOTEL_REGION`), else nothing. */
const regionName = (url: string): string => {
  const region = Object.entries(ExotelConfig.REGION_BASE_URLS).find(([, base]) => base === url)?.[0]
  return region === undefined ? "" : ` (${region}, EXOTEL_REGION)`
}

const STOP_SIGNALS = ["SIGINT", "SIGTERM"] as const

/**
 * Which signal stopped the server, if one did: noted by listeners that stay only until the first signal (so a second
 * one still reaches node's default handling once the runner has let go of its own) or until the server stops.
 */
const stopSignal = Effect.acquireRelease(
  Effect.sync(() => {
    const state: { signal: NodeJS.Signals | undefined; readonly listener: (signal: NodeJS.Signals) => void } = {
      signal: undefined,
      listener: (signal) => {
        state.signal = signal
        for (const name of STOP_SIGNALS) process.removeListener(name, state.listener)
      }
    }
    for (const name of STOP_SIGNALS) process.on(name, state.listener)
    return state
  }),
  (state) => Effect.sync(() => STOP_SIGNALS.forEach((name) => process.removeListener(name, state.listener)))
)

/** What the server prints once listening: the banner as it is (logfmt), or as one JSON log line. */
const announce = (text: string, format: Logging.LogFormat) => {
  if (format === "logfmt") return Console.log(text)
  const [first = "", ...rest] = text.split("\n")
  // shown whatever the level, as the logfmt banner is
  return Effect.logInfo(first).pipe(
    Effect.annotateLogs({ banner: rest.filter((line) => line.trim() !== "").map((line) => line.trim()) }),
    Logger.withMinimumLogLevel(LogLevel.Info)
  )
}

const program = (logging: Logging.LogSettings) =>
  Effect.gen(function*() {
    yield* originalDirectory
    const settings = yield* Settings.load
    const dryRun = yield* Settings.isDryRun
    // the cluster in use, as the sender reads it (credentials are present unless in dry-run)
    const exotelUrl = dryRun
      ? Option.none<string>()
      : Option.map(Option.getRight(yield* Effect.either(ExotelConfig.config())), (options) => options.baseUrl)
    if (dryRun) yield* Effect.logWarning("dry-run: no Exotel credentials, nothing will be sent")
    const stop = yield* stopSignal
    const reason = () => stop.signal ?? "interrupted"
    let stopping = 0
    return yield* Effect.gen(function*() {
      const context = yield* Layer.build(App.layer({ settings, dryRun }))
      // what the store holds, not only the settings: an endpoint stored earlier keeps receiving events
      const endpoints = yield* RelayService.listEndpoints.pipe(
        Effect.provide(context),
        Effect.orElseSucceed(() => [])
      )
      yield* announce(
        banner(
          settings,
          dryRun,
          Context.get(context, HttpServer.HttpServer).address,
          process.stdout.isTTY === true,
          exotelUrl,
          endpoints.filter((endpoint) => endpoint.state === "enabled").length
        ),
        logging.format
      )
      // added last, run first: before the server closes and the requests in flight drain
      yield* Effect.addFinalizer(() =>
        Effect.suspend(() => {
          stopping = performance.now()
          return Effect.logInfo("wa-session stopping: no new connections; draining the requests in flight").pipe(
            Effect.annotateLogs({ reason: reason() })
          )
        })
      )
      return yield* Effect.never
    }).pipe(
      Effect.scoped,
      Effect.onInterrupt(() =>
        Effect.logInfo("wa-session stopped").pipe(
          Effect.annotateLogs({
            reason: reason(),
            drained: true,
            ms: stopping === 0 ? 0 : Math.round(performance.now() - stopping)
          })
        )
      )
    )
  }).pipe(Effect.scoped)

/** Why the server could not start, or stopped: a setting, the store, the port. */
export type StartError = Effect.Effect.Error<ReturnType<typeof program>> | ConfigError.ConfigError

interface Problem {
  /** One line for a person. */
  readonly line: string
  /** A setting to fix (environment, secret file, database URL), rather than the store or the port. */
  readonly setting: boolean
}

const setting = (line: string): Problem => ({ line: `invalid configuration: ${line}`, setting: true })

const causeText = (cause: unknown) =>
  String((Predicate.hasProperty(cause, "message") ? cause.message : undefined) ?? cause)

const problem: (error: StartError) => Problem = Match.type<StartError>().pipe(
  Match.when(ConfigError.isConfigError, (error) => setting(Settings.describeConfigError(error))),
  Match.tagsExhaustive({
    SecretFileError: (error) => setting(error.message),
    InvalidDatabaseUrl: (error) => setting(error.message),
    StorageError: (error) => ({ line: `cannot open the store: ${error.message}`, setting: false }),
    ServeError: (error) => ({ line: `cannot listen: ${causeText(error.cause)}`, setting: false })
  })
)

const report = (cause: Cause.Cause<StartError>) =>
  Option.match(Cause.failureOption(cause), {
    onNone: () => Cause.isInterruptedOnly(cause) ? Effect.void : Effect.logError("wa-session stopped", cause),
    onSome: (error) => Console.error(`wa-session: ${problem(error).line}`)
  })

/**
 * The server as a program: settings from the environment, the banner, then serving until interrupted. A failure
 * is reported here (one line for each typed failure: a setting, the store, the port; the whole cause for a defect),
 * so runners only pick the exit code.
 */
export const main: Effect.Effect<void, StartError> = Effect.flatMap(
  // read first, alone: a bad value is reported like any other setting (one line on stderr)
  Effect.either(Logging.logSettings),
  Either.match({
    onLeft: (error) => Effect.zipRight(report(Cause.fail(error)), Effect.fail(error)),
    onRight: (logging) => program(logging).pipe(Effect.tapErrorCause(report), Effect.provide(Logging.layer(logging)))
  })
)

/**
 * The process exit code of `main`'s end, as the CLI numbers them: 0 stopped by a signal, 2 a setting to fix
 * (environment, secret file, database URL), 3 anything else (the store, the port, a defect).
 */
export const exitCode = (exit: Exit.Exit<void, StartError>): number => {
  if (Exit.isSuccess(exit) || Exit.isInterrupted(exit)) return 0
  return Option.match(Cause.failureOption(exit.cause), {
    onNone: () => 3,
    onSome: (error) => problem(error).setting ? 2 : 3
  })
}
