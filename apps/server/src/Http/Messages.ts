import { HttpApiBuilder, type HttpApiGroup } from "@effect/platform"
import {
  type Authorization,
  DEFAULT_PAGE_SIZE,
  MessageNotFoundError,
  MessageNotParkedError,
  type MessageView,
  ProviderFailedError,
  WaSessionApi
} from "@wa-session/http-api"
import { type Ids, type MessageSender, Outbound, SessionService, SessionStore } from "@wa-session/session-core"
import { Duration, Effect, type Layer, Metric, Option } from "effect"
import { ServerConfig } from "../Config.js"
import { Metrics, type SendDecision, type SendResult } from "../Metrics.js"
import { Sends } from "../Sends.js"
import * as Translate from "./Translate.js"

const providerFailed = (error: MessageSender.ProviderError, messageId: string | null) =>
  new ProviderFailedError({
    message: error.message,
    // an ambiguous outcome is never a failure (the message is `unknown`), so it never gets here
    reason: error.reason === "Ambiguous" ? "Unavailable" : error.reason,
    providerCode: Option.getOrNull(error.providerCode),
    httpStatus: Option.getOrNull(error.httpStatus),
    messageId
  })

/** What the send request answers: the message as it stands once the wait is over (a replay is answered as stored). */
const resultOf = (status: Outbound.OutboundStatus, dryRun: boolean, replayed: boolean): SendResult =>
  replayed
    ? "replayed"
    : dryRun
    ? "dry_run"
    : status === "queued"
    ? "queued"
    : status === "unknown"
    ? "unknown"
    : "sent"

export const MessagesLive: Layer.Layer<
  HttpApiGroup.ApiGroup<"wa-session", "messages">,
  never,
  | SessionStore.SessionStore
  | SessionService.SessionConfig
  | Ids.Ids
  | Metrics
  | Sends
  | ServerConfig
  | Authorization
