// Where events are delivered: endpoints, endpoints add, endpoints delete.
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { Effect, Option } from "effect"
import { backendOptions, EVENT_TYPES, help, id, idTexts } from "./Shared.js"
import { answer } from "./Wiring.js"

export const addEndpoint = Command.make(
  "add",
  {
    url: Args.text({ name: "URL" }).pipe(Args.withDescription("Where to POST events (http or https)")),
    events: idTexts("event", "TYPE", `Only this event type (repeatable; default all): ${EVENT_TYPES.join(", ")}`),
    secret: Options.redacted("secret").pipe(
      Options.withPseudoName("whsec_…"),
      Options.withDescription("The signing secret (default: a new one, printed once)"),
      Options.optional
    ),
    ...backendOptions
  },
  (config) =>
    answer(
      config,
      (backend) =>
        backend.addEndpoint({
          url: config.url,
          events: config.events.length === 0 ? Option.none() : Option.some(config.events),
          secret: config.secret
        }),
      (Views) => ({ json: Views.addedJson, text: Views.addedText }),
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
  { id: id("The endpoint (ep_…)"), ...backendOptions },
  (config) =>
    answer(
      config,
      (backend) => Effect.as(backend.deleteEndpoint(config.id), config.id),
      (Views) => ({ json: (id) => ({ id, deleted: true }), text: (_, id) => Views.deletedText(id) })
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
  backendOptions,
  (config) =>
    answer(
      config,
      (backend) => backend.endpoints,
      (Views) => ({ json: Views.endpointsJson, text: Views.endpointsText })
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
