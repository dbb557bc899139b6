import type { SecretFileError } from "@wa-session/server/config"
import type { DecisionError, MessageSender, RelayService, SessionService, SessionStore } from "@wa-session/session-core"
import type { StoreConfig } from "@wa-session/storage"
import { Cause, ConfigError, DateTime, Match, Option, ParseResult, Predicate, Schema } from "effect"
import { localTime } from "./TimeText.js"

/** Bad usage or bad input that @effect/cli could not catch itself: `field` names what to fix. Exit 2. */
export class UsageError extends Schema.TaggedError<UsageError>("@wa-session/cli/UsageError")("UsageError", {
  field: Schema.String,
  message: Schema.String,
  issues: Schema.optional(Schema.Array(Schema.String))
}) {
  readonly code = "USAGE" as const
}

/**
 * A command that reads the local store found none where `WA_SESSION_DATABASE_URL` points: reading never creates a
 * store (an empty one would answer `none` for every pair). `url` is the setting's value (password hidden), `file` the
 * SQLite file looked for. Exit 2: the setting or the directory is wrong.
 */
export class StoreNotFound extends Schema.TaggedError<StoreNotFound>("@wa-session/cli/StoreNotFound")(
  "StoreNotFound",
  { url: Schema.String, file: Schema.String }
) {
  readonly code = "STORE_NOT_FOUND" as const
  override get message(): string {
    return `no store at ${this.file} (WA_SESSION_DATABASE_URL=${this.url}); a command that reads never creates ` +
      "one: set WA_SESSION_DATABASE_URL to the server's store, or record into this one first (inbound, send)"
  }
}

/** The server could not be reached or answered something that is not the contract. Exit 3. */
export class ServerUnreachable extends Schema.TaggedError<ServerUnreachable>("@wa-session/cli/ServerUnreachable")(
  "ServerUnreachable",
  { url: Schema.String, message: Schema.String }
) {
  readonly code = "SERVER_UNREACHABLE" as const
}

/**
 * Input the API refuses (`INVALID_REQUEST`, `INVALID_ENDPOINT`), raised by the command line or the local backend in
 * the server's own terms (code, message, `path` of the field), so both backends fail alike. Exit 2.
 */
export class InvalidInput extends Schema.TaggedError<InvalidInput>("@wa-session/cli/InvalidInput")("InvalidInput", {
  code: Schema.Literal("INVALID_REQUEST", "INVALID_ENDPOINT"),
  message: Schema.String,
  path: Schema.String
}) {}

/** `cancel ID` where no outbound message has this id: bad input, as the server's 404 `MESSAGE_NOT_FOUND`. Exit 2. */
export class MessageNotFound extends Schema.TaggedError<MessageNotFound>("@wa-session/cli/MessageNotFound")(
  "MessageNotFound",
  { id: Schema.String }
) {
  readonly code = "MESSAGE_NOT_FOUND" as const
  override get message(): string {
    return `No outbound message ${this.id}`
  }
}

/**
 * `cancel ID` of a message that is not parked (any more): released, expired, cancelled before, or never parked;
 * `status` is its status now. A refusal, as the server's 409 `MESSAGE_NOT_PARKED`. Exit 1.
 */
export class MessageNotParked extends Schema.TaggedError<MessageNotParked>("@wa-session/cli/MessageNotParked")(
  "MessageNotParked",
  { id: Schema.String, status: Schema.String }
) {
  readonly code = "MESSAGE_NOT_PARKED" as const
  override get message(): string {
    return `message ${this.id} is ${this.status}, not parked: only a parked message can be cancelled`
  }
}

/** The content given to `check` breaks WhatsApp's rules (the violations were printed). Exit 2. */
export class ContentRejected extends Schema.TaggedError<ContentRejected>("@wa-session/cli/ContentRejected")(
  "ContentRejected",
  { code: Schema.String, message: Schema.String }
) {}

/** A failure the server answered with: its stable `code`, its message and details. */
export class RemoteFailure extends Schema.TaggedError<RemoteFailure>("@wa-session/cli/RemoteFailure")(
  "RemoteFailure",
  { code: Schema.String, message: Schema.String, details: Schema.Record({ key: Schema.String, value: Schema.Unknown }) }
) {}

/**
 * Every typed failure that may reach the edge of a command, where it is printed and becomes an exit code. A command
 * whose error channel holds anything else does not compile (see `report`), nor does a member `describe` misses.
 */
