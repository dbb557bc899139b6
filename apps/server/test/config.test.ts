import { assert, describe, it } from "@effect/vitest"
import { Settings } from "@wa-session/clock"
import { Config as EffectConfig, ConfigProvider, Duration, Effect, Either, Option, Redacted } from "effect"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Config from "../src/Config.js"

const withEnv = (env: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

const tempDir = Effect.acquireRelease(
  Effect.promise(() => Fs.mkdtemp(Path.join(Os.tmpdir(), "wa-session-config-"))),
  (dir) => Effect.promise(() => Fs.rm(dir, { recursive: true, force: true }))
)

const failure = (env: Record<string, string>) =>
  Effect.gen(function*() {
    const dir = yield* tempDir
    const error = yield* Config.load.pipe(
      withEnv({ WA_SESSION_DATABASE_URL: `sqlite:${dir}/db.sqlite`, ...env }),
      Effect.flip
    )
    return error._tag === "SecretFileError" ? error.message : Config.describeConfigError(error)
  })

describe("configuration", () => {
  it.scoped("defaults, and secrets generated once in the data directory with mode 0600", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const env = withEnv({ WA_SESSION_DATABASE_URL: `sqlite:${dir}/nested/db.sqlite` })
      const first = yield* Config.load.pipe(env)
      assert.strictEqual(first.host, "127.0.0.1")
      assert.strictEqual(first.port, 8080)
      assert.strictEqual(first.dataDir, `${dir}/nested`)
      assert.isTrue(Option.isNone(first.publicUrl))
      assert.isTrue(Duration.isZero(first.safetyMargin))
      assert.strictEqual(first.maxBodyBytes, 1024 * 1024)
      assert.deepStrictEqual(first.apiTokenSource, {
        _tag: "File",
        path: Path.join(dir, "nested", "api-token"),
        created: true
      })
      const stat = yield* Effect.promise(() => Fs.stat(Path.join(dir, "nested", "api-token")))
      assert.strictEqual(stat.mode & 0o777, 0o600)
      const secretStat = yield* Effect.promise(() => Fs.stat(Path.join(dir, "nested", "webhook-secret")))
      assert.strictEqual(secretStat.mode & 0o777, 0o600)
      assert.isAtLeast(Redacted.value(first.apiToken).length, 40)
      assert.notStrictEqual(Redacted.value(first.apiToken), Redacted.value(first.webhookSecret))

      const second = yield* Config.load.pipe(env)
      assert.strictEqual(Redacted.value(second.apiToken), Redacted.value(first.apiToken))
      assert.strictEqual(Redacted.value(second.webhookSecret), Redacted.value(first.webhookSecret))
      assert.isFalse(second.apiTokenSource._tag === "File" && second.apiTokenSource.created)
    }))

  it.scoped("settings from the environment; secrets never shown", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const settings = yield* Config.load.pipe(withEnv({
        HOST: "0.0.0.0",
        PORT: "9090",
        WA_SESSION_DATABASE_URL: `sqlite:${dir}/db.sqlite`,
        WA_SESSION_API_TOKEN: "a-token-of-sixteen-chars",
        WA_SESSION_WEBHOOK_SECRET: "a-secret-of-sixteen-chars",
        WA_SESSION_PUBLIC_URL: "https://wa.example.com/base/",
        WA_SESSION_SAFETY_MARGIN: "5 minutes"
      }))
      assert.strictEqual(settings.host, "0.0.0.0")
      assert.strictEqual(settings.port, 9090)
      assert.deepStrictEqual(settings.apiTokenSource, { _tag: "Env", name: "WA_SESSION_API_TOKEN" })
      assert.strictEqual(Redacted.value(settings.apiToken), "a-token-of-sixteen-chars")
      assert.notInclude(String(settings.apiToken), "sixteen")
      assert.deepStrictEqual(settings.publicUrl, Option.some("https://wa.example.com/base"))
      assert.strictEqual(Duration.toMillis(settings.safetyMargin), 300_000)
      assert.strictEqual(
        Config.webhookUrl(settings, "http://ignored"),
        "https://wa.example.com/base/webhooks/exotel/a-secret-of-sixteen-chars"
      )
      const files = yield* Effect.promise(() => Fs.readdir(dir))
      assert.notInclude(files, "api-token")
    }))

  it.effect("a duration setting is seconds, compact (5m, 1h30m) or an Effect duration, within its bounds", () =>
    Effect.gen(function*() {
      const margin = (value: string) => Config.safetyMargin.pipe(withEnv({ WA_SESSION_SAFETY_MARGIN: value }))
      assert.strictEqual(Duration.toMillis(yield* margin("300")), 300_000)
      assert.strictEqual(Duration.toMillis(yield* margin("1.5")), 1_500)
      assert.strictEqual(Duration.toMillis(yield* margin("5m")), 300_000)
      assert.strictEqual(Duration.toMillis(yield* margin("1h30m")), 5_400_000)
      assert.strictEqual(Duration.toMillis(yield* margin("5 minutes")), 300_000)
      assert.strictEqual(Duration.toMillis(yield* margin(" 2  hours ")), 7_200_000)
      assert.strictEqual(Duration.toMillis(yield* Config.safetyMargin.pipe(withEnv({}))), 0)
      assert.strictEqual(Duration.toMillis(yield* Config.expiringLead.pipe(withEnv({}))), 3_600_000)
      assert.strictEqual(
        Duration.toMillis(yield* Config.expiringLead.pipe(withEnv({ WA_SESSION_EXPIRING_LEAD: "0" }))),
        0
      )
      for (const value of ["soon", "-5", "24h"]) {
        assert.isTrue(Either.isLeft(yield* Effect.either(margin(value))), value)
      }
    }))

  it.scoped("WA_SESSION_EVENTS_URL: unset leaves the configured endpoint alone, none removes it; a bad one is not echoed", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const load = (env: Record<string, string>) =>
        Config.load.pipe(withEnv({ WA_SESSION_DATABASE_URL: `sqlite:${dir}/db.sqlite`, ...env }))
      assert.deepStrictEqual((yield* load({})).eventsUrl, { _tag: "Unset" })
      assert.deepStrictEqual((yield* load({ WA_SESSION_EVENTS_URL: " None " })).eventsUrl, { _tag: "Off" })
      assert.deepStrictEqual((yield* load({ WA_SESSION_EVENTS_URL: "https://biz.example/hook/?k=v" })).eventsUrl, {
        _tag: "Url",
        url: "https://biz.example/hook/?k=v"
      })
      const bad = yield* failure({ WA_SESSION_EVENTS_URL: "htps//user:pass@biz.example/hook?key=k" })
      assert.include(bad, "WA_SESSION_EVENTS_URL")
      assert.notInclude(bad, "pass")
      assert.notInclude(bad, "key=k")
      // a wa-session webhook would loop (each delivery quarantined, each quarantine an event): refused, not echoed
      const loop = yield* failure({ WA_SESSION_EVENTS_URL: "https://wa.example.com/webhooks/exotel/the-secret-12345" })
      assert.include(loop, "WA_SESSION_EVENTS_URL")
      assert.include(loop, "loop")
      assert.notInclude(loop, "the-secret-12345")
    }))

  it.scoped("an invalid setting fails with one line naming it", () =>
    Effect.gen(function*() {
      assert.include(yield* failure({ PORT: "abc" }), "PORT")
      assert.include(yield* failure({ PORT: "70000" }), "PORT")
      assert.include(yield* failure({ HOST: " " }), "HOST")
      assert.include(yield* failure({ WA_SESSION_SAFETY_MARGIN: "soon" }), "WA_SESSION_SAFETY_MARGIN")
      assert.include(yield* failure({ WA_SESSION_SAFETY_MARGIN: "25 hours" }), "WA_SESSION_SAFETY_MARGIN")
      assert.include(yield* failure({ WA_SESSION_PUBLIC_URL: "ftp://x" }), "WA_SESSION_PUBLIC_URL")
      assert.include(yield* failure({ WA_SESSION_API_TOKEN: "short" }), "WA_SESSION_API_TOKEN")
      assert.include(yield* failure({ WA_SESSION_WEBHOOK_SECRET: "short" }), "WA_SESSION_WEBHOOK_SECRET")
      for (const line of [yield* failure({ PORT: "abc" })]) assert.notInclude(line, "\n")
    }))

  it.scoped("a data directory that cannot be written stops start-up naming the setting", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* Effect.promise(() => Fs.writeFile(Path.join(dir, "file"), "x"))
      const error = yield* Config.load.pipe(
        withEnv({ WA_SESSION_DATABASE_URL: `sqlite:${dir}/file/db.sqlite` }),
        Effect.flip
      )
      assert.strictEqual(error._tag, "SecretFileError")
      assert.include(error.message, "WA_SESSION_API_TOKEN")
    }))

  it.effect("a missing Exotel credential is named, with the way out", () =>
    Effect.gen(function*() {
      const error = yield* EffectConfig.all({
        key: EffectConfig.string("EXOTEL_API_KEY"),
        token: EffectConfig.redacted("EXOTEL_API_TOKEN")
      }).pipe(withEnv({ EXOTEL_API_KEY: "k" }), Effect.flip)
      const line = Config.describeConfigError(error)
      assert.include(line, "EXOTEL_API_TOKEN is required but not set")
      assert.include(line, "or none for dry-run")
    }))

  it("the settings the CLI reads too come from the one shared reader (@wa-session/clock Settings)", () => {
    assert.strictEqual(Config.safetyMargin, Settings.safetyMargin)
    assert.strictEqual(Config.expiringLead, Settings.expiringLead)
    assert.strictEqual(Config.sendRate, Settings.sendRate)
    assert.strictEqual(Config.isDryRun, Settings.isDryRun)
    assert.strictEqual(Config.EXOTEL_CREDENTIALS, Settings.EXOTEL_CREDENTIALS)
  })

  it.effect("dry-run exactly when no Exotel credential is set", () =>
    Effect.gen(function*() {
      assert.isTrue(yield* Config.isDryRun.pipe(withEnv({})))
      assert.isFalse(yield* Config.isDryRun.pipe(withEnv({ EXOTEL_API_KEY: "k" })))
      assert.isTrue(yield* Config.isDryRun.pipe(withEnv({ EXOTEL_API_KEY: " " })))
    }))

  it.effect("the data directory: the SQLite file's directory, else ./data", () =>
    Effect.sync(() => {
      assert.strictEqual(Config.dataDirOf(Redacted.make("sqlite:./data/wa-session.db")), "./data")
      assert.strictEqual(Config.dataDirOf(Redacted.make("sqlite:/var/lib/wa/db.sqlite")), "/var/lib/wa")
      assert.strictEqual(Config.dataDirOf(Redacted.make("memory:")), "./data")
      assert.strictEqual(Config.dataDirOf(Redacted.make("postgres://u:p@h/db")), "./data")
    }))
})
