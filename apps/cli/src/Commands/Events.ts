// The event log and its deliveries: events, deliveries, deliveries replay.
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import type * as Event from "@wa-session/session-core/Event"
import { Console, Duration, Effect, Either, Option } from "effect"
import { Backend } from "../Backend.js"
import { InvalidInput, UsageError } from "../Errors.js"
import * as Output from "../Output.js"
import {
  backendOptions,
  cursor,
  DELIVERY_STATES,
  endpoint,
  EVENT_TYPES,
  help,
  idText,
  idTexts,
  instant,
  lazy,
  limit,
  oneOf,
  text
} from "./Shared.js"
import { answer, onBackend, print, views } from "./Wiring.js"

/** `--type a,b`: each one an event type, in the server's words when not (`INVALID_REQUEST`, `path: type`). */
const eventTypes = (
  input: Option.Option<string>
): Effect.Effect<Option.Option<ReadonlyArray<Event.EventType>>, InvalidInput> =>
  Option.match(input, {
    onNone: () => Effect.succeed(Option.none()),
    onSome: (param) =>
      Effect.flatMap(lazy(() => import("@wa-session/session-core/Event")), (Event) =>
        Either.match(Event.parseTypes(param), {
          onLeft: (message) =>
            Effect.fail(new InvalidInput({ code: "INVALID_REQUEST", message, path: "type" })),
          onRight: (types) => Effect.succeed(Option.some(types))
        }))
  })

const POLL_EVERY = Duration.seconds(1)

export const events = Command.make(
  "events",
  {
    after: idText(
      "after",
      "ID",
      "Events after this one (the `Next: --after` of the previous page; default: the oldest kept)"
    ).pipe(Options.optional),
    type: text("type", "T,T", `Only these types, comma-separated: ${EVENT_TYPES.join(", ")}`).pipe(Options.optional),
    limit: limit(1000, 100, "events per page"),
    follow: Options.boolean("follow").pipe(
      Options.withDescription("Keep polling every second and print new events as they come, until Ctrl-C")
    ),
    ...backendOptions
  },
  (config) =>
    onBackend(
      config,
      Effect.gen(function*() {
        const types = yield* eventTypes(config.type)
        const backend = yield* Backend
        const Views = yield* views
        if (!config.follow) {
          const view = yield* backend.events({ after: config.after, types, limit: config.limit })
          return yield* print(config.json, view, {
            json: Views.eventsJson,
            text: (out, v) => Views.eventsText(out, v, Option.getOrNull(config.after))
          })
        }
        // --follow: page after page while pages are full, then once a second; one line per event (JSON lines with
        // --json)
        const out = yield* Output.make(config.json)
        if (!out.json) {
          yield* Console.log(Views.eventsHeader(out))
        }
        let after = config.after
        while (true) {
          const page = yield* backend.events({ after, types, limit: config.limit })
          for (const event of page.items) {
            yield* Console.log(out.json ? Views.eventLine(event) : Views.eventText(out, event))
          }
          if (page.last !== null) {
            after = Option.some(page.last)
          }
          if (page.items.length < config.limit) {
            yield* Effect.sleep(POLL_EVERY)
          }
        }
      })
    )
).pipe(
  Command.withDescription(help(
    "The event log, oldest first: customers' messages, delivery statuses, windows opening, about to close and " +
      "closing, and what the webhook could not use. Page with --after; --follow keeps printing new events.",
    "wa-session events --type message.received,window.expiring --limit 20",
    "wa-session events --after evt_0123456789abcdef0123456789abcdef --json",
    "wa-session events --follow --server http://127.0.0.1:8080"
  ))
)

export const replay = Command.make(
  "replay",
  {
    endpoint: endpoint("Only to this endpoint (default: every endpoint)"),
    since: instant("since", "The events recorded since this instant (ISO-8601 with offset)").pipe(Options.optional),
    eventIds: idTexts("event", "ID", "This event (repeatable)"),
    ...backendOptions
  },
  (config) =>
    answer(
      config,
      (backend) =>
        Option.isNone(config.since) && config.eventIds.length === 0
          ? Effect.fail(
            new UsageError({ field: "--since", message: "--since or --event: say which events to deliver again" })
          )
          : config.eventIds.length > 1000
          ? Effect.fail(new UsageError({ field: "--event", message: "--event: at most 1000 events at once" }))
          : backend.replay({
            endpoint: config.endpoint,
            since: config.since,
            eventIds: config.eventIds.length === 0 ? Option.none() : Option.some(config.eventIds)
          }),
      (Views) => ({ json: (n) => ({ replayed: n }), text: (_, n) => Views.replayText(n) })
    )
).pipe(
  Command.withDescription(help(
    "Deliver events again, with the same webhook-id (receivers deduplicate on it): the events recorded since an " +
      "instant and/or the given ones, to one endpoint or all. Delivered and failed (dead-letter) deliveries " +
      "become pending, and the server's relay sends them.",
    "wa-session deliveries replay --endpoint ep_0123 --since 2026-01-21T09:00:00+05:30",
    "wa-session deliveries replay --event evt_0123456789abcdef0123456789abcdef --json"
  ))
)

export const deliveries = Command.make(
  "deliveries",
  {
    state: oneOf("state", DELIVERY_STATES, "Only deliveries in this state (failed: the dead letters)").pipe(
      Options.optional
    ),
    endpoint: endpoint("Only the deliveries to this endpoint"),
    limit: limit(1000, 100, "deliveries"),
    cursor,
    ...backendOptions
  },
  (config) =>
    answer(
      config,
      (backend) =>
        backend.deliveries({
          state: config.state,
          endpoint: config.endpoint,
          limit: config.limit,
          cursor: config.cursor
        }),
      (Views) => ({
        json: Views.deliveriesJson,
        text: (out, v, now) =>
          Views.deliveriesText(out, v, now, `${Option.getOrElse(config.state, () => "")} deliveries`.trim())
      })
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
