import { HttpApiBuilder, type HttpApiGroup } from "@effect/platform"
import { type Authorization, MessageNotFoundError, ProviderFailedError, WaSessionApi } from "@wa-session/http-api"
import { type Ids, type MessageSender, type Outbound, SessionService, SessionStore } from "@wa-session/session-core"
import { Effect, type Layer, Metric, Option } from "effect"
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
            dryRun: payload.dryRun === true
          })
          const stored = submitted.message
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
