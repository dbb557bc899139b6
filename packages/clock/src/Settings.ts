/**
 * What the server and the CLI read and decide alike, in one place: the use-case settings both read from the
 * environment through Effect `Config` (`WA_SESSION_SAFETY_MARGIN`, `WA_SESSION_EXPIRING_LEAD`,
 * `WA_SESSION_SEND_RATE`), the readers of duration and whole-number settings, dry-run (no Exotel credentials) with
 * its sender that must never be called, and the id of a message recorded by hand.
 *
 * @since 0.2.0
 */
import { Durations, Ids, MessageSender } from "@wa-session/session-core"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"

const invalid = (message: string) => Either.left(ConfigError.InvalidData([], message))

const readDuration = Schema.decodeUnknownOption(Durations.FromString)

/**
 * The bounds of a duration setting: at least `min`, shorter than `below`; `what` says them in the error.
 *
 * @since 0.2.0
 * @category models
 */
export interface DurationBounds {
  readonly min?: Duration.Duration
  readonly below?: Duration.Duration
  readonly what: string
}

/**
 * A duration setting, written as `Durations.FromString` reads it (seconds, `1h30m` or `5 minutes`), within
 * `[min, below)`; `fallback` when unset. A bad value fails naming the variable and the value.
 *
 * @since 0.2.0
 * @category constructors
 */
export const duration = (
  name: string,
  fallback: Duration.Duration,
  bounds: DurationBounds
): Config.Config<Duration.Duration> =>
  Config.string(name).pipe(
    Config.mapOrFail((value) =>
      Option.match(readDuration(value), {
        onNone: () =>
          invalid(`${name} must be seconds (e.g. 300) or a duration (e.g. 5m, 1h30m, "5 minutes"), got "${value}"`),
        onSome: (parsed) =>
          (bounds.below !== undefined && !Duration.lessThan(parsed, bounds.below)) ||
            (bounds.min !== undefined && Duration.lessThan(parsed, bounds.min))
            ? invalid(`${name} must be ${bounds.what}, got "${value}"`)
            : Either.right(parsed)
      })
    ),
    Config.withDefault(fallback)
  )

/**
 * A whole-number setting within `[min, max]`, `fallback` when unset; `what` names the unit in the error.
 *
 * @since 0.2.0
 * @category constructors
 */
export const wholeNumber = (
  name: string,
  fallback: number,
  bounds: { readonly min: number; readonly max: number; readonly what?: string }
): Config.Config<number> =>
  Config.integer(name).pipe(
    Config.validate({
      message: `${name} must be a whole number${bounds.what ?? ""} from ${bounds.min} to ${bounds.max}`,
      validation: (value) => value >= bounds.min && value <= bounds.max
    }),
    Config.withDefault(fallback)
  )

/**
 * `WA_SESSION_SAFETY_MARGIN`: how much earlier than 24 hours a window stops being open (default 0, under 24 hours).
 *
 * @since 0.2.0
 * @category settings
 */
export const safetyMargin: Config.Config<Duration.Duration> = duration("WA_SESSION_SAFETY_MARGIN", Duration.zero, {
  below: Duration.hours(24),
  what: "shorter than 24 hours"
})

/**
 * `WA_SESSION_EXPIRING_LEAD`: how long before a window stops being open `window.expiring` is recorded (default
 * 1 hour; 0 never; under 24 hours).
 *
 * @since 0.2.0
 * @category settings
 */
export const expiringLead: Config.Config<Duration.Duration> = duration("WA_SESSION_EXPIRING_LEAD", Duration.hours(1), {
  below: Duration.hours(24),
  what: "shorter than 24 hours (0 turns window.expiring off)"
})

/**
 * `WA_SESSION_REENGAGE_INTERVAL`: at most one re-engagement template per pair in this long, however many messages are
 * parked for it (default 24 hours; 0 nudges with every parked message; under 30 days).
 *
 * @since 0.2.0
 * @category settings
 */
export const reengageInterval: Config.Config<Duration.Duration> = duration(
  "WA_SESSION_REENGAGE_INTERVAL",
  Duration.hours(24),
  { below: Duration.days(30), what: "shorter than 30 days (0 sends the template with every parked message)" }
)

/**
 * `WA_SESSION_SEND_RATE`: the provider's account limit in sends a minute (default 200, 1 to 100,000).
 *
 * @since 0.2.0
 * @category settings
 */
export const sendRate: Config.Config<number> = wholeNumber("WA_SESSION_SEND_RATE", 200, {
  min: 1,
  max: 100_000,
  what: " of sends a minute"
})

/**
 * The use-case settings both apps read, as `SessionService.layerConfig` takes them (`sendPacing.perMinute` is
 * `WA_SESSION_SEND_RATE`).
 *
 * @since 0.2.0
 * @category settings
 */
export const sessionSettings: Config.Config<{
  readonly safetyMargin: Duration.Duration
  readonly expiringLead: Duration.Duration
  readonly sendPacing: { readonly perMinute: number }
  readonly reengageInterval: Duration.Duration
}> = Config.map(
  Config.all([safetyMargin, expiringLead, sendRate, reengageInterval]),
  ([safetyMargin, expiringLead, perMinute, reengageInterval]) => ({
    safetyMargin,
    expiringLead,
    sendPacing: { perMinute },
    reengageInterval
  })
)

/**
 * The Exotel variables whose presence switches dry-run off.
 *
 * @since 0.2.0
 * @category constants
 */
export const EXOTEL_CREDENTIALS = ["EXOTEL_API_KEY", "EXOTEL_API_TOKEN", "EXOTEL_ACCOUNT_SID"] as const

/**
 * True when none of the Exotel credentials is set (or each is blank): decide and store, send nothing.
 *
 * @since 0.2.0
 * @category settings
 */
export const isDryRun: Config.Config<boolean> = Config.map(
  Config.all(EXOTEL_CREDENTIALS.map((name) => Config.option(Config.string(name)))),
  (values) => values.every((value) => Option.isNone(value) || value.value.trim() === "")
)

/**
 * The sender of a dry run: dry-run messages never reach it, so a call is a defect.
 *
 * @since 0.2.0
 * @category layers
 */
export const DryRunSender: Layer.Layer<MessageSender.MessageSender> = Layer.succeed(MessageSender.MessageSender, {
  send: (request) => Effect.dieMessage(`dry-run: ${request.outboundId} must not be sent`)
})

/**
 * The prefix of the id of a customer message recorded by hand without one (the API's `POST …/inbound`, the CLI's
 * `inbound`).
 *
 * @since 0.2.0
 * @category constants
 */
export const MANUAL_MESSAGE_ID_PREFIX = "manual_"

/**
 * A fresh id for a customer message recorded by hand: {@link MANUAL_MESSAGE_ID_PREFIX} and the next id of `Ids`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const manualMessageId: Effect.Effect<string, never, Ids.Ids> = Effect.flatMap(Ids.Ids, (ids) => ids.next).pipe(
  Effect.map((id) => `${MANUAL_MESSAGE_ID_PREFIX}${id}`)
)
