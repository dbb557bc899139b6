#!/usr/bin/env node
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Config, Effect, Exit, Logger, LogLevel, Option, Predicate } from "effect"
import * as Cli from "./Cli.js"
import { describeCause, line } from "./Errors.js"
import * as Output from "./Output.js"

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

/** 0 success, 1 a domain refusal, 2 bad usage or input, 3 a provider, storage or server failure. */
const exitCode = (exit: Exit.Exit<unknown, unknown>): Effect.Effect<number> => {
  if (Exit.isSuccess(exit)) return Effect.succeed(0)
  const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (error instanceof Cli.Exit) return Effect.succeed(error.code)
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
}).pipe(Effect.provide(NodeContext.layer))

NodeRuntime.runMain(main, {
  disableErrorReporting: true,
  disablePrettyLogger: true,
  teardown: (exit, onExit) =>
    onExit(
      Exit.isSuccess(exit)
        ? typeof exit.value === "number" ? exit.value : 0
        : Exit.isInterrupted(exit)
        ? 0
        : 3
    )
})