> = HttpApiBuilder.group(WaSessionApi, "messages", (handlers) =>
  Effect.gen(function*() {
    const metrics = yield* Metrics
    const sends = yield* Sends
    const settings = yield* ServerConfig
    const count = (decision: SendDecision, result: SendResult) => Metric.increment(metrics.sends(decision, result))
    /** A parked message: its re-engagement template goes in the background (its outcome is its own). */
    const answerParked = (submitted: SessionService.SendResult) =>
      Effect.gen(function*() {
        const reengagement = submitted.reengagement ?? Option.none()
        if (!submitted.replayed) {
          yield* Metric.increment(metrics.parking("parked"))
          for (const template of Option.toArray(reengagement)) {
            yield* Metric.increment(metrics.parking("reengaged"))
            if (!template.dryRun) yield* sends.sendAndWait(template.id, Duration.zero)
          }
        }
        yield* count("parked", submitted.replayed ? "replayed" : "parked")
        yield* Effect.logInfo(submitted.replayed ? "send replayed" : "message parked").pipe(
          Effect.annotateLogs({
            id: submitted.message.id,
            reason: Option.getOrNull(submitted.message.reason),
            reengagement: Option.getOrNull(Option.map(reengagement, (template) => template.id))
          })
        )
        return Translate.sendResponse(submitted)
      })
    return handlers
      .handle("sendMessage", ({ headers, payload }) =>
        Effect.gen(function*() {
          const from = yield* Translate.phone(payload.from, "from")
          const to = yield* Translate.phone(payload.to, "to")
          const submitted = yield* SessionService.submit({
            from,
            to,
            content: payload.content,
            fallback: payload.fallback,
            idempotencyKey: Option.fromNullable(payload.idempotencyKey ?? headers["idempotency-key"]),
            // OR-ed with the server's own dry-run (no Exotel credentials) by the use case
            dryRun: payload.dryRun === true,
            whenClosed: payload.whenClosed,
            ttl: payload.ttl === undefined ? undefined : Duration.seconds(payload.ttl)
          })
          const stored = submitted.message
          if (Outbound.isParked(stored)) return yield* answerParked(submitted)
          const waited = submitted.replayed || stored.dryRun
            ? Option.none<SessionService.Dispatched>()
            : (yield* sends.sendAndWait(stored.id, settings.sendWait)).dispatched
          if (Option.isSome(waited) && waited.value._tag === "Failed") {
            const error = waited.value.error
            yield* count(stored.decision, "provider_error")
            yield* Effect.logWarning("send failed at the provider").pipe(
              Effect.annotateLogs({
                id: stored.id,
                reason: error.reason,
                providerCode: Option.getOrNull(error.providerCode)
              })
            )
            return yield* Effect.fail(providerFailed(error, stored.id))
          }
          // sent (or its fallback template, after a re-engagement refusal), deferred (queued again: Exotel was
          // unavailable), else as stored now: queued, unknown
          const message = Option.isSome(waited) && (waited.value._tag === "Sent" || waited.value._tag === "Deferred")
            ? waited.value.message
            : submitted.replayed || stored.dryRun
            ? stored
            : Option.getOrElse(
              yield* Effect.flatMap(SessionStore.SessionStore, (store) => store.findOutbound(stored.id)),
              () => stored
            )
          yield* count(message.decision, resultOf(message.status, message.dryRun, submitted.replayed))
          yield* Effect.logInfo(submitted.replayed ? "send replayed" : "message decided").pipe(
            Effect.annotateLogs({
              id: message.id,
              decision: message.decision,
              reason: Option.getOrNull(message.reason),
              status: message.status,
              dryRun: message.dryRun
            })
          )
          return Translate.sendResponse({ message, replayed: submitted.replayed })
        }).pipe(
          Effect.tapErrorTag("SessionExpired", () => count("none", "refused")),
          Effect.tapErrorTag("NoActiveSession", () => count("none", "refused")),
          Effect.tapErrorTag("InvalidMessage", () => count("none", "invalid")),
          Effect.tapErrorTag("MessageTypeNotSupported", () => count("none", "invalid")),
          Effect.tapErrorTag("InvalidPhoneNumber", () => count("none", "invalid")),
          Effect.tapErrorTag("IdempotencyKeyReused", () => count("none", "key_reused")),
          Effect.tapErrorTag("StorageError", () => count("none", "storage_error")),
          Effect.catchTags({
            SessionExpired: Translate.sessionExpired,
            NoActiveSession: Translate.noActiveSession,
            InvalidMessage: Translate.invalidMessage,
            MessageTypeNotSupported: Translate.messageTypeNotSupported,
            InvalidPhoneNumber: Translate.invalidPhoneNumber,
            IdempotencyKeyReused: Translate.idempotencyKeyReused,
            StorageError: Translate.storageError
          })
        ))
      .handle("cancelMessage", ({ path }) =>
        SessionService.cancelParked(path.id).pipe(
          Effect.flatMap(Option.match({
            onNone: (): Effect.Effect<MessageView, MessageNotFoundError | MessageNotParkedError> =>
              Effect.fail(new MessageNotFoundError({ message: `No outbound message ${path.id}`, id: path.id })),
            onSome: ({ cancelled, message }): Effect.Effect<MessageView, MessageNotParkedError> =>
              cancelled
                ? Effect.as(
                  Effect.zipRight(
                    Metric.increment(metrics.parking("cancelled")),
                    Effect.logInfo("parked message cancelled").pipe(Effect.annotateLogs({ id: message.id }))
                  ),
                  Translate.messageView(message)
                )
                : Effect.fail(
                  new MessageNotParkedError({
                    message: `message ${message.id} is ${message.status}, not parked: only a parked message can be ` +
                      "cancelled",
                    id: message.id,
                    status: message.status
                  })
                )
          })),
          Effect.catchTag("StorageError", Translate.storageError)
        ))
      .handle("listMessagesByState", ({ urlParams }) =>
        Effect.gen(function*() {
          const business = yield* Effect.transposeOption(
            Option.map(Option.fromNullable(urlParams.business), (number) => Translate.phone(number, "business"))
          )
          const customer = yield* Effect.transposeOption(
            Option.map(Option.fromNullable(urlParams.customer), (number) => Translate.phone(number, "customer"))
          )
          const store = yield* SessionStore.SessionStore
          const parked = yield* store.listParked({ business, customer, limit: urlParams.limit ?? DEFAULT_PAGE_SIZE })
          return { items: parked.map(Translate.messageView) }
        }).pipe(
          Effect.catchTags({ InvalidPhoneNumber: Translate.invalidPhoneNumber, StorageError: Translate.storageError })
        ))
      .handle("getMessage", ({ path }) =>
        Effect.flatMap(SessionStore.SessionStore, (store) =>
          store.findOutbound(path.id)).pipe(
            Effect.flatMap(Option.match({
              onNone: () =>
                Effect.fail(new MessageNotFoundError({ message: `No outbound message ${path.id}`, id: path.id })),
              onSome: (message) => Effect.succeed(Translate.messageView(message))
            })),
            Effect.catchTag("StorageError", Translate.storageError)
          ))
  }))
