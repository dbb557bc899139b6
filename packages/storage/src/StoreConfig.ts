/**
 * Chooses the store from one URL setting, `WA_SESSION_DATABASE_URL`: `memory:`, `sqlite:<path>` (the default,
 * `sqlite:./data/wa-session.db`) or `postgres://…` / `postgresql://…`. The URL is read as a `Redacted` value and
 * the password never appears in errors or logs.
 *
 * @since 0.1.0
 */
import type { EventLog, SessionStore } from "@wa-session/session-core"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as MemoryStore from "./MemoryStore.js"
import * as PgStore from "./PgStore.js"
import * as SqliteStore from "./SqliteStore.js"
import type { Storage } from "./Storage.js"

/**
 * The name of the setting.
 *
 * @since 0.1.0
 * @category constants
 */
export const SETTING = "WA_SESSION_DATABASE_URL"

/**
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_URL = "sqlite:./data/wa-session.db"

/**
 * @since 0.1.0
 * @category models
 */
export const InvalidDatabaseUrlReason = Schema.Literal(
  "Empty",
  "UnknownScheme",
  "MissingPath",
  "Malformed",
  "UnknownParameter"
)

/**
 * The database URL setting cannot be used. `url` is the value with its password hidden.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidDatabaseUrl extends Schema.TaggedError<InvalidDatabaseUrl>(
  "@wa-session/storage/InvalidDatabaseUrl"
)("InvalidDatabaseUrl", {
  setting: Schema.String,
  reason: InvalidDatabaseUrlReason,
  detail: Schema.String,
  url: Schema.String
}) {
  /** @since 0.1.0 */
  readonly code = "INVALID_DATABASE_URL" as const
  /** @since 0.1.0 */
  override get message(): string {
    return `${this.setting} is invalid (${this.detail}): ${this.url}. ` +
      "Expected memory:, sqlite:<path> or postgres://user:password@host:port/database"
  }
}

/**
 * A parsed database URL.
 *
 * @since 0.1.0
 * @category models
 */
export type DatabaseUrl = Data.TaggedEnum<{
  Memory: {}
  Sqlite: { readonly filename: string; readonly synchronous: "full" | "normal" }
  Postgres: { readonly url: Redacted.Redacted<string> }
}>

/**
 * @since 0.1.0
 * @category constructors
 */
export const DatabaseUrl = Data.taggedEnum<DatabaseUrl>()

const schemeOf = (url: string): string | undefined => /^([a-zA-Z][a-zA-Z0-9+.-]{0,19}):/.exec(url)?.[1]?.toLowerCase()

/**
 * The URL as it may be shown: the password of a PostgreSQL URL replaced by `***`; for an unknown scheme only the
 * scheme, since the rest could be a secret.
 *
 * @since 0.1.0
 * @category getters
 */
export const display = (input: Redacted.Redacted<string> | string): string => {
  const value = (Redacted.isRedacted(input) ? Redacted.value(input) : input).trim()
  const scheme = schemeOf(value)
  if (scheme === "memory" || scheme === "sqlite") return value
  if (scheme === "postgres" || scheme === "postgresql") {
    try {
      const parsed = new URL(value)
      if (parsed.password !== "") parsed.password = "***"
      return parsed.toString()
    } catch {
      return `${scheme}://<unparseable, hidden>`
    }
  }
  return scheme === undefined ? "<hidden>" : `${scheme}:<hidden>`
}

/**
 * Parses a database URL. `sqlite:` takes a path (`sqlite:./data/x.db`, `sqlite:/abs/x.db`, `sqlite:///abs/x.db`,
 * `sqlite::memory:`) and an optional `?synchronous=full|normal`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const parse = (input: Redacted.Redacted<string> | string): Either.Either<DatabaseUrl, InvalidDatabaseUrl> => {
  const value = (Redacted.isRedacted(input) ? Redacted.value(input) : input).trim()
  const fail = (reason: typeof InvalidDatabaseUrlReason.Type, detail: string) =>
    Either.left(new InvalidDatabaseUrl({ setting: SETTING, reason, detail, url: display(value) }))
  if (value === "") return fail("Empty", "empty")
  const scheme = schemeOf(value)
  switch (scheme) {
    case "memory": {
      return /^memory:(\/\/)?$/i.test(value)
        ? Either.right(DatabaseUrl.Memory())
        : fail("Malformed", "memory: takes nothing after it")
    }
    case "sqlite": {
      const rest = value.slice("sqlite:".length)
      const queryAt = rest.indexOf("?")
      const pathPart = queryAt === -1 ? rest : rest.slice(0, queryAt)
      const filename = pathPart.startsWith("//") ? pathPart.slice(2) : pathPart
      if (filename === "") return fail("MissingPath", "sqlite: needs a file path, e.g. sqlite:./data/wa-session.db")
      let synchronous: "full" | "normal" = "full"
      for (const [key, param] of new URLSearchParams(queryAt === -1 ? "" : rest.slice(queryAt + 1))) {
        if (key !== "synchronous" || (param !== "full" && param !== "normal")) {
          return fail("UnknownParameter", `unknown parameter ${key}=${param}, only synchronous=full|normal`)
        }
        synchronous = param
      }
      return Either.right(DatabaseUrl.Sqlite({ filename, synchronous }))
    }
    case "postgres":
    case "postgresql": {
      try {
        new URL(value)
      } catch {
        return fail("Malformed", "not a valid URL")
      }
      return Either.right(DatabaseUrl.Postgres({ url: Redacted.make(value) }))
    }
    default:
      return fail("UnknownScheme", scheme === undefined ? "no scheme" : `unknown scheme ${scheme}:`)
  }
}

/**
 * The store for a parsed URL.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  parsed: DatabaseUrl
): Layer.Layer<SessionStore.SessionStore | EventLog.EventLog | Storage, SessionStore.StorageError> =>
  DatabaseUrl.$match(parsed, {
    Memory: () => MemoryStore.layer,
    Sqlite: ({ filename, synchronous }) => SqliteStore.layer({ filename, synchronous }),
    // a server that does not answer the connection fails within seconds, not the driver's default of 30
    Postgres: ({ url }) => PgStore.layer({ url, connectTimeout: Duration.seconds(5) })
  })

/**
 * The store for a URL; an invalid URL fails the layer with `InvalidDatabaseUrl`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFromUrl = (
  value: Redacted.Redacted<string> | string
): Layer.Layer<
  SessionStore.SessionStore | EventLog.EventLog | Storage,
  SessionStore.StorageError | InvalidDatabaseUrl
> =>
  Layer.unwrapEffect(
    Either.match(parse(value), {
      onLeft: (error) => Effect.fail(error),
      onRight: (parsed) => Effect.as(Effect.logDebug(`storage: ${display(value)}`), layer(parsed))
    })
  )

/**
 * The `WA_SESSION_DATABASE_URL` setting, redacted, defaulting to `sqlite:./data/wa-session.db`.
 *
 * @since 0.1.0
 * @category config
 */
export const url: Config.Config<Redacted.Redacted<string>> = Config.redacted(SETTING).pipe(
  Config.withDefault(Redacted.make(DEFAULT_URL))
)

/**
 * The store chosen by `WA_SESSION_DATABASE_URL` (read through `Config`), or by the given config.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config<Redacted.Redacted<string>> = url
): Layer.Layer<
  SessionStore.SessionStore | EventLog.EventLog | Storage,
  SessionStore.StorageError | InvalidDatabaseUrl | ConfigError.ConfigError
> => Layer.unwrapEffect(Effect.map(config, layerFromUrl))
