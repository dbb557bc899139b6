// Parked messages (`send --park`): parked, cancel.
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { Effect, Option } from "effect"
import { Backend } from "../Backend.js"
import { connection, help, json, limit, phone } from "./Shared.js"
import { onBackend, showView } from "./Wiring.js"

export const parked = Command.make(
  "parked",
  {
    business: phone("business", "Only the messages of this business number").pipe(Options.optional),
    customer: phone("customer", "Only the messages to this customer").pipe(Options.optional),
    limit: limit(1000, 100, "messages"),
    json,
    ...connection
  },
  (config) =>
    onBackend(
      config,
      Effect.flatMap(Backend, (backend) =>
        backend.parked({ business: config.business, customer: config.customer, limit: config.limit })).pipe(
          Effect.flatMap((view) =>
            showView(
              config.json,
              view,
              (Views, v) =>
                Views.parkedJson(v),
              (Views, out, v, now) =>
                Views.parkedText(
                  out,
                  v,
                  now,
                  `parked messages${
                    [
                      ...Option.toArray(Option.map(config.business, (number) => ` of ${number}`)),
                      ...Option.toArray(Option.map(config.customer, (number) => ` to ${number}`))
                    ].join("")
                  }`
                )
            )
          )
        )
    )
).pipe(
  Command.withDescription(help(
    "The messages parked by `send --park`, waiting for their customer's next message, in the order they will be " +
      "released: the pair, when each was parked, when it expires unsent, what it says.",
    "wa-session parked --business +919876500001",
    "wa-session parked --business +919876500001 --customer +919876543210 --json"
  ))
)

export const cancel = Command.make(
  "cancel",
  {
    id: Args.text({ name: "ID" }).pipe(Args.withDescription("The parked message (msg_…)")),
    json,
    ...connection
  },
  (config) =>
    onBackend(
      config,
      Effect.flatMap(Backend, (backend) => backend.cancel(config.id)).pipe(
        Effect.flatMap((view) =>
          showView(
            config.json,
            view,
            (Views, v) => Views.messageJson(v),
            (Views, out, v, now) => Views.cancelledText(out, v, now)
          )
        )
      )
    )
).pipe(
  Command.withDescription(help(
    "Cancel a parked message: it is never sent. An unknown id is MESSAGE_NOT_FOUND (exit 2); a message that is " +
      "not parked any more (released, expired, cancelled) is MESSAGE_NOT_PARKED (exit 1).",
    "wa-session cancel msg_0123456789abcdef0123456789abcdef"
  ))
)
