import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { afterAll, afterEach, beforeAll } from "@effect/vitest"
import { type FakeExotel, startFakeExotel, startWebhookRecorder, type WebhookRecorder } from "@wa-session/exotel-fake"
import { MessageSender, PhoneNumber } from "@wa-session/session-core"
import type { MessageContent } from "@wa-session/session-core"
import { DateTime, Duration, Effect, Either, Layer, Option, Redacted } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import type { ExotelConfig } from "../src/index.js"
import { ExotelSender, Webhook } from "../src/index.js"

export const credentials = { apiKey: "exo_key_5f2a", apiToken: "tok_9d81c0ffee", accountSid: "acme1" }

export const BUSINESS = "+919211514326"
export const CUSTOMER = "+919158455686"
export const business = PhoneNumber.unsafeMake(BUSINESS)
export const customer = PhoneNumber.unsafeMake(CUSTOMER)

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

export const utc = (iso: string) => DateTime.unsafeMake(iso)

/** A webhook body decoded item by item; a body that is not a batch throws. */
export const decodeOk = (body: unknown) => Either.getOrThrow(Webhook.decodeBatch(body))

/** One item decoded as it would be in a batch of its own. */
export const decodeOne = (item: unknown) => decodeOk({ whatsapp: { messages: [item] } })[0]!

/** The fake Exotel and a webhook recorder, started once for a test file; the fake is reset after each test. */
export interface WebhookHarness {
  readonly fake: FakeExotel
  readonly hooks: WebhookRecorder
  /** The recorder's Exotel webhook URL (the status callback the sends name). */
  readonly callbackUrl: string
  /** POSTs through the fake to the recorder and returns the body that arrived, as the server would read it. */
  readonly deliver: (post: (callbackUrl: string) => Promise<unknown>) => Effect.Effect<unknown>
  /** `deliver` of a batch of items. */
  readonly deliverBatch: (items: ReadonlyArray<unknown>) => Effect.Effect<unknown>
}

/** Registers the `beforeAll`, `afterAll` and `afterEach` hooks of the file that calls it (at its top level). */
export const webhookHarness = (): WebhookHarness => {
  let fake: FakeExotel | undefined
  let hooks: WebhookRecorder | undefined
  beforeAll(async () => {
    fake = await startFakeExotel(credentials)
    hooks = await startWebhookRecorder()
  })
  afterAll(async () => {
    await fake?.close()
    await hooks?.close()
  })
  afterEach(() => fake?.reset())
  const harness: WebhookHarness = {
    get fake() {
      return fake!
    },
    get hooks() {
      return hooks!
    },
    get callbackUrl() {
      return harness.hooks.url + "/webhooks/exotel"
    },
    deliver: (post) =>
      Effect.promise(async () => {
        const before = harness.hooks.received.length
        await post(harness.callbackUrl)
        const [received] = (await harness.hooks.waitFor(before + 1)).slice(before)
        return received!.body
      }),
    deliverBatch: (items) => harness.deliver((url) => harness.fake.sendBatch(url, items))
  }
  return harness
}
