/**
 * The errors of the HTTP contract. Each one is JSON with a top-level stable `code` (what clients match on) and a
 * human `message`, plus the details of the failure. They are separate from the domain errors of
 * `@wa-session/session-core`; the server translates one into the other.
 *
 * @since 0.1.0
 */
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as Schema from "effect/Schema"

const code = <const C extends string>(value: C) =>
  Schema.Literal(value).pipe(Schema.propertySignature, Schema.withConstructorDefault(() => value))

// The namespaced tag identifier names the class; OpenAPI gets a plain component name and a description.
const response = (status: number, identifier: string, description: string): Schema.Annotations.Schema<any> => ({
  ...HttpApiSchema.annotations({ status }),
  identifier,
  description
})

/**
 * One broken rule of a message (see `InvalidMessageError.violations`).
 *
 * @since 0.1.0
 * @category models
 */
export const Violation = Schema.Struct({
  path: Schema.String,
  message: Schema.String,
  limit: Schema.optional(Schema.Number),
  actual: Schema.optional(Schema.Union(Schema.Number, Schema.String))
}).annotations({ identifier: "Violation" })

/**
 * @since 0.1.0
 * @category models
 */
export type Violation = typeof Violation.Type

/**
 * One problem of a request that does not match the contract: where (dotted path) and what.
 *
 * @since 0.1.0
 * @category models
 */
export const RequestIssue = Schema.Struct({
  path: Schema.String,
  message: Schema.String
}).annotations({ identifier: "RequestIssue" })

/**
 * 400: the request does not match the contract (body not JSON, a field of the wrong type, a bad query parameter).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidRequestError extends Schema.TaggedError<InvalidRequestError>(
  "@wa-session/http-api/InvalidRequestError"
)("InvalidRequestError", {
  code: code("INVALID_REQUEST"),
  message: Schema.String,
  path: Schema.optional(Schema.String),
  issues: Schema.optional(Schema.Array(RequestIssue)),
  /** How many issues there were in all, when `issues` holds only the first 100. */
  issueCount: Schema.optional(Schema.Number)
}, response(400, "InvalidRequestError", "The request does not match the contract")) {}

/**
 * 400: a webhook body that is not JSON or has no `whatsapp.messages` array.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidWebhookError extends Schema.TaggedError<InvalidWebhookError>(
  "@wa-session/http-api/InvalidWebhookError"
)("InvalidWebhookError", {
  code: code("INVALID_WEBHOOK"),
  message: Schema.String
}, response(400, "InvalidWebhookError", "Not an Exotel webhook batch")) {}

/**
 * 401: no bearer token, or not the server's token.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnauthorizedError extends Schema.TaggedError<UnauthorizedError>("@wa-session/http-api/UnauthorizedError")(
  "UnauthorizedError",
  { code: code("UNAUTHORIZED"), message: Schema.String },
  response(401, "UnauthorizedError", "A valid bearer token is required")
) {}

/**
 * 404: no such route (also the answer to a webhook with a wrong secret).
 *
 * @since 0.1.0
 * @category errors
 */
export class NotFoundError extends Schema.TaggedError<NotFoundError>("@wa-session/http-api/NotFoundError")(
  "NotFoundError",
  { code: code("NOT_FOUND"), message: Schema.String },
  response(404, "NotFoundError", "No such route (or a wrong webhook secret)")
) {}

/**
 * 405: the path exists, not with this method; the `Allow` header and `allow` list the methods it has.
 *
 * @since 0.2.0
 * @category errors
 */
export class MethodNotAllowedError extends Schema.TaggedError<MethodNotAllowedError>(
  "@wa-session/http-api/MethodNotAllowedError"
)("MethodNotAllowedError", {
  code: code("METHOD_NOT_ALLOWED"),
  message: Schema.String,
  allow: Schema.Array(Schema.String)
}, response(405, "MethodNotAllowedError", "The path exists with other methods (see Allow)")) {}

