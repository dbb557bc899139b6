import { Cause, Effect, Option, Schema } from "effect"
import { type CliError, ContentRejected, describeCause, type Failure, line } from "./Errors.js"
import * as Output from "./Output.js"

/**
 * The exit code a failure asked for and its one line for stderr (without `wa-session: `), which bin.ts prints: the
 * one place that writes failures to stderr. Its JSON, with --json, was printed on stdout already.
 */
export class Exit extends Schema.TaggedError<Exit>("@wa-session/cli/Exit")("Exit", {
  code: Schema.Number,
  line: Schema.String
}) {}

/** With `json` the failure's JSON on stdout; then the exit code and the line for stderr. */
const exit = (failure: Failure, json: boolean): Effect.Effect<never, Exit> =>
  Effect.zipRight(
    json ? Output.printJson(Output.failureJson(failure)) : Effect.void,
    Effect.fail(new Exit({ code: failure.exitCode, line: line(failure) }))
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
