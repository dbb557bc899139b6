import { HttpApiClient, HttpClient, HttpClientRequest, HttpServer } from "@effect/platform"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { VirtualClock } from "@wa-session/clock"
import { ExotelSender } from "@wa-session/exotel"
import { type DeliveryReportInput, type FakeExotel, type InboundInput, startFakeExotel } from "@wa-session/exotel-fake"
import { WaSessionApi } from "@wa-session/http-api"
import { StandardWebhooks } from "@wa-session/relay"
import { SessionStore } from "@wa-session/session-core"
import { Storage, StoreConfig } from "@wa-session/storage"
import { Context, DateTime, Duration, Effect, Layer, Logger, LogLevel, Option, Redacted } from "effect"
import * as Fs from "node:fs/promises"
import * as Http from "node:http"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import * as App from "../src/App.js"
import {
  EDGE_DEFAULTS,
  type EdgeSettings,
  MAX_BODY_BYTES,
  RELAY_DEFAULTS,
  type ServerSettings,
  webhookUrl
} from "../src/Config.js"
import { HttpAppLive } from "../src/Server.js"
import type * as Workers from "../src/Workers.js"

export const BUSINESS = "+919876500001"
export const CUSTOMER = "+919876543210"
export const TOKEN = "test-token-0123456789abcdef"
export const SECRET = "test-webhook-secret-0123456789"

/** The request headers that carry the test server's bearer token. */
export const auth = { authorization: `Bearer ${TOKEN}` }

export const text = (body: string) => ({ type: "text" as const, text: { body } })
export const followUp = {
  type: "template" as const,
  template: { name: "follow_up", language: { code: "en" } }
}

/** What a test needs to talk to the server it started. */
export interface TestEnvShape {
  readonly baseUrl: string
  readonly webhookUrl: string
  readonly settings: ServerSettings
  /** The fake Exotel (always running; unused in dry-run). */
  readonly fake: FakeExotel
}

export class TestEnv extends Context.Tag("test/TestEnv")<TestEnv, TestEnvShape>() {}

/** A loopback port nothing listens on (taken, then freed). */
export const freePort = Effect.async<number>((resume) => {
  const server = Net.createServer()
  server.listen(0, "127.0.0.1", () => {
    const port = (server.address() as Net.AddressInfo).port
    server.close(() => resume(Effect.succeed(port)))
  })
})

const tempDir = Effect.acquireRelease(
  Effect.promise(() => Fs.mkdtemp(Path.join(Os.tmpdir(), "wa-session-server-"))),
  (dir) => Effect.promise(() => Fs.rm(dir, { recursive: true, force: true }))
)

const fakeExotel = Effect.acquireRelease(
  Effect.promise(() => startFakeExotel({ apiKey: "key", apiToken: "token", accountSid: "acme1" })),
  (fake) => Effect.promise(() => fake.close())
)

export interface TestServerOptions {
  /** The virtual clock's start (the server reads this time until a test moves it). */
  readonly start?: string | undefined
  readonly dryRun?: boolean | undefined
  readonly safetyMargin?: Duration.DurationInput | undefined
  /** Exotel retries after the first attempt (the test default is 1, with 10 ms backoff). */
  readonly maxRetries?: number | undefined
  /** `WA_SESSION_SEND_RETRY_FOR` (default an hour; zero fails a send Exotel did not take at once). */
  readonly sendRetryFor?: Duration.DurationInput | undefined
  /** Store operations that fail with a `StorageError`. */
  readonly failing?: ReadonlyArray<"ping" | "ingest" | "getWindow"> | undefined
  /** Serve the webhook through the HttpApi route instead of the node:http fast path. */
  readonly fastPath?: boolean | undefined
  /** `WA_SESSION_EVENTS_URL` and its secret; deliveries wait at most `maxBackoff` between attempts. */
  readonly events?: {
    readonly url: string
    readonly secret: string
    readonly maxBackoff?: Duration.DurationInput
    /** per attempt (default 10 s) */
    readonly timeout?: Duration.DurationInput
  } | undefined
  /** How often the background loops look for work (default: fast, for tests). */
  readonly intervals?: Workers.WorkerIntervals | undefined
  readonly expiringLead?: Duration.DurationInput | undefined
  /** The system clock instead of the virtual one (retries and leases need time to pass). */
  readonly realClock?: boolean | undefined
  /** The HTTP server's limits (default `EDGE_DEFAULTS`). */
  readonly edge?: Partial<EdgeSettings> | undefined
}

