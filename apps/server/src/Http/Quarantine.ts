import { HttpApiBuilder, type HttpApiGroup } from "@effect/platform"
import { Webhook } from "@wa-session/exotel"
import { type Authorization, DEFAULT_PAGE_SIZE, QuarantineNotFoundError, WaSessionApi } from "@wa-session/http-api"
import { Ingest, SessionService, SessionStore } from "@wa-session/session-core"
import { Effect, type Layer, Option } from "effect"
import * as Translate from "./Translate.js"

export const QuarantineLive: Layer.Layer<
  HttpApiGroup.ApiGroup<"wa-session", "quarantine">,
  never,
  SessionStore.SessionStore | SessionService.SessionConfig | Authorization
> = HttpApiBuilder.group(WaSessionApi, "quarantine", (handlers) =>
  handlers
    .handle("listQuarantine", ({ urlParams }) =>
      Effect.flatMap(SessionStore.SessionStore, (store) =>
        store.listQuarantine({
          state: Option.fromNullable(urlParams.state),
          limit: urlParams.limit ?? DEFAULT_PAGE_SIZE,
          cursor: Option.fromNullable(urlParams.cursor)
        })).pipe(
          Effect.map((page) => ({
            items: page.items.map(Translate.quarantineView),
            nextCursor: Option.getOrNull(page.nextCursor)
          })),
          Effect.catchTags({ InvalidCursor: Translate.invalidCursor("cursor"), StorageError: Translate.storageError })
        ))
    .handle("retryQuarantined", ({ path }) =>
      SessionService.retryQuarantined(path.id, Webhook.fromQuarantine).pipe(
        Effect.tap((outcome) =>
          Effect.logInfo("quarantine entry retried").pipe(
            Effect.annotateLogs({ id: outcome.entry.id, state: outcome.entry.state })
          )
        ),
        Effect.map((outcome) => ({
          entry: Translate.quarantineView(outcome.entry),
          result: Ingest.counts(outcome.results)
        })),
        Effect.catchTags({
          QuarantineNotFound: (e) =>
            Effect.fail(new QuarantineNotFoundError({ message: e.message, id: e.id })),
          StorageError: Translate.storageError
        })
      )))
