import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as Span from "@effect/cli/HelpDoc/Span"
import * as FileSystem from "@effect/platform/FileSystem"
import type * as Terminal from "@effect/platform/Terminal"
// one module, not the package: the rest of session-core loads with the commands that use it
import * as Durations from "@wa-session/session-core/Durations"
import * as PhoneNumber from "@wa-session/session-core/PhoneNumber"
import type * as Delivery from "@wa-session/session-core/Delivery"
import type * as Event from "@wa-session/session-core/Event"
import {
  Config,
  Console,
  type DateTime,
  Duration,
  Effect,
  Either,
  Layer,
  Option,
  type Redacted,
  Schema
} from "effect"
import { Backend, type BackendShape } from "./Backend.js"
import { ContentRejected, describeCause, InvalidInput, line, UsageError } from "./Errors.js"
import { forOption, Instant, InstantFor, parseDocument } from "./Input.js"
import * as Output from "./Output.js"
import type * as Simulate from "./Simulate.js"
import type * as Views from "./Views.js"

// ---------------------------------------------------------------------------------------------------------------
// shared options

const phone = (name: string, description: string) =>
  Options.text(name).pipe(
    Options.withSchema(forOption(`--${name}`, PhoneNumber.FromString)),
    Options.withPseudoName("E164"),
    Options.withDescription(description)
  )

const business = phone("business", "The business number (E.164; + optional, spaces and dashes allowed)")
const customer = phone("customer", "The customer number (E.164; + optional, spaces and dashes allowed)")

const json = Options.boolean("json").pipe(Options.withDescription("Print JSON for machines instead of text"))

const at = Options.text("at").pipe(
  Options.withSchema(InstantFor("--at")),
  Options.withPseudoName("INSTANT"),
  Options.withDescription(
    "Evaluate at this instant instead of now (ISO-8601 with offset, e.g. 2026-01-21T09:00:00+05:30)"
  ),
  Options.optional
)

const limit = (max: number, fallback: number, what: string) =>
  Options.integer("limit").pipe(
    Options.withSchema(
      Schema.Int.pipe(Schema.between(1, max, { message: () => `--limit must be 1 to ${max}` }))
    ),
    Options.withPseudoName("N"),
    Options.withDescription(`At most N ${what} (1 to ${max}, default ${fallback})`),
    Options.withDefault(fallback)
  )

const cursor = Options.text("cursor").pipe(
  Options.withPseudoName("CURSOR"),
  Options.withDescription("The next page: the cursor printed after the previous one (nextCursor in JSON)"),
  Options.optional
)

const connection = {
  server: Options.text("server").pipe(
    Options.withPseudoName("URL"),
    Options.withDescription("Call a running wa-session server instead of the local store (e.g. http://127.0.0.1:8080)"),
    Options.optional
  ),
  token: Options.redacted("token").pipe(
    Options.withFallbackConfig(Config.redacted("WA_SESSION_API_TOKEN")),
    Options.withPseudoName("TOKEN"),
    Options.withDescription("The server's API token (default: WA_SESSION_API_TOKEN)"),
    Options.optional
  )
}

interface Connection {
  readonly server: Option.Option<string>
  readonly token: Option.Option<Redacted.Redacted<string>>
}

// loaded on first use, so --help and the offline commands never load the store, the drivers or the HTTP client
const lazy = <M>(load: () => Promise<M>) => Effect.promise(load)

const backendLayer = (connection: Connection, instant: Option.Option<DateTime.Utc>): Layer.Layer<Backend, unknown> =>
  Option.match(connection.server, {
    onNone: () =>
      Layer.unwrapEffect(
        Effect.map(lazy(() => import("./Local.js")), (Local) => Layer.merge(Local.layer, Local.clockLayer(instant)))
      ),
    onSome: (url) =>
      Layer.unwrapEffect(
        Effect.map(
          lazy(() => import("./Remote.js")),
          (Remote) => Remote.layer({ url, token: connection.token, at: instant })
        )
      )
  })

