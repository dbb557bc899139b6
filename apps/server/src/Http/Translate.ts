import type { ExplanationView, RecordInboundResponse, SessionView } from "@wa-session/http-api"
import {
  InvalidMessageError,
  InvalidPhoneNumberError,
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
  SessionExpired,
  SessionService,
  SessionStore,
  SessionWindow
} from "@wa-session/session-core"
import { type Outbound, PhoneNumber } from "@wa-session/session-core"
import { Duration, Effect, Either, Option } from "effect"

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
      violations: e.violations.map((v) => ({
        path: v.path,
        message: v.message,
        ...(v.limit === undefined ? {} : { limit: v.limit }),
        ...(v.actual === undefined ? {} : { actual: v.actual })
      }))
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

/** The store failed: logged with its detail, answered without it. */
export const storageError = (e: SessionStore.StorageError) =>
  Effect.zipRight(
    Effect.logError("storage failed").pipe(Effect.annotateLogs({ operation: e.operation, detail: e.detail })),
    Effect.fail(new StorageUnavailableError({ message: "The store is unavailable; retry later" }))
  )

/** Parses a phone number written by a client (`+`, `%2B` or digits only); `path` names the field. */
export const phone = (input: string, path: string) =>
  Either.match(PhoneNumber.parse(input, path), {
    onLeft: (error) => Effect.fail(error),
    onRight: (number) => Effect.succeed(number)
  })

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

/** The fields an outbound message shows in both the send answer and the message view. */
const outboundSummary = (message: Outbound.OutboundMessage) => ({
  id: message.id,
  decision: message.decision,
  reason: Option.getOrNull(message.reason),
  window: { state: message.windowState, expiresAt: Option.getOrNull(message.windowExpiresAt) },
  providerMessageId: Option.getOrNull(message.providerMessageId),
  status: message.status,
  dryRun: message.dryRun
})

export const sendResponse = (result: SessionService.SendResult) => ({
  ...outboundSummary(result.message),
  replayed: result.replayed
})

export const messageView = (message: Outbound.OutboundMessage) => ({
  ...outboundSummary(message),
  business: message.business,
  customer: message.customer,
  idempotencyKey: Option.getOrNull(message.idempotencyKey),
  content: message.content,
  fallback: Option.getOrNull(message.fallback),
  createdAt: message.createdAt,
  fallbackMessageId: Option.getOrNull(message.fallbackMessageId),
  history: message.history.map((event) => ({
    status: event.status,
    at: event.at,
    code: Option.getOrNull(event.code),
    detail: Option.getOrNull(event.detail)
  }))
})
