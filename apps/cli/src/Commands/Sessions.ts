// The commands about one conversation or its windows: status, explain, expiring, inbound, history.
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Durations from "@wa-session/session-core/Durations"
import { Duration, Effect } from "effect"
import { Backend } from "../Backend.js"
import { readOption } from "../Input.js"
import * as Output from "../Output.js"
import {
  at,
  business,
  connection,
  cursor,
  customer,
  help,
  instant,
  json,
  limit,
  pairOf,
  parsed,
  phone
} from "./Shared.js"
import { onBackend, show, showView } from "./Wiring.js"

export const status = Command.make(
  "status",
  { business, customer, at, json, ...connection },
  (config) =>
    onBackend(
      config,
      Effect.flatMap(Backend, (backend) => backend.status(pairOf(config))).pipe(
        Effect.flatMap((view) => show(config.json, view, Output.windowJson, Output.windowText))
      ),
      { at: config.at }
    )
).pipe(
  Command.withDescription(help(
    "The 24-hour window of a (business, customer) pair: open, expired or none, when it closes and the time left " +
      "for session messages.",
    "wa-session status --business +919876500001 --customer +919876543210",
    "wa-session status --business +919876500001 --customer +919876543210 --at 2026-01-21T09:00:00+05:30 --json"
  ))
)

export const explain = Command.make(
  "explain",
  { business, customer, at, json, ...connection },
  (config) =>
    onBackend(
      config,
      Effect.flatMap(Backend, (backend) => backend.explain(pairOf(config))).pipe(
        Effect.flatMap((view) => show(config.json, view, Output.explainJson, Output.explainText))
      ),
      { at: config.at }
    )
).pipe(
  Command.withDescription(help(
    "Why the window is what it is: the customer message it counts from, when the customer sent it and when it " +
      "reached us, the safety margin, and any closure reported by the provider.",
    "wa-session explain --business +919876500001 --customer +919876543210"
  ))
)

export const expiring = Command.make(
  "expiring",
  {
    within: Options.text("within").pipe(
      parsed(readOption("--within", Durations.FromString)),
      Options.withPseudoName("DURATION"),
      Options.withDescription("How soon: 2h, 90m, 1h30m, \"2 hours\" (default 24h: every open window)"),
      Options.withDefault(Duration.hours(24))
    ),
    business: phone("business", "Only this business number (E.164)").pipe(Options.optional),
    limit: limit(1000, 100, "windows"),
    cursor,
    at,
    json,
    ...connection
  },
  (config) =>
    onBackend(
      config,
      Effect.flatMap(Backend, (backend) =>
        backend.expiring({
          within: config.within,
          business: config.business,
          limit: config.limit,
          cursor: config.cursor
        })).pipe(
          Effect.flatMap((view) =>
            show(
              config.json,
              view,
              Output.expiringJson,
              (out, v, now) => Output.expiringText(out, v, now, config.within)
            )
          )
        ),
      { at: config.at }
    )
).pipe(
  Command.withDescription(help(
    "Open windows that close soon, soonest first: the follow-ups to plan before only a template can reach the " +
      "customer.",
    "wa-session expiring --within 2h",
    "wa-session expiring --within 30m --business +919876500001 --limit 20 --json"
  ))
)

export const inbound = Command.make(
  "inbound",
  {
    business,
    customer,
    at: instant("at", "When the customer sent it (default now; ISO-8601 with offset)").pipe(Options.optional),
    messageId: Options.text("message-id").pipe(
      Options.withPseudoName("ID"),
      Options.withDescription("The provider's message id: the same id twice is recorded once (default: generated)"),
      Options.optional
    ),
    json,
    ...connection
  },
  (config) =>
    onBackend(
      config,
      Effect.flatMap(Backend, (backend) =>
        backend.inbound({
          business: config.business,
          customer: config.customer,
          messageId: config.messageId,
          sentAt: config.at
        })).pipe(Effect.flatMap((view) => show(config.json, view, Output.inboundJson, Output.inboundText))),
      { creates: true }
    )
).pipe(
  Command.withDescription(help(
    "Record a customer's message by hand, as the webhook would: for imports and backfill after a webhook outage. " +
      "The window counts from --at.",
    "wa-session inbound --business +919876500001 --customer +919876543210 --at 2026-01-20T10:00:00+05:30 " +
      "--message-id wamid.HBgM"
  ))
)

export const history = Command.make(
  "history",
  { business, customer, limit: limit(200, 50, "messages"), cursor, json, ...connection },
  (config) =>
    onBackend(
      config,
      Effect.flatMap(Backend, (backend) =>
        backend.history({ pair: pairOf(config), limit: config.limit, cursor: config.cursor })).pipe(
          Effect.flatMap((view) =>
            showView(
              config.json,
              view,
              (Views, v) =>
                Views.historyJson(v),
              (Views, out, v) => Views.historyText(out, v, config)
            )
          )
        )
    )
).pipe(
  Command.withDescription(help(
    "A pair's messages, newest first: the customer's (←, with what they sent) and ours (→, with their delivery " +
      "status). Text is cut to one short line; --json has every field.",
    "wa-session history --business +919876500001 --customer +919876543210",
    "wa-session history --business +919876500001 --customer +919876543210 --limit 20 --cursor CURSOR --json"
  ))
)
