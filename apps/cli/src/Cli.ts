// The command tree. Each command translates its options to one use case of the backend and prints the answer
// (Commands/*); bin.ts runs the tree.
import * as Command from "@effect/cli/Command"
import type { Effect } from "effect"
import { endpoints } from "./Commands/Endpoints.js"
import { deliveries, events } from "./Commands/Events.js"
import { check, simulate } from "./Commands/Offline.js"
import { quarantine } from "./Commands/Quarantine.js"
import { send } from "./Commands/Send.js"
import { serve, webhookUrl } from "./Commands/Server.js"
import { expiring, explain, history, inbound, status } from "./Commands/Sessions.js"

export const command = Command.make("wa-session").pipe(
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

/**
 * Every failure that reaches bin.ts: a command's exit code (its failure already printed), `serve`, what @effect/cli
 * refused (it printed its own message), and the failures of `webhook-url`.
 */
export type RunError = Effect.Effect.Error<ReturnType<typeof run>>
