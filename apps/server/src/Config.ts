import { RandomTokens, Settings } from "@wa-session/clock"
import { Delivery, RelayService } from "@wa-session/session-core"
import { Directory, StoreConfig } from "@wa-session/storage"
import { Config, ConfigError, Context, Data, Duration, Effect, Either, Option, Redacted } from "effect"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"

/** Where a secret came from: the environment, or a file in the data directory (created now or earlier). */
export type SecretSource =
  | { readonly _tag: "Env"; readonly name: string }
  | { readonly _tag: "File"; readonly path: string; readonly created: boolean }

export type EventsUrl =
  | { readonly _tag: "Unset" }
  | { readonly _tag: "Off" }
  | { readonly _tag: "Url"; readonly url: string }

export interface ServerSettings {
  readonly host: string
  readonly port: number
  readonly databaseUrl: Redacted.Redacted<string>
  /** Where generated secrets live: the SQLite file's directory, else `./data`. */
  readonly dataDir: string
  readonly apiToken: Redacted.Redacted<string>
  readonly apiTokenSource: SecretSource
  readonly webhookSecret: Redacted.Redacted<string>
  readonly webhookSecretSource: SecretSource
  /** Our externally reachable base URL, without a trailing slash. */
  readonly publicUrl: Option.Option<string>
  readonly safetyMargin: Duration.Duration
  /** Largest request body accepted. */
  readonly maxBodyBytes: number
  /**
   * Where every event goes (`WA_SESSION_EVENTS_URL`), besides the endpoints added through the API: not set (the
   * configured endpoint stays as stored), `off` (`none`: removed), or a URL.
   */
  readonly eventsUrl: EventsUrl
  /** The `whsec_…` secret that signs deliveries to `eventsUrl`. */
  readonly eventsSecret: Redacted.Redacted<string>
  readonly eventsSecretSource: SecretSource
  /** How long before a window stops being open `window.expiring` goes out (zero: never). */
  readonly expiringLead: Duration.Duration
  /** How long message content, dedup ids, delivered events and quarantine entries are kept. */
  readonly retention: Duration.Duration
  /** How long a delivery is retried before it becomes a dead letter. */
  readonly deliveryRetryFor: Duration.Duration
  /** The longest wait between two attempts of a delivery. */
  readonly deliveryMaxBackoff: Duration.Duration
  /** How long a claimed delivery is reserved for the server that claimed it (another takes it over after that). */
  readonly deliveryLease: Duration.Duration
  /** The longest any store operation may take before it counts as failed (503); batch jobs get longer. */
  readonly storeTimeout: Duration.Duration
  /** How long `POST /v1/messages` waits for the provider's answer before answering `queued` (`WA_SESSION_SEND_WAIT`). */
  readonly sendWait: Duration.Duration
  /** The provider's account limit, sends a minute, shared by the servers on one database (`WA_SESSION_SEND_RATE`). */
  readonly sendRate: number
  /** How long a claimed or started send may stay so before it is taken as abandoned (`WA_SESSION_SEND_LEASE`). */
  readonly sendLease: Duration.Duration
  /** How long a send Exotel did not take (unavailable, rate-limited) is tried again (`WA_SESSION_SEND_RETRY_FOR`). */
  readonly sendRetryFor: Duration.Duration
  /** At most one re-engagement template per pair in this long (`WA_SESSION_REENGAGE_INTERVAL`). */
  readonly reengageInterval: Duration.Duration
  /** The limits of the HTTP server itself (slow, idle and too many connections). */
  readonly edge: EdgeSettings
}

export interface EdgeSettings {
  /** How long a connection may take to send a request's headers, its first request included. */
  readonly headersTimeout: Duration.Duration
  /** How long a whole request (headers and body) may take to arrive. */
  readonly requestTimeout: Duration.Duration
  /** How long a kept-alive connection may stay idle between requests. */
  readonly idleTimeout: Duration.Duration
  /** Open connections at most; at the cap the oldest one that never sent a request makes room, else the new one is closed. */
  readonly maxConnections: number
  /** Items of one webhook batch at most; a larger batch is kept whole in the quarantine and answered 400. */
  readonly maxBatchItems: number
}

