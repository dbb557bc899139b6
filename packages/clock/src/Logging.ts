/**
 * How the server and the CLI log, in one place: the format (`WA_SESSION_LOG_FORMAT`: logfmt or JSON lines) and the
 * least severe level written (`WA_SESSION_LOG_LEVEL`), read through Effect `Config`, and the logger layer that
 * applies them. Both apps provide {@link layerConfig} (or {@link layer} with settings read earlier), so a line looks
 * the same whoever wrote it.
 *
 * @since 0.2.0
 */
import * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberId from "effect/FiberId"
import * as HashMap from "effect/HashMap"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as List from "effect/List"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"

/**
 * `logfmt`: `timestamp=… level=INFO fiber=#12 message=http method=GET …` (Effect's logfmt); `json`: one JSON object
 * a line with the same keys (`timestamp`, `level`, `fiber`, `message`, `cause` when there is one, then the spans and
 * annotations).
 *
 * @since 0.2.0
 * @category models
 */
export type LogFormat = "logfmt" | "json"

/**
 * The names `WA_SESSION_LOG_LEVEL` accepts, least severe first; `none` writes nothing.
 *
 * @since 0.2.0
 * @category constants
 */
export const LEVEL_NAMES = ["trace", "debug", "info", "warning", "error", "none"] as const

/**
 * @since 0.2.0
 * @category models
 */
export type LevelName = (typeof LEVEL_NAMES)[number]

/**
 * @since 0.2.0
 * @category constants
 */
export const FORMATS: ReadonlyArray<LogFormat> = ["logfmt", "json"]

const LEVELS: Record<LevelName, LogLevel.LogLevel> = {
  trace: LogLevel.Trace,
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warning: LogLevel.Warning,
  error: LogLevel.Error,
  none: LogLevel.None
}

/**
 * What {@link layer} applies.
 *
 * @since 0.2.0
 * @category models
 */
export interface LogSettings {
  readonly format: LogFormat
  /** The least severe level written (`LogLevel.None`: nothing). */
  readonly level: LogLevel.LogLevel
}

/**
 * The settings when nothing is set: logfmt, from `info` up.
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULTS: LogSettings = { format: "logfmt", level: LogLevel.Info }

const oneOf = <A extends string>(name: string, values: ReadonlyArray<A>, fallback: A): Config.Config<A> =>
  Config.string(name).pipe(
    Config.mapOrFail((value) => {
      const found = values.find((candidate) => candidate === value.trim().toLowerCase())
      return found === undefined
        ? Either.left(ConfigError.InvalidData([], `${name} must be one of ${values.join(", ")}, got "${value}"`))
        : Either.right(found)
    }),
    Config.withDefault(fallback)
  )

/**
 * `WA_SESSION_LOG_FORMAT`: `logfmt` (default) or `json` (any case). Another value fails naming the variable.
 *
 * @since 0.2.0
 * @category settings
 */
export const logFormat: Config.Config<LogFormat> = oneOf("WA_SESSION_LOG_FORMAT", FORMATS, "logfmt")

/**
 * `WA_SESSION_LOG_LEVEL` with `fallback` when unset: `trace`, `debug`, `info`, `warning`, `error` or `none` (any
 * case). Another value fails naming the variable.
 *
 * @since 0.2.0
 * @category settings
 */
export const logLevelOr = (fallback: LevelName): Config.Config<LogLevel.LogLevel> =>
  Config.map(oneOf("WA_SESSION_LOG_LEVEL", LEVEL_NAMES, fallback), (name) => LEVELS[name])

/**
 * `WA_SESSION_LOG_LEVEL`, `info` when unset (the server's default).
 *
 * @since 0.2.0
 * @category settings
 */
export const logLevel: Config.Config<LogLevel.LogLevel> = logLevelOr("info")

/**
 * Both log settings, the level `fallback` when `WA_SESSION_LOG_LEVEL` is unset (a command line may want fewer lines
 * than the server: `warning`).
 *
 * @since 0.2.0
 * @category settings
 */
export const logSettingsOr = (fallback: LevelName): Config.Config<LogSettings> =>
  Config.all({ format: logFormat, level: logLevelOr(fallback) })

/**
 * Both log settings, as the server reads them (`logfmt`, `info` when unset).
 *
 * @since 0.2.0
 * @category settings
 */
export const logSettings: Config.Config<LogSettings> = logSettingsOr("info")

const messageText = (message: unknown): unknown => {
  const parts = Arr.ensure(message).map((part) =>
    typeof part === "string"
      ? part
      : part instanceof Error
      ? `${part.name}: ${part.message}`
      : Inspectable.toStringUnknown(part, 0)
  )
  return parts.length === 1 ? parts[0] : parts
}

const RESERVED = new Set(["timestamp", "level", "fiber", "message", "cause"])

const annotationValue = (value: unknown): unknown => {
  switch (typeof value) {
    case "bigint":
    case "function":
    case "symbol":
      return String(value)
    default:
      return Inspectable.toJSON(value)
  }
}

/**
 * One JSON object a line, with the keys of Effect's logfmt: `timestamp`, `level` (`INFO`, `WARN`, …), `fiber`,
 * `message` (a string; an array when several values were logged), `cause` (Effect's rendering, when there is one),
 * each span as `<label>: <milliseconds>`, then each annotation (one named like a key before it is written
 * `annotation.<name>`).
 *
 * @since 0.2.0
 * @category loggers
 */