/**
 * 408: the request (its headers, or all of it) did not arrive in time (`WA_SESSION_HEADERS_TIMEOUT`,
 * `WA_SESSION_REQUEST_TIMEOUT`); the connection is closed.
 *
 * @since 0.2.0
 * @category errors
 */
export class RequestTimeoutError extends Schema.TaggedError<RequestTimeoutError>(
  "@wa-session/http-api/RequestTimeoutError"
)("RequestTimeoutError", {
  code: code("REQUEST_TIMEOUT"),
  message: Schema.String
}, response(408, "RequestTimeoutError", "The request did not arrive in time")) {}

/**
 * 404: no outbound message with this id.
 *
 * @since 0.1.0
 * @category errors
 */
export class MessageNotFoundError extends Schema.TaggedError<MessageNotFoundError>(
  "@wa-session/http-api/MessageNotFoundError"
)("MessageNotFoundError", {
  code: code("MESSAGE_NOT_FOUND"),
  message: Schema.String,
  id: Schema.String
}, response(404, "MessageNotFoundError", "No outbound message with this id")) {}

/**
 * 409: the message is not parked (any more): it was released (and sent), expired, or cancelled, or it never was
 * parked. `status` is its status now.
 *
 * @since 0.2.0
 * @category errors
 */
export class MessageNotParkedError extends Schema.TaggedError<MessageNotParkedError>(
  "@wa-session/http-api/MessageNotParkedError"
)("MessageNotParkedError", {
  code: code("MESSAGE_NOT_PARKED"),
  message: Schema.String,
  id: Schema.String,
  status: Schema.String
}, response(409, "MessageNotParkedError", "The message is not parked: it left the parking or never was parked")) {}

/**
 * 409: the 24-hour window of the pair has closed (or the provider closed it) and no usable fallback was given.
 *
 * @since 0.1.0
 * @category errors
 */
export class SessionExpiredError extends Schema.TaggedError<SessionExpiredError>(
  "@wa-session/http-api/SessionExpiredError"
)("SessionExpiredError", {
  code: code("SESSION_EXPIRED"),
  message: Schema.String,
  business: Schema.String,
  customer: Schema.String,
  expiredAt: Schema.DateTimeUtc,
  closedByProvider: Schema.Boolean
}, response(409, "SessionExpiredError", "The window is closed and no fallback template was given")) {}

/**
 * 409: the customer never wrote to the business number and no fallback template was given.
 *
 * @since 0.1.0
 * @category errors
 */
export class NoActiveSessionError extends Schema.TaggedError<NoActiveSessionError>(
  "@wa-session/http-api/NoActiveSessionError"
)("NoActiveSessionError", {
  code: code("NO_ACTIVE_SESSION"),
  message: Schema.String,
  business: Schema.String,
  customer: Schema.String
}, response(409, "NoActiveSessionError", "The customer never wrote and no fallback template was given")) {}

/**
 * 413: the request body is larger than `limit` bytes.
 *
 * @since 0.1.0
 * @category errors
 */
export class PayloadTooLargeError extends Schema.TaggedError<PayloadTooLargeError>(
  "@wa-session/http-api/PayloadTooLargeError"
)("PayloadTooLargeError", {
  code: code("PAYLOAD_TOO_LARGE"),
  message: Schema.String,
  limit: Schema.Number
}, response(413, "PayloadTooLargeError", "The request body is larger than 1 MiB")) {}

/**
 * 422: the content breaks WhatsApp's rules. `path`, `limit` and `actual` describe the first violation,
 * `violations` lists them (the first 100, with `violationCount` when there were more).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidMessageError extends Schema.TaggedError<InvalidMessageError>(
  "@wa-session/http-api/InvalidMessageError"
)("InvalidMessageError", {
  code: code("INVALID_MESSAGE"),
  message: Schema.String,
  path: Schema.String,
  limit: Schema.optional(Schema.Number),
  actual: Schema.optional(Schema.Union(Schema.Number, Schema.String)),
  violations: Schema.Array(Violation),
  /** How many violations there were in all, when `violations` holds only the first 100. */
  violationCount: Schema.optional(Schema.Number)
}, response(422, "InvalidMessageError", "The content breaks WhatsApp's rules")) {}

