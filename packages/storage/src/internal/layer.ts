import { EventLog, SessionStore } from "@wa-session/session-core"
import * as Context from "effect/Context"
import { Storage, type StorageShape } from "../Storage.js"

/** The three tags, one implementation. */
export const context = (
  store: StorageShape
): Context.Context<Storage | SessionStore.SessionStore | EventLog.EventLog> =>
  Context.make(Storage, store).pipe(Context.add(SessionStore.SessionStore, store), Context.add(EventLog.EventLog, store))