const help = (description: string, ...examples: ReadonlyArray<string>): HelpDoc.HelpDoc =>
  HelpDoc.blocks([
    HelpDoc.p(description),
    HelpDoc.p(Span.strong(examples.length > 1 ? "Examples:" : "Example:")),
    ...examples.map((example) => HelpDoc.p(Span.code(`  $ ${example}`)))
  ])

/** The exit code a failure asked for, after its message was printed. */
export class Exit extends Schema.TaggedError<Exit>("@wa-session/cli/Exit")("Exit", { code: Schema.Number }) {}

/** Prints a failure: one line on stderr, and with --json its JSON on stdout; then exits with its code. */
export const report = <A, E, R>(effect: Effect.Effect<A, E, R>, asJson: boolean): Effect.Effect<A, Exit, R> =>
  Effect.catchAllCause(effect, (cause) => {
    const failure = describeCause(cause)
    return Effect.zipRight(
      Effect.all([
        asJson ? Output.printJson(Output.failureJson(failure)) : Effect.void,
        Console.error(`wa-session: ${line(failure)}`)
      ]),
      Effect.fail(new Exit({ code: failure.exitCode }))
    )
  })

const withBackend = <Name extends string, E, R, A extends { readonly json: boolean } & Connection>(
  command: Command.Command<Name, R | Backend, E, A>,
  instant: (config: A) => Option.Option<DateTime.Utc> = () => Option.none()
) =>
  command.pipe(
    Command.provide((config) => backendLayer(config, instant(config))),
    Command.transformHandler((effect, config) => report(effect, config.json))
  )

const show = <V>(
  asJson: boolean,
  view: V,
  toJson: (view: V) => unknown,
  toText: (out: Output.Output, view: V, now: DateTime.Utc) => string
): Effect.Effect<void, never, Backend | Terminal.Terminal> =>
  Effect.gen(function*() {
    const out = yield* Output.make(asJson)
    if (out.json) return yield* Output.printJson(toJson(view))
    const now = yield* Effect.flatMap(Backend, (backend: BackendShape) => backend.now)
    yield* Console.log(toText(out, view, now))
  })

// ---------------------------------------------------------------------------------------------------------------
// content

const readDocument = (path: string, field: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(path).pipe(
      Effect.mapError((error) => new UsageError({ field, message: `${field} ${path}: ${error.message}` }))
    )
    return yield* parseDocument(text, path, field)
  })

const contentSource = Options.text("text").pipe(
  Options.withPseudoName("TEXT"),
  Options.withDescription("A text message body"),
  Options.orElseEither(
    Options.file("content-file", { exists: "yes" }).pipe(
      Options.withPseudoName("FILE"),
      Options.withDescription("A JSON (or YAML) file holding the WhatsApp message content, any type")
    )
  )
)

const loadContent = (source: Either.Either<string, string>) =>
  Either.match(source, {
    onLeft: (text) => Effect.succeed<unknown>({ type: "text", text: { body: text } }),
    onRight: (path) => readDocument(path, "--content-file")
  })

// ---------------------------------------------------------------------------------------------------------------
// send

