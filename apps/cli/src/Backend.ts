import type {
  AddedEndpoint,
  DeliveryPage,
  EndpointView,
  EventsPage,
  HistoryPage,
  MessageList,
  MessageView,
  QuarantinePage,
  QuarantineRetryResponse
} from "@wa-session/http-api"
import type { DecisionError, MessageSender, PhoneNumber, SessionStore, SessionWindow } from "@wa-session/session-core"
import type { ClockSkew, Outbound } from "@wa-session/session-core"
import type { Delivery, Event, RelayService, SessionService } from "@wa-session/session-core"
import type { ConfigError, DateTime, Duration, Effect, Option, Redacted } from "effect"
import { Context } from "effect"
import type {
  InvalidInput,
  MessageNotFound,
  MessageNotParked,
  RemoteFailure,
  ServerUnreachable,
  UsageError
} from "./Errors.js"

/** The window of a pair at an instant, as both the local store and the server report it. */
export interface WindowView {
  readonly business: string
  readonly customer: string
  readonly state: SessionWindow.WindowState
  readonly lastInboundAt: Option.Option<DateTime.Utc>
  readonly expiresAt: Option.Option<DateTime.Utc>
  readonly remaining: Duration.Duration
  readonly closedByProvider: boolean
  /**
   * The safety margin of the backend's settings (the server's with --server): session messages stop this long
   * before the 24-hour mark. Not derived from `remaining`, which the server gives in whole seconds.
   */
  readonly safetyMargin: Duration.Duration
}

export interface SendView {
  readonly id: string
  /** `parked` (since 0.2.0): waiting for the customer's next message (`whenClosed: "park"`) */
  readonly decision: Outbound.DecisionKind | "parked"
  readonly reason: Option.Option<Outbound.FallbackReason>
  readonly window: { readonly state: SessionWindow.WindowState; readonly expiresAt: Option.Option<DateTime.Utc> }
  readonly providerMessageId: Option.Option<string>
  readonly status: Outbound.OutboundStatus
  readonly dryRun: boolean
  /** true when the idempotency key was seen before: the first result, nothing sent again */
  readonly replayed: Option.Option<boolean>
  /** a parked message's expiry: when it ends unsent if the customer has not written by then (since 0.2.0) */
  readonly parkedUntil: Option.Option<DateTime.Utc>
  /** the re-engagement template this send sent for its parked message (since 0.2.0) */
  readonly reengagementMessageId: Option.Option<string>
}

export interface ExpiringView {
  readonly items: ReadonlyArray<WindowView>
  readonly nextCursor: Option.Option<string>
}

export interface ExplainView extends Omit<SessionWindow.Explanation, "status"> {
  readonly status: WindowView
}

export interface InboundView {
  readonly messageId: string
  readonly duplicate: boolean
  readonly adjustment: ClockSkew.Adjustment
  readonly window: WindowView
}

export interface SendRequest {
  readonly from: PhoneNumber.PhoneNumber
  readonly to: PhoneNumber.PhoneNumber
  readonly content: unknown
  readonly fallback: unknown
  readonly idempotencyKey: Option.Option<string>
  readonly dryRun: boolean
  /** `--park`: park a session message for a window that is not open (`whenClosed: "park"`), for `ttl` at most */
  readonly park: Option.Option<{ readonly ttl: Option.Option<Duration.Duration> }>
}

export interface ExpiringRequest {
  readonly within: Duration.Duration
  readonly business: Option.Option<PhoneNumber.PhoneNumber>
  readonly limit: number
  readonly cursor: Option.Option<string>
}

export interface InboundRequest {
  readonly business: PhoneNumber.PhoneNumber
  readonly customer: PhoneNumber.PhoneNumber
  readonly messageId: Option.Option<string>
  readonly sentAt: Option.Option<DateTime.Utc>
}

/**
 * The views of history, events, deliveries, quarantine and endpoints are the HTTP API's own models (decoded), so that
 * `--json` prints the API's shapes whichever backend answered.
 */
export type HistoryView = typeof HistoryPage.Type
export type EventsView = typeof EventsPage.Type
export type DeliveriesView = typeof DeliveryPage.Type
export type QuarantineView = typeof QuarantinePage.Type
export type RetryView = typeof QuarantineRetryResponse.Type
export type EndpointsView = ReadonlyArray<typeof EndpointView.Type>
/** Parked messages in release order (`GET /v1/messages?state=parked`). */
export type ParkedView = typeof MessageList.Type
/** A message as `GET /v1/messages/{id}` shows it: the one `cancel` cancelled. */
export type MessageDetailView = typeof MessageView.Type
/** The endpoint just added, with the signing secret generated for it (shown once, kept redacted until then). */
export type AddedEndpointView = Omit<typeof AddedEndpoint.Type, "secret"> & {
  /** None when the operator gave the secret: it is never printed back. */
  readonly secret: Option.Option<Redacted.Redacted<string>>
}

