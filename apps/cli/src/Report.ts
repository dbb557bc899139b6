import { Cause, Console, Effect, Option, Schema } from "effect"
import { type CliError, ContentRejected, describeCause, type Failure, line } from "./Errors.js"
import * as Output from "./Output.js"

/** The exit code a failure asked for, after its message was printed. */
export class Exit extends Schema.TaggedError<Exit>("@wa-session/cli/Exit")("Exit", { code: Schema.Number }) {}

/** One line on stderr, and with `json` the failure's JSON on stdout; then the exit code. */
const exit = (failure: Failure, json: boolean): Effect.Effect<never, Exit> =>
  Effect.zipRight(
    Effect.all([
      json ? Output.printJson(Output.failureJson(failure)) : Effect.void,
      Console.error(`wa-session: ${line(failure)}`)
    ]),
    Effect.fail(new Exit({ code: failure.exitCode }))
  )

/**
 * Prints a failure: one line on stderr, and with --json its JSON on stdout; then exits with its code. Only the
 * failures the edge describes may reach it.
 */
export const report = <A, E extends CliError, R>(
  effect: Effect.Effect<A, E, R>,
  asJson: boolean
): Effect.Effect<A, Exit, R> => Effect.catchAllCause(effect, (cause) => exit(describeCause(cause), asJson))

/** Like report, but the findings of a rejected content were already printed: only the stderr line. */
export const reportQuietly = <A, E extends CliError, R>(
  effect: Effect.Effect<A, E, R>,
  asJson: boolean
): Effect.Effect<A, Exit, R> =>
  Effect.catchAllCause(effect, (cause) => {
    const printed = Option.exists(Cause.failureOption(cause), (error: CliError) => error instanceof ContentRejected)
    return exit(describeCause(cause), asJson && !printed)
  })
