// The commands that need no store and no server: check, simulate.
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import { Console, type DateTime, Effect, Either, Schema } from "effect"
import { ContentRejected } from "../Errors.js"
import { Instant } from "../Input.js"
import * as Output from "../Output.js"
import { report, reportQuietly } from "../Report.js"
import type * as Simulate from "../Simulate.js"
import { contentSource, help, json, lazy, loadContent, readDocument } from "./Shared.js"

export const check = Command.make(
  "check",
  { content: contentSource, json },
  (config) =>
    Effect.gen(function*() {
      const input = yield* loadContent(config.content)
      const out = yield* Output.make(config.json)
      const MessageContent = yield* lazy(() => import("@wa-session/session-core/MessageContent"))
      const result = MessageContent.validate(input)
      if (Either.isRight(result)) {
        const content = result.right
        const kind = MessageContent.isTemplate(content)
          ? "a template: allowed at any time"
          : `${/^[aeiou]/.test(content.type) ? "an" : "a"} ${content.type} message: allowed inside the 24-hour ` +
            "window, else only a template"
        return yield* out.json
          ? Output.printJson({ valid: true, type: content.type, violations: [] })
          : Console.log(`${Output.paint(out, "green", "valid")}: ${kind}`)
      }
      const error = result.left
      const violations = error._tag === "InvalidMessage"
        ? error.violations.map((v) => ({
          path: v.path,
          message: v.message,
          ...(v.limit === undefined ? {} : { limit: v.limit }),
          ...(v.actual === undefined ? {} : { actual: v.actual })
        }))
        : [{ path: error.path, message: `type "${error.type}" is not supported`, actual: error.type }]
      if (out.json) {
        yield* Output.printJson({ valid: false, code: error.code, violations })
      } else {
        const rows = violations.map((v) => [
          Output.paint(out, "bold", v.path === "" ? "(content)" : v.path),
          v.message,
          v.limit === undefined ? "" : String(v.limit),
          "actual" in v && v.actual !== undefined ? String(v.actual) : ""
        ])
        yield* Console.log(Output.table(out, ["PATH", "PROBLEM", "LIMIT", "ACTUAL"], rows))
      }
      return yield* new ContentRejected({
        code: error.code,
        message: `${violations.length} violation${violations.length === 1 ? "" : "s"} of WhatsApp's rules`
      })
    }).pipe((effect) => reportQuietly(effect, config.json))
).pipe(
  Command.withDescription(help(
    "Validate a message offline against WhatsApp's rules and limits (lengths in code points, counts, URLs, " +
      "template parameters). Lists every violation with its path, the limit and the actual value.",
    "wa-session check --text \"Your order #12345 is out for delivery\"",
    "wa-session check --content-file interactive.json --json"
  ))
)

const instantOf = (iso: string): DateTime.Utc => Either.getOrThrow(Schema.decodeEither(Instant)(iso))

const simulateText = (out: Output.Output, steps: ReadonlyArray<Simulate.Step>): string => {
  const rows = steps.map((step) => {
    const atInstant = instantOf(step.at)
    return [
      String(step.index),
      Output.localTime(atInstant),
      step.kind,
      step.customer,
      Output.state(out, step.state),
      step.expiresAt === null ? "-" : Output.when(instantOf(step.expiresAt), atInstant),
      step.decision === null ? "" : Output.decision(out, step.decision),
      [step.reason, step.note].filter((part) => part !== null).join(": ")
    ]
  })
  return Output.table(out, ["#", "AT", "EVENT", "CUSTOMER", "WINDOW", "EXPIRES", "DECISION", "REASON"], rows)
}

export const simulate = Command.make(
  "simulate",
  {
    // read by readDocument, whose error names the file
    file: Args.file({ name: "FILE" }).pipe(
      Args.withDescription("The timeline: JSON, or YAML when it ends in .yaml/.yml")
    ),
    json
  },
  (config) =>
    Effect.gen(function*() {
      const Simulate = yield* lazy(() => import("../Simulate.js"))
      const input = yield* readDocument(config.file, config.file)
      const timeline = yield* Simulate.decode(input, config.file)
      const steps = yield* Simulate.run(timeline)
      const out = yield* Output.make(config.json)
      if (out.json) return yield* Output.printJson(Simulate.toJson(steps))
      yield* Console.log(simulateText(out, steps))
    }).pipe((effect) => report(effect, config.json))
).pipe(
  Command.withDescription(help(
    "Replay a timeline of inbound messages, sends and checks on a virtual clock and an in-memory store, through " +
      "the same rules as the server. Nothing is sent. Events run in file order, each at its `at`.",
    "wa-session simulate docs/scenarios/scenario-2-window-extends.json",
    "wa-session simulate timeline.yaml --json"
  ))
)
