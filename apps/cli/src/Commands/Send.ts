// `send`: decide from the window and send through Exotel.
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Durations from "@wa-session/session-core/Durations"
import { type Duration, Effect, Option } from "effect"
import { Backend } from "../Backend.js"
import { UsageError } from "../Errors.js"
import { readOption } from "../Input.js"
import * as Output from "../Output.js"
import {
  anyNumberOf,
  backendOptions,
  contentSource,
  help,
  idText,
  loadContent,
  MAX_ID_LENGTH,
  pairOf,
  parsed,
  phone,
  text
} from "./Shared.js"
import { onBackend, print } from "./Wiring.js"

/** The content of `--fallback-template` and its `--language` and `--param`s (undefined without one). */
const fallbackTemplate = (
  name: Option.Option<string>,
  language: Option.Option<string>,
  params: ReadonlyArray<string>
): Effect.Effect<unknown, UsageError> =>
  Option.match(name, {
    onNone: () =>
      Option.isSome(language) || params.length > 0
        ? Effect.fail(
          new UsageError({
            field: "--fallback-template",
            message: "--language and --param describe the fallback template: give --fallback-template NAME too"
          })
        )
        : Effect.succeed(undefined),
    onSome: (name) =>
      Effect.succeed({
        type: "template",
        template: {
          name,
          language: { code: Option.getOrElse(language, () => "en") },
          ...(params.length === 0
            ? {}
            : { components: [{ type: "body", parameters: params.map((text) => ({ type: "text", text })) }] })
        }
      })
  })

/** `--park` and its `--ttl` (refused without `--park`). */
const parking = (
  park: boolean,
  ttl: Option.Option<Duration.Duration>
): Effect.Effect<Option.Option<{ readonly ttl: Option.Option<Duration.Duration> }>, UsageError> =>
  park
    ? Effect.succeed(Option.some({ ttl }))
    : Option.isSome(ttl)
    ? Effect.fail(
      new UsageError({
        field: "--ttl",
        message: "--ttl: how long a parked message waits: give --park too"
      })
    )
    : Effect.succeed(Option.none())

export const send = Command.make(
  "send",
  {
    from: phone("from", "The business number sending"),
    to: phone("to", "The customer number"),
    content: contentSource,
    fallbackTemplate: text(
      "fallback-template",
      "NAME",
      "An approved template to send instead when the window is not open"
    ).pipe(Options.optional),
    language: text("language", "CODE", "The fallback template's language code (default en)").pipe(Options.optional),
    params: text("param", "VALUE", "A body parameter of the fallback template, in order (repeatable)").pipe(
      anyNumberOf
    ),
    idempotencyKey: idText(
      "idempotency-key",
      "KEY",
      "Sending the same message again with the same key returns the first result and sends nothing; " +
        "another message with a used key fails (IDEMPOTENCY_KEY_REUSED)",
      MAX_ID_LENGTH
    ).pipe(Options.optional),
    dryRun: Options.boolean("dry-run").pipe(Options.withDescription("Decide and record, send nothing")),
    park: Options.boolean("park").pipe(
      Options.withDescription(
        "When the window is not open, park the message until the customer writes again (then it goes as a session " +
          "message); the fallback template goes now to bring them back, at most once a day per customer"
      )
    ),
    ttl: Options.text("ttl").pipe(
      parsed(readOption("--ttl", Durations.FromString)),
      Options.withPseudoName("DURATION"),
      Options.withDescription(
        "With --park: how long the message waits before it expires unsent (default 7 days, at " +
          "most 30 days; e.g. 2d, 12h, \"3 days\")"
      ),
      Options.optional
    ),
    ...backendOptions
  },
  (config) =>
    onBackend(
      config,
      Effect.gen(function*() {
        const content = yield* loadContent(config.content)
        const fallback = yield* fallbackTemplate(config.fallbackTemplate, config.language, config.params)
        const park = yield* parking(config.park, config.ttl)
        const backend = yield* Backend
        const view = yield* backend.send({
          from: config.from,
          to: config.to,
          content,
          fallback,
          idempotencyKey: config.idempotencyKey,
          dryRun: config.dryRun,
          park
        })
        // for people: when session messages stop, which the answer does not say when a safety margin applies
        const window = view.window.state === "open" && !config.json
          ? yield* Effect.option(backend.status(pairOf({ business: config.from, customer: config.to })))
          : Option.none()
        yield* print(config.json, view, {
          json: Output.sendJson,
          text: (out, v, now) => Output.sendText(out, v, now, config.dryRun, window)
        })
      }),
      { creates: true }
    )
).pipe(
  Command.withDescription(help(
    "Decide how a message may go (session message, fallback template, or refusal) from the 24-hour window, then " +
      "send it through Exotel. With --park, a session message for a closed window waits for the customer's next " +
      "message instead (the fallback template goes once to bring them back). Prints the decision, its reason, the " +
      "window and the provider's message id.",
    "wa-session send --from +919876500001 --to +919876543210 --text \"Your order is out for delivery\" " +
      "--fallback-template follow_up --language en --param \"Your order is out for delivery\"",
    "wa-session send --from +919876500001 --to +919876543210 --text \"Your refund is on its way\" --park " +
      "--ttl 3d --fallback-template follow_up",
    "wa-session send --from +919876500001 --to +919876543210 --content-file image.json --dry-run --json"
  ))
)