export type CliError =
  | UsageError
  | StoreNotFound
  | ServerUnreachable
  | InvalidInput
  | ContentRejected
  | RemoteFailure
  | MessageNotFound
  | MessageNotParked
  | ConfigError.ConfigError
  | SecretFileError
  | StoreConfig.InvalidDatabaseUrl
  | DecisionError
  | MessageSender.ProviderError
  | SessionStore.StorageError
  | SessionStore.InvalidCursor
  | RelayService.EndpointNotFound
  | RelayService.EndpointConfigured
  | SessionService.QuarantineNotFound
  | SessionService.IdempotencyKeyReused

/** What the user sees of a failure and the exit code it maps to. */
export interface Failure {
  readonly code: string
  readonly message: string
  readonly exitCode: 1 | 2 | 3
  readonly details: Readonly<Record<string, unknown>>
}

const REFUSALS = new Set(["SESSION_EXPIRED", "NO_ACTIVE_SESSION", "ENDPOINT_CONFIGURED", "MESSAGE_NOT_PARKED"])
const BAD_INPUT = new Set([
  "USAGE",
  "INVALID_MESSAGE",
  "MESSAGE_TYPE_NOT_SUPPORTED",
  "INVALID_PHONE_NUMBER",
  "INVALID_CURSOR",
  "INVALID_REQUEST",
  "INVALID_ENDPOINT",
  "ENDPOINT_NOT_FOUND",
  "QUARANTINE_NOT_FOUND",
  "IDEMPOTENCY_KEY_REUSED",
  "UNAUTHORIZED",
  "NOT_FOUND",
  "MESSAGE_NOT_FOUND",
  "PAYLOAD_TOO_LARGE",
  "CONFIG",
  "INVALID_DATABASE_URL",
  "STORE_NOT_FOUND"
])

/**
 * 1 a domain refusal, 2 bad usage or bad input, 3 a provider, storage or server failure. By the stable code, the
 * public contract: the server's codes arrive as text.
 */
export const exitCodeOf = (code: string): 1 | 2 | 3 => REFUSALS.has(code) ? 1 : BAD_INPUT.has(code) ? 2 : 3

const DETAIL_KEYS = [
  "field",
  "issues",
  "path",
  "limit",
  "actual",
  "violations",
  "business",
  "customer",
  "expiredAt",
  "closedByProvider",
  "type",
  "supported",
  "input",
  "reason",
  "providerCode",
  "httpStatus",
  "messageId",
  "idempotencyKey",
  "operation",
  "url",
  "file",
  "id",
  "status"
] as const

