// How a command reaches its backend (the local store, or a server with --server) and prints what it answers.
import type * as Terminal from "@effect/platform/Terminal"
import { Console, type DateTime, Effect, Layer, Option } from "effect"
import { Backend, type BackendShape } from "../Backend.js"
import type { CliError, StoreNotFound } from "../Errors.js"
import type * as Local from "../Local.js"
import * as Output from "../Output.js"
import { type Exit, report } from "../Report.js"
import type * as Views from "../Views.js"
import { type Connection, lazy } from "./Shared.js"

/** How a command uses the store: `--at` for the commands that evaluate at an instant, `creates` for those that record. */
export interface Use {
  readonly at?: Option.Option<DateTime.Utc>
  /** send, inbound, endpoints add: they may start a store; the others fail when there is none (StoreNotFound). */
  readonly creates?: boolean
}

/** The local store and its settings, or the server's typed client (Local.ts and Remote.ts, loaded on first use). */
const backendLayer = (
  connection: Connection,
  use: Use
): Layer.Layer<Backend, Layer.Layer.Error<typeof Local.layer> | StoreNotFound> => {
  const instant = use.at ?? Option.none()
  return Option.match(connection.server, {
    onNone: () =>
      Layer.unwrapEffect(
        Effect.map(lazy(() => import("../Local.js")), (Local) =>
          Layer.merge(
            use.creates === true ? Local.layer : Layer.unwrapEffect(Effect.as(Local.existingStore, Local.layer)),
            Local.clockLayer(instant)
          ))
      ),
    onSome: (url) =>
      Layer.unwrapEffect(
        Effect.map(
          lazy(() => import("../Remote.js")),
          (Remote) => Remote.layer({ url, token: connection.token, at: instant })
        )
      )
  })
}

/**
 * Runs a command on its backend and reports its failure. In the command's own handler, so that its type says it
 * fails only with Exit, and so that a command with subcommands does not wrap theirs (they choose their own backend).
 */
export const onBackend = <E extends CliError, R>(
  config: { readonly json: boolean } & Connection,
  effect: Effect.Effect<void, E, R | Backend>,
  use: Use = {}
): Effect.Effect<void, Exit, Exclude<R, Backend>> =>
  report(Effect.provide(effect, backendLayer(config, use)), config.json)

/** How a view prints: as JSON, or as text given the backend's "now" for relative times. */
export interface Printer<V> {
  readonly json: (view: V) => unknown
  readonly text: (out: Output.Output, view: V, now: DateTime.Utc) => string
}

/** A printer made of Views.ts, which loads with the commands that print its views only. */
export type ViewsPrinter<V> = (views: typeof Views) => Printer<V>

/** Views.ts, loaded by the commands that print its views. */
export const views = lazy(() => import("../Views.js"))

/** Prints a view: JSON, or text (asking the backend for "now" then only). */
export const print = <V>(
  asJson: boolean,
  view: V,
  printer: Printer<V> | ViewsPrinter<V>
): Effect.Effect<void, never, Backend | Terminal.Terminal> =>
  Effect.gen(function*() {
    const { json, text } = typeof printer === "function" ? printer(yield* views) : printer
    const out = yield* Output.make(asJson)
    if (out.json) return yield* Output.printJson(json(view))
    const now = yield* Effect.flatMap(Backend, (backend) => backend.now)
    yield* Console.log(text(out, view, now))
  })

/** A command that asks its backend one thing and prints the answer: `onBackend` of `ask`, then `print`. */
export const answer = <V, E extends CliError, R>(
  config: { readonly json: boolean } & Connection,
  ask: (backend: BackendShape) => Effect.Effect<V, E, R>,
  printer: Printer<V> | ViewsPrinter<V>,
  use: Use = {}
): Effect.Effect<void, Exit, Exclude<R, Backend> | Terminal.Terminal> =>
  onBackend(
    config,
    Effect.flatMap(Effect.flatMap(Backend, ask), (view) => print(config.json, view, printer)),
    use
  )