export const jsonLogger: Logger.Logger<unknown, string> = Logger.make(
  ({ annotations, cause, date, fiberId, logLevel, message, spans }) => {
    const record: Record<string, unknown> = {
      timestamp: date.toISOString(),
      level: logLevel.label,
      fiber: FiberId.threadName(fiberId),
      message: messageText(message)
    }
    if (!Cause.isEmpty(cause)) record.cause = Cause.pretty(cause, { renderErrorCause: true })
    const now = date.getTime()
    for (const span of List.toArray(spans)) {
      const key = RESERVED.has(span.label) ? `span.${span.label}` : span.label
      record[key] = now - span.startTime
    }
    if (HashMap.size(annotations) > 0) {
      for (const [key, value] of annotations) {
        record[key in record ? `annotation.${key}` : key] = annotationValue(value)
      }
    }
    return Inspectable.stringifyCircular(record)
  }
)

/**
 * The line logger of a format.
 *
 * @since 0.2.0
 * @category loggers
 */
export const formatLogger = (format: LogFormat): Logger.Logger<unknown, string> =>
  format === "json" ? jsonLogger : Logger.logfmtLogger

/**
 * Where the lines go: `stdout` (the server: its output is its log) or `stderr` (a command whose stdout is its answer).
 *
 * @since 0.2.0
 * @category models
 */
export type LogOutput = "stdout" | "stderr"

/**
 * Replaces Effect's default logger with `settings.format` written through `Console` (`log` for stdout, `error` for
 * stderr, so `Effect.withConsole` captures it) and sets the minimum level.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (settings: LogSettings, options: { readonly output?: LogOutput } = {}): Layer.Layer<never> => {
  const lines = formatLogger(settings.format)
  // one after the other: layers built in parallel (Layer.merge) would not give the fiber's loggers back on release
  return Logger.replace(
    Logger.defaultLogger,
    options.output === "stderr" ? Logger.withConsoleError(lines) : Logger.withConsoleLog(lines)
  ).pipe(Layer.provideMerge(Logger.minimumLogLevel(settings.level)))
}

/**
 * {@link layer} with the settings read from `Config` (`WA_SESSION_LOG_FORMAT`, `WA_SESSION_LOG_LEVEL`, the level
 * `defaultLevel` when unset, `info` by default); an invalid value fails with a `ConfigError` naming the variable.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig = (
  options: { readonly output?: LogOutput; readonly defaultLevel?: LevelName } = {}
): Layer.Layer<never, ConfigError.ConfigError> =>
  Layer.unwrapEffect(
    Config.map(logSettingsOr(options.defaultLevel ?? "info"), (settings) => layer(settings, options))
  )

/**
 * A `Console` that keeps what is written, for tests: provide it with `Effect.withConsole`, then read `stdout` (what
 * `log`, `info` and `debug` wrote) and `stderr` (`error`, `warn`), one entry a call, its arguments joined by spaces.
 *
 * @since 0.2.0
 * @category testing
 */
export interface MemoryConsole {
  readonly console: Console.Console
  readonly stdout: ReadonlyArray<string>
  readonly stderr: ReadonlyArray<string>
}

/**
 * @since 0.2.0
 * @category testing
 */
export const makeMemoryConsole = (): MemoryConsole => {
  const stdout: Array<string> = []
  const stderr: Array<string> = []
  const text = (args: ReadonlyArray<unknown>) => args.map((arg) => String(arg)).join(" ")
  const out = (...args: ReadonlyArray<unknown>) => {
    stdout.push(text(args))
  }
  const err = (...args: ReadonlyArray<unknown>) => {
    stderr.push(text(args))
  }
  const nothing = () => {}
  const unsafe: Console.UnsafeConsole = {
    assert: (condition, ...args) => {
      if (!condition) err(...args)
    },
    clear: nothing,
    count: nothing,
    countReset: nothing,
    debug: out,
    dir: (item) => out(item),
    dirxml: out,
    error: err,
    group: nothing,
    groupCollapsed: nothing,
    groupEnd: nothing,
    info: out,
    log: out,
    table: (data) => out(data),
    time: nothing,
    timeEnd: nothing,
    timeLog: nothing,
    trace: err,
    warn: err
  }
  const console: Console.Console = {
    [Console.TypeId]: Console.TypeId,
    assert: (condition, ...args) => Effect.sync(() => unsafe.assert(condition, ...args)),
    clear: Effect.void,
    count: () => Effect.void,
    countReset: () => Effect.void,
    debug: (...args) => Effect.sync(() => out(...args)),
    dir: (item) => Effect.sync(() => out(item)),
    dirxml: (...args) => Effect.sync(() => out(...args)),
    error: (...args) => Effect.sync(() => err(...args)),
    group: () => Effect.void,
    groupEnd: Effect.void,
    info: (...args) => Effect.sync(() => out(...args)),
    log: (...args) => Effect.sync(() => out(...args)),
    table: (data) => Effect.sync(() => out(data)),
    time: () => Effect.void,
    timeEnd: () => Effect.void,
    timeLog: () => Effect.void,
    trace: (...args) => Effect.sync(() => err(...args)),
    warn: (...args) => Effect.sync(() => err(...args)),
    unsafe
  }
  return { console, stdout, stderr }
}