export class ServerConfig extends Context.Tag("@wa-session/server/ServerConfig")<ServerConfig, ServerSettings>() {}

export const MAX_BODY_BYTES = 1024 * 1024
export const DEFAULT_DATA_DIR = "./data"
export const API_TOKEN_FILE = "api-token"
export const WEBHOOK_SECRET_FILE = "webhook-secret"
export const EVENTS_SECRET_FILE = "events-secret"

export class SecretFileError extends Data.TaggedError("SecretFileError")<{
  readonly setting: string
  readonly path: string
  readonly cause: unknown
}> {
  override get message(): string {
    const reason = this.cause instanceof Error ? this.cause.message : String(this.cause)
    return `${this.setting} is not set and ${this.path} cannot be read or created: ${reason}`
  }
}

const invalid = (message: string) => Either.left(ConfigError.InvalidData([], message))

// The readers and the settings the CLI reads too live in one place (`@wa-session/clock` `Settings`).
const { duration, wholeNumber } = Settings

/** `WA_SESSION_SAFETY_MARGIN` (the CLI's local commands read the same). */
export const safetyMargin = Settings.safetyMargin
/** `WA_SESSION_EXPIRING_LEAD` (the CLI's local commands read the same). */
export const expiringLead = Settings.expiringLead
const retention = duration("WA_SESSION_RETENTION", Duration.days(90), {
  min: Duration.hours(1),
  what: "at least 1 hour"
})
const deliveryRetryFor = duration("WA_SESSION_DELIVERY_RETRY_FOR", Duration.hours(24), {
  min: Duration.seconds(1),
  below: Duration.days(30),
  what: "between 1 second and 30 days"
})
const deliveryMaxBackoff = duration("WA_SESSION_DELIVERY_MAX_BACKOFF", Duration.minutes(10), {
  min: Duration.seconds(1),
  below: Duration.days(1),
  what: "between 1 second and 1 day"
})

const deliveryLease = duration("WA_SESSION_DELIVERY_LEASE", Duration.minutes(1), {
  min: Duration.seconds(15),
  below: Duration.hours(1),
  what: "between 15 seconds (longer than an attempt) and 1 hour"
})

const storeTimeout = duration("WA_SESSION_STORE_TIMEOUT", Duration.seconds(4), {
  min: Duration.seconds(1),
  below: Duration.minutes(10),
  what: "between 1 second and 10 minutes"
})
const sendWait = duration("WA_SESSION_SEND_WAIT", Duration.seconds(5), {
  below: Duration.minutes(1),
  what: "shorter than 1 minute (0 answers queued at once)"
})
const sendRetryFor = duration("WA_SESSION_SEND_RETRY_FOR", Duration.hours(1), {
  below: Duration.days(7),
  what: "shorter than 7 days (0 fails such a send at once)"
})
const sendLease = duration("WA_SESSION_SEND_LEASE", Duration.minutes(2), {
  min: Duration.seconds(20),
  below: Duration.hours(1),
  what: "between 20 seconds (longer than a pacing wait plus EXOTEL_SEND_DEADLINE) and 1 hour"
})
/** `WA_SESSION_SEND_RATE` (the CLI's local `send` reads the same). */
export const sendRate = Settings.sendRate
const headersTimeout = duration("WA_SESSION_HEADERS_TIMEOUT", Duration.seconds(10), {
  min: Duration.seconds(1),
  below: Duration.minutes(10),
  what: "between 1 second and 10 minutes"
})
const requestTimeout = duration("WA_SESSION_REQUEST_TIMEOUT", Duration.seconds(30), {
  min: Duration.seconds(1),
  below: Duration.hours(1),
  what: "between 1 second and 1 hour"
})
const idleTimeout = duration("WA_SESSION_IDLE_TIMEOUT", Duration.seconds(65), {
  min: Duration.seconds(1),
  below: Duration.hours(1),
  what: "between 1 second and 1 hour"
})
const maxConnections = wholeNumber("WA_SESSION_MAX_CONNECTIONS", 1000, { min: 16, max: 1_000_000 })
const maxBatchItems = wholeNumber("WA_SESSION_MAX_BATCH_ITEMS", 1000, { min: 1, max: 100_000 })

