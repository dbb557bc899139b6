// What the webhook could not use: quarantine, quarantine retry.
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { Option } from "effect"
import { backendOptions, cursor, help, id, limit, oneOf, QUARANTINE_STATES } from "./Shared.js"
import { answer } from "./Wiring.js"

export const retry = Command.make(
  "retry",
  { id: id("The quarantine entry (q_…)"), ...backendOptions },
  (config) =>
    answer(
      config,
      (backend) => backend.retryQuarantined(config.id),
      (Views) => ({ json: Views.retryJson, text: Views.retryText })
    )
).pipe(
  Command.withDescription(help(
    "Decode a quarantine entry again with today's decoder: when it decodes now, its items are recorded as the " +
      "webhook's would have been and the entry is resolved; else it stays, with the new reason.",
    "wa-session quarantine retry q_0123456789abcdef0123456789abcdef"
  ))
)

export const quarantine = Command.make(
  "quarantine",
  {
    state: oneOf("state", QUARANTINE_STATES, "Only entries in this state").pipe(Options.optional),
    limit: limit(1000, 100, "entries"),
    cursor,
    ...backendOptions
  },
  (config) =>
    answer(
      config,
      (backend) => backend.quarantine({ state: config.state, limit: config.limit, cursor: config.cursor }),
      (Views) => ({
        json: Views.quarantineJson,
        text: (out, v) =>
          Views.quarantineText(
            out,
            v,
            Option.match(config.state, { onNone: () => "quarantine entries", onSome: (state) => `${state} entries` })
          )
      })
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
