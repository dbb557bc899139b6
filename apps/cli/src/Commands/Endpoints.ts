// Where events are delivered: endpoints, endpoints add, endpoints delete.
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { Effect, Option } from "effect"
import { Backend } from "../Backend.js"
import { connection, EVENT_TYPES, help, json } from "./Shared.js"
import { onBackend, showView } from "./Wiring.js"

export const addEndpoint = Command.make(
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
    onBackend(
      config,
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
        ),
      { creates: true }
    )
).pipe(
  Command.withDescription(help(
    "Deliver events to a URL, signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature). " +
      "It gets the events recorded from now on. The signing secret is printed this once: store it.",
    "wa-session endpoints add https://example.com/wa-events --event message.received --event window.expiring"
  ))
)

export const deleteEndpoint = Command.make(
  "delete",
  {
    id: Args.text({ name: "ID" }).pipe(Args.withDescription("The endpoint (ep_…)")),
    json,
    ...connection
  },
  (config) =>
    onBackend(
      config,
      Effect.flatMap(Backend, (backend) => backend.deleteEndpoint(config.id)).pipe(
        Effect.zipRight(
          showView(config.json, config.id, (_, id) => ({ id, deleted: true }), (Views, _, id) => Views.deletedText(id))
        )
      )
    )
).pipe(
  Command.withDescription(help(
    "Stop delivering to an endpoint; its pending deliveries fail. The endpoint of WA_SESSION_EVENTS_URL is " +
      "changed through that setting instead (ENDPOINT_CONFIGURED, exit 1).",
    "wa-session endpoints delete ep_0123456789abcdef0123456789abcdef"
  ))
)

export const endpoints = Command.make(
  "endpoints",
  { json, ...connection },
  (config) =>
    onBackend(
      config,
      Effect.flatMap(Backend, (backend) => backend.endpoints).pipe(
        Effect.flatMap((view) =>
          showView(config.json, view, (Views, v) =>
            Views.endpointsJson(v), (Views, out, v) =>
            Views.endpointsText(out, v))
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
