/**
 * The wa-session HTTP API contract. The server implements it, and the CLI and the tests derive a typed client
 * from it: `HttpApiClient.make(WaSessionApi, { baseUrl })`.
 *
 * @since 0.1.0
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import * as OpenApi from "@effect/platform/OpenApi"
import * as OpenApiJsonSchema from "@effect/platform/OpenApiJsonSchema"
import { Event } from "@wa-session/session-core"
import * as Schema from "effect/Schema"
import {
  EndpointConfiguredError,
  EndpointNotFoundError,
  IdempotencyKeyReusedError,
  InternalError,
  InvalidEndpointError,
  InvalidMessageError,
  InvalidPhoneNumberError,
  InvalidRequestError,
  InvalidWebhookError,
  MessageNotFoundError,
  MessageNotParkedError,
  MessageTypeNotSupportedError,
  MethodNotAllowedError,
  NoActiveSessionError,
  NotFoundError,
  NotReadyError,
  PayloadTooLargeError,
  ProviderFailedError,
  QuarantineNotFoundError,
  RequestTimeoutError,
  SessionExpiredError,
  StorageUnavailableError,
  UnauthorizedError
} from "./Errors.js"
import * as OpenApiFixes from "./internal/openapi.js"
import {
  AddedEndpoint,
  AddEndpointRequest,
  AtParams,
  DeliveriesParams,
  DeliveryPage,
  EndpointList,
  EventsPage,
  EventsParams,
  ExotelWebhookBody,
  ExplanationView,
  Health,
  HistoryPage,
  HistoryParams,
  ListExpiringParams,
  MessageList,
  MessageListParams,
  MessageView,
  PairSessionView,
  QuarantinePage,
  QuarantineParams,
  QuarantineRetryResponse,
  Readiness,
  RecordInboundRequest,
  RecordInboundResponse,
  ReplayRequest,
  ReplayResponse,
  SendMessageHeaders,
  SendMessageRequest,
  SendMessageResponse,
  SessionPage,
  WebhookAck
} from "./Models.js"

const EVENT_SCHEMAS: ReadonlyArray<readonly [Event.EventType, Schema.Schema.Any, string]> = [
  ["message.received", Event.MessageReceived, "A customer's message, with its content"],
  ["message.status", Event.MessageStatus, "An outbound message was sent, delivered, read, or failed"],
  [
    "message.released",
    Event.MessageReleased,
    "A parked message was released: the customer's message opened the window"
  ],
  ["message.expired", Event.MessageExpired, "A parked message was not released within its ttl: it is never sent"],
  ["window.opened", Event.WindowOpened, "A pair's 24-hour window opened"],
  ["window.expiring", Event.WindowExpiring, "A window stops being open within the lead time"],
  ["window.closed", Event.WindowClosed, "A window stopped being open (it ran out, or the provider closed it)"],
  ["webhook.quarantined", Event.WebhookQuarantined, "Something Exotel posted could not be used and was kept"]
]

/**
 * The event deliveries, as OpenAPI 3.1 `webhooks`: what a business endpoint receives. Their schemas are components
 * of the document like the others (a `$ref` to `#/$defs/…` would point nowhere in an OpenAPI document).
 */
const withEventWebhooks = (spec: Record<string, any>): Record<string, any> => {
  const schemas: Record<string, any> = { ...spec.components?.schemas }
  const webhooks: Record<string, unknown> = {}
  for (const [type, schema, summary] of EVENT_SCHEMAS) {
    webhooks[type] = {
      post: {
        summary,
        description: "Signed per Standard Webhooks: headers webhook-id (the event id; the same on every " +
          "redelivery), webhook-timestamp, webhook-signature (v1,<base64 HMAC-SHA256 of \"{id}.{timestamp}.{body}\">). " +
          "Answer 2xx within 10 s; anything else is retried with backoff (for 24 hours by default: " +
          "WA_SESSION_DELIVERY_RETRY_FOR); 410 Gone disables the endpoint.",
        requestBody: {
          required: true,
          content: { "application/json": { schema: OpenApiJsonSchema.makeWithDefs(schema, { defs: schemas }) } }
        },
        responses: { "200": { description: "Received" }, "410": { description: "Gone: stop delivering" } }
      }
    }
  }
  return { ...spec, components: { ...spec.components, schemas }, webhooks }
}

/** Every touch to the generated document, in order (see `internal/openapi.ts`). */
const finishSpec = (spec: Record<string, any>): Record<string, any> =>
  OpenApiFixes.withoutBuiltinIds(withEventWebhooks(OpenApiFixes.withoutDecodeError(spec)))

/**
 * The bearer-token check of every `/v1` endpoint. The server provides its implementation.
 *
 * @since 0.1.0
 * @category security
 */