const parseHttpUrl = (name: string, value: string, query: "allowed" | "refused") => {
  try {
    const url = new URL(value.trim())
    if (
      (url.protocol === "http:" || url.protocol === "https:") && url.hash === "" &&
      (query === "allowed" || url.search === "")
    ) {
      return Either.right(url.toString().replace(/\/+$/, ""))
    }
  } catch {
    // reported below
  }
  return invalid(
    `${name} must be an http(s) URL${query === "refused" ? " without query" : ""}, got "${Delivery.redactUrl(value)}"`
  )
}

const httpUrl = (name: string, query: "allowed" | "refused") =>
  Config.string(name).pipe(Config.mapOrFail((value) => parseHttpUrl(name, value, query)), Config.option)

const eventsUrl = Config.string("WA_SESSION_EVENTS_URL").pipe(
  Config.mapOrFail((value): Either.Either<EventsUrl, ConfigError.ConfigError> =>
    value.trim().toLowerCase() === "none"
      ? Either.right({ _tag: "Off" })
      : Either.flatMap(
        parseHttpUrl("WA_SESSION_EVENTS_URL", value, "allowed"),
        (url): Either.Either<EventsUrl, ConfigError.ConfigError> =>
          // not echoed: it holds the webhook secret
          RelayService.isExotelWebhookUrl(url)
            ? invalid(
              "WA_SESSION_EVENTS_URL must be your application's URL, not a wa-session Exotel webhook " +
                "(/webhooks/exotel/…): the events delivered there would come back as quarantined items, in a loop"
            )
            : Either.right({ _tag: "Url", url })
      )
  ),
  Config.withDefault<EventsUrl>({ _tag: "Unset" })
)

const eventsSecret = Config.redacted("WA_SESSION_EVENTS_SECRET").pipe(
  Config.validate({
    message: "WA_SESSION_EVENTS_SECRET must be whsec_ and the base64 of 24 to 64 random bytes",
    validation: (value) => Delivery.isValidSecret(Redacted.value(value).trim())
  }),
  Config.option
)

const publicUrl = httpUrl("WA_SESSION_PUBLIC_URL", "refused")

const secret = (name: string) =>
  Config.redacted(name).pipe(
    Config.validate({
      message: `${name} must be at least 16 characters`,
      validation: (value) => Redacted.value(value).trim().length >= 16
    }),
    Config.option
  )

const host = Config.string("HOST").pipe(
  Config.validate({ message: "HOST must not be empty", validation: (value) => value.trim() !== "" }),
  Config.withDefault("127.0.0.1")
)

const port = Config.port("PORT").pipe(Config.withDefault(8080))

const databaseUrl = Config.redacted(StoreConfig.SETTING).pipe(
  Config.withDefault(Redacted.make(StoreConfig.DEFAULT_URL))
)

/** The directory of the SQLite file, else `./data` (memory and PostgreSQL have no file). */
export const dataDirOf = (url: Redacted.Redacted<string>): string =>
  Either.match(StoreConfig.parse(url), {
    onLeft: () => DEFAULT_DATA_DIR,
    onRight: (parsed) =>
      parsed._tag === "Sqlite" && parsed.filename !== ":memory:" ? Path.dirname(parsed.filename) : DEFAULT_DATA_DIR
  })

/**
 * The secret in `dir/file`, created with 32 random bytes (mode 0600) when missing. A file another process creates
 * at the same moment wins (`wx`), so concurrent starts agree on one secret.
 */