/**
 * 422: the content's `type` is not one WhatsApp accepts.
 *
 * @since 0.1.0
 * @category errors
 */
export class MessageTypeNotSupportedError extends Schema.TaggedError<MessageTypeNotSupportedError>(
  "@wa-session/http-api/MessageTypeNotSupportedError"
)("MessageTypeNotSupportedError", {
  code: code("MESSAGE_TYPE_NOT_SUPPORTED"),
  message: Schema.String,
  path: Schema.String,
  type: Schema.String,
  supported: Schema.Array(Schema.String)
}, response(422, "MessageTypeNotSupportedError", "The content type is not supported")) {}

/**
 * 422: a phone number that is not E.164 once spaces, dashes, dots and parentheses are removed. `path` names the
 * field (`from`, `to`, `business`, `customer`).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidPhoneNumberError extends Schema.TaggedError<InvalidPhoneNumberError>(
  "@wa-session/http-api/InvalidPhoneNumberError"
)("InvalidPhoneNumberError", {
  code: code("INVALID_PHONE_NUMBER"),
  message: Schema.String,
  path: Schema.String,
  input: Schema.String,
  reason: Schema.String
}, response(422, "InvalidPhoneNumberError", "Not an E.164 phone number")) {}

/**
 * 422: the idempotency key was already used by the business for another request (another `to`, `content`,
 * `fallback` or `dryRun`). Nothing was stored or sent; `messageId` is the message the key belongs to. The same key
 * with the same request replays; a new message needs a new key.
 *
 * @since 0.2.0
 * @category errors
 */
export class IdempotencyKeyReusedError extends Schema.TaggedError<IdempotencyKeyReusedError>(
  "@wa-session/http-api/IdempotencyKeyReusedError"
)("IdempotencyKeyReusedError", {
  code: code("IDEMPOTENCY_KEY_REUSED"),
  message: Schema.String,
  idempotencyKey: Schema.String,
  messageId: Schema.String
}, response(422, "IdempotencyKeyReusedError", "The idempotency key was used for another request")) {}

/**
 * 502: Exotel refused the message or kept failing after the bounded retries. `providerCode` is Exotel's code when
 * it gave one; `messageId` the stored (failed) outbound message.
 *
 * @since 0.1.0
 * @category errors
 */
export class ProviderFailedError extends Schema.TaggedError<ProviderFailedError>(
  "@wa-session/http-api/ProviderFailedError"
)("ProviderFailedError", {
  code: code("PROVIDER_ERROR"),
  message: Schema.String,
  reason: Schema.Literal("Configuration", "BadRequest", "RateLimited", "Unavailable", "Rejected"),
  providerCode: Schema.NullOr(Schema.String),
  httpStatus: Schema.NullOr(Schema.Number),
  messageId: Schema.NullOr(Schema.String)
}, response(502, "ProviderFailedError", "Exotel refused the message or kept failing")) {}

/**
 * 503: the store could not be read or written. Nothing was half-written; the request may be retried.
 *
 * @since 0.1.0
 * @category errors
 */
export class StorageUnavailableError extends Schema.TaggedError<StorageUnavailableError>(
  "@wa-session/http-api/StorageUnavailableError"
)("StorageUnavailableError", {
  code: code("STORAGE_UNAVAILABLE"),
  message: Schema.String
}, response(503, "StorageUnavailableError", "The store is unavailable")) {}

/**
 * 503: the store does not answer (readiness probe).
 *
 * @since 0.1.0
 * @category errors
 */
export class NotReadyError extends Schema.TaggedError<NotReadyError>("@wa-session/http-api/NotReadyError")(
  "NotReadyError",
  { code: code("NOT_READY"), message: Schema.String },
  response(503, "NotReadyError", "The store does not answer")
) {}