/** The loops of the background workers, fast enough for tests. */
export const FAST_INTERVALS: Workers.WorkerIntervals = {
  deliveries: Duration.millis(50),
  sends: Duration.millis(50),
  scheduler: Duration.millis(200),
  retention: Duration.hours(1)
}

/** The SQLite store with some operations failing, for the error paths. */
const faultyStore = (url: Redacted.Redacted<string>, failing: ReadonlyArray<string>) =>
  Layer.effectContext(Effect.gen(function*() {
    const storage = yield* Storage.Storage
    const fail = (operation: string) =>
      Effect.fail(new SessionStore.StorageError({ operation, detail: "injected failure" }))
    const faulty: Storage.StorageShape = {
      ...storage,
      ...(failing.includes("ping") ? { ping: fail("ping") } : {}),
      ...(failing.includes("ingest") ? { ingest: () => fail("ingest") } : {}),
      ...(failing.includes("getWindow") ? { getWindow: () => fail("getWindow") } : {})
    }
    return Context.make(Storage.Storage, faulty)
  })).pipe(Layer.provide(StoreConfig.layerFromUrl(url)))

/**
 * A real server for one test: a fresh SQLite file in a temp dir, the fake Exotel over HTTP, a virtual clock (real
 * sleeps), on a free loopback port; the `HttpClient` in context is aimed at it.
 */
export const TestServer = (
  options: TestServerOptions = {}
): Layer.Layer<HttpClient.HttpClient | VirtualClock.VirtualClock | TestEnv, unknown> =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const dir = yield* tempDir
    const fake = yield* fakeExotel
    const port = yield* freePort
    const baseUrl = `http://127.0.0.1:${port}`
    const settings: ServerSettings = {
      host: "127.0.0.1",
      port,
      databaseUrl: Redacted.make(`sqlite:${Path.join(dir, "wa-session.db")}`),
      dataDir: dir,
      apiToken: Redacted.make(TOKEN),
      apiTokenSource: { _tag: "Env", name: "WA_SESSION_API_TOKEN" },
      webhookSecret: Redacted.make(SECRET),
      webhookSecretSource: { _tag: "Env", name: "WA_SESSION_WEBHOOK_SECRET" },
      publicUrl: Option.some(baseUrl),
      safetyMargin: Duration.decode(options.safetyMargin ?? 0),
      maxBodyBytes: MAX_BODY_BYTES,
      ...RELAY_DEFAULTS,
      edge: { ...EDGE_DEFAULTS, ...options.edge },
      eventsUrl: options.events?.url === undefined ? { _tag: "Off" } : { _tag: "Url", url: options.events.url },
      eventsSecret: Redacted.make(options.events?.secret ?? `whsec_${Buffer.alloc(32, 1).toString("base64")}`),
      eventsSecretSource: { _tag: "Env", name: "WA_SESSION_EVENTS_SECRET" },
      deliveryMaxBackoff: Duration.decode(options.events?.maxBackoff ?? RELAY_DEFAULTS.deliveryMaxBackoff),
      expiringLead: Duration.decode(options.expiringLead ?? RELAY_DEFAULTS.expiringLead),
      sendRetryFor: Duration.decode(options.sendRetryFor ?? RELAY_DEFAULTS.sendRetryFor)
    }
    const hook = webhookUrl(settings, baseUrl)
    const sender = ExotelSender.layerWith({
      apiKey: Redacted.make(fake.apiKey),
      apiToken: Redacted.make(fake.apiToken),
      accountSid: fake.accountSid,
      baseUrl: fake.url,
      statusCallbackUrl: hook,
      requestTimeout: "2 seconds",
      retry: { maxRetries: options.maxRetries ?? 1, baseDelay: Duration.millis(10), maxDelay: Duration.millis(20) }
    }).pipe(Layer.provide(NodeHttpClient.layerUndici))
    const app: App.AppOptions = {
      settings,
      dryRun: options.dryRun ?? false,
      sender,
      store: options.failing === undefined ? undefined : faultyStore(settings.databaseUrl, options.failing),
      intervals: options.intervals ?? FAST_INTERVALS,
      transport: StandardWebhooks.layer({ timeout: options.events?.timeout ?? "10 seconds" }).pipe(
        Layer.provide(NodeHttpClient.layerUndici)
      )
    }
    const server = options.fastPath === false
      ? HttpAppLive.pipe(
        Layer.provideMerge(
          HttpServer.layerTestClient.pipe(
            Layer.provide(NodeHttpClient.layerUndici),
            Layer.provideMerge(NodeHttpServer.layer(Http.createServer, { host: "127.0.0.1", port }))
          )
        ),
        Layer.provideMerge(App.layerServices(app))
      )
      : App.layerTest(app)
    return server.pipe(
      Layer.provideMerge(
        options.realClock === true
          ? Layer.effect(VirtualClock.VirtualClock, VirtualClock.make(DateTime.unsafeMake(Date.now())))
          : VirtualClock.layer(DateTime.unsafeMake(options.start ?? "2026-01-20T04:30:00Z"))
      ),
      Layer.provideMerge(Logger.minimumLogLevel(process.env.TEST_LOGS ? LogLevel.Debug : LogLevel.Error)),
      Layer.provideMerge(Layer.succeed(TestEnv, { baseUrl, webhookUrl: hook, settings, fake }))
    )
  }))

