import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"

/** Runs an effect in one transaction. */
export type Transaction = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | SqlError, R>

const LEVELS = ["OFF", "NORMAL", "FULL", "EXTRA"] as const

/**
 * SQLite: a transaction committed without syncing the WAL, for the relay's bookkeeping (delivery leases and verdicts),
 * which a power loss may undo without losing anything: an undone lease or verdict only makes the delivery due again,
 * and it is delivered again with the same id (deliveries are at least once). Everything else, and every commit after
 * this one, syncs as configured; a later synced commit syncs this one too (the WAL is written in order), and a crash
 * of the process alone loses nothing either way. Where the connection already commits without syncing, or on
 * PostgreSQL, it is the plain transaction.
 *
 * The level is switched while the connection is reserved (no other statement can run on it meanwhile) and outside
 * the transaction (SQLite refuses the switch inside one), then put back before the connection is released.
 */
export const make = (sql: SqlClient.SqlClient, isPg: boolean): Effect.Effect<Transaction, SqlError> =>
  Effect.gen(function*() {
    if (isPg) return sql.withTransaction
    const rows = yield* sql<{ readonly synchronous: number }>`PRAGMA synchronous`
    const level = LEVELS[Number(rows[0]?.synchronous ?? 2)] ?? "FULL"
    if (level === "OFF" || level === "NORMAL") return sql.withTransaction
    return <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.scoped(Effect.gen(function*() {
          const connection = yield* sql.reserve
          const run = (statement: string) => connection.executeUnprepared(statement, [], undefined)
          yield* run("PRAGMA synchronous = NORMAL")
          // finalizers run in reverse order: the level is back before `reserve` releases the connection
          yield* Effect.addFinalizer(() => Effect.orDie(run(`PRAGMA synchronous = ${level}`)))
          yield* run("BEGIN")
          const exit = yield* Effect.exit(
            restore(Effect.provideService(effect, SqlClient.TransactionConnection, [connection, 0]))
          )
          const rollback = Effect.ignore(run("ROLLBACK"))
          if (Exit.isFailure(exit)) return yield* Effect.zipRight(rollback, exit)
          // a failed COMMIT leaves the transaction open: end it, so that the level can be put back
          yield* Effect.tapError(run("COMMIT"), () => rollback)
          return exit.value
        }))
      )
  })
