/**
 * The embedded default: the SQL store on a SQLite file through better-sqlite3, in WAL mode. Several processes may
 * share the file; writers wait for each other up to `busyTimeout`.
 *
 * @since 0.1.0
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import * as SqlClient from "@effect/sql/SqlClient"
import type { EventLog } from "@wa-session/session-core"
import { SessionStore } from "@wa-session/session-core"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import { makeDirectory } from "./Directory.js"
import { toStorageError } from "./internal/errors.js"
import { context, mapOperations } from "./internal/layer.js"
import * as SqlStore from "./SqlStore.js"
import type { Storage, StorageShape } from "./Storage.js"

/**
 * `synchronous`: `"full"` (default) syncs the WAL on every commit, so an acknowledged write survives a power loss;
 * `"normal"` syncs at checkpoints only: it survives a crash of the process, not of the machine, and commits about
 * ten times faster. `busyTimeout`: how long a writer waits for another process's lock (default 10 s).
 *
 * @since 0.1.0
 * @category models
 */
export interface SqliteStoreOptions {
  readonly filename: string
  readonly synchronous?: "full" | "normal" | undefined
  readonly busyTimeout?: number | undefined
}

const ensureDirectory = (filename: string) =>
  filename === ":memory:" || filename === ""
    ? Effect.void
    : Effect.try({
      try: () => makeDirectory(NodePath.dirname(NodePath.resolve(filename))),
      catch: toStorageError("open")
    })

/**
 * A SQLite client on `filename` (its directory created when missing) with the store's pragmas applied.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerClient = (
  options: SqliteStoreOptions
): Layer.Layer<SqliteClient.SqliteClient | SqlClient.SqlClient, SessionStore.StorageError> =>
  Layer.scopedContext(Effect.gen(function*() {
    yield* ensureDirectory(options.filename)
    const client = yield* SqliteClient.make({ filename: options.filename }).pipe(
      Effect.catchAllDefect((defect) => Effect.fail(toStorageError("open")(defect)))
    )
    const pragma = (statement: string) => Effect.mapError(client.unsafe(`PRAGMA ${statement}`), toStorageError("open"))
    yield* pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeout ?? 10_000))}`)
    yield* pragma(`synchronous = ${options.synchronous === "normal" ? "NORMAL" : "FULL"}`)
    return Context.make(SqliteClient.SqliteClient, client).pipe(Context.add(SqlClient.SqlClient, client))
  })).pipe(Layer.provide(Reactivity.layer))

/**
 * The store on a SQLite file, migrated when built; provides `SessionStore` and `Storage`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: SqliteStoreOptions
): Layer.Layer<SessionStore.SessionStore | EventLog.EventLog | Storage, SessionStore.StorageError> =>
  Layer.effectContext(Effect.map(SqlStore.make, (store) => context(guardFile(options.filename, store)))).pipe(
    Layer.provide(layerClient(options))
  )

/**
 * The store with every operation refused (a `StorageError`, so 503 and a failing readiness check) once the file at
 * `filename` is no longer the one that was opened: deleted or replaced, the open file would take writes that the
 * next start never sees, so acknowledging them would lose them.
 */
const guardFile = (filename: string, store: StorageShape): StorageShape => {
  if (filename === "" || filename === ":memory:") return store
  const opened = NodeFs.statSync(filename)
  const check = Effect.suspend(() => {
    const now = NodeFs.statSync(filename, { throwIfNoEntry: false })
    return now !== undefined && now.ino === opened.ino && now.dev === opened.dev
      ? Effect.void
      : Effect.fail(
        new SessionStore.StorageError({
          operation: "file",
          detail:
            `${filename} was deleted or replaced while open; nothing more is written to it: restart on the right file`
        })
      )
  })
  return mapOperations(store, (_, operation) => Effect.zipRight(check, operation))
}

/**
 * The store on a SQLite file, its options read through `Config`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config.Wrap<SqliteStoreOptions>
): Layer.Layer<
  SessionStore.SessionStore | EventLog.EventLog | Storage,
  SessionStore.StorageError | ConfigError.ConfigError
> => Layer.unwrapEffect(Effect.map(Config.unwrap(config), layer))