const send = Command.make(
  "send",
  {
    from: phone("from", "The business number sending"),
    to: phone("to", "The customer number"),
    content: contentSource,
    fallbackTemplate: Options.text("fallback-template").pipe(
      Options.withPseudoName("NAME"),
      Options.withDescription("An approved template to send instead when the window is not open"),
      Options.optional
    ),
    language: Options.text("language").pipe(
      Options.withPseudoName("CODE"),
      Options.withDescription("The fallback template's language code (default en)"),
      Options.optional
    ),
    params: Options.text("param").pipe(
      Options.withPseudoName("VALUE"),
      Options.withDescription("A body parameter of the fallback template, in order (repeatable)"),
      Options.repeated
    ),
    idempotencyKey: Options.text("idempotency-key").pipe(
      Options.withPseudoName("KEY"),
      Options.withDescription(
        "Sending the same message again with the same key returns the first result and sends nothing; " +
          "another message with a used key fails (IDEMPOTENCY_KEY_REUSED)"
      ),
      Options.optional
    ),
    dryRun: Options.boolean("dry-run").pipe(Options.withDescription("Decide and record, send nothing")),
    json,
    ...connection
  },
  (config) =>
    Effect.gen(function*() {
      const content = yield* loadContent(config.content)
      const fallback = yield* fallbackTemplate(config.fallbackTemplate, config.language, config.params)
      const backend = yield* Backend
      const view = yield* backend.send({
        from: config.from,
        to: config.to,
        content,
        fallback,
        idempotencyKey: config.idempotencyKey,
        dryRun: config.dryRun
      })
      yield* show(config.json, view, Output.sendJson, (out, v, now) => Output.sendText(out, v, now, config.dryRun))
    })
).pipe(
  Command.withDescription(help(
    "Decide how a message may go (session message, fallback template, or refusal) from the 24-hour window, then " +
      "send it through Exotel. Prints the decision, its reason, the window and the provider's message id.",
    "wa-session send --from +919876500001 --to +919876543210 --text \"Your order is out for delivery\" " +
      "--fallback-template follow_up --language en --param \"Your order is out for delivery\"",
    "wa-session send --from +919876500001 --to +919876543210 --content-file image.json --dry-run --json"
  )),
  withBackend
)

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

// ---------------------------------------------------------------------------------------------------------------
// status, explain, expiring, inbound

const pairOf = (config: { readonly business: PhoneNumber.PhoneNumber; readonly customer: PhoneNumber.PhoneNumber }) =>
  ({ business: config.business, customer: config.customer }) as PhoneNumber.Pair

const status = Command.make(
  "status",
  { business, customer, at, json, ...connection },
  (config) =>
    Effect.flatMap(Backend, (backend) => backend.status(pairOf(config))).pipe(
      Effect.flatMap((view) => show(config.json, view, Output.windowJson, Output.windowText))
    )
).pipe(
  Command.withDescription(help(
    "The 24-hour window of a (business, customer) pair: open, expired or none, when it closes and the time left " +
      "for session messages.",
    "wa-session status --business +919876500001 --customer +919876543210",
    "wa-session status --business +919876500001 --customer +919876543210 --at 2026-01-21T09:00:00+05:30 --json"
  )),
  (command) => withBackend(command, (config) => config.at)
)

const explain = Command.make(
  "explain",
  { business, customer, at, json, ...connection },
  (config) =>
    Effect.flatMap(Backend, (backend) => backend.explain(pairOf(config))).pipe(
      Effect.flatMap((view) => show(config.json, view, Output.explainJson, Output.explainText))
    )
).pipe(
  Command.withDescription(help(
    "Why the window is what it is: the customer message it counts from, when the customer sent it and when it " +
      "reached us, the safety margin, and any closure reported by the provider.",
    "wa-session explain --business +919876500001 --customer +919876543210"
  )),
  (command) => withBackend(command, (config) => config.at)
)

const expiring = Command.make(
  "expiring",
  {
    within: Options.text("within").pipe(
      Options.withSchema(forOption("--within", Durations.FromString)),
      Options.withPseudoName("DURATION"),
      Options.withDescription("How soon: 2h, 90m, 1h30m, \"2 hours\" (default 24h: every open window)"),
      Options.withDefault(Duration.hours(24))
    ),
    business: business.pipe(Options.withDescription("Only this business number"), Options.optional),
    limit: limit(1000, 100, "windows"),
    cursor,
    at,
    json,
    ...connection
  },
  (config) =>
    Effect.flatMap(Backend, (backend) =>
      backend.expiring({
        within: config.within,
        business: config.business,
        limit: config.limit,
        cursor: config.cursor
      })).pipe(
        Effect.flatMap((view) =>
          show(config.json, view, Output.expiringJson, (out, v, now) => Output.expiringText(out, v, now, config.within))
        )
      )
).pipe(
  Command.withDescription(help(
    "Open windows that close soon, soonest first: the follow-ups to plan before only a template can reach the " +
      "customer.",
    "wa-session expiring --within 2h",
    "wa-session expiring --within 30m --business +919876500001 --limit 20 --json"
  )),
  (command) => withBackend(command, (config) => config.at)
)

