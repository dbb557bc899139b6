// The command tree. Each command translates its options to one use case of the backend and prints the answer
// (Commands/*); bin.ts runs the tree.
import * as Command from "@effect/cli/Command"
import type { Effect } from "effect"
import type { CommandTree } from "./Argv.js"
import { addEndpoint, deleteEndpoint, endpoints } from "./Commands/Endpoints.js"
import { deliveries, events, replay } from "./Commands/Events.js"
import { check, simulate } from "./Commands/Offline.js"
import { cancel, parked } from "./Commands/Parking.js"
import { quarantine, retry } from "./Commands/Quarantine.js"
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
    parked,
    cancel,
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

const leaf = (command: { readonly descriptor: CommandTree["descriptor"] }, name: string): CommandTree => ({
  name,
  descriptor: command.descriptor,
  children: []
})

/** The commands and their subcommands, for bin.ts's reading of the command line and for --help. */
export const tree: CommandTree = {
  name: "wa-session",
  descriptor: command.descriptor,
  children: [
    leaf(serve, "serve"),
    leaf(webhookUrl, "webhook-url"),
    leaf(send, "send"),
    leaf(parked, "parked"),
    leaf(cancel, "cancel"),
    leaf(status, "status"),
    leaf(expiring, "expiring"),
    leaf(explain, "explain"),
    leaf(check, "check"),
    leaf(inbound, "inbound"),
    leaf(history, "history"),
    leaf(events, "events"),
    { ...leaf(deliveries, "deliveries"), children: [leaf(replay, "replay")] },
    { ...leaf(quarantine, "quarantine"), children: [leaf(retry, "retry")] },
    { ...leaf(endpoints, "endpoints"), children: [leaf(addEndpoint, "add"), leaf(deleteEndpoint, "delete")] },
    leaf(simulate, "simulate")
  ]
}

export const run = Command.run(command, { name: "wa-session", version: "0.1.0" })

/**
 * Every failure that reaches bin.ts: a command's exit code (its failure already printed), `serve`, what @effect/cli
 * refused (it printed its own message), and the failures of `webhook-url`.
 */
export type RunError = Effect.Effect.Error<ReturnType<typeof run>>