const plain = (value: unknown): unknown => {
  if (Option.isOption(value)) return Option.getOrNull(Option.map(value, plain))
  if (Array.isArray(value)) return value.map(plain)
  if (value instanceof Date) return value.toISOString()
  if (Predicate.hasProperty(value, "epochMillis") && typeof value.epochMillis === "number") {
    return new Date(value.epochMillis).toISOString()
  }
  if (Predicate.isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
  return value
}

/** The fields of an error that are its details in `--json` (getters included), as JSON values. */
const detailsOf = (error: object): Record<string, unknown> => {
  const details: Record<string, unknown> = {}
  for (const key of DETAIL_KEYS) {
    if (Predicate.hasProperty(error, key) && error[key] !== undefined) details[key] = plain(error[key])
  }
  return details
}

const leaves = (error: ConfigError.ConfigError): Array<ConfigError.ConfigError> =>
  error._op === "And" || error._op === "Or" ? [...leaves(error.left), ...leaves(error.right)] : [error]

/** The first problem, naming the setting: `EXOTEL_API_TOKEN: Expected EXOTEL_API_TOKEN to exist…`. */
const describeConfigError = (error: ConfigError.ConfigError): string => {
  const first = leaves(error)[0] ?? error
  const path = "path" in first ? first.path.join(".") : ""
  const message = "message" in first ? first.message : String(first)
  return path === "" || message.includes(path) ? message : `${path}: ${message}`
}

const config = (message: string): Failure => ({
  code: "CONFIG",
  message: `invalid configuration: ${message}`,
  exitCode: 2,
  details: {}
})

const sessionExpiredMessage = (details: Record<string, unknown>): string => {
  const expiredAt = localTime(DateTime.unsafeMake(String(details.expiredAt)))
  return details.closedByProvider === true
    ? `the provider closed the window of ${String(details.customer)} (re-engagement required); ` +
      "send a template (--fallback-template)"
    : `the 24-hour window of ${String(details.customer)} closed at ${expiredAt}; ` +
      "send a template (--fallback-template)"
}

/** A failure with a stable `code` (the domain's, the server's or the command line's), its message and details. */
const coded = (error: { readonly code: string; readonly message?: unknown }): Failure => {
  const code = error.code
  const details = detailsOf(error)
  const message = code === "SESSION_EXPIRED" && typeof details.expiredAt === "string"
    ? sessionExpiredMessage(details)
    : typeof error.message === "string" && error.message !== ""
    ? error.message
    : code
  return { code, message, exitCode: exitCodeOf(code), details }
}

/** A typed failure of any layer (core, storage, provider, HTTP contract, config) as a Failure. */
export const describe = (error: CliError): Failure =>
  ConfigError.isConfigError(error) ? config(describeConfigError(error)) : describeTagged(error)

const describeTagged: (error: Exclude<CliError, ConfigError.ConfigError>) => Failure = Match.type<
  Exclude<CliError, ConfigError.ConfigError>
>().pipe(
  Match.tagsExhaustive({
    SecretFileError: (error) => config(error.message),
    RemoteFailure: (error) => coded({ ...error.details, code: error.code, message: error.message }),
    UsageError: coded,
    StoreNotFound: coded,
    ServerUnreachable: coded,
    InvalidInput: coded,
    ContentRejected: coded,
    MessageNotFound: coded,
    MessageNotParked: coded,
    InvalidDatabaseUrl: coded,
    SessionExpired: coded,
    NoActiveSession: coded,
    InvalidMessage: coded,
    MessageTypeNotSupported: coded,
    // the message the failed send stored, as the server's PROVIDER_ERROR body names it
    ProviderError: (error) => {
      const named = {
        code: error.code,
        message: error.message,
        reason: error.reason,
        providerCode: error.providerCode,
        httpStatus: error.httpStatus,
        messageId: error.outboundId
      }
      return coded(named)
    },
    StorageError: coded,
    InvalidCursor: coded,
    EndpointNotFound: coded,
    EndpointConfigured: coded,
    QuarantineNotFound: coded,
    // the server's 422 body: the key and the message it belongs to (the business number is the caller's own --from)
    IdempotencyKeyReused: (error) => {
      const named = {
        code: error.code,
        message: error.message,
        messageId: error.messageId,
        idempotencyKey: error.idempotencyKey
      }
      return coded(named)
    }
  })
)

const messageOf = (value: unknown): string =>
  Predicate.hasProperty(value, "message") && typeof value.message === "string" ? value.message : String(value)

/**
 * A defect: a value no type describes (what an adapter's `orDie` let through, a bug). Read by what it is: a
 * setting, a row or an answer that does not decode, a driver or transport failure, an error with a stable code;
 * anything else is an internal error.
 */
const describeDefect = (defect: unknown): Failure => {
  if (ConfigError.isConfigError(defect)) return config(describeConfigError(defect))
  if (Predicate.isTagged(defect, "SecretFileError")) return config(messageOf(defect))
  if (ParseResult.isParseError(defect)) {
    return { code: "BAD_RESPONSE", message: `unexpected answer: ${defect.message}`, exitCode: 3, details: {} }
  }
  if (Predicate.isTagged(defect, "RequestError") || Predicate.isTagged(defect, "ResponseError")) {
    return { code: "SERVER_UNREACHABLE", message: `server: ${messageOf(defect)}`, exitCode: 3, details: {} }
  }
  if (Predicate.isTagged(defect, "SqlError") || Predicate.isTagged(defect, "MigrationError")) {
    return { code: "STORAGE_ERROR", message: `storage: ${messageOf(defect)}`, exitCode: 3, details: {} }
  }
  if (defect instanceof RemoteFailure) return describe(defect)
  if (isCoded(defect)) return coded(defect)
  return {
    code: "INTERNAL_ERROR",
    message: defect instanceof Error ? defect.message : String(defect),
    exitCode: 3,
    details: {}
  }
}

const isCoded = (value: unknown): value is { readonly code: string; readonly message?: unknown } =>
  Predicate.isRecord(value) && typeof value.code === "string"

/** A cause without a typed failure: its first defect, else an interruption. */
export const describeUnfailed = (cause: Cause.Cause<unknown>): Failure =>
  Option.match(Cause.dieOption(cause), {
    onSome: (defect) => {
      const failure = describeDefect(defect)
      return failure.code === "INTERNAL_ERROR" ? { ...failure, message: `internal error: ${failure.message}` } : failure
    },
    onNone: () => ({ code: "INTERRUPTED", message: "interrupted", exitCode: 3, details: {} })
  })

/** A failure from a whole Cause: the first typed error, else the first defect, else an interruption. */
export const describeCause = (cause: Cause.Cause<CliError>): Failure =>
  Option.match(Cause.failureOption(cause), { onSome: describe, onNone: () => describeUnfailed(cause) })

/** The one line on stderr: the code, then the message (usage errors name their field themselves). */
export const line = (failure: Failure): string =>
  failure.code === "USAGE" ? failure.message : `${failure.code}: ${failure.message}`
