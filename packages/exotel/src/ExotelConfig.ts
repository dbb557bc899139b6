/**
 * Settings of the Exotel adapter: credentials, account, API host, webhook URL, timeouts and retry policy.
 *
 * @since 0.1.0
 */
import { Durations } from "@wa-session/session-core"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"

/**
 * Exotel's API clusters.
 *
 * @since 0.1.0
 * @category models
 */
export type Region = "singapore" | "mumbai"

/**
 * Mumbai (`api.in.exotel.com`): the cluster of Exotel's WhatsApp examples and of most Indian accounts.
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_REGION: Region = "mumbai"

/**
 * @since 0.1.0
 * @category constants
 */
export const REGION_BASE_URLS: Readonly<Record<Region, string>> = {
  singapore: "https://api.exotel.com",
  mumbai: "https://api.in.exotel.com"
}

/**
 * Reads a region name: `singapore`/`sg` or `mumbai`/`in`, in any case.
 *
 * @since 0.1.0
 * @category constructors
 */
export const parseRegion = (input: string): Option.Option<Region> => {
  switch (input.trim().toLowerCase()) {
    case "singapore":
    case "sg":
      return Option.some("singapore")
    case "mumbai":
    case "in":
      return Option.some("mumbai")
    default:
      return Option.none()
  }
}

/**
 * How sends are retried. Only attempts known not to have been accepted by Exotel are retried: 429 (after
 * `Retry-After`, or an exponential backoff with jitter when absent), 5xx without a message id, and connections that
 * could not be made. Timeouts and connections lost after the request was sent are never retried (the message may
 * have been accepted). All retries of a send happen within its `sendDeadline`.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  readonly maxRetries: number
  /** The first backoff; it doubles per retry, up to `maxDelay`, with jitter between half and all of it. */
  readonly baseDelay: Duration.Duration
  readonly maxDelay: Duration.Duration
  /** The longest `Retry-After` we wait for; a longer one fails at once as rate-limited. */
  readonly maxRetryAfter: Duration.Duration
}

/**
 * 3 retries, backoff from 500 ms up to 8 s, `Retry-After` honoured up to 30 s (each within the send deadline).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultRetryPolicy: RetryPolicy = {
  maxRetries: 3,
  baseDelay: Duration.millis(500),
  maxDelay: Duration.seconds(8),
  maxRetryAfter: Duration.seconds(30)
}

/**
 * The resolved settings.
 *
 * @since 0.1.0
 * @category models
 */
export interface ExotelOptions {
  readonly apiKey: Redacted.Redacted<string>
  readonly apiToken: Redacted.Redacted<string>
  readonly accountSid: string
  /** Scheme and host without a trailing slash, e.g. `https://api.exotel.com`. */
  readonly baseUrl: string
  /**
   * Our webhook URL, sent as `status_callback` with every message: Exotel posts delivery reports there and
   * routes the customer's replies to it, so without it replies go to the account's default URL only.
   */
  readonly statusCallbackUrl: Option.Option<string>
  /** Time allowed for one HTTP attempt, answer included (less when the send deadline is nearer). */
  readonly requestTimeout: Duration.Duration
  /**
   * Time allowed for one send, all its attempts and waits included. A retry whose wait would end past it is not
   * made: the send fails with the last error. Since 0.2.0.
   */
  readonly sendDeadline: Duration.Duration
  readonly retry: RetryPolicy
}

/**
 * What {@link make} needs: the host comes from `baseUrl` when given, else from `region` (default Mumbai, the
 * cluster of the seed's examples and of most Indian accounts).
 *
 * @since 0.1.0
 * @category models
 */
export interface ExotelOptionsInput {
  readonly apiKey: Redacted.Redacted<string>
  readonly apiToken: Redacted.Redacted<string>
  readonly accountSid: string
  readonly region?: Region | undefined
  readonly baseUrl?: string | undefined
  readonly statusCallbackUrl?: string | Option.Option<string> | undefined
  readonly requestTimeout?: Duration.DurationInput | undefined
  /** Since 0.2.0. */
  readonly sendDeadline?: Duration.DurationInput | undefined
  readonly retry?: Partial<RetryPolicy> | undefined
}

/**
 * @since 0.1.0
 * @category tags
 */
export class ExotelConfig extends Context.Tag("@wa-session/exotel/ExotelConfig")<ExotelConfig, ExotelOptions>() {}

