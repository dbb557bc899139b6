import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type { FakeExotel } from "@wa-session/exotel-fake"
import { MessageSender, PhoneNumber } from "@wa-session/session-core"
import type { MessageContent } from "@wa-session/session-core"
import { Duration, Effect, Layer, Option, Redacted } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import type { ExotelConfig } from "../src/index.js"
import { ExotelSender } from "../src/index.js"

export const credentials = { apiKey: "exo_key_5f2a", apiToken: "tok_9d81c0ffee", accountSid: "acme1" }

export const business = PhoneNumber.unsafeMake("+919211514326")
export const customer = PhoneNumber.unsafeMake("+919158455686")

export const CALLBACK = "http://127.0.0.1:9/webhooks/exotel?token=cb-secret"

/** Retries with tiny delays, so the tests run fast. */
export const fastRetry: ExotelConfig.RetryPolicy = {
  maxRetries: 3,
  baseDelay: Duration.millis(5),
  maxDelay: Duration.millis(20),
  maxRetryAfter: Duration.seconds(5)
}

export const optionsFor = (
  fake: FakeExotel,
  overrides: Partial<ExotelConfig.ExotelOptionsInput> = {}
): ExotelConfig.ExotelOptionsInput => ({
  apiKey: Redacted.make(fake.apiKey),
  apiToken: Redacted.make(fake.apiToken),
  accountSid: fake.accountSid,
  baseUrl: fake.url,
  statusCallbackUrl: CALLBACK,
  requestTimeout: "2 seconds",
  ...overrides,
  retry: { ...fastRetry, ...overrides.retry }
})

export const adapter = (fake: FakeExotel, overrides: Partial<ExotelConfig.ExotelOptionsInput> = {}) =>
  ExotelSender.layerWith(optionsFor(fake, overrides)).pipe(Layer.provide(NodeHttpClient.layerUndici))

export const content = (value: unknown): MessageContent.MessageContent => value as MessageContent.MessageContent

export const request = (overrides: Partial<MessageSender.SendRequest> = {}): MessageSender.SendRequest => ({
  outboundId: "msg_0001",
  idempotencyKey: Option.some("order-42"),
  from: business,
  to: customer,
  content: content({ type: "text", text: { body: "Hello" } }),
  ...overrides
})

export const send = (input: MessageSender.SendRequest = request()) =>
  Effect.flatMap(MessageSender.MessageSender, (sender) => sender.send(input))

/** A loopback port nothing listens on (taken, then freed). */
export const closedPort: Effect.Effect<number> = Effect.promise(() =>
  new Promise<number>((resolve) => {
    const server = Http.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
)
