// The server: serve, webhook-url.
import * as Command from "@effect/cli/Command"
import { Console, Effect, Schema } from "effect"
import { help, lazy } from "./Shared.js"

/**
 * `serve` ends the command line and asks bin.ts to hand the process over to the server program (the same one
 * `pnpm start` runs), so the server's code never loads for the other commands.
 */
export class ServeRequested extends Schema.TaggedError<ServeRequested>("@wa-session/cli/ServeRequested")(
  "ServeRequested",
  {}
) {}

export const serve = Command.make("serve", {}, () => new ServeRequested()).pipe(
  Command.withDescription(help(
    "Run the HTTP server (the same as pnpm start): Exotel webhooks in, sends and window queries out. Settings " +
      "come from the environment: PORT, HOST, WA_SESSION_DATABASE_URL, WA_SESSION_API_TOKEN, EXOTEL_*. Exit code " +
      "2 for a setting to fix, 3 when the store or the port fails.",
    "PORT=8080 wa-session serve"
  ))
)

/** Its failures (a setting, the secret file) are printed by bin.ts, without --json. */
export const webhookUrl = Command.make("webhook-url", {}, () =>
  Effect.gen(function*() {
    const Settings = yield* lazy(() => import("@wa-session/server/config"))
    const settings = yield* Settings.load
    yield* Console.log(Settings.webhookUrl(settings, Settings.localBase(settings)))
  })).pipe(
    Command.withDescription(help(
      "Print the webhook URL whole, secret included (the server's banner masks it): the URL to give Exotel as the " +
        "account's default URL. Read from the same settings as serve (WA_SESSION_PUBLIC_URL, else HOST and PORT; " +
        "WA_SESSION_WEBHOOK_SECRET, else the secret file in the data directory). Like serve, it loads every setting: " +
        "each secret not set (API token, webhook secret, events secret) is read from its file in the data " +
        "directory, created when missing.",
      "wa-session webhook-url"
    ))
  )