const inbound = Command.make(
  "inbound",
  {
    business,
    customer,
    at: Options.text("at").pipe(
      Options.withSchema(InstantFor("--at")),
      Options.withPseudoName("INSTANT"),
      Options.withDescription("When the customer sent it (default now; ISO-8601 with offset)"),
      Options.optional
    ),
    messageId: Options.text("message-id").pipe(
      Options.withPseudoName("ID"),
      Options.withDescription("The provider's message id: the same id twice is recorded once (default: generated)"),
      Options.optional
    ),
    json,
    ...connection
  },
  (config) =>
    Effect.flatMap(Backend, (backend) =>
      backend.inbound({
        business: config.business,
        customer: config.customer,
        messageId: config.messageId,
        sentAt: config.at
      })).pipe(Effect.flatMap((view) => show(config.json, view, Output.inboundJson, Output.inboundText)))
).pipe(
  Command.withDescription(help(
    "Record a customer's message by hand, as the webhook would: for imports and backfill after a webhook outage. " +
      "The window counts from --at.",
    "wa-session inbound --business +919876500001 --customer +919876543210 --at 2026-01-20T10:00:00+05:30 " +
      "--message-id wamid.HBgM"
  )),
  withBackend
)

// ---------------------------------------------------------------------------------------------------------------
// history, events, deliveries, quarantine, endpoints

/**
 * Every value of a literal type, listed here so that the start path does not load the core's schemas; the compiler
 * says which value the list misses.
 */
const everyOf = <T extends string>() =>
<const L extends ReadonlyArray<T>>(
  values: L & ([Exclude<T, L[number]>] extends [never] ? unknown : { readonly missing: Exclude<T, L[number]> })
): L => values

const EVENT_TYPES = everyOf<Event.EventType>()([
  "message.received",
  "message.status",
  "window.opened",
  "window.expiring",
  "window.closed",
  "webhook.quarantined"
])
const DELIVERY_STATES = everyOf<Delivery.DeliveryState>()(["pending", "delivered", "failed"])
const QUARANTINE_STATES = ["quarantined", "resolved"] as const

const views = lazy(() => import("./Views.js"))

/**
 * For a command with subcommands: its backend is provided inside its own handler, because what a command's
 * transform adds also wraps its subcommands (which choose their own backend).
 */
const onBackend = <A, E, R>(
  config: { readonly json: boolean } & Connection,
  effect: Effect.Effect<A, E, R | Backend>
) => report(Effect.provide(effect, backendLayer(config, Option.none())), config.json)

/** Prints a view of Views.ts: JSON, or text (given "now" for relative times). */
const showView = <V>(
  asJson: boolean,
  view: V,
  toJson: (views: typeof Views, view: V) => unknown,
  toText: (views: typeof Views, out: Output.Output, view: V, now: DateTime.Utc) => string
): Effect.Effect<void, never, Backend | Terminal.Terminal> =>
  Effect.flatMap(views, (Views) => show(asJson, view, (v) => toJson(Views, v), (out, v, now) => toText(Views, out, v, now)))