export class Authorization extends HttpApiMiddleware.Tag<Authorization>()("@wa-session/http-api/Authorization", {
  failure: UnauthorizedError,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

/**
 * `POST /v1/messages` (send with fallback, or park), `GET /v1/messages/{id}`, `DELETE /v1/messages/{id}` (cancel a
 * parked message) and `GET /v1/messages?state=parked`.
 *
 * @since 0.1.0
 * @category groups
 */
export class MessagesGroup extends HttpApiGroup.make("messages")
  .add(
    HttpApiEndpoint.post("sendMessage", "/v1/messages")
      .setPayload(SendMessageRequest)
      .setHeaders(SendMessageHeaders)
      .addSuccess(SendMessageResponse, { status: 202 })
      .addError(SessionExpiredError)
      .addError(NoActiveSessionError)
      .addError(InvalidMessageError)
      .addError(MessageTypeNotSupportedError)
      .addError(InvalidPhoneNumberError)
      .addError(IdempotencyKeyReusedError)
      .addError(ProviderFailedError)
      .annotate(OpenApi.Summary, "Send a message, as a session message or as its fallback template")
      .annotate(
        OpenApi.Description,
        "Decides from the 24-hour window whether the content may go as a session message; when the window is not " +
          "open and a template `fallback` is given, sends that instead, else answers 409; with `whenClosed: park` " +
          "it parks the message instead (`decision: parked`): it is released as a session message when the " +
          "customer's next message opens the window, before any message sent after that, or expires after `ttl`; " +
          "the `fallback` goes at once as a re-engagement template, at most once per pair per " +
          "WA_SESSION_REENGAGE_INTERVAL. The same idempotency key " +
          "with the same request (`from`, `to`, `content`, `fallback`, `dryRun`; field order does not matter) " +
          "returns the first result and sends nothing (`replayed: true`); with another request it answers 422 " +
          "`IDEMPOTENCY_KEY_REUSED` and stores and sends nothing. With `dryRun` the decision is made and stored, " +
          "and nothing is sent. Otherwise the message is stored as a send job and the request waits for Exotel's " +
          "answer up to `WA_SESSION_SEND_WAIT`: `status` is `accepted`, `queued` (not answered yet: it is sent once, " +
          "also across restarts) or `unknown` (Exotel's answer was lost: it may have been sent, is never sent again, " +
          "and its delivery report settles it). 502 only when Exotel is known not to have taken the message."
      )
  )
  .add(
    HttpApiEndpoint.get("getMessage", "/v1/messages/:id")
      .setPath(Schema.Struct({ id: Schema.String }))
      .addSuccess(MessageView)
      .addError(MessageNotFoundError)
      .annotate(OpenApi.Summary, "An outbound message with its status history")
  )
  .add(
    HttpApiEndpoint.del("cancelMessage", "/v1/messages/:id")
      .setPath(Schema.Struct({ id: Schema.String }))
      .addSuccess(MessageView)
      .addError(MessageNotFoundError)
      .addError(MessageNotParkedError)
      .annotate(OpenApi.Summary, "Cancel a parked message")
      .annotate(
        OpenApi.Description,
        "A parked message (`whenClosed: park`) that was not released yet becomes `cancelled` and is never sent; " +
          "409 `MESSAGE_NOT_PARKED` once it was released, expired or cancelled, or when it never was parked."
      )
  )
  .add(
    HttpApiEndpoint.get("listMessagesByState", "/v1/messages")
      .setUrlParams(MessageListParams)
      .addSuccess(MessageList)
      .addError(InvalidPhoneNumberError)
      .annotate(OpenApi.Summary, "Parked messages (state=parked), of a business or a pair, in release order")
  )
  .addError(StorageUnavailableError)
  .middleware(Authorization)
  .annotate(OpenApi.Title, "Messages")
{}

const PairPath = Schema.Struct({
  business: Schema.String.annotations({ description: "E.164 with %2B, + or digits only" }),
  customer: Schema.String.annotations({ description: "E.164 with %2B, + or digits only" })
})

/**
 * The windows: `GET /v1/sessions/{business}/{customer}`, `GET /v1/sessions` (windows expiring soon) and, since
 * 0.2.0, `GET /v1/sessions/{business}/{customer}/explanation` and `POST /v1/sessions/{business}/{customer}/inbound`
 * (record a customer's message by hand). The reads take an optional `at` instant to evaluate at instead of now.
 *
 * @since 0.1.0
 * @category groups
 */
export class SessionsGroup extends HttpApiGroup.make("sessions")
  .add(
    HttpApiEndpoint.get("getSession", "/v1/sessions/:business/:customer")
      .setPath(PairPath)
      .setUrlParams(AtParams)
      .addSuccess(PairSessionView)
      .addError(InvalidPhoneNumberError)
      .annotate(OpenApi.Summary, "The 24-hour window of a (business, customer) pair now, or `at` an instant")
  )
  .add(
    HttpApiEndpoint.get("explainSession", "/v1/sessions/:business/:customer/explanation")
      .setPath(PairPath)
      .setUrlParams(AtParams)
      .addSuccess(ExplanationView)
      .addError(InvalidPhoneNumberError)
      .annotate(OpenApi.Summary, "Why the window of a pair is what it is now, or `at` an instant")
  )
  .add(
    HttpApiEndpoint.post("recordInbound", "/v1/sessions/:business/:customer/inbound")
      .setPath(PairPath)
      .setPayload(RecordInboundRequest)
      .addSuccess(RecordInboundResponse)
      .addError(InvalidPhoneNumberError)
      .annotate(OpenApi.Summary, "Record a customer's message by hand (imports, backfill after a webhook outage)")
      .annotate(
        OpenApi.Description,
        "Records the message as the webhook would: received now, counted from `sentAt` after the clock-skew guard. " +
          "The same `messageId` twice is recorded once (`duplicate: true`). Answers with the window afterwards."
      )
  )
  .add(
    HttpApiEndpoint.get("listMessages", "/v1/sessions/:business/:customer/messages")
      .setPath(PairPath)
      .setUrlParams(HistoryParams)
      .addSuccess(HistoryPage)
      .addError(InvalidPhoneNumberError)
      .annotate(OpenApi.Summary, "The pair's messages, inbound and outbound, newest first, with content and statuses")
  )
  .add(
    HttpApiEndpoint.get("listExpiring", "/v1/sessions")
      .setUrlParams(ListExpiringParams)
      .addSuccess(SessionPage)
      .addError(InvalidPhoneNumberError)
      .annotate(OpenApi.Summary, "Open windows that close within `expiringWithin` seconds, soonest first")
  )
  .addError(StorageUnavailableError)
  .middleware(Authorization)
  .annotate(OpenApi.Title, "Sessions")
{}

/**
 * The event log (`GET /v1/events`) and where events go: `POST /v1/endpoints`, `GET /v1/endpoints`,
 * `DELETE /v1/endpoints/{id}`, `GET /v1/deliveries`, `POST /v1/deliveries/replay`.
 *
 * @since 0.2.0
 * @category groups
 */
export class EventsGroup extends HttpApiGroup.make("events")
  .add(
    HttpApiEndpoint.get("listEvents", "/v1/events")
      .setUrlParams(EventsParams)
      .addSuccess(EventsPage)
      .annotate(OpenApi.Summary, "The event log, oldest first, for consumers that poll or catch up")
      .annotate(
        OpenApi.Description,
        "Pass the `last` of a page as `after` to get the next one. Events appear here once their transaction " +
          "committed; the same events are delivered to the endpoints (see the `webhooks` of this document)."
      )
  )
  .add(
    HttpApiEndpoint.post("addEndpoint", "/v1/endpoints")
      .setPayload(AddEndpointRequest)
      .addSuccess(AddedEndpoint, { status: 201 })
      .addError(InvalidEndpointError)
      .annotate(OpenApi.Summary, "Deliver events to a URL, signed per Standard Webhooks; the secret is shown once")
  )
  .add(
    HttpApiEndpoint.get("listEndpoints", "/v1/endpoints")
      .addSuccess(EndpointList)
      .annotate(OpenApi.Summary, "The endpoints events go to (without their secrets)")
  )
  .add(
    HttpApiEndpoint.del("deleteEndpoint", "/v1/endpoints/:id")
      .setPath(Schema.Struct({ id: Schema.String }))
      .addSuccess(HttpApiSchema.NoContent)
      .addError(EndpointNotFoundError)
      .addError(EndpointConfiguredError)
      .annotate(OpenApi.Summary, "Stop delivering to an endpoint; its pending deliveries fail")
  )
  .add(
    HttpApiEndpoint.get("listDeliveries", "/v1/deliveries")
      .setUrlParams(DeliveriesParams)
      .addSuccess(DeliveryPage)
      .annotate(OpenApi.Summary, "Deliveries by state (pending, delivered, failed: the dead letters) and endpoint")
  )
  .add(
    HttpApiEndpoint.post("replay", "/v1/deliveries/replay")
      .setPayload(ReplayRequest)
      .addSuccess(ReplayResponse)
      .addError(EndpointNotFoundError)
      .annotate(OpenApi.Summary, "Deliver events again (same webhook-id), since an instant or by id")
  )
  .addError(StorageUnavailableError)
  .middleware(Authorization)
  .annotate(OpenApi.Title, "Events")
{}

/**
 * `GET /v1/quarantine` and `POST /v1/quarantine/{id}/retry`: what Exotel posted that could not be used, kept.
 *
 * @since 0.2.0
 * @category groups
 */
export class QuarantineGroup extends HttpApiGroup.make("quarantine")
  .add(
    HttpApiEndpoint.get("listQuarantine", "/v1/quarantine")
      .setUrlParams(QuarantineParams)
      .addSuccess(QuarantinePage)
      .annotate(OpenApi.Summary, "Items and bodies that could not be decoded, and reports about unknown messages")
  )
  .add(
    HttpApiEndpoint.post("retryQuarantined", "/v1/quarantine/:id/retry")
      .setPath(Schema.Struct({ id: Schema.String }))
      .addSuccess(QuarantineRetryResponse)
      .addError(QuarantineNotFoundError)
      .annotate(
        OpenApi.Summary,
        "Decode an entry again with this server's decoder; recorded and resolved if it now decodes"
      )
  )
  .addError(StorageUnavailableError)
  .middleware(Authorization)
  .annotate(OpenApi.Title, "Quarantine")
{}

/**
 * `POST /webhooks/exotel/{secret}`: everything Exotel posts. The secret in the path is the authentication.
 *
 * @since 0.1.0
 * @category groups
 */
export class WebhooksGroup extends HttpApiGroup.make("webhooks")
  .add(
    HttpApiEndpoint.post("exotelWebhook", "/webhooks/exotel/:secret")
      .setPath(Schema.Struct({ secret: Schema.String }))
      .setPayload(ExotelWebhookBody)
      .addSuccess(WebhookAck)
      .addError(InvalidWebhookError)
      .addError(NotFoundError)
      .addError(StorageUnavailableError)
      .annotate(OpenApi.Summary, "Exotel inbound messages and delivery reports")
      .annotate(
        OpenApi.Description,
        "Answers 200 once every accepted item is durably stored. Malformed items are counted in `rejected` and " +
          "never block valid ones. A wrong secret gets 404 and records nothing."
      )
  )
  .annotate(OpenApi.Title, "Webhooks")
{}

/**
 * `GET /healthz`, `GET /readyz` and `GET /metrics` (Prometheus text).
 *
 * @since 0.1.0
 * @category groups
 */
export class HealthGroup extends HttpApiGroup.make("health")
  .add(
    HttpApiEndpoint.get("healthz", "/healthz")
      .addSuccess(Health)
      .annotate(OpenApi.Summary, "Liveness: the process is up")
      .annotate(
        OpenApi.Description,
        "200 `{\"status\":\"ok\"}` while the process serves requests; the store is not asked. No token needed."
      )
  )
  .add(
    HttpApiEndpoint.get("readyz", "/readyz")
      .addSuccess(Readiness)
      .addError(NotReadyError)
      .annotate(OpenApi.Summary, "Readiness: the store answers")
      .annotate(
        OpenApi.Description,
        "200 `{\"status\":\"ready\"}` when the store answers within 2 seconds, else 503 `NOT_READY`: take the " +
          "server out of rotation. No token needed."
      )
  )
  .add(
    HttpApiEndpoint.get("metrics", "/metrics")
      .addSuccess(HttpApiSchema.Text({ contentType: "text/plain; version=0.0.4; charset=utf-8" }))
      .annotate(OpenApi.Summary, "Prometheus metrics")
  )
  .annotate(OpenApi.Title, "Health")
{}

/**
 * The whole API. Errors every endpoint may answer: 400 INVALID_REQUEST, 404 NOT_FOUND, 413 PAYLOAD_TOO_LARGE,
 * 500 INTERNAL_ERROR.
 *
 * @example
 * ```ts
 * import { HttpApiClient } from "@effect/platform"
 * import { WaSessionApi } from "@wa-session/http-api"
 * const client = HttpApiClient.make(WaSessionApi, { baseUrl: "http://127.0.0.1:8080" })
 * ```
 * @since 0.1.0
 * @category api
 */
export class WaSessionApi extends HttpApi.make("wa-session")
  .add(MessagesGroup)
  .add(SessionsGroup)
  .add(EventsGroup)
  .add(QuarantineGroup)
  .add(WebhooksGroup)
  .add(HealthGroup)
  .addError(InvalidRequestError)
  .addError(NotFoundError)
  .addError(MethodNotAllowedError)
  .addError(RequestTimeoutError)
  .addError(PayloadTooLargeError)
  .addError(InternalError)
  .annotate(OpenApi.Title, "wa-session")
  .annotate(OpenApi.Version, "0.1.0")
  .annotate(OpenApi.Servers, [{ url: "/", description: "The server that serves this document" }])
  .annotate(OpenApi.Transform, finishSpec)
  .annotate(
    OpenApi.Description,
    "Keeps WhatsApp Business messaging on Exotel inside the 24-hour customer-service window. Every error is JSON " +
      "with a stable `code` and a human `message`."
  )
{}
