import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Option, Redacted } from "effect"
import { ExotelConfig } from "../src/index.js"

const env = (entries: Record<string, string>) => ConfigProvider.fromMap(new Map(Object.entries(entries)))

const required = { EXOTEL_API_KEY: "key", EXOTEL_API_TOKEN: "token-secret", EXOTEL_ACCOUNT_SID: "acme1" }

const read = (entries: Record<string, string>, defaults: Parameters<typeof ExotelConfig.config>[0] = {}) =>
  ExotelConfig.config(defaults).pipe(Effect.withConfigProvider(env(entries)))

describe("ExotelConfig", () => {
  it.effect("reads the credentials as Redacted, with Mumbai (the seed's cluster) and the defaults", () =>
    Effect.gen(function*() {
      const options = yield* read(required)
      assert.strictEqual(Redacted.value(options.apiKey), "key")
      assert.strictEqual(Redacted.value(options.apiToken), "token-secret")
      assert.strictEqual(options.accountSid, "acme1")
      assert.strictEqual(options.baseUrl, "https://api.in.exotel.com")
      assert.isTrue(Option.isNone(options.statusCallbackUrl))
      assert.isTrue(Duration.equals(options.requestTimeout, Duration.seconds(10)))
      assert.isTrue(Duration.equals(options.sendDeadline, Duration.seconds(15)))
      assert.isTrue(Duration.equals(options.sendDeadline, ExotelConfig.DEFAULT_SEND_DEADLINE))
      assert.deepStrictEqual(options.retry, ExotelConfig.defaultRetryPolicy)
      assert.notInclude(JSON.stringify(options), "token-secret")
      assert.notInclude(String(options.apiToken), "token-secret")
    }))

  it.effect("EXOTEL_REGION picks the cluster: singapore/sg and mumbai/in, in any case", () =>
    Effect.gen(function*() {
      for (
        const [region, url] of [
          ["singapore", "https://api.exotel.com"],
          ["SG", "https://api.exotel.com"],
          ["mumbai", "https://api.in.exotel.com"],
          [" in ", "https://api.in.exotel.com"]
        ] as const
      ) {
        const options = yield* read({ ...required, EXOTEL_REGION: region })
        assert.strictEqual(options.baseUrl, url, region)
      }
    }))

  it.effect("EXOTEL_BASE_URL wins over the region; trailing slashes go", () =>
    Effect.gen(function*() {
      const options = yield* read({ ...required, EXOTEL_REGION: "mumbai", EXOTEL_BASE_URL: "http://127.0.0.1:4010/" })
      assert.strictEqual(options.baseUrl, "http://127.0.0.1:4010")
    }))

  it.effect("reads the optional callback URL, timeout, send deadline and retry count", () =>
    Effect.gen(function*() {
      const options = yield* read({
        ...required,
        EXOTEL_STATUS_CALLBACK_URL: "https://hooks.example.com/exotel?t=1",
        EXOTEL_REQUEST_TIMEOUT: "3 seconds",
        EXOTEL_SEND_DEADLINE: "20 seconds",
        EXOTEL_MAX_RETRIES: "5"
      })
      assert.deepStrictEqual(options.statusCallbackUrl, Option.some("https://hooks.example.com/exotel?t=1"))
      assert.isTrue(Duration.equals(options.requestTimeout, Duration.seconds(3)))
      assert.isTrue(Duration.equals(options.sendDeadline, Duration.seconds(20)))
      assert.strictEqual(options.retry.maxRetries, 5)
    }))

  it.effect("defaults fill what configuration leaves out, and configuration wins", () =>
    Effect.gen(function*() {
      const defaults = {
        region: "mumbai" as const,
        statusCallbackUrl: "https://default.example.com/cb",
        sendDeadline: Duration.seconds(8),
        retry: { maxRetries: 1 }
      }
      const fromDefaults = yield* read(required, defaults)
      assert.isTrue(Duration.equals(fromDefaults.sendDeadline, Duration.seconds(8)))
      assert.strictEqual(fromDefaults.baseUrl, "https://api.in.exotel.com")
      assert.deepStrictEqual(fromDefaults.statusCallbackUrl, Option.some("https://default.example.com/cb"))
      assert.strictEqual(fromDefaults.retry.maxRetries, 1)
      const fromEnv = yield* read({
        ...required,
        EXOTEL_REGION: "sg",
        EXOTEL_STATUS_CALLBACK_URL: "https://env.example.com/cb"
      }, { ...defaults, baseUrl: "http://ignored" })
      assert.strictEqual(fromEnv.baseUrl, "https://api.exotel.com")
      assert.deepStrictEqual(fromEnv.statusCallbackUrl, Option.some("https://env.example.com/cb"))
      const deadlineFromEnv = yield* read({ ...required, EXOTEL_SEND_DEADLINE: "30 seconds" }, defaults)
      assert.isTrue(Duration.equals(deadlineFromEnv.sendDeadline, Duration.seconds(30)))
      // the one duration syntax of every setting: compact and plain seconds too
      const compact = yield* read({ ...required, EXOTEL_REQUEST_TIMEOUT: "2500ms", EXOTEL_SEND_DEADLINE: "1m" })
      assert.isTrue(Duration.equals(compact.requestTimeout, Duration.millis(2500)))
      assert.isTrue(Duration.equals(compact.sendDeadline, Duration.minutes(1)))
      const seconds = yield* read({ ...required, EXOTEL_SEND_DEADLINE: "12" })
      assert.isTrue(Duration.equals(seconds.sendDeadline, Duration.seconds(12)))
    }))

  it.effect("invalid values fail with an error naming the variable", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [Record<string, string>, string]> = [
        [{ ...required, EXOTEL_REGION: "frankfurt" }, "EXOTEL_REGION must be one of singapore, sg, mumbai, in"],
        [{ ...required, EXOTEL_BASE_URL: "api.exotel.com" }, "EXOTEL_BASE_URL must be an http(s) URL"],
        [{ ...required, EXOTEL_BASE_URL: "ftp://api.exotel.com" }, "EXOTEL_BASE_URL must be an http(s) URL"],
        [{ ...required, EXOTEL_STATUS_CALLBACK_URL: "/webhooks" }, "EXOTEL_STATUS_CALLBACK_URL"],
        [{ ...required, EXOTEL_MAX_RETRIES: "-1" }, "EXOTEL_MAX_RETRIES"],
        [{ ...required, EXOTEL_REQUEST_TIMEOUT: "soon" }, "EXOTEL_REQUEST_TIMEOUT"],
        [{ ...required, EXOTEL_SEND_DEADLINE: "later" }, "EXOTEL_SEND_DEADLINE"],
        [{ ...required, EXOTEL_SEND_DEADLINE: "0 seconds" }, "EXOTEL_SEND_DEADLINE must be longer than 0"],
        [{ EXOTEL_API_TOKEN: "t", EXOTEL_ACCOUNT_SID: "a" }, "EXOTEL_API_KEY"],
        [{ EXOTEL_API_KEY: "k", EXOTEL_ACCOUNT_SID: "a" }, "EXOTEL_API_TOKEN"],
        [{ EXOTEL_API_KEY: "k", EXOTEL_API_TOKEN: "t" }, "EXOTEL_ACCOUNT_SID"]
      ]
      for (const [entries, expected] of cases) {
        const error = yield* Effect.flip(read(entries))
        assert.include(String(error), expected)
      }
    }))

  it.effect("layerConfig provides the settings", () =>
    Effect.gen(function*() {
      const options = yield* ExotelConfig.ExotelConfig
      assert.strictEqual(options.accountSid, "acme1")
    }).pipe(Effect.provide(ExotelConfig.layerConfig()), Effect.withConfigProvider(env(required))))

  it("make resolves the host from baseUrl, else the region, else Mumbai", () => {
    const base = { apiKey: Redacted.make("k"), apiToken: Redacted.make("t"), accountSid: "a" }
    assert.strictEqual(ExotelConfig.make(base).baseUrl, "https://api.in.exotel.com")
    assert.strictEqual(ExotelConfig.make({ ...base, region: "mumbai" }).baseUrl, "https://api.in.exotel.com")
    assert.strictEqual(
      ExotelConfig.make({ ...base, region: "mumbai", baseUrl: "http://localhost:1/" }).baseUrl,
      "http://localhost:1"
    )
    assert.deepStrictEqual(ExotelConfig.parseRegion("IN"), Option.some("mumbai"))
    assert.isTrue(Option.isNone(ExotelConfig.parseRegion("eu")))
  })
})