/** The typed client, with the server's bearer token. */
export const client = HttpApiClient.make(WaSessionApi, {
  transformClient: HttpClient.mapRequest(HttpClientRequest.bearerToken(TOKEN))
})

/** The typed client without a token. */
export const anonymousClient = HttpApiClient.make(WaSessionApi)

/** Sets the virtual clock. */
export const at = (instant: string) =>
  Effect.flatMap(VirtualClock.VirtualClock, (clock) => clock.set(DateTime.unsafeMake(instant)))

/** The customer writes at the virtual clock's time: the fake Exotel posts the message to our webhook. */
export const customerWrites = (input: Partial<InboundInput> = {}) =>
  Effect.gen(function*() {
    const env = yield* TestEnv
    const now = yield* DateTime.now
    return yield* Effect.promise(() =>
      env.fake.sendInbound(env.webhookUrl, {
        from: CUSTOMER,
        to: BUSINESS,
        timestamp: DateTime.formatIso(now),
        ...input
      })
    )
  })

/** The fake Exotel posts a delivery report to our webhook. */
export const report = (input: DeliveryReportInput) =>
  Effect.flatMap(TestEnv, (env) => Effect.promise(() => env.fake.sendDeliveryReport(env.webhookUrl, input)))

/** The fake Exotel posts any batch to a URL (default our webhook). */
export const postBatch = (items: ReadonlyArray<unknown>, url?: string) =>
  Effect.flatMap(TestEnv, (env) => Effect.promise(() => env.fake.sendBatch(url ?? env.webhookUrl, items)))

/** A raw POST (any body, any path), for what the typed client cannot send. */
export const rawPost = (path: string, body: string, headers: Record<string, string> = {}, method = "POST") =>
  Effect.flatMap(TestEnv, (env) =>
    Effect.promise(async () => {
      const response = await fetch(`${env.baseUrl}${path}`, {
        method,
        headers: { "content-type": "application/json", ...headers },
        ...(method === "DELETE" && body === "" ? {} : { body })
      })
      return { status: response.status, text: await response.text() }
    }))

export const rawGet = (path: string, headers: Record<string, string> = {}) =>
  Effect.flatMap(TestEnv, (env) =>
    Effect.promise(async () => {
      const response = await fetch(`${env.baseUrl}${path}`, { headers })
      return {
        status: response.status,
        contentType: response.headers.get("content-type"),
        text: await response.text()
      }
    }))

export const json = (text: string): any => JSON.parse(text)

/** Waits (real time, 10 s at most) until `ready()` holds: for what the server's background workers do. */
export const eventually = (ready: () => boolean, what: string, timeoutMs = 10_000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    while (!ready()) {
      if (Date.now() > deadline) return yield* Effect.dieMessage(`timed out after ${timeoutMs} ms waiting for ${what}`)
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 20)))
    }
  })

/** Like `eventually`, for a condition read through an effect (the API). */
export const eventuallyEffect = <E, R>(ready: Effect.Effect<boolean, E, R>, what: string, timeoutMs = 10_000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    while (!(yield* ready)) {
      if (Date.now() > deadline) return yield* Effect.dieMessage(`timed out after ${timeoutMs} ms waiting for ${what}`)
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 20)))
    }
  })
