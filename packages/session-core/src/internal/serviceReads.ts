// Reads of the store the use cases share: a pair's window, and rows they just wrote (gone: a defect of the store).
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { Pair } from "../PhoneNumber.js"
import { SessionStore } from "../SessionStore.js"
import * as SessionWindow from "../SessionWindow.js"

export const loadWindow = (pair: Pair) =>
  Effect.flatMap(SessionStore, (store) => store.getWindow(pair)).pipe(
    Effect.map((window) => SessionWindow.fromOption(pair, window))
  )

export const reload = (id: string) =>
  Effect.flatMap(SessionStore, (store) => store.findOutbound(id)).pipe(
    Effect.flatMap(Option.match({
      onNone: () => Effect.dieMessage(`outbound message ${id} vanished from the store`),
      onSome: Effect.succeed
    }))
  )

export const reloadQuarantine = (id: string) =>
  Effect.flatMap(SessionStore, (store) => store.findQuarantine(id)).pipe(
    Effect.flatMap(Option.match({
      onNone: () => Effect.dieMessage(`quarantine entry ${id} vanished from the store`),
      onSome: Effect.succeed
    }))
  )
