import type * as ValidationError from "@effect/cli/ValidationError"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as Logging from "@wa-session/clock/Logging"
import {
  Cause,
  Config,
  ConfigError,
  Console,
  Effect,
  Either,
  Exit,
  Layer,
  Logger,
  LogLevel,
  Match,
  Option
} from "effect"
import { createRequire } from "node:module"
import * as Argv from "./Argv.js"
import * as Cli from "./Cli.js"
import { describe, describeUnfailed, type Failure, line, UsageError } from "./Errors.js"
import * as Help from "./Help.js"
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
 * Under this package's `start` script (`pnpm cli`, `pnpm --filter @wa-session/cli start`) the process runs in
 * apps/cli: move back to where pnpm was started (INIT_CWD), so relative paths mean what they meant there. Each pnpm
 * sets INIT_CWD to its own directory: a script that runs `pnpm --filter …` must be started from the caller's
 * directory for it to reach here (the root's `cli` script: `cd "$INIT_CWD" && pnpm --filter @wa-session/cli start`).
 * Other scripts that call the binary are left alone.
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

/** The one line of a failure on stderr, signing secrets hidden. */
const toStderr = (text: string): Effect.Effect<void> =>
  Effect.sync(() => void process.stderr.write(`wa-session: ${Output.maskSecrets(text)}\n`))

/** A failure: with --json its JSON on stdout, and its line on stderr; then its exit code. */
const printed = (failure: Failure, json = false): Effect.Effect<number> =>
  Effect.gen(function*() {
    if (json) yield* Output.printJson(Output.failureJson(failure))
    yield* toStderr(line(failure))
    return failure.exitCode
  })

/** What the command line failed with, as an exit code (or serve). */
const outcome = (scanned: Argv.Scan): (error: Cli.RunError) => Effect.Effect<number | "serve"> => {
  // @effect/cli refused the command line: one line naming the option, as any usage error
  const refused = (error: ValidationError.ValidationError) =>
    printed(describe(Argv.describeValidation(scanned, error)), scanned.json)
  return Match.type<Cli.RunError>().pipe(
    Match.tags({
      // a command's failure: its JSON (with --json) is printed already
      Exit: (exit) => Effect.as(toStderr(exit.line), exit.code),
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
}

/** 0 success, 1 a domain refusal, 2 bad usage or input, 3 a provider, storage or server failure; or serve. */
const exitCode = (exit: Exit.Exit<void, Cli.RunError>, scanned: Argv.Scan): Effect.Effect<number | "serve"> =>
  Exit.match(exit, {
    onSuccess: () => Effect.succeed(0),
    onFailure: (cause) =>
      Option.match(Cause.failureOption(cause), {
        onSome: outcome(scanned),
        onNone: () => printed(describeUnfailed(cause), scanned.json)
      })
  })

const LEVELS = "all, trace, debug, info, warning, error, fatal or none"

/** The level `--log-level` names (any case, as @effect/cli reads it), else a usage error naming the option. */
const logLevelOption = (value: string): Either.Either<LogLevel.LogLevel, UsageError> => {
  const level = LogLevel.allLevels.find((candidate) => candidate._tag.toLowerCase() === value.toLowerCase())
  if (level !== undefined) return Either.right(level)
  const message = value === "" ?
    "--log-level: missing its value" :
    `--log-level: expected ${LEVELS}, got ${JSON.stringify(value)}`
  return Either.left(new UsageError({ field: "--log-level", message }))
}

/** A log setting that cannot be read: a usage error naming the variable, its message the setting's own. */
const logSettingError = (field: string, error: ConfigError.ConfigError) =>
  new UsageError({ field, message: ConfigError.isInvalidData(error) ? error.message : `${field}: ${String(error)}` })

const main = Effect.gen(function*() {
  yield* originalDirectory
  const args = process.argv.slice(2)
  const scanned = Argv.scan(Cli.tree, args)
  const noColor = Option.isSome(yield* optional("NO_COLOR"))
  const console = yield* Effect.console
  const plain = Output.plainConsole(console, { stdout: !noColor && process.stdout.isTTY === true })
  // our own help: @effect/cli's repeats the type of every option and advertises --wizard
  if (scanned.help || scanned.rest.length === 0) {
    yield* Effect.withConsole(Console.log(Help.render(Cli.tree, scanned.path)), plain)
    return 0
  }
  // @effect/cli's wizard waits for a terminal's answers, and its commands are no easier than --help's examples
  if (scanned.wizard) {
    const error = new UsageError({
      field: "--wizard",
      message: `--wizard: not available; see ${["wa-session", ...scanned.path].join(" ")} --help for the options`
    })
    return yield* printed(describe(error), scanned.json)
  }
  if (Option.isSome(scanned.emptyValue)) {
    const field = scanned.emptyValue.value
    return yield* printed(describe(new UsageError({ field, message: `${field}: must not be empty` })), scanned.json)
  }
  // logs go to stderr, warnings and worse unless WA_SESSION_LOG_LEVEL (or --log-level) says otherwise; pretty for
  // people, or the server's lines when WA_SESSION_LOG_FORMAT asks for a format, so that both log alike
  const format = yield* Effect.either(Logging.logFormat)
  const level = yield* Effect.either(Logging.logLevelOr("warning"))
  if (Either.isLeft(format)) {
    return yield* printed(describe(logSettingError("WA_SESSION_LOG_FORMAT", format.left)), scanned.json)
  }
  if (Either.isLeft(level)) {
    return yield* printed(describe(logSettingError("WA_SESSION_LOG_LEVEL", level.left)), scanned.json)
  }
  // --log-level wins over the variable, wherever it is on the command line
  const chosen = Option.match(scanned.logLevel, {
    onNone: () => Either.right(level.right),
    onSome: logLevelOption
  })
  if (Either.isLeft(chosen)) return yield* printed(describe(chosen.left), scanned.json)
  const logs = { format: format.right, level: chosen.right }
  const logger = Option.isSome(yield* optional("WA_SESSION_LOG_FORMAT"))
    ? Logging.layer(logs, { output: "stderr" })
    : Logger.replace(
      Logger.defaultLogger,
      Logger.prettyLogger({ stderr: true, colors: !noColor && process.stderr.isTTY === true })
    ).pipe(Layer.provideMerge(Logger.minimumLogLevel(logs.level)))
  const exit = yield* Cli.run([...process.argv.slice(0, 2), ...scanned.rest]).pipe(
    Effect.provide(logger),
    Effect.withConsole(plain),
    Effect.exit
  )
  return yield* exitCode(exit, scanned)
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
