// The settings of the use cases: the `SessionConfig` tag, its defaults and the layer that provides them.
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Layer from "effect/Layer"
import * as ClockSkew from "../ClockSkew.js"
import * as Pacing from "../Pacing.js"
import * as WindowEvents from "../WindowEvents.js"

/**
 * Settings of the use cases.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionSettings {
  /** Close windows this long before their true expiry. */
  readonly safetyMargin: Duration.Duration
  /** How far a provider timestamp may be ahead of the receive time (clock-skew guard). */
  readonly skewTolerance: Duration.Duration
  /** Decide and store, send nothing. */
  readonly dryRun: boolean
  /** How long before a window stops being open `window.expiring` is due (zero: never). Since 0.2.0. */
  readonly expiringLead: Duration.Duration
  /** The provider's account limit that sends are paced under (default `Pacing.defaultPolicy`). Since 0.2.0. */
  readonly sendPacing?: Pacing.Policy | undefined
  /**
   * How long a send the provider did not take (unavailable, rate-limited) is tried again before it fails (default
   * `SEND_RETRY_FOR`, an hour; zero: it fails at once). Since 0.2.0.
   */
  readonly sendRetryFor?: Duration.Duration | undefined
  /** At most one re-engagement template per pair in this long (default 24 hours). Since 0.2.0. */
  readonly reengageInterval?: Duration.Duration | undefined
}

/**
 * @since 0.1.0
 * @category tags
 */
export class SessionConfig extends Context.Tag("@wa-session/session-core/SessionConfig")<
  SessionConfig,
  SessionSettings
>() {}

/**
 * The defaults: no safety margin, 5 minutes of skew tolerance, real sends, `window.expiring` an hour ahead.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultSettings: SessionSettings = {
  safetyMargin: Duration.zero,
  skewTolerance: ClockSkew.DEFAULT_TOLERANCE,
  dryRun: false,
  expiringLead: WindowEvents.DEFAULT_EXPIRING_LEAD,
  sendPacing: Pacing.defaultPolicy
}

/**
 * The window-event policy of the settings.
 *
 * @since 0.2.0
 * @category getters
 */
export const policyOf = (settings: SessionSettings): WindowEvents.Policy => ({
  safetyMargin: settings.safetyMargin,
  expiringLead: settings.expiringLead
})

/**
 * @example
 * ```ts
 * import { SessionService } from "@wa-session/session-core"
 * import { Duration, Effect, Option } from "effect"
 * declare const pair: { business: PhoneNumber; customer: PhoneNumber }
 * // provide SessionStore, MessageSender and Ids from the adapters, and the settings:
 * const program = SessionService.windowStatus(pair).pipe(
 *   Effect.provide(SessionService.layerConfig({ safetyMargin: Duration.minutes(5) }))
 * )
 * ```
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (settings: Partial<SessionSettings> = {}): Layer.Layer<SessionConfig> =>
  Layer.succeed(SessionConfig, { ...defaultSettings, ...settings })

/**
 * How long a send job whose sends failed before the provider took it (unavailable, rate-limited) is tried again:
 * an hour, unless `SessionSettings.sendRetryFor` says otherwise.
 *
 * @since 0.2.0
 * @category constants
 */
export const SEND_RETRY_FOR: Duration.Duration = Duration.hours(1)
