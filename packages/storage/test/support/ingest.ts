/**
 * Recording inbound messages through the store's one write path (`ingest`), for the contract suite and the
 * child-process fixtures (no vitest here: the fixtures run outside it).
 */
import {
  type Ingest,
  type PhoneNumber,
  type SessionStore,
  type SessionWindow,
  WindowEvents
} from "@wa-session/session-core"
import { DateTime, Effect, Option } from "effect"

/** An inbound message as a webhook brings it (text content), prepared for `ingest`. */
export const preparedInbound = (message: SessionWindow.InboundMessage): Ingest.PreparedInbound => ({
  _tag: "Inbound",
  message,
  contentType: "text",
  content: { type: "text", text: { body: `hello ${message.messageId}` } },
  profileName: Option.some("Contract"),
  providerTimestamp: Option.some(message.sentAt),
  timestampAdjustment: "none",
  raw: JSON.stringify({ sid: message.messageId })
})

/** Records inbound messages in one `ingest` at the latest receive time; the results in order. */
export const recordInboundBatch = (
  store: SessionStore.SessionStoreShape,
  messages: ReadonlyArray<SessionWindow.InboundMessage>,
  policy: WindowEvents.Policy = WindowEvents.defaultPolicy
): Effect.Effect<ReadonlyArray<SessionStore.RecordedInbound>, SessionStore.StorageError> =>
  messages.length === 0
    ? Effect.succeed([])
    : Effect.map(
      store.ingest({
        now: messages.reduce((latest, m) => DateTime.max(latest, m.receivedAt), messages[0]!.receivedAt),
        policy,
        items: messages.map(preparedInbound),
        resolves: []
      }),
      (result) =>
        result.items.map((item) => {
          if (item._tag !== "Inbound") throw new Error(`expected an inbound result, got ${item._tag}`)
          return { duplicate: item.duplicate, window: item.window }
        })
    )

/** Records one inbound message through `ingest`. */
export const recordInbound = (
  store: SessionStore.SessionStoreShape,
  message: SessionWindow.InboundMessage
): Effect.Effect<SessionStore.RecordedInbound, SessionStore.StorageError> =>
  Effect.map(recordInboundBatch(store, [message]), (results) => results[0]!)

/** Closes a pair's window by the provider at `at` (recorded at the same instant). */
export const closeByProvider = (
  store: SessionStore.SessionStoreShape,
  pair: PhoneNumber.Pair,
  closedAt: DateTime.Utc
) => store.closeByProvider(pair, closedAt, closedAt, WindowEvents.defaultPolicy)
