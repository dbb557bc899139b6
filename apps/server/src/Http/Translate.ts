import {
  type ExplanationView,
  type PairSessionView,
  type RecordInboundResponse,
  type SessionView,
  Views
} from "@wa-session/http-api"
import {
  IdempotencyKeyReusedError,
  InvalidMessageError,
  InvalidPhoneNumberError,
  InvalidRequestError,
  MAX_LISTED_PROBLEMS,
  MessageTypeNotSupportedError,
  NoActiveSessionError,
  SessionExpiredError,
  StorageUnavailableError
} from "@wa-session/http-api"
import type {
  InvalidMessage,
  InvalidPhoneNumber,
  MessageTypeNotSupported,
  NoActiveSession,
  Outbound,
  SessionExpired,
  SessionService,
  SessionStore,
  SessionWindow
} from "@wa-session/session-core"
import { PhoneNumber } from "@wa-session/session-core"
import { DateTime, Duration, Effect, Option } from "effect"

/** Domain errors → contract errors. Each handler lists the ones its use case can fail with. */
export const sessionExpired = (e: SessionExpired) =>
  Effect.fail(
    new SessionExpiredError({
      message: e.message,
      business: e.business,
      customer: e.customer,
      expiredAt: e.expiredAt,
      closedByProvider: e.closedByProvider
    })
  )

export const noActiveSession = (e: NoActiveSession) =>
  Effect.fail(new NoActiveSessionError({ message: e.message, business: e.business, customer: e.customer }))

export const invalidMessage = (e: InvalidMessage) =>
  Effect.fail(
    new InvalidMessageError({
      message: e.message,
      path: e.path,
      ...(e.limit === undefined ? {} : { limit: e.limit }),
      ...(e.actual === undefined ? {} : { actual: e.actual }),
      violations: e.violations.slice(0, MAX_LISTED_PROBLEMS).map((v) => ({
        path: v.path,
        message: v.message,
        ...(v.limit === undefined ? {} : { limit: v.limit }),
        ...(v.actual === undefined ? {} : { actual: v.actual })
      })),
      ...(e.violations.length > MAX_LISTED_PROBLEMS ? { violationCount: e.violations.length } : {})
    })
  )

export const messageTypeNotSupported = (e: MessageTypeNotSupported) =>
  Effect.fail(
    new MessageTypeNotSupportedError({ message: e.message, path: e.path, type: e.type, supported: e.supported })
  )

export const invalidPhoneNumber = (e: InvalidPhoneNumber) =>
  Effect.fail(
    new InvalidPhoneNumberError({ message: e.message, path: e.field, input: e.input, reason: e.reason })
  )

export const idempotencyKeyReused = (e: SessionService.IdempotencyKeyReused) =>
  Effect.fail(
    new IdempotencyKeyReusedError({ message: e.message, idempotencyKey: e.idempotencyKey, messageId: e.messageId })
  )

/** The store failed: logged with its detail, answered without it. */
export const storageError = (e: SessionStore.StorageError) =>
  Effect.zipRight(
    Effect.logError("storage failed").pipe(Effect.annotateLogs({ operation: e.operation, detail: e.detail })),
    Effect.fail(new StorageUnavailableError({ message: "The store is unavailable; retry later" }))
  )

/**
 * A phone number written by a client (`+`, `%2B` or digits only), read by the core's one parser (the one under
 * `PhoneNumber.FromString`); the error names the field `path`, for `invalidPhoneNumber`.
 */
export const phone = (input: string, path: string): Effect.Effect<PhoneNumber.PhoneNumber, InvalidPhoneNumber> =>
  PhoneNumber.parse(input, path)

const toSeconds = (duration: Duration.Duration) => Math.floor(Duration.toMillis(duration) / 1000)

export const sessionView = (status: SessionWindow.WindowStatus): SessionView => ({
  business: status.business,
  customer: status.customer,
  state: status.state,
  lastInboundAt: Option.getOrNull(status.lastInboundAt),
  expiresAt: Option.getOrNull(status.expiresAt),
  remainingSeconds: toSeconds(status.remaining),
  closedByProvider: status.closedByProvider
})

/** The window of a pair with its parked messages (`GET /v1/sessions/{business}/{customer}`). */
export const pairSessionView = (
  status: SessionWindow.WindowStatus,
  parked: ReadonlyArray<Outbound.OutboundMessage>
): PairSessionView => ({
  ...sessionView(status),
  parked: parked.length,
  nextParkedExpiresAt: parked.reduce<DateTime.Utc | null>((soonest, message) =>
    Option.match(message.parkedUntil, {
      onNone: () => soonest,
      onSome: (until) => soonest === null || DateTime.lessThan(until, soonest) ? until : soonest
    }), null)
})

export const explanationView = (explanation: SessionWindow.Explanation): ExplanationView => ({
  status: sessionView(explanation.status),
  basisMessageId: Option.getOrNull(explanation.basisMessageId),
  basisReceivedAt: Option.getOrNull(explanation.basisReceivedAt),
  firstSeenAt: Option.getOrNull(explanation.firstSeenAt),
  closedByProviderAt: Option.getOrNull(explanation.closedByProviderAt),
  safetyMarginSeconds: toSeconds(explanation.safetyMargin),
  summary: explanation.summary
})

export const inboundResponse = (
  messageId: string,
  recorded: SessionService.InboundResult,
  window: SessionWindow.WindowStatus
): RecordInboundResponse => ({
  messageId,
  duplicate: recorded.duplicate,
  adjustment: recorded.adjustment,
  window: sessionView(window)
})

export const { deliveryView, endpointView, historyEntry, messageView, quarantineView, sendResponse } = Views

/** A bad `cursor` or `after`: bad input, not a storage failure. */
export const invalidCursor = (path: "cursor" | "after") => (_: SessionStore.InvalidCursor) =>
  Effect.fail(new InvalidRequestError({ message: Views.invalidCursorMessage(path), path }))