export const readOrCreateSecret = (
  setting: string,
  dir: string,
  file: string,
  generate: () => string = () => Crypto.randomBytes(32).toString("base64url")
): Effect.Effect<{ readonly value: Redacted.Redacted<string>; readonly source: SecretSource }, SecretFileError> => {
  const path = Path.resolve(dir, file)
  const read = Effect.tryPromise({
    try: () => Fs.readFile(path, "utf8"),
    catch: (cause) => cause
  })
  const readExisting = read.pipe(
    Effect.flatMap((text) =>
      text.trim() === ""
        ? Effect.fail(new Error(`${path} is empty; delete it to generate a new one`))
        : Effect.succeed({ value: Redacted.make(text.trim()), source: { _tag: "File", path, created: false } as const })
    )
  )
  const create = Effect.tryPromise({
    try: async () => {
      Directory.makeDirectory(Path.dirname(path))
      const value = generate()
      await Fs.writeFile(path, `${value}\n`, { mode: 0o600, flag: "wx" })
      return { value: Redacted.make(value), source: { _tag: "File", path, created: true } as const }
    },
    catch: (cause) => cause
  })
  const isCode = (cause: unknown, code: string) =>
    typeof cause === "object" && cause !== null && (cause as { code?: unknown }).code === code
  return readExisting.pipe(
    Effect.catchIf(
      (cause) => isCode(cause, "ENOENT"),
      () => create.pipe(Effect.catchIf((cause) => isCode(cause, "EEXIST"), () => readExisting))
    ),
    Effect.mapError((cause) => new SecretFileError({ setting, path, cause }))
  )
}

const resolveSecret = (
  setting: string,
  fromEnv: Option.Option<Redacted.Redacted<string>>,
  dir: string,
  file: string,
  generate?: () => string
) =>
  Option.match(fromEnv, {
    onNone: () => readOrCreateSecret(setting, dir, file, generate),
    onSome: (value) =>
      Effect.succeed({
        value: Redacted.make(Redacted.value(value).trim()),
        source: { _tag: "Env", name: setting } as const
      })
  })

/** Every server setting, from `Config` (environment by default); secrets generated in the data directory. */
export const load: Effect.Effect<ServerSettings, ConfigError.ConfigError | SecretFileError> = Effect.gen(function*() {
  const read = yield* Config.all({
    host,
    port,
    databaseUrl,
    apiToken: secret("WA_SESSION_API_TOKEN"),
    webhookSecret: secret("WA_SESSION_WEBHOOK_SECRET"),
    publicUrl,
    safetyMargin,
    eventsUrl,
    eventsSecret,
    expiringLead,
    retention,
    deliveryRetryFor,
    deliveryMaxBackoff,
    deliveryLease,
    storeTimeout,
    sendWait,
    sendRate,
    sendLease,
    sendRetryFor,
    reengageInterval: Settings.reengageInterval,
    headersTimeout,
    requestTimeout,
    idleTimeout,
    maxConnections,
    maxBatchItems
  })
  if (Duration.greaterThan(read.headersTimeout, read.requestTimeout)) {
    return yield* Effect.fail(
      ConfigError.InvalidData(
        ["WA_SESSION_HEADERS_TIMEOUT"],
        "WA_SESSION_HEADERS_TIMEOUT must not exceed WA_SESSION_REQUEST_TIMEOUT"
      )
    )
  }
  const dataDir = dataDirOf(read.databaseUrl)
  const apiToken = yield* resolveSecret("WA_SESSION_API_TOKEN", read.apiToken, dataDir, API_TOKEN_FILE)
  const webhookSecret = yield* resolveSecret(
    "WA_SESSION_WEBHOOK_SECRET",
    read.webhookSecret,
    dataDir,
    WEBHOOK_SECRET_FILE
  )
  const eventsSecretValue = yield* resolveSecret(
    "WA_SESSION_EVENTS_SECRET",
    read.eventsSecret,
    dataDir,
    EVENTS_SECRET_FILE,
    RandomTokens.newSigningSecret
  )
  if (!Delivery.isValidSecret(Redacted.value(eventsSecretValue.value))) {
    return yield* new SecretFileError({
      setting: "WA_SESSION_EVENTS_SECRET",
      path: Path.resolve(dataDir, EVENTS_SECRET_FILE),
      cause: new Error("it does not hold a whsec_ secret; delete it to generate a new one")
    })
  }
  return {
    host: read.host.trim(),
    port: read.port,
    databaseUrl: read.databaseUrl,
    dataDir,
    apiToken: apiToken.value,
    apiTokenSource: apiToken.source,
    webhookSecret: webhookSecret.value,
    webhookSecretSource: webhookSecret.source,
    publicUrl: read.publicUrl,
    safetyMargin: read.safetyMargin,
    maxBodyBytes: MAX_BODY_BYTES,
    eventsUrl: read.eventsUrl,
    eventsSecret: eventsSecretValue.value,
    eventsSecretSource: eventsSecretValue.source,
    expiringLead: read.expiringLead,
    retention: read.retention,
    deliveryRetryFor: read.deliveryRetryFor,
    deliveryMaxBackoff: read.deliveryMaxBackoff,
    deliveryLease: read.deliveryLease,
    storeTimeout: read.storeTimeout,
    sendWait: read.sendWait,
    sendRate: read.sendRate,
    sendLease: read.sendLease,
    sendRetryFor: read.sendRetryFor,
    reengageInterval: read.reengageInterval,
    edge: {
      headersTimeout: read.headersTimeout,
      requestTimeout: read.requestTimeout,
      idleTimeout: read.idleTimeout,
      maxConnections: read.maxConnections,
      maxBatchItems: read.maxBatchItems
    }
  }
})

