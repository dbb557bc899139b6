// A TypeScript consumer of the packed package: run.mjs type-checks it with tsc --strict (nodenext, library
// declarations checked too) against the installed tarballs. In the workspace tsc -b checks it as well (through the
// package's self-reference). It uses the public types the way an application wiring the adapter would.
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import type { ExotelConfig } from "@wa-session/exotel"
import { ExoStatus, ExotelApi, ExotelSender, Webhook } from "@wa-session/exotel"
import { MessageSender, PhoneNumber, type SessionStore } from "@wa-session/session-core"
import { type ConfigError, Effect, Either, Layer, Option, Redacted } from "effect"

const options: ExotelConfig.ExotelOptionsInput = {
  apiKey: Redacted.make("exo_key_5f2a"),
  apiToken: Redacted.make("tok_9d81c0ffee"),
  accountSid: "acme1",
  region: "mumbai",
  statusCallbackUrl: "https://bot.example.com/webhooks/exotel?token=cb-secret",
  requestTimeout: "10 seconds",
  sendDeadline: "15 seconds",
  retry: { maxRetries: 2 }
}

// @ts-expect-error credentials must be Redacted: a plain string is refused
const plain: ExotelConfig.ExotelOptionsInput = { ...options, apiKey: "exo_key_5f2a" }
// @ts-expect-error only Exotel's two clusters are regions
const frankfurt: ExotelConfig.ExotelOptionsInput = { ...options, region: "frankfurt" }

// the layers: from options (needs an HttpClient) and from EXOTEL_* configuration (may fail with a ConfigError)
const fromOptions: Layer.Layer<MessageSender.MessageSender | ExotelApi.ExotelApi, never, HttpClient.HttpClient> =
  ExotelSender.layerWith(options)
const fromConfig: Layer.Layer<MessageSender.MessageSender | ExotelApi.ExotelApi, ConfigError.ConfigError> = ExotelSender
  .layerConfig({ region: "singapore" }).pipe(Layer.provide(NodeHttpClient.layerUndici))

const request: MessageSender.SendRequest = {
  outboundId: "msg_1",
  idempotencyKey: Option.none(),
  from: PhoneNumber.unsafeMake("+91 92115 14326"),
  to: PhoneNumber.unsafeMake("+91 91584 55686"),
  content: { type: "text", text: { body: "Your order has shipped" } }
}

// the port's send, with the adapter provided: the only error left is the core's ProviderError
const send: Effect.Effect<MessageSender.SendReceipt, MessageSender.ProviderError> = Effect.flatMap(
  MessageSender.MessageSender,
  (sender) => sender.send(request)
).pipe(Effect.provide(fromOptions), Effect.provide(NodeHttpClient.layerUndici))

/** Exhaustive over the reasons of a failed send: a missing case would not compile (the function must return). */
export const explain = (error: MessageSender.ProviderError): string => {
  switch (error.reason) {
    case "Configuration":
      return `check the Exotel credentials and account (HTTP ${Option.getOrElse(error.httpStatus, () => 0)})`
    case "BadRequest":
      return `Exotel refused the request: ${error.detail}`
    case "RateLimited":
    case "Unavailable":
      return `try again later: ${error.detail}`
    case "Rejected":
      return error.reengagement
        ? "the window is closed: send a template"
        : Option.getOrElse(error.providerCode, () => "")
    case "Ambiguous":
      return `do not send it again: its delivery report will tell (${error.detail})`
  }
}

// the raw client under the sender, with a timeout of its own
const raw: Effect.Effect<ExotelApi.SendResult, ExotelApi.ExotelApiError, ExotelApi.ExotelApi> = Effect.flatMap(
  ExotelApi.ExotelApi,
  (api) => api.sendMessages(ExotelSender.toWire(request, Option.none()), { timeout: "5 seconds" })
)

/** Exhaustive over the reasons of a request without an answer: only `Connect` is known not to have reached Exotel. */
export const mayHaveReachedExotel = (error: ExotelApi.ExotelApiError): boolean => {
  switch (error.reason) {
    case "Connect":
      return false
    case "Transport":
    case "Timeout":
      return true
  }
}

/** Exhaustive over the items of a webhook batch. */
export const handle = (item: Webhook.WebhookItem): string => {
  switch (item._tag) {
    case "Inbound":
      return `${item.customer} wrote to ${item.business}: ${item.contentType}`
    case "DeliveryReport": {
      const ref: SessionStore.OutboundRef = Webhook.outboundRef(item)
      const outcome: ExoStatus.Outcome = item.outcome
      return `${ref._tag} ${outcome.status}${outcome.reengagement ? " (window closed by the provider)" : ""}`
    }
    case "Malformed":
      return `item ${item.index}: ${item.reason}`
  }
}

const decoded: Either.Either<ReadonlyArray<Webhook.WebhookItem>, Webhook.WebhookEnvelopeError> = Webhook.decodeBatch(
  { whatsapp: { messages: [{ callback_type: "dlr", sid: "s1", exo_status_code: 30018 }] } }
)
const reengagement: ExoStatus.Outcome = ExoStatus.classify(Option.some(ExoStatus.REENGAGEMENT_CODE), Option.none())

export const wired = {
  plain,
  frankfurt,
  fromConfig,
  send,
  raw,
  decoded: Either.map(decoded, (items) => items.map(handle)),
  reengagement: reengagement.reengagement
}