const history = Command.make(
  "history",
  { business, customer, limit: limit(200, 50, "messages"), cursor, json, ...connection },
  (config) =>
    Effect.flatMap(Backend, (backend) =>
      backend.history({ pair: pairOf(config), limit: config.limit, cursor: config.cursor })).pipe(
        Effect.flatMap((view) =>
          showView(
            config.json,
            view,
            (Views, v) => Views.historyJson(v),
            (Views, out, v) => Views.historyText(out, v, config)
          )
        )
      )
).pipe(
  Command.withDescription(help(
    "A pair's messages, newest first: the customer's (←, with what they sent) and ours (→, with their delivery " +
      "status). Text is cut to one short line; --json has every field.",
    "wa-session history --business +919876500001 --customer +919876543210",
    "wa-session history --business +919876500001 --customer +919876543210 --limit 20 --cursor CURSOR --json"
  )),
  withBackend
)

/** `--type a,b`: each one an event type, in the server's words when not (`INVALID_REQUEST`, `path: type`). */
const eventTypes = (input: Option.Option<string>): Effect.Effect<Option.Option<ReadonlyArray<Event.EventType>>, InvalidInput> =>
  Option.match(input, {
    onNone: () => Effect.succeed(Option.none()),
    onSome: (param) =>
      Effect.flatMap(lazy(() => import("@wa-session/session-core/Event")), (Event) =>
        Either.match(Event.parseTypes(param), {
          onLeft: (message) => Effect.fail(new InvalidInput({ code: "INVALID_REQUEST", message, path: "type" })),
          onRight: (types) => Effect.succeed(Option.some(types))
        }))
  })

const POLL_EVERY = Duration.seconds(1)

const events = Command.make(
  "events",
  {
    after: Options.text("after").pipe(
      Options.withPseudoName("ID"),
      Options.withDescription("Events after this one (the `Next: --after` of the previous page; default: the oldest kept)"),
      Options.optional
    ),
    type: Options.text("type").pipe(
      Options.withPseudoName("T,T"),
      Options.withDescription(`Only these types, comma-separated: ${EVENT_TYPES.join(", ")}`),
      Options.optional
    ),
    limit: limit(1000, 100, "events per page"),
    follow: Options.boolean("follow").pipe(
      Options.withDescription("Keep polling every second and print new events as they come, until Ctrl-C")
    ),
    json,
    ...connection
  },
  (config) =>
    Effect.gen(function*() {
      const types = yield* eventTypes(config.type)
      const backend = yield* Backend
      const Views = yield* views
      if (!config.follow) {
        const view = yield* backend.events({ after: config.after, types, limit: config.limit })
        return yield* show(config.json, view, Views.eventsJson, (out, v) =>
          Views.eventsText(out, v, Option.getOrNull(config.after)))
      }
      // --follow: page after page while pages are full, then once a second; one line per event (JSON lines with --json)
      const out = yield* Output.make(config.json)
      if (!out.json) yield* Console.log(Views.eventsHeader(out))
      let after = config.after
      while (true) {
        const page = yield* backend.events({ after, types, limit: config.limit })
        for (const event of page.items) {
          yield* Console.log(out.json ? Views.eventLine(event) : Views.eventText(out, event))
        }
        if (page.last !== null) after = Option.some(page.last)
        if (page.items.length < config.limit) yield* Effect.sleep(POLL_EVERY)
      }
    })
).pipe(
  Command.withDescription(help(
    "The event log, oldest first: customers' messages, delivery statuses, windows opening, about to close and " +
      "closing, and what the webhook could not use. Page with --after; --follow keeps printing new events.",
    "wa-session events --type message.received,window.expiring --limit 20",
    "wa-session events --after evt_0123456789abcdef0123456789abcdef --json",
    "wa-session events --follow --server http://127.0.0.1:8080"
  )),
  withBackend
)

const endpointOption = (description: string) =>
  Options.text("endpoint").pipe(Options.withPseudoName("ID"), Options.withDescription(description), Options.optional)

