import { HttpApiBuilder, type HttpApiGroup } from "@effect/platform"
import { NotReadyError, WaSessionApi } from "@wa-session/http-api"
import { type SessionService, SessionStore } from "@wa-session/session-core"
import { Effect, type Layer } from "effect"
import * as Metrics from "../Metrics.js"

export const READINESS_TIMEOUT = "2 seconds"

export const HealthLive: Layer.Layer<
  HttpApiGroup.ApiGroup<"wa-session", "health">,
  never,
  SessionStore.SessionStore | SessionService.SessionConfig | Metrics.Metrics
> = HttpApiBuilder.group(WaSessionApi, "health", (handlers) =>
  handlers
    .handle("healthz", () => Effect.succeed({ status: "ok" } as const))
    .handle("readyz", () =>
      Effect.flatMap(SessionStore.SessionStore, (store) => store.ping).pipe(
        Effect.timeoutFail({
          duration: READINESS_TIMEOUT,
          onTimeout: () => new SessionStore.StorageError({ operation: "ping", detail: "no answer within 2 seconds" })
        }),
        Effect.as({ status: "ready" } as const),
        Effect.catchTag("StorageError", (error) =>
          Effect.zipRight(
            Effect.logWarning("not ready").pipe(
              Effect.annotateLogs({ operation: error.operation, detail: error.detail })
            ),
            Effect.fail(new NotReadyError({ message: "The store does not answer" }))
          ))
      ))
    .handle("metrics", () => Metrics.scrape))
