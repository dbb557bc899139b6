// The commands about one conversation or its windows: status, explain, expiring, inbound, history.
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Durations from "@wa-session/session-core/Durations"
import type * as PhoneNumber from "@wa-session/session-core/PhoneNumber"
import { Duration, type Effect } from "effect"
import type { BackendShape } from "../Backend.js"
import type { CliError } from "../Errors.js"
import { readOption } from "../Input.js"
import * as Output from "../Output.js"
import {
  at,
  backendOptions,
  business,
  cursor,
  customer,
  help,
  idText,
  instant,
  limit,
  MAX_ID_LENGTH,
  pairOf,
  parsed,
  phone
} from "./Shared.js"
import { answer, type Printer } from "./Wiring.js"

/** status and explain: what the backend says of a pair's window, at --at (default now). */
const aboutWindow = <Name extends string, V, E extends CliError>(
  name: Name,
  ask: (backend: BackendShape, pair: PhoneNumber.Pair) => Effect.Effect<V, E>,
  printer: Printer<V>
) =>
  Command.make(
    name,
    { business, customer, at, ...backendOptions },
    (config) => answer(config, (backend) => ask(backend, pairOf(config)), printer, { at: config.at })
  )

export const status = aboutWindow(
  "status",
  (backend, pair) => backend.status(pair),
  { json: Output.windowJson, text: Output.windowText }
).pipe(
  Command.withDescription(help(
    "The 24-hour window of a (business, customer) pair: open, expired or none, when it closes and the time left " +
      "for session messages.",
    "wa-session status --business +919876500001 --customer +919876543210",
    "wa-session status --business +919876500001 --customer +919876543210 --at 2026-01-21T09:00:00+05:30 --json"
  ))
)

export const explain = aboutWindow(
  "explain",
  (backend, pair) => backend.explain(pair),
  { json: Output.explainJson, text: Output.explainText }
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
    ...backendOptions
  },
  (config) =>
    answer(
      config,
      (backend) =>
        backend.expiring({
          within: config.within,
          business: config.business,
          limit: config.limit,
          cursor: config.cursor
        }),
      { json: Output.expiringJson, text: (out, v, now) => Output.expiringText(out, v, now, config.within) },
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
    messageId: idText(
      "message-id",
      "ID",
      "The provider's message id: the same id twice is recorded once (default: generated)",
      MAX_ID_LENGTH
    ).pipe(Options.optional),
    ...backendOptions
  },
  (config) =>
    answer(
      config,
      (backend) =>
        backend.inbound({
          business: config.business,
          customer: config.customer,
          messageId: config.messageId,
          sentAt: config.at
        }),
      { json: Output.inboundJson, text: Output.inboundText },
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
  { business, customer, limit: limit(200, 50, "messages"), cursor, ...backendOptions },
  (config) =>
    answer(
      config,
      (backend) => backend.history({ pair: pairOf(config), limit: config.limit, cursor: config.cursor }),
      (Views) => ({ json: Views.historyJson, text: (out, v) => Views.historyText(out, v, config) })
    )
).pipe(
  Command.withDescription(help(
    "A pair's messages, newest first: the customer's (←, with what they sent) and ours (→, with their delivery " +
      "status). Text is cut to one short line; --json has every field.",
    "wa-session history --business +919876500001 --customer +919876543210",
    "wa-session history --business +919876500001 --customer +919876543210 --limit 20 --cursor CURSOR --json"
  ))
)