const replay = Command.make(
  "replay",
  {
    endpoint: endpointOption("Only to this endpoint (default: every endpoint)"),
    since: Options.text("since").pipe(
      Options.withSchema(InstantFor("--since")),
      Options.withPseudoName("INSTANT"),
      Options.withDescription("The events recorded since this instant (ISO-8601 with offset)"),
      Options.optional
    ),
    eventIds: Options.text("event").pipe(
      Options.withPseudoName("ID"),
      Options.withDescription("This event (repeatable)"),
      Options.repeated
    ),
    json,
    ...connection
  },
  (config) =>
    Effect.gen(function*() {
      if (Option.isNone(config.since) && config.eventIds.length === 0) {
        return yield* new UsageError({
          field: "--since",
          message: "--since or --event: say which events to deliver again"
        })
      }
      if (config.eventIds.length > 1000) {
        return yield* new UsageError({ field: "--event", message: "--event: at most 1000 events at once" })
      }
      const backend = yield* Backend
      const replayed = yield* backend.replay({
        endpoint: config.endpoint,
        since: config.since,
        eventIds: config.eventIds.length === 0 ? Option.none() : Option.some(config.eventIds)
      })
      yield* showView(config.json, replayed, (_, n) => ({ replayed: n }), (Views, _, n) => Views.replayText(n))
    })
).pipe(
  Command.withDescription(help(
    "Deliver events again, with the same webhook-id (receivers deduplicate on it): the events recorded since an " +
      "instant and/or the given ones, to one endpoint or all. Delivered and failed (dead-letter) deliveries " +
      "become pending, and the server's relay sends them.",
    "wa-session deliveries replay --endpoint ep_0123 --since 2026-01-21T09:00:00+05:30",
    "wa-session deliveries replay --event evt_0123456789abcdef0123456789abcdef --json"
  )),
  withBackend
)

const deliveries = Command.make(
  "deliveries",
  {
    state: Options.choice("state", DELIVERY_STATES).pipe(
      Options.withDescription("Only deliveries in this state (failed: the dead letters)"),
      Options.optional
    ),
    endpoint: endpointOption("Only the deliveries to this endpoint"),
    limit: limit(1000, 100, "deliveries"),
    cursor,
    json,
    ...connection
  },
  (config) =>
    onBackend(
      config,
      Effect.flatMap(Backend, (backend) =>
        backend.deliveries({
          state: config.state,
          endpoint: config.endpoint,
          limit: config.limit,
          cursor: config.cursor
        })).pipe(
          Effect.flatMap((view) =>
            showView(
              config.json,
              view,
              (Views, v) => Views.deliveriesJson(v),
              (Views, out, v, now) =>
                Views.deliveriesText(out, v, now, `${Option.getOrElse(config.state, () => "")} deliveries`.trim())
            )
          )
        )
    )
).pipe(
  Command.withDescription(help(
    "The deliveries of events to the endpoints, newest event first: their state (pending, delivered, failed: the " +
      "dead letters), attempts, next attempt and last result. `deliveries replay` sends events again.",
    "wa-session deliveries --state failed",
    "wa-session deliveries --endpoint ep_0123 --limit 20 --json"
  )),
  Command.withSubcommands([replay])
)

const retry = Command.make(
  "retry",
  {
    id: Args.text({ name: "ID" }).pipe(Args.withDescription("The quarantine entry (q_…)")),
    json,
    ...connection
  },
  (config) =>
    Effect.flatMap(Backend, (backend) => backend.retryQuarantined(config.id)).pipe(
      Effect.flatMap((view) =>
        showView(config.json, view, (Views, v) => Views.retryJson(v), (Views, out, v, now) => Views.retryText(out, v, now))
      )
    )
).pipe(
  Command.withDescription(help(
    "Decode a quarantine entry again with today's decoder: when it decodes now, its items are recorded as the " +
      "webhook's would have been and the entry is resolved; else it stays, with the new reason.",
    "wa-session quarantine retry q_0123456789abcdef0123456789abcdef"
  )),
  withBackend
)

