// Parked messages (`send --park`): parked, cancel.
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { Option } from "effect"
import { backendOptions, help, id, limit, phone } from "./Shared.js"
import { answer } from "./Wiring.js"

export const parked = Command.make(
  "parked",
  {
    business: phone("business", "Only the messages of this business number").pipe(Options.optional),
    customer: phone("customer", "Only the messages to this customer").pipe(Options.optional),
    limit: limit(1000, 100, "messages"),
    ...backendOptions
  },
  (config) =>
    answer(
      config,
      (backend) => backend.parked({ business: config.business, customer: config.customer, limit: config.limit }),
      (Views) => ({
        json: Views.parkedJson,
        text: (out, v, now) =>
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
      })
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
  { id: id("The parked message (msg_…)"), ...backendOptions },
  (config) =>
    answer(
      config,
      (backend) => backend.cancel(config.id),
      (Views) => ({ json: Views.messageJson, text: Views.cancelledText })
    )
).pipe(
  Command.withDescription(help(
    "Cancel a parked message: it is never sent. An unknown id is MESSAGE_NOT_FOUND (exit 2); a message that is " +
      "not parked any more (released, expired, cancelled) is MESSAGE_NOT_PARKED (exit 1).",
    "wa-session cancel msg_0123456789abcdef0123456789abcdef"
  ))
)