/**
 * 500: a bug. The details are in the server log, never in the response.
 *
 * @since 0.1.0
 * @category errors
 */
export class InternalError extends Schema.TaggedError<InternalError>("@wa-session/http-api/InternalError")(
  "InternalError",
  { code: code("INTERNAL_ERROR"), message: Schema.String },
  response(500, "InternalError", "A bug; see the server log")
) {}

/**
 * The longest list of `issues` or `violations` an error carries; the count says how many there were.
 *
 * @since 0.2.0
 * @category constants
 */
export const MAX_LISTED_PROBLEMS = 100

/**
 * Every stable error `code` of the HTTP API.
 *
 * @since 0.1.0
 * @category models
 */
export const ErrorCode = Schema.Literal(
  "INVALID_REQUEST",
  "INVALID_WEBHOOK",
  "UNAUTHORIZED",
  "NOT_FOUND",
  "MESSAGE_NOT_FOUND",
  "MESSAGE_NOT_PARKED",
  "SESSION_EXPIRED",
  "NO_ACTIVE_SESSION",
  "PAYLOAD_TOO_LARGE",
  "INVALID_MESSAGE",
  "MESSAGE_TYPE_NOT_SUPPORTED",
  "INVALID_PHONE_NUMBER",
  "PROVIDER_ERROR",
  "STORAGE_UNAVAILABLE",
  "NOT_READY",
  "INTERNAL_ERROR",
  "INVALID_ENDPOINT",
  "ENDPOINT_NOT_FOUND",
  "ENDPOINT_CONFIGURED",
  "QUARANTINE_NOT_FOUND",
  "IDEMPOTENCY_KEY_REUSED",
  "METHOD_NOT_ALLOWED",
  "REQUEST_TIMEOUT"
)

/**
 * @since 0.1.0
 * @category models
 */
export type ErrorCode = typeof ErrorCode.Type

/**
 * 400: an endpoint that cannot be added: `path` names the field (`url`, `events`, `secret`).
 *
 * @since 0.2.0
 * @category errors
 */
export class InvalidEndpointError extends Schema.TaggedError<InvalidEndpointError>(
  "@wa-session/http-api/InvalidEndpointError"
)("InvalidEndpointError", {
  code: code("INVALID_ENDPOINT"),
  message: Schema.String,
  path: Schema.String
}, response(400, "InvalidEndpointError", "The endpoint cannot be added")) {}

/**
 * 404: no endpoint with this id.
 *
 * @since 0.2.0
 * @category errors
 */
export class EndpointNotFoundError extends Schema.TaggedError<EndpointNotFoundError>(
  "@wa-session/http-api/EndpointNotFoundError"
)("EndpointNotFoundError", {
  code: code("ENDPOINT_NOT_FOUND"),
  message: Schema.String,
  id: Schema.String
}, response(404, "EndpointNotFoundError", "No endpoint with this id")) {}

/**
 * 409: the endpoint comes from `WA_SESSION_EVENTS_URL`; change the setting, or set it to `none` to remove it.
 *
 * @since 0.2.0
 * @category errors
 */
export class EndpointConfiguredError extends Schema.TaggedError<EndpointConfiguredError>(
  "@wa-session/http-api/EndpointConfiguredError"
)("EndpointConfiguredError", {
  code: code("ENDPOINT_CONFIGURED"),
  message: Schema.String,
  id: Schema.String
}, response(409, "EndpointConfiguredError", "The endpoint comes from the server's settings")) {}

/**
 * 404: no quarantine entry with this id.
 *
 * @since 0.2.0
 * @category errors
 */
export class QuarantineNotFoundError extends Schema.TaggedError<QuarantineNotFoundError>(
  "@wa-session/http-api/QuarantineNotFoundError"
)("QuarantineNotFoundError", {
  code: code("QUARANTINE_NOT_FOUND"),
  message: Schema.String,
  id: Schema.String
}, response(404, "QuarantineNotFoundError", "No quarantine entry with this id")) {}
