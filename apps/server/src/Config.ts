import { StoreConfig } from "@wa-session/storage"
import { Config, ConfigError, Context, Data, Duration, Effect, Either, Option, Redacted } from "effect"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"

/** Where a secret came from: the environment, or a file in the data directory (created now or earlier). */
export type SecretSource =
  | { readonly _tag: "Env"; readonly name: string }
  | { readonly _tag: "File"; readonly path: string; readonly created: boolean }

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
}

export class ServerConfig extends Context.Tag("@wa-session/server/ServerConfig")<ServerConfig, ServerSettings>() {}

export const MAX_BODY_BYTES = 1024 * 1024
export const DEFAULT_DATA_DIR = "./data"
export const API_TOKEN_FILE = "api-token"
export const WEBHOOK_SECRET_FILE = "webhook-secret"

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

/** A duration: plain (fractional) seconds like `300`, or an Effect duration like `5 minutes`. */
export const parseDuration = (input: string): Option.Option<Duration.Duration> => {
  const value = input.trim()
  if (/^\d+(\.\d+)?$/.test(value)) return Option.some(Duration.millis(Math.round(Number(value) * 1000)))
  return Option.filter(
    Duration.decodeUnknown(value.replace(/\s+/g, " ")),
    (duration) => Duration.isFinite(duration) && Duration.toMillis(duration) >= 0
  )
}

const safetyMargin = Config.string("WA_SESSION_SAFETY_MARGIN").pipe(
  Config.mapOrFail((value) =>
    Option.match(parseDuration(value), {
      onNone: () =>
        invalid(`WA_SESSION_SAFETY_MARGIN must be seconds (e.g. 300) or a duration (e.g. "5 minutes"), got "${value}"`),
      onSome: (duration) =>
        Duration.lessThan(duration, Duration.hours(24))
          ? Either.right(duration)
          : invalid(`WA_SESSION_SAFETY_MARGIN must be shorter than 24 hours, got "${value}"`)
    })
  ),
  Config.withDefault(Duration.zero)
)

const publicUrl = Config.string("WA_SESSION_PUBLIC_URL").pipe(
  Config.mapOrFail((value) => {
    try {
      const url = new URL(value.trim())
      if ((url.protocol === "http:" || url.protocol === "https:") && url.search === "" && url.hash === "") {
        return Either.right(url.toString().replace(/\/+$/, ""))
      }
    } catch {
      // reported below
    }
    return invalid(`WA_SESSION_PUBLIC_URL must be an http(s) base URL without query, got "${value}"`)
  }),
  Config.option
)

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
  file: string
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
      await Fs.mkdir(Path.dirname(path), { recursive: true })
      const value = Crypto.randomBytes(32).toString("base64url")
      await Fs.writeFile(path, `${value}\n`, { mode: 0o600, flag: "wx" })
      return { value: Redacted.make(value), source: { _tag: "File", path, created: true } as const }
    },
    catch: (cause) => cause
  })
  const isCode = (cause: unknown, code: string) =>
    typeof cause === "object" && cause !== null && (cause as { code?: unknown }).code === code
  return readExisting.pipe(
    Effect.catchIf((cause) => isCode(cause, "ENOENT"), () =>
      create.pipe(Effect.catchIf((cause) => isCode(cause, "EEXIST"), () => readExisting))),
    Effect.mapError((cause) => new SecretFileError({ setting, path, cause }))
  )
}

const resolveSecret = (setting: string, fromEnv: Option.Option<Redacted.Redacted<string>>, dir: string, file: string) =>
  Option.match(fromEnv, {
    onNone: () => readOrCreateSecret(setting, dir, file),
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
    safetyMargin
  })
  const dataDir = dataDirOf(read.databaseUrl)
  const apiToken = yield* resolveSecret("WA_SESSION_API_TOKEN", read.apiToken, dataDir, API_TOKEN_FILE)
  const webhookSecret = yield* resolveSecret(
    "WA_SESSION_WEBHOOK_SECRET",
    read.webhookSecret,
    dataDir,
    WEBHOOK_SECRET_FILE
  )
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
    maxBodyBytes: MAX_BODY_BYTES
  }
})

/** The Exotel variables whose presence switches dry-run off. */
export const EXOTEL_CREDENTIALS = ["EXOTEL_API_KEY", "EXOTEL_API_TOKEN", "EXOTEL_ACCOUNT_SID"] as const

/** True when none of the Exotel credentials is set: decide and store, send nothing. */
export const isDryRun: Effect.Effect<boolean, ConfigError.ConfigError> = Effect.map(
  Config.all(EXOTEL_CREDENTIALS.map((name) => Config.option(Config.string(name)))),
  (values) => values.every((value) => Option.isNone(value) || value.value.trim() === "")
)

/** The URL Exotel posts to: `<public or local base>/webhooks/exotel/<secret>`. */
export const webhookUrl = (settings: ServerSettings, localBase: string): string =>
  `${Option.getOrElse(settings.publicUrl, () => localBase)}/webhooks/exotel/${
    encodeURIComponent(Redacted.value(settings.webhookSecret))
  }`

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
