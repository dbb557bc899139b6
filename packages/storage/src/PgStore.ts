/**
 * The store on PostgreSQL, for several servers sharing one database.
 *
 * @since 0.1.0
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { type EventLog, SessionStore } from "@wa-session/session-core"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { toStorageError } from "./internal/errors.js"
import * as SqlStore from "./SqlStore.js"
import type { Storage } from "./Storage.js"

/**
 * `url`: `postgres://user:password@host:port/database` (libpq-style query parameters such as
 * `options=-c search_path=...` are passed to the driver).
 *
 * @since 0.1.0
 * @category models
 */
export interface PgStoreOptions {
  readonly url: Redacted.Redacted<string>
  readonly maxConnections?: number | undefined
  readonly connectTimeout?: Duration.DurationInput | undefined
  readonly applicationName?: string | undefined
  /**
   * The server's own bound on one statement (`statement_timeout`, since 0.2.0; default `DEFAULT_STATEMENT_TIMEOUT`):
   * a statement stuck behind a lock, or slow, is cancelled by PostgreSQL and its connection freed, even after the
   * client gave up on it. A `statement_timeout` in the URL's `options` wins.
   */
  readonly statementTimeout?: Duration.DurationInput | undefined
}

/**
 * One minute: above every bound the server puts on a store operation (its batch jobs get 60 s).
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_STATEMENT_TIMEOUT: Duration.Duration = Duration.minutes(1)

/**
 * The URL with `-c statement_timeout=<ms>` added to its libpq `options`, unless they set one already.
 *
 * @since 0.2.0
 * @category constructors
 */
export const withStatementTimeout = (url: string, timeout: Duration.DurationInput): string => {
  try {
    const parsed = new URL(url)
    const options = parsed.searchParams.get("options") ?? ""
    if (options.includes("statement_timeout")) return url
    const setting = `-c statement_timeout=${Math.max(1, Math.round(Duration.toMillis(Duration.decode(timeout))))}`
    parsed.searchParams.set("options", options.trim() === "" ? setting : `${options} ${setting}`)
    return parsed.toString()
  } catch {
    return url
  }
}

const passwordOf = (url: Redacted.Redacted<string>): string => {
  try {
    return decodeURIComponent(new URL(Redacted.value(url)).password)
  } catch {
    return ""
  }
}

/** Driver messages never contain the password today; this keeps it that way. */
const scrub = (url: Redacted.Redacted<string>) => (error: SessionStore.StorageError): SessionStore.StorageError => {
  const password = passwordOf(url)
  return password.length > 0 && error.detail.includes(password)
    ? new SessionStore.StorageError({ operation: error.operation, detail: error.detail.split(password).join("***") })
    : error
}

/**
 * A PostgreSQL client (a pool) on `url`. Fails with `StorageError` when the server cannot be reached.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerClient = (
  options: PgStoreOptions
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, SessionStore.StorageError> =>
  Layer.scopedContext(
    PgClient.make({
      url: Redacted.make(
        withStatementTimeout(Redacted.value(options.url), options.statementTimeout ?? DEFAULT_STATEMENT_TIMEOUT)
      ),
      maxConnections: options.maxConnections,
      connectTimeout: options.connectTimeout,
      applicationName: options.applicationName ?? "wa-session"
    }).pipe(
      Effect.mapError((error) => scrub(options.url)(toStorageError("connect")(error))),
      Effect.map((client) => Context.make(PgClient.PgClient, client).pipe(Context.add(SqlClient.SqlClient, client)))
    )
  ).pipe(Layer.provide(Reactivity.layer))

/**
 * The store on PostgreSQL, migrated when built; provides `SessionStore` and `Storage`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: PgStoreOptions
): Layer.Layer<SessionStore.SessionStore | EventLog.EventLog | Storage, SessionStore.StorageError> =>
  SqlStore.layer.pipe(
    Layer.provide(layerClient(options)),
    Layer.mapError(scrub(options.url))
  )

/**
 * The store on PostgreSQL, its options read through `Config` (the URL as `Config.redacted`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config.Wrap<PgStoreOptions>
): Layer.Layer<
  SessionStore.SessionStore | EventLog.EventLog | Storage,
  SessionStore.StorageError | ConfigError.ConfigError
> => Layer.unwrapEffect(Effect.map(Config.unwrap(config), layer))
