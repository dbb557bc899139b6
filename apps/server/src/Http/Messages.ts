import { HttpApiBuilder, type HttpApiGroup } from "@effect/platform"
import { type Authorization, MessageNotFoundError, ProviderFailedError, WaSessionApi } from "@wa-session/http-api"
import { Ids, SessionService, SessionStore } from "@wa-session/session-core"
import type { MessageSender } from "@wa-session/session-core"
import { Effect, type Layer, Option } from "effect"
import { Metrics, type SendDecision, type SendResult } from "../Metrics.js"
import * as Translate from "./Translate.js"

const providerFailed = (error: MessageSender.ProviderError, messageId: string | null) =>
  new ProviderFailedError({
    message: error.message,
    reason: error.reason,
    providerCode: Option.getOrNull(error.providerCode),
    httpStatus: Option.getOrNull(error.httpStatus),
    messageId
  })

export const MessagesLive: Layer.Layer<
  HttpApiGroup.ApiGroup<"wa-session", "messages">,
  never,
  | SessionStore.SessionStore
  | SessionService.SessionConfig
  | MessageSender.MessageSender
  | Ids.Ids
  | Metrics
  | Authorization
> = HttpApiBuilder.group(WaSessionApi, "messages", (handlers) =>
  Effect.gen(function*() {
    const metrics = yield* Metrics
    const count = (decision: SendDecision, result: SendResult) => Effect.sync(() => metrics.send(decision, result))
    return handlers
      .handle("sendMessage", ({ headers, payload }) =>
        Effect.gen(function*() {
          const from = yield* Translate.phone(payload.from, "from")
          const to = yield* Translate.phone(payload.to, "to")
          const result = yield* SessionService.send({
            from,
            to,
            content: payload.content,
            fallback: payload.fallback,
            idempotencyKey: Option.fromNullable(payload.idempotencyKey ?? headers["idempotency-key"]),
            // OR-ed with the server's own dry-run (no Exotel credentials) by the use case
            dryRun: payload.dryRun === true
          }).pipe(
            Effect.catchTag("ProviderError", (error) =>
              Effect.gen(function*() {
                const storedId = Option.getOrNull(error.outboundId)
                const stored = storedId === null
                  ? Option.none()
                  : yield* Effect.flatMap(SessionStore.SessionStore, (store) => store.findOutbound(storedId))
                const decision = Option.match(stored, { onNone: () => "none" as const, onSome: (m) => m.decision })
                yield* count(decision, "provider_error")
                yield* Effect.logWarning("send failed at the provider").pipe(
                  Effect.annotateLogs({
                    id: storedId,
                    reason: error.reason,
                    providerCode: Option.getOrNull(error.providerCode)
                  })
                )
                return yield* Effect.fail(providerFailed(error, storedId))
              }))
          )
          const message = result.message
          yield* count(message.decision, result.replayed ? "replayed" : message.dryRun ? "dry_run" : "sent")
          yield* Effect.logInfo(result.replayed ? "send replayed" : "message decided").pipe(
            Effect.annotateLogs({
              id: message.id,
              decision: message.decision,
              reason: Option.getOrNull(message.reason),
              status: message.status,
              dryRun: message.dryRun
            })
          )
          return Translate.sendResponse(result)
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
        Effect.flatMap(SessionStore.SessionStore, (store) => store.findOutbound(path.id)).pipe(
          Effect.flatMap(Option.match({
            onNone: () =>
              Effect.fail(new MessageNotFoundError({ message: `No outbound message ${path.id}`, id: path.id })),
            onSome: (message) => Effect.succeed(Translate.messageView(message))
          })),
          Effect.catchTag("StorageError", Translate.storageError)
        ))
  }))
