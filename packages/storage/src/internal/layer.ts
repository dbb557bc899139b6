import { EventLog, SessionStore } from "@wa-session/session-core"
import type { StorageError } from "@wa-session/session-core/SessionStore"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { Storage, type StorageShape } from "../Storage.js"

/** The three tags, one implementation. */
export const context = (
  store: StorageShape
): Context.Context<Storage | SessionStore.SessionStore | EventLog.EventLog> =>
  Context.make(Storage, store).pipe(Context.add(SessionStore.SessionStore, store), Context.add(EventLog.EventLog, store))

/**
 * The store with `around` applied to every operation (each member that is an effect, or a function returning one),
 * named; other members (`backend`) as they are.
 */
export const mapOperations = (
  store: StorageShape,
  around: <A, E, R>(name: string, operation: Effect.Effect<A, E, R>) => Effect.Effect<A, E | StorageError, R>
): StorageShape =>
  Object.fromEntries(
    Object.entries(store).map(([name, member]) => [
      name,
      Effect.isEffect(member)
        ? around(name, member)
        : typeof member === "function"
        ? (...args: Array<unknown>) => around(name, (member as (...args: Array<unknown>) => Effect.Effect<unknown>)(...args))
        : member
    ])
  ) as unknown as StorageShape
