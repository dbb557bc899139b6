import { Cause, ConfigError, DateTime, Option, Predicate, Schema } from "effect"
import { localTime } from "./TimeText.js"

/** Bad usage or bad input that @effect/cli could not catch itself: `field` names what to fix. Exit 2. */
export class UsageError extends Schema.TaggedError<UsageError>("@wa-session/cli/UsageError")("UsageError", {
  field: Schema.String,
  message: Schema.String,
  issues: Schema.optional(Schema.Array(Schema.String))
}) {
  readonly code = "USAGE" as const
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

/** The content given to `check` breaks WhatsApp's rules (the violations were printed). Exit 2. */
export class ContentRejected extends Schema.TaggedError<ContentRejected>("@wa-session/cli/ContentRejected")(
  "ContentRejected",
  { code: Schema.String, message: Schema.String }
) {}

/** What the user sees of a failure and the exit code it maps to. */
export interface Failure {
  readonly code: string
  readonly message: string
  readonly exitCode: 1 | 2 | 3
  readonly details: Readonly<Record<string, unknown>>
}

const REFUSALS = new Set(["SESSION_EXPIRED", "NO_ACTIVE_SESSION", "ENDPOINT_CONFIGURED"])
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
  "INVALID_DATABASE_URL"
])

/** 1 a domain refusal, 2 bad usage or bad input, 3 a provider, storage or server failure. */
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
  "id"
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

const detailsOf = (error: Record<string, unknown>): Record<string, unknown> => {
  const details: Record<string, unknown> = {}
  for (const key of DETAIL_KEYS) {
    if (key in error && error[key] !== undefined) details[key] = plain(error[key])
  }
  return details
}

const messageOf = (error: unknown): string =>
  Predicate.hasProperty(error, "message") && typeof error.message === "string" ? error.message : String(error)

const leaves = (error: ConfigError.ConfigError): Array<ConfigError.ConfigError> =>
  error._op === "And" || error._op === "Or" ? [...leaves(error.left), ...leaves(error.right)] : [error]

/** The first problem, naming the setting: `EXOTEL_API_TOKEN: Expected EXOTEL_API_TOKEN to exist…`. */
const describeConfigError = (error: ConfigError.ConfigError): string => {
  const first = leaves(error)[0] ?? error
  const path = "path" in first ? first.path.join(".") : ""
  const message = "message" in first ? first.message : String(first)
  return path === "" || message.includes(path) ? message : `${path}: ${message}`
}

const sessionExpiredMessage = (details: Record<string, unknown>): string => {
  const expiredAt = localTime(DateTime.unsafeMake(String(details.expiredAt)))
  return details.closedByProvider === true
    ? `the provider closed the window of ${String(details.customer)} (re-engagement required); ` +
      "send a template (--fallback-template)"
    : `the 24-hour window of ${String(details.customer)} closed at ${expiredAt}; ` +
      "send a template (--fallback-template)"
}

/** A typed failure of any layer (core, storage, provider, HTTP contract, config) as a Failure. */
export const describe = (error: unknown): Failure => {
  if (ConfigError.isConfigError(error)) {
    return { code: "CONFIG", message: `invalid configuration: ${describeConfigError(error)}`, exitCode: 2, details: {} }
  }
  if (Predicate.isTagged(error, "SecretFileError")) {
    return { code: "CONFIG", message: `invalid configuration: ${messageOf(error)}`, exitCode: 2, details: {} }
  }
  if (Predicate.isTagged(error, "RemoteFailure") && Predicate.hasProperty(error, "code")) {
    const details = Predicate.hasProperty(error, "details") && Predicate.isRecord(error.details) ? error.details : {}
    return describe({ ...details, code: error.code, message: messageOf(error) })
  }
  if (Predicate.isTagged(error, "ParseError")) {
    return {
      code: "BAD_RESPONSE",
      message: `unexpected answer: ${String((error as { message?: unknown }).message)}`,
      exitCode: 3,
      details: {}
    }
  }
  if (Predicate.isTagged(error, "RequestError") || Predicate.isTagged(error, "ResponseError")) {
    const message = String((error as { message?: unknown }).message)
    return { code: "SERVER_UNREACHABLE", message: `server: ${message}`, exitCode: 3, details: {} }
  }
  if (Predicate.isTagged(error, "SqlError") || Predicate.isTagged(error, "MigrationError")) {
    return { code: "STORAGE_ERROR", message: `storage: ${messageOf(error)}`, exitCode: 3, details: {} }
  }
  if (Predicate.isRecord(error) && typeof error.code === "string") {
    const code = error.code
    const details = detailsOf(error)
    const message = code === "SESSION_EXPIRED" && typeof details.expiredAt === "string"
      ? sessionExpiredMessage(details)
      : typeof error.message === "string" && error.message !== ""
      ? error.message
      : code
    return { code, message, exitCode: exitCodeOf(code), details }
  }
  const message = error instanceof Error ? error.message : String(error)
  return { code: "INTERNAL_ERROR", message, exitCode: 3, details: {} }
}

/** A failure from a whole Cause: the first typed error, else the first defect, else an interruption. */
export const describeCause = (cause: Cause.Cause<unknown>): Failure =>
  Option.match(Cause.failureOption(cause), {
    onSome: describe,
    onNone: () =>
      Option.match(Cause.dieOption(cause), {
        onSome: (defect) => {
          const failure = describe(defect)
          return failure.code === "INTERNAL_ERROR"
            ? { ...failure, message: `internal error: ${failure.message}` }
            : failure
        },
        onNone: () => ({ code: "INTERRUPTED", message: "interrupted", exitCode: 3, details: {} })
      })
  })

/** The one line on stderr: the code, then the message (usage errors name their field themselves). */
export const line = (failure: Failure): string =>
  failure.code === "USAGE" ? failure.message : `${failure.code}: ${failure.message}`