/**
 * 10 seconds.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_REQUEST_TIMEOUT: Duration.Duration = Duration.seconds(10)

/**
 * 15 seconds: the overall time of one send (see {@link ExotelOptions.sendDeadline}).
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_SEND_DEADLINE: Duration.Duration = Duration.seconds(15)

/**
 * Resolves the settings, filling defaults.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (input: ExotelOptionsInput): ExotelOptions => ({
  apiKey: input.apiKey,
  apiToken: input.apiToken,
  accountSid: input.accountSid,
  baseUrl: (input.baseUrl ?? REGION_BASE_URLS[input.region ?? DEFAULT_REGION]).replace(/\/+$/, ""),
  statusCallbackUrl: Option.isOption(input.statusCallbackUrl)
    ? input.statusCallbackUrl
    : Option.fromNullable(input.statusCallbackUrl),
  requestTimeout: Duration.decode(input.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT),
  sendDeadline: Duration.decode(input.sendDeadline ?? DEFAULT_SEND_DEADLINE),
  retry: { ...defaultRetryPolicy, ...input.retry }
})

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (input: ExotelOptionsInput): Layer.Layer<ExotelConfig> => Layer.succeed(ExotelConfig, make(input))

const httpUrl = (name: string) =>
  Config.string(name).pipe(
    Config.mapOrFail((value) => {
      try {
        const url = new URL(value.trim())
        if (url.protocol === "http:" || url.protocol === "https:") return Either.right(url.toString())
      } catch {
        // reported below
      }
      return Either.left(ConfigError.InvalidData([], `${name} must be an http(s) URL, got "${value}"`))
    })
  )

const region = Config.string("EXOTEL_REGION").pipe(
  Config.mapOrFail((value) =>
    Option.match(parseRegion(value), {
      onNone: () =>
        Either.left(
          ConfigError.InvalidData([], `EXOTEL_REGION must be one of singapore, sg, mumbai, in; got "${value}"`)
        ),
      onSome: Either.right
    })
  )
)

/**
 * The settings from configuration: `EXOTEL_API_KEY`, `EXOTEL_API_TOKEN`, `EXOTEL_ACCOUNT_SID` (required);
 * `EXOTEL_BASE_URL` or `EXOTEL_REGION` (`singapore`|`sg`|`mumbai`|`in`; the base URL wins when both are set,
 * Mumbai when neither, since 0.2.0); `EXOTEL_STATUS_CALLBACK_URL`, `EXOTEL_REQUEST_TIMEOUT` (per attempt, e.g.
 * `10 seconds` or `10s`), `EXOTEL_SEND_DEADLINE` (per send, retries included, e.g. `15s`; since 0.2.0; both in the
 * syntax of session-core's `Durations.FromString` since 0.2.0),
 * `EXOTEL_MAX_RETRIES` (optional). `defaults` fills what configuration leaves out.
 *
 * @since 0.1.0
 * @category config
 */
export const config = (
  defaults: Partial<Omit<ExotelOptionsInput, "apiKey" | "apiToken" | "accountSid">> = {}
): Config.Config<ExotelOptions> =>
  Config.all({
    apiKey: Config.redacted("EXOTEL_API_KEY"),
    apiToken: Config.redacted("EXOTEL_API_TOKEN"),
    accountSid: Config.nonEmptyString("EXOTEL_ACCOUNT_SID"),
    region: Config.option(region),
    baseUrl: Config.option(httpUrl("EXOTEL_BASE_URL")),
    statusCallbackUrl: Config.option(httpUrl("EXOTEL_STATUS_CALLBACK_URL")),
    requestTimeout: Config.option(Schema.Config("EXOTEL_REQUEST_TIMEOUT", Durations.FromString)),
    sendDeadline: Config.option(
      Schema.Config("EXOTEL_SEND_DEADLINE", Durations.FromString).pipe(
        Config.validate({
          message: "EXOTEL_SEND_DEADLINE must be longer than 0",
          validation: (duration) => Duration.greaterThan(duration, Duration.zero)
        })
      )
    ),
    maxRetries: Config.option(
      Config.integer("EXOTEL_MAX_RETRIES").pipe(
        Config.validate({ message: "EXOTEL_MAX_RETRIES must be 0 or more", validation: (n) => n >= 0 })
      )
    )
  }).pipe(
    Config.map((read) =>
      make({
        apiKey: read.apiKey,
        apiToken: read.apiToken,
        accountSid: read.accountSid.trim(),
        region: defaults.region,
        baseUrl: read.baseUrl.pipe(
          Option.orElse(() => Option.map(read.region, (region) => REGION_BASE_URLS[region])),
          Option.getOrElse(() => defaults.baseUrl)
        ),
        statusCallbackUrl: Option.orElse(read.statusCallbackUrl, () =>
          Option.isOption(defaults.statusCallbackUrl)
            ? defaults.statusCallbackUrl
            : Option.fromNullable(defaults.statusCallbackUrl)),
        requestTimeout: Option.getOrElse(read.requestTimeout, () => defaults.requestTimeout),
        sendDeadline: Option.getOrElse(read.sendDeadline, () => defaults.sendDeadline),
        retry: Option.match(read.maxRetries, {
          onNone: () => defaults.retry,
          onSome: (maxRetries) => ({ ...defaults.retry, maxRetries })
        })
      })
    )
  )

/**
 * {@link ExotelConfig} from configuration (see {@link config}). Fails with a `ConfigError` naming the variable
 * that is missing or invalid.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  defaults: Partial<Omit<ExotelOptionsInput, "apiKey" | "apiToken" | "accountSid">> = {}
): Layer.Layer<ExotelConfig, ConfigError.ConfigError> => Layer.effect(ExotelConfig, config(defaults))