const quarantine = Command.make(
  "quarantine",
  {
    state: Options.choice("state", QUARANTINE_STATES).pipe(
      Options.withDescription("Only entries in this state"),
      Options.optional
    ),
    limit: limit(1000, 100, "entries"),
    cursor,
    json,
    ...connection
  },
  (config) =>
    onBackend(
      config,
      Effect.flatMap(Backend, (backend) =>
        backend.quarantine({ state: config.state, limit: config.limit, cursor: config.cursor })).pipe(
          Effect.flatMap((view) =>
            showView(
              config.json,
              view,
              (Views, v) => Views.quarantineJson(v),
              (Views, out, v) =>
                Views.quarantineText(
                  out,
                  v,
                  Option.match(config.state, {
                    onNone: () => "quarantine entries",
                    onSome: (state) => `${state} entries`
                  })
                )
            )
          )
        )
    )
).pipe(
  Command.withDescription(help(
    "What the webhook could not use, kept: items and bodies that did not decode, and delivery reports about " +
      "messages wa-session does not know; newest first. The raw text is cut to 80 characters (--json has it " +
      "whole). `quarantine retry ID` tries an entry again.",
    "wa-session quarantine --state quarantined",
    "wa-session quarantine --limit 20 --json"
  )),
  Command.withSubcommands([retry])
)

const addEndpoint = Command.make(
  "add",
  {
    url: Args.text({ name: "URL" }).pipe(Args.withDescription("Where to POST events (http or https)")),
    events: Options.text("event").pipe(
      Options.withPseudoName("TYPE"),
      Options.withDescription(`Only this event type (repeatable; default all): ${EVENT_TYPES.join(", ")}`),
      Options.repeated
    ),
    secret: Options.redacted("secret").pipe(
      Options.withPseudoName("whsec_…"),
      Options.withDescription("The signing secret (default: a new one, printed once)"),
      Options.optional
    ),
    json,
    ...connection
  },
  (config) =>
    Effect.flatMap(Backend, (backend) =>
      backend.addEndpoint({
        url: config.url,
        events: config.events.length === 0 ? Option.none() : Option.some(config.events),
        secret: config.secret
      })).pipe(
        Effect.flatMap((view) =>
          showView(
            config.json,
            view,
            (Views, v) => Views.addedJson(v),
            (Views, out, v) => Views.addedText(out, v)
          )
        )
      )
).pipe(
  Command.withDescription(help(
    "Deliver events to a URL, signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature). " +
      "It gets the events recorded from now on. The signing secret is printed this once: store it.",
    "wa-session endpoints add https://example.com/wa-events --event message.received --event window.expiring"
  )),
  withBackend
)

const deleteEndpoint = Command.make(
  "delete",
  {
    id: Args.text({ name: "ID" }).pipe(Args.withDescription("The endpoint (ep_…)")),
    json,
    ...connection
  },
  (config) =>
    Effect.flatMap(Backend, (backend) => backend.deleteEndpoint(config.id)).pipe(
      Effect.zipRight(
        showView(config.json, config.id, (_, id) => ({ id, deleted: true }), (Views, _, id) => Views.deletedText(id))
      )
    )
).pipe(
  Command.withDescription(help(
    "Stop delivering to an endpoint; its pending deliveries fail. The endpoint of WA_SESSION_EVENTS_URL is " +
      "changed through that setting instead (ENDPOINT_CONFIGURED, exit 1).",
    "wa-session endpoints delete ep_0123456789abcdef0123456789abcdef"
  )),
  withBackend
)

const endpoints = Command.make(
  "endpoints",
  { json, ...connection },
  (config) =>
    onBackend(
      config,
      Effect.flatMap(Backend, (backend) => backend.endpoints).pipe(
        Effect.flatMap((view) =>
          showView(config.json, view, (Views, v) => Views.endpointsJson(v), (Views, out, v) => Views.endpointsText(out, v))
        )
      )
    )
).pipe(
  Command.withDescription(help(
    "The endpoints events are delivered to: URL, event types, state (disabled after a 410 Gone). Their secrets " +
      "are never shown. `endpoints add URL` and `endpoints delete ID` change them.",
    "wa-session endpoints",
    "wa-session endpoints add https://example.com/wa-events",
    "wa-session endpoints delete ep_0123456789abcdef0123456789abcdef"
  )),
  Command.withSubcommands([addEndpoint, deleteEndpoint])
)

