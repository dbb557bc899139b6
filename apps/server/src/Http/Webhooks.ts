import { HttpApiBuilder, type HttpApiGroup } from "@effect/platform"
import { WaSessionApi } from "@wa-session/http-api"
import { Effect, type Layer } from "effect"
import { makeVerifier } from "../Auth.js"
import { ServerConfig } from "../Config.js"
import { Ingest } from "../Ingest.js"
import type { Metrics } from "../Metrics.js"
import * as Webhook from "../Webhook.js"

/**
 * The contract's webhook endpoint through the HttpApi stack. Production traffic never gets here: the node:http
 * fast path (`Webhook.makeIntercept`) takes every POST to the route first. It answers the same way, so the
 * contract stays true if the fast path is removed, and the benchmark can compare both.
 */
export const WebhooksLive: Layer.Layer<
  HttpApiGroup.ApiGroup<"wa-session", "webhooks">,
  never,
  Ingest | ServerConfig | Metrics
> = HttpApiBuilder.group(WaSessionApi, "webhooks", (handlers) =>
  Effect.gen(function*() {
    const { ingest } = yield* Ingest
    const settings = yield* ServerConfig
    const verify = makeVerifier(settings.webhookSecret)
    return handlers.handleRaw("exotelWebhook", ({ path, request }) =>
      Effect.gen(function*() {
        const reply = !verify(path.secret)
          ? Webhook.notFound
          : yield* request.text.pipe(
            Effect.matchEffect({
              // nothing to keep: what was not received cannot be quarantined (Exotel posts it again)
              onFailure: () => Effect.succeed(Webhook.unreadableBody),
              onSuccess: (text) =>
                Webhook.isEventDelivery(request.headers, text)
                  ? Effect.succeed(Webhook.eventDelivery)
                  : Effect.flatMap(Effect.exit(ingest(text)), Webhook.replyTo)
            })
          )
        yield* Webhook.countAnswer(reply.status)
        return Webhook.toResponse(reply)
      }))
  }))
