import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import { Cause, Config, Effect, Exit, Layer, Logger, LogLevel, Match, Option } from "effect"
import { createRequire } from "node:module"
import * as Cli from "./Cli.js"
import { describe, describeUnfailed, type Failure, line } from "./Errors.js"
import * as Output from "./Output.js"

/** Set by scripts/build.mjs: the server's own bundle, beside this one. Undefined when run from source (pnpm cli). */
declare const __SERVER_BUNDLE__: string | undefined

/** Runs the server program (it owns the process from here: signals, exit code). */
const startServer = (): void => {
  if (typeof __SERVER_BUNDLE__ === "string") {
    // a bundle of its own, so the other commands never read or compile the server's code; run for its effect
    const load: (path: string) => unknown = createRequire(__filename)
    load(`${__dirname}/${__SERVER_BUNDLE__}`)
  } else {
    void import("@wa-session/server/main")
  }
}

const optional = (name: string) =>
  Config.option(Config.string(name)).pipe(Effect.orElseSucceed(() => Option.none<string>()))

/**
 * Under `pnpm cli` (this package's `start` script) the process runs in apps/cli: move back to where pnpm was
 * started, so relative paths mean what they meant there. Other scripts that call the binary are left alone.
 */
const originalDirectory = Effect.gen(function*() {
  const pkg = yield* optional("npm_package_name")
  const dir = yield* optional("INIT_CWD")
  if (
    Option.contains(pkg, "@wa-session/cli") && Option.isSome(dir) && dir.value !== "" && dir.value !== process.cwd()
  ) {
    yield* Effect.sync(() => process.chdir(dir.value))
  }
})

/** A failure nobody printed yet: one line on stderr, then its exit code. */
const printed = (failure: Failure): Effect.Effect<number> =>
  Effect.as(Effect.sync(() => process.stderr.write(`wa-session: ${line(failure)}\n`)), failure.exitCode)

/** @effect/cli printed its own message: bad usage. */
const refused = () => Effect.succeed(2)

/** What the command line failed with, as an exit code (or serve). */
const outcome: (error: Cli.RunError) => Effect.Effect<number | "serve"> = Match.type<Cli.RunError>().pipe(
  Match.tags({
    Exit: (exit) => Effect.succeed(exit.code),
    ServeRequested: () => Effect.succeed("serve" as const),
    CommandMismatch: refused,
    CorrectedFlag: refused,
    InvalidArgument: refused,
    InvalidValue: refused,
    MissingFlag: refused,
    MissingValue: refused,
    MissingSubcommand: refused,
    MultipleValuesDetected: refused,
    NoBuiltInMatch: refused,
    UnclusteredFlag: refused,
    HelpRequested: refused
  }),
  // the rest is described at the edge (the failures of webhook-url, which prints no JSON)
  Match.orElse((error) => printed(describe(error)))
)

/** 0 success, 1 a domain refusal, 2 bad usage or input, 3 a provider, storage or server failure; or serve. */
const exitCode = (exit: Exit.Exit<void, Cli.RunError>): Effect.Effect<number | "serve"> =>
  Exit.match(exit, {
    onSuccess: () => Effect.succeed(0),
    onFailure: (cause) =>
      Option.match(Cause.failureOption(cause), {
        onSome: outcome,
        onNone: () => printed(describeUnfailed(cause))
      })
  })

const main = Effect.gen(function*() {
  yield* originalDirectory
  const noColor = Option.isSome(yield* optional("NO_COLOR"))
  const console = yield* Effect.console
  const plain = Output.plainConsole(console, {
    stdout: !noColor && process.stdout.isTTY === true,
    stderr: !noColor && process.stderr.isTTY === true
  })
  // logs are for people: on stderr, warnings and worse unless --log-level says otherwise
  const logger = Logger.replace(
    Logger.defaultLogger,
    Logger.prettyLogger({ stderr: true, colors: !noColor && process.stderr.isTTY === true })
  )
  const exit = yield* Cli.run(process.argv).pipe(
    Logger.withMinimumLogLevel(LogLevel.Warning),
    Effect.provide(logger),
    Effect.withConsole(plain),
    Effect.exit
  )
  return yield* exitCode(exit)
}).pipe(
  // what @effect/cli needs; not NodeContext, whose process and worker services cost start-up time and go unused
  Effect.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer))
)

NodeRuntime.runMain(main, {
  disableErrorReporting: true,
  disablePrettyLogger: true,
  teardown: (exit, onExit) => {
    if (Exit.isFailure(exit)) return onExit(Exit.isInterrupted(exit) ? 0 : 3)
    // the teardown is generic: main's own value is a number or "serve"
    return exit.value === "serve" ? startServer() : onExit(typeof exit.value === "number" ? exit.value : 0)
  }
})