// ---------------------------------------------------------------------------------------------------------------
// check, simulate (offline)

const check = Command.make(
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
          : `a ${content.type} message: allowed inside the 24-hour window, else only a template`
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

/** Like report, but the findings were already printed: only the stderr line. */
const reportQuietly = <A, E, R>(effect: Effect.Effect<A, E, R>, asJson: boolean) =>
  Effect.catchAllCause(effect, (cause) => {
    const failure = describeCause(cause)
    const printed = failure.code === "INVALID_MESSAGE" || failure.code === "MESSAGE_TYPE_NOT_SUPPORTED"
    return Effect.zipRight(
      Effect.all([
        asJson && !printed ? Output.printJson(Output.failureJson(failure)) : Effect.void,
        Console.error(`wa-session: ${line(failure)}`)
      ]),
      Effect.fail(new Exit({ code: failure.exitCode }))
    )
  })

const simulate = Command.make(
  "simulate",
  {
    file: Args.file({ name: "FILE", exists: "yes" }).pipe(
      Args.withDescription("The timeline: JSON, or YAML when it ends in .yaml/.yml")
    ),
    json
  },
  (config) =>
    Effect.gen(function*() {
      const Simulate = yield* lazy(() => import("./Simulate.js"))
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

const instantOf = (iso: string): DateTime.Utc =>
  Either.getOrThrow(Schema.decodeEither(Instant)(iso))

// ---------------------------------------------------------------------------------------------------------------
// serve

/**
 * `serve` ends the command line and asks bin.ts to hand the process over to the server program (the same one
 * `pnpm start` runs), so the server's code never loads for the other commands.
 */
export class ServeRequested extends Schema.TaggedError<ServeRequested>("@wa-session/cli/ServeRequested")(
  "ServeRequested",
  {}
) {}

const serve = Command.make("serve", {}, () => new ServeRequested()).pipe(
  Command.withDescription(help(
    "Run the HTTP server (the same as pnpm start): Exotel webhooks in, sends and window queries out. Settings " +
      "come from the environment: PORT, HOST, WA_SESSION_DATABASE_URL, WA_SESSION_API_TOKEN, EXOTEL_*. Exit code " +
      "2 for a setting to fix, 3 when the store or the port fails.",
    "PORT=8080 wa-session serve"
  ))
)

const webhookUrl = Command.make("webhook-url", {}, () =>
  Effect.gen(function*() {
    const Settings = yield* lazy(() => import("@wa-session/server/config"))
    const settings = yield* Settings.load
    yield* Console.log(Settings.webhookUrl(settings, Settings.localBase(settings)))
  })).pipe(
    Command.withDescription(help(
      "Print the webhook URL whole, secret included (the server's banner masks it): the URL to give Exotel as the " +
        "account's default URL. Read from the same settings as serve (WA_SESSION_PUBLIC_URL, else HOST and PORT; " +
        "WA_SESSION_WEBHOOK_SECRET, else the secret file in the data directory, created when missing).",
      "wa-session webhook-url"
    ))
  )

// ---------------------------------------------------------------------------------------------------------------
// the tree

export const command =
  Command.make("wa-session").pipe(
    Command.withDescription(
      "Keep WhatsApp Business messaging on Exotel inside the 24-hour customer-service window. Run a command with " +
        "--help for its options and an example."
    ),
    Command.withSubcommands([
      serve,
      webhookUrl,
      send,
      status,
      expiring,
      explain,
      check,
      inbound,
      history,
      events,
      deliveries,
      quarantine,
      endpoints,
      simulate
    ])
  )

export const run = Command.run(command, { name: "wa-session", version: "0.1.0" })
