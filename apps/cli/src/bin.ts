import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import { Config, Effect, Exit, Layer, Logger, LogLevel, Option, Predicate } from "effect"
import * as Cli from "./Cli.js"
import { describeCause, line } from "./Errors.js"
import * as Output from "./Output.js"

/** Set by scripts/build.mjs: the server's own bundle, beside this one. Undefined when run from source (pnpm cli). */
declare const __SERVER_BUNDLE__: string | undefined

/** Runs the server program (it owns the process from here: signals, exit code). */
const startServer = (): void => {
  if (typeof __SERVER_BUNDLE__ === "string") {
    // a bundle of its own, so the other commands never read or compile the server's code
    require(`${__dirname}/${__SERVER_BUNDLE__}`)
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
  if (Option.contains(pkg, "@wa-session/cli") && Option.isSome(dir) && dir.value !== "" && dir.value !== process.cwd()) {
    yield* Effect.sync(() => process.chdir(dir.value))
  }
})

const VALIDATION_ERRORS = new Set([
  "CommandMismatch",
  "CorrectedFlag",
  "InvalidArgument",
  "InvalidValue",
  "MissingFlag",
  "MissingValue",
  "MissingSubcommand",
  "MultipleValuesDetected",
  "NoBuiltInMatch",
  "UnclusteredFlag",
  "HelpRequested"
])

/** 0 success, 1 a domain refusal, 2 bad usage or input, 3 a provider, storage or server failure; or serve. */
const exitCode = (exit: Exit.Exit<unknown, unknown>): Effect.Effect<number | "serve"> => {
  if (Exit.isSuccess(exit)) return Effect.succeed(0)
  const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (error instanceof Cli.Exit) return Effect.succeed(error.code)
  if (error instanceof Cli.ServeRequested) return Effect.succeed("serve" as const)
  // @effect/cli printed its own message
  if (Predicate.hasProperty(error, "_tag") && VALIDATION_ERRORS.has(String(error._tag))) {
    return Effect.succeed(2)
  }
  const failure = describeCause(exit.cause)
  return Effect.as(Effect.sync(() => process.stderr.write(`wa-session: ${line(failure)}\n`)), failure.exitCode)
}

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