const UNSET: EventsUrl = { _tag: "Unset" }

/** The defaults of the relay settings (as `load` reads them when unset), for settings built in code. */
export const RELAY_DEFAULTS = {
  eventsUrl: UNSET,
  expiringLead: Duration.hours(1),
  retention: Duration.days(90),
  deliveryRetryFor: Duration.hours(24),
  deliveryMaxBackoff: Duration.minutes(10),
  deliveryLease: Duration.minutes(1),
  storeTimeout: Duration.seconds(4),
  sendWait: Duration.seconds(5),
  sendRate: 200,
  sendLease: Duration.minutes(2),
  sendRetryFor: Duration.hours(1),
  reengageInterval: Duration.hours(24)
} as const

/** The defaults of the HTTP server's limits (as `load` reads them when unset). */
export const EDGE_DEFAULTS: EdgeSettings = {
  headersTimeout: Duration.seconds(10),
  requestTimeout: Duration.seconds(30),
  idleTimeout: Duration.seconds(65),
  maxConnections: 1000,
  maxBatchItems: 1000
}

/** The Exotel variables whose presence switches dry-run off. */
export const EXOTEL_CREDENTIALS = Settings.EXOTEL_CREDENTIALS

/** True when none of the Exotel credentials is set: decide and store, send nothing (the CLI decides the same). */
export const isDryRun: Effect.Effect<boolean, ConfigError.ConfigError> = Settings.isDryRun

/** The URL Exotel posts to: `<public or local base>/webhooks/exotel/<secret>`. */
export const webhookUrl = (settings: ServerSettings, localBase: string): string =>
  `${Option.getOrElse(settings.publicUrl, () => localBase)}/webhooks/exotel/${
    encodeURIComponent(Redacted.value(settings.webhookSecret))
  }`

/** The same with the secret masked (its first 4 characters, then `…`), for banners and logs. */
export const maskedWebhookUrl = (settings: ServerSettings, localBase: string): string =>
  `${Option.getOrElse(settings.publicUrl, () => localBase)}/webhooks/exotel/${
    encodeURIComponent(Redacted.value(settings.webhookSecret).slice(0, 4))
  }…`

/** `http://HOST:PORT` of the settings (what the banner shows once listening; the port may differ when it is 0). */
export const localBase = (settings: ServerSettings): string =>
  `http://${settings.host.includes(":") ? `[${settings.host}]` : settings.host}:${settings.port}`

const leaves = (error: ConfigError.ConfigError): Array<ConfigError.ConfigError> => {
  switch (error._op) {
    case "And":
    case "Or":
      return [...leaves(error.left), ...leaves(error.right)]
    default:
      return [error]
  }
}

/** One line naming the setting, for a configuration error that stops start-up. */
export const describeConfigError = (error: ConfigError.ConfigError): string => {
  const first = leaves(error)[0] ?? error
  const path = "path" in first ? first.path.join(".") : ""
  // The message of a missing secret is redacted by Effect; say what is wrong instead.
  const message = first._op !== "MissingData"
    ? first.message
    : EXOTEL_CREDENTIALS.some((name) => name === path)
    ? `${path} is required but not set (set all of ${EXOTEL_CREDENTIALS.join(", ")}, or none for dry-run)`
    : `${path} is required but not set`
  return path === "" || message.includes(path) ? message : `${path}: ${message}`
}
