import { assert, describe, it } from "@effect/vitest"
import { MessageSender, PhoneNumber } from "@wa-session/session-core"
import { Cause, type ConfigError, ConfigProvider, Duration, Effect, Exit, Option } from "effect"
import { RandomIds, Settings } from "../src/index.js"

const withEnv = (vars: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(vars))))

const failure = <A>(effect: Effect.Effect<A, ConfigError.ConfigError>) =>
  Effect.map(Effect.flip(effect), (error) => (error._op === "InvalidData" ? error.message : String(error)))

describe("Settings", () => {
  it.effect("a duration setting is seconds, compact (5m, 1h30m) or Effect's long form, within its bounds", () =>
    Effect.gen(function*() {
      const margin = (value: string) => Settings.safetyMargin.pipe(withEnv({ WA_SESSION_SAFETY_MARGIN: value }))
      for (
        const [value, millis] of [
          ["300", 300_000],
          ["1.5", 1_500],
          ["5m", 300_000],
          ["1h30m", 5_400_000],
          ["5 minutes", 300_000],
          [" 2  hours ", 7_200_000]
        ] as const
      ) {
        assert.strictEqual(Duration.toMillis(yield* margin(value)), millis, value)
      }
      assert.strictEqual(Duration.toMillis(yield* Settings.safetyMargin.pipe(withEnv({}))), 0)
      assert.strictEqual(Duration.toMillis(yield* Settings.expiringLead.pipe(withEnv({}))), 3_600_000)
      assert.strictEqual(
        Duration.toMillis(yield* Settings.expiringLead.pipe(withEnv({ WA_SESSION_EXPIRING_LEAD: "0" }))),
        0
      )
    }))

  it.effect("a bad duration names the variable, the value and what is expected", () =>
    Effect.gen(function*() {
      const margin = (value: string) =>
        failure(Settings.safetyMargin.pipe(withEnv({ WA_SESSION_SAFETY_MARGIN: value })))
      assert.strictEqual(
        yield* margin("soon"),
        "WA_SESSION_SAFETY_MARGIN must be seconds (e.g. 300) or a duration (e.g. 5m, 1h30m, \"5 minutes\"), " +
          "got \"soon\""
      )
      assert.strictEqual(yield* margin("-5"), (yield* margin("soon")).replace("soon", "-5"))
      assert.strictEqual(yield* margin("24h"), "WA_SESSION_SAFETY_MARGIN must be shorter than 24 hours, got \"24h\"")
      const bounded = Settings.duration("X_LEASE", Duration.minutes(1), {
        min: Duration.seconds(15),
        below: Duration.hours(1),
        what: "between 15 seconds and 1 hour"
      })
      assert.strictEqual(
        yield* failure(bounded.pipe(withEnv({ X_LEASE: "10s" }))),
        "X_LEASE must be between 15 seconds and 1 hour, got \"10s\""
      )
      assert.strictEqual(Duration.toSeconds(yield* bounded.pipe(withEnv({ X_LEASE: "15s" }))), 15)
      assert.strictEqual(Duration.toSeconds(yield* bounded.pipe(withEnv({}))), 60)
    }))

  it.effect("a whole-number setting within its bounds, else a message naming it", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* Settings.sendRate.pipe(withEnv({})), 200)
      assert.strictEqual(yield* Settings.sendRate.pipe(withEnv({ WA_SESSION_SEND_RATE: "60" })), 60)
      assert.strictEqual(
        yield* failure(Settings.sendRate.pipe(withEnv({ WA_SESSION_SEND_RATE: "0" }))),
        "WA_SESSION_SEND_RATE must be a whole number of sends a minute from 1 to 100000"
      )
      assert.strictEqual(
        yield* failure(Settings.wholeNumber("X_N", 5, { min: 1, max: 9 }).pipe(withEnv({ X_N: "10" }))),
        "X_N must be a whole number from 1 to 9"
      )
    }))

  it.effect("the use-case settings as SessionService takes them", () =>
    Effect.gen(function*() {
      const settings = yield* Settings.sessionSettings.pipe(
        withEnv({ WA_SESSION_SAFETY_MARGIN: "5m", WA_SESSION_EXPIRING_LEAD: "30m", WA_SESSION_SEND_RATE: "60" })
      )
      assert.strictEqual(Duration.toMinutes(settings.safetyMargin), 5)
      assert.strictEqual(Duration.toMinutes(settings.expiringLead), 30)
      assert.deepStrictEqual(settings.sendPacing, { perMinute: 60 })
    }))

  it.effect("dry-run exactly when no Exotel credential is set (blank ones do not count)", () =>
    Effect.gen(function*() {
      assert.isTrue(yield* Settings.isDryRun.pipe(withEnv({})))
      assert.isFalse(yield* Settings.isDryRun.pipe(withEnv({ EXOTEL_API_KEY: "k" })))
      assert.isFalse(yield* Settings.isDryRun.pipe(withEnv({ EXOTEL_ACCOUNT_SID: "sid" })))
      assert.isTrue(yield* Settings.isDryRun.pipe(withEnv({ EXOTEL_API_KEY: " " })))
    }))

  it.effect("the dry-run sender is never to be called", () =>
    Effect.gen(function*() {
      const sender = yield* MessageSender.MessageSender
      const exit = yield* Effect.exit(sender.send({
        outboundId: "msg_1",
        idempotencyKey: Option.none(),
        from: PhoneNumber.unsafeMake("+919876500001"),
        to: PhoneNumber.unsafeMake("+919876543210"),
        content: { type: "text", text: { body: "Hi" } }
      }))
      assert.isTrue(Exit.isFailure(exit) && Cause.isDie(exit.cause))
      assert.include(Cause.pretty(Exit.isFailure(exit) ? exit.cause : Cause.empty), "dry-run: msg_1 must not be sent")
    }).pipe(Effect.provide(Settings.DryRunSender)))

  it.effect("a message recorded by hand: manual_ and a fresh id", () =>
    Effect.gen(function*() {
      assert.match(yield* Settings.manualMessageId, /^manual_msg_[0-9a-f]{32}$/)
    }).pipe(Effect.provide(RandomIds.layer)))
})
