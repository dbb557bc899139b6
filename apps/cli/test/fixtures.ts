// Seeds a SQLite store with what the command line cannot create itself (customers' messages with content, quarantine
// entries), through the same store and use cases the server uses, on the file the commands open.
import { Webhook } from "@wa-session/exotel"
import { Ingest, PhoneNumber, SessionService, SessionStore, WindowEvents } from "@wa-session/session-core"
import { SqliteStore } from "@wa-session/storage"
import { DateTime, Effect, Layer, Option } from "effect"

const onStore = <A, E>(
  filename: string,
  effect: Effect.Effect<A, E, SessionStore.SessionStore | SessionService.SessionConfig>
): Promise<A> =>
  Effect.runPromise(
    Effect.provide(effect, Layer.merge(SqliteStore.layer({ filename }), SessionService.layerConfig())).pipe(
      Effect.scoped
    ) as Effect.Effect<A, never, never>
  )

/** A customer's message as a webhook records it: with its content and profile name, received now. */
export const customerMessage = (
  filename: string,
  message: {
    readonly business: string
    readonly customer: string
    readonly messageId: string
    readonly content: Readonly<Record<string, unknown>>
  }
) =>
  onStore(
    filename,
    SessionService.ingest([{
      _tag: "Inbound",
      business: PhoneNumber.unsafeMake(message.business),
      customer: PhoneNumber.unsafeMake(message.customer),
      messageId: message.messageId,
      providerTimestamp: Option.none(),
      contentType: String(message.content.type),
      content: message.content,
      profileName: Option.some("Asha"),
      raw: message
    }])
  )

/** A webhook body as Exotel's adapter decodes it: what does not decode goes to the quarantine. */
export const webhookBody = (filename: string, body: string) =>
  onStore(filename, SessionService.ingest(Webhook.fromBodyText(body).items))

/**
 * A quarantine entry of an item that decodes today: as if an older decoder had refused it. Its id.
 */
export const quarantinedItem = (filename: string, item: unknown, reason: string): Promise<string> => {
  const raw = JSON.stringify(item)
  const id = Ingest.quarantineIdOf("item", raw)
  return onStore(
    filename,
    Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      yield* store.ingest({
        now: yield* DateTime.now,
        policy: WindowEvents.defaultPolicy,
        items: [{ _tag: "Quarantine", id, kind: "item", reason, raw, item }],
        resolves: []
      })
      return id
    })
  )
}