export interface HistoryRequest {
  readonly pair: PhoneNumber.Pair
  readonly limit: number
  readonly cursor: Option.Option<string>
}

export interface EventsRequest {
  readonly after: Option.Option<string>
  readonly types: Option.Option<ReadonlyArray<Event.EventType>>
  readonly limit: number
}

export interface DeliveriesRequest {
  readonly state: Option.Option<Delivery.DeliveryState>
  readonly endpoint: Option.Option<string>
  readonly limit: number
  readonly cursor: Option.Option<string>
}

export interface ReplayRequest {
  readonly endpoint: Option.Option<string>
  readonly since: Option.Option<DateTime.Utc>
  readonly eventIds: Option.Option<ReadonlyArray<string>>
}

export interface QuarantineRequest {
  readonly state: Option.Option<"quarantined" | "resolved">
  readonly limit: number
  readonly cursor: Option.Option<string>
}

export interface ParkedRequest {
  readonly business: Option.Option<PhoneNumber.PhoneNumber>
  readonly customer: Option.Option<PhoneNumber.PhoneNumber>
  readonly limit: number
}

export interface EndpointRequest {
  readonly url: string
  readonly events: Option.Option<ReadonlyArray<string>>
  readonly secret: Option.Option<Redacted.Redacted<string>>
}

/** What the use cases may fail with, through either backend: each one is a CliError, described at the edge. */
export type BackendError =
  | DecisionError
  | MessageSender.ProviderError
  | SessionStore.StorageError
  | SessionStore.InvalidCursor
  | UsageError
  | ServerUnreachable
  | RemoteFailure
  | InvalidInput
  | RelayService.EndpointNotFound
  | RelayService.EndpointConfigured
  | SessionService.QuarantineNotFound
  | SessionService.IdempotencyKeyReused
  | MessageNotFound
  | MessageNotParked
  | ConfigError.ConfigError

export interface BackendShape {
  /** The instant "now" means (the virtual clock with --at). */
  readonly now: Effect.Effect<DateTime.Utc>
  readonly send: (request: SendRequest) => Effect.Effect<SendView, BackendError>
  readonly status: (pair: PhoneNumber.Pair) => Effect.Effect<WindowView, BackendError>
  readonly expiring: (request: ExpiringRequest) => Effect.Effect<ExpiringView, BackendError>
  readonly explain: (pair: PhoneNumber.Pair) => Effect.Effect<ExplainView, BackendError>
  readonly inbound: (request: InboundRequest) => Effect.Effect<InboundView, BackendError>
  /** A pair's messages, newest first. */
  readonly history: (request: HistoryRequest) => Effect.Effect<HistoryView, BackendError>
  /** The event log, oldest first. */
  readonly events: (request: EventsRequest) => Effect.Effect<EventsView, BackendError>
  readonly deliveries: (request: DeliveriesRequest) => Effect.Effect<DeliveriesView, BackendError>
  /** How many deliveries were made pending again. */
  readonly replay: (request: ReplayRequest) => Effect.Effect<number, BackendError>
  readonly quarantine: (request: QuarantineRequest) => Effect.Effect<QuarantineView, BackendError>
  readonly retryQuarantined: (id: string) => Effect.Effect<RetryView, BackendError>
  readonly endpoints: Effect.Effect<EndpointsView, BackendError>
  readonly addEndpoint: (request: EndpointRequest) => Effect.Effect<AddedEndpointView, BackendError>
  readonly deleteEndpoint: (id: string) => Effect.Effect<void, BackendError>
  /** Parked messages, in release order. */
  readonly parked: (request: ParkedRequest) => Effect.Effect<ParkedView, BackendError>
  /** Cancels a parked message: the message, now `cancelled`. */
  readonly cancel: (id: string) => Effect.Effect<MessageDetailView, BackendError>
}

/** The use cases the commands call: over the local store (Local.ts) or a running server (Remote.ts). */
export class Backend extends Context.Tag("@wa-session/cli/Backend")<Backend, BackendShape>() {}
