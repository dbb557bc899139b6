/**
 * What the contract suites build their cases from, and what other store tests may share: fresh numbers, inbound and
 * outbound messages with defaults, recording inbound messages through the store's one write path (`ingest`), and
 * the oracle, the windows the pure functions give for a sequence of events.
 *
 * @since 0.2.0
 */
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Ingest from "../Ingest.js"
import * as Outbound from "../Outbound.js"
import * as PhoneNumber from "../PhoneNumber.js"
import type * as SessionStore from "../SessionStore.js"
import * as SessionWindow from "../SessionWindow.js"
import * as WindowEvents from "../WindowEvents.js"
import * as assert from "./ContractAssert.js"

/**
 * A random part of every number and id of this run, so that runs sharing a database do not meet.
 *
 * @since 0.2.0
 * @category constants
 */
export const RUN: string = String(Math.floor(Math.random() * 9000) + 1000)

let numbers = 0

/**
 * A fresh E.164 number, unique within this run.
 *
 * @since 0.2.0
 * @category constructors
 */
export const freshNumber = (): PhoneNumber.PhoneNumber =>
  PhoneNumber.unsafeMake(`+1${RUN}${String(++numbers).padStart(7, "0")}`)

/**
 * An instant from epoch milliseconds.
 *
 * @since 0.2.0
 * @category constructors
 */
export const at = (millis: number): DateTime.Utc => DateTime.unsafeMake(millis)

/**
 * A pair of numbers.
 *
 * @since 0.2.0
 * @category constructors
 */
export const pair = (business: PhoneNumber.PhoneNumber, customer: PhoneNumber.PhoneNumber): PhoneNumber.Pair =>
  new PhoneNumber.Pair({ business, customer })

/**
 * A customer's message, sent and received at these epoch milliseconds (received when sent unless told).
 *
 * @since 0.2.0
 * @category constructors
 */
export const inbound = (
  business: PhoneNumber.PhoneNumber,
  customer: PhoneNumber.PhoneNumber,
  messageId: string,
  sentAt: number,
  receivedAt: number = sentAt
): SessionWindow.InboundMessage =>
  new SessionWindow.InboundMessage({ business, customer, messageId, sentAt: at(sentAt), receivedAt: at(receivedAt) })

/**
 * A status report at these epoch milliseconds, with an optional provider code.
 *
 * @since 0.2.0
 * @category constructors
 */
export const statusEvent = (status: Outbound.OutboundStatus, millis: number, code?: string): Outbound.StatusEvent =>
  new Outbound.StatusEvent({ status, at: at(millis), code: Option.fromNullable(code), detail: Option.none() })

let outboundIds = 0
const decodeOutbound = Schema.decodeUnknownSync(Outbound.OutboundMessage)

/**
 * An outbound message with defaults (a text message, no fallback), built from its encoded form so that fields the
 * schema may gain or lose (`windowState`, `windowExpiresAt`) do not break the suites; unknown fields are ignored.
 *
 * @since 0.2.0
 * @category constructors
 */
export const outbound = (
  business: PhoneNumber.PhoneNumber,
  customer: PhoneNumber.PhoneNumber,
  fields: Record<string, unknown> = {}
): Outbound.OutboundMessage =>
  decodeOutbound({
    id: `out-${RUN}-${++outboundIds}`,
    business,
    customer,
    idempotencyKey: null,
    decision: "session",
    reason: null,
    windowState: "open",
    windowExpiresAt: "2030-01-02T00:00:00.000Z",
    content: { type: "text", text: { body: "hello" } },
    fallback: null,
    providerMessageId: null,
    status: "pending",
    history: [{ status: "pending", at: "2030-01-01T00:00:00.000Z", code: null, detail: null }],
    createdAt: "2030-01-01T00:00:00.000Z",
    dryRun: false,
    fallbackMessageId: null,
    ...fields
  })

/**
 * An inbound message as a webhook brings it (text content), prepared for `ingest`.
 *
 * @since 0.2.0
 * @category constructors
 */
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

/**
 * Records inbound messages in one `ingest` at the latest receive time; the results in order.
 *
 * @since 0.2.0
 * @category use cases
 */
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
          assert.hasTag(item, "Inbound", "expected an inbound result")
          return { duplicate: item.duplicate, window: item.window }
        })
    )

/**
 * Records one inbound message through `ingest`.
 *
 * @since 0.2.0
 * @category use cases
 */
export const recordInbound = (
  store: SessionStore.SessionStoreShape,
  message: SessionWindow.InboundMessage
): Effect.Effect<SessionStore.RecordedInbound, SessionStore.StorageError> =>
  Effect.map(recordInboundBatch(store, [message]), (results) => results[0]!)

/**
 * Closes a pair's window by the provider at `closedAt` (recorded at the same instant).
 *
 * @since 0.2.0
 * @category use cases
 */
export const closeByProvider = (
  store: SessionStore.SessionStoreShape,
  pair: PhoneNumber.Pair,
  closedAt: DateTime.Utc
): Effect.Effect<void, SessionStore.StorageError> =>
  store.closeByProvider(pair, closedAt, closedAt, WindowEvents.defaultPolicy)

/**
 * What happens to a pair's window: a customer's message, or a closure by the provider at epoch milliseconds.
 *
 * @since 0.2.0
 * @category models
 */
export type OracleEvent =
  | { readonly _tag: "Inbound"; readonly message: SessionWindow.InboundMessage }
  | {
    readonly _tag: "Close"
    readonly business: PhoneNumber.PhoneNumber
    readonly customer: PhoneNumber.PhoneNumber
    readonly at: number
  }

/**
 * The key of a pair in the oracle's map: `business|customer`.
 *
 * @since 0.2.0
 * @category getters
 */
export const pairKey = (business: string, customer: string): string => `${business}|${customer}`

/**
 * The windows the pure functions give for events applied in this order (inbound deduplicated on the business and
 * the id), by `pairKey`.
 *
 * @since 0.2.0
 * @category use cases
 */
export const oracle = (events: ReadonlyArray<OracleEvent>): Map<string, SessionWindow.Window> => {
  const windows = new Map<string, SessionWindow.Window>()
  const seen = new Set<string>()
  for (const event of events) {
    if (event._tag === "Inbound") {
      const { business, customer, messageId } = event.message
      if (seen.has(`${business}|${messageId}`)) continue
      seen.add(`${business}|${messageId}`)
      const key = pairKey(business, customer)
      const before = windows.get(key) ?? SessionWindow.empty({ business, customer })
      windows.set(key, SessionWindow.record(before, event.message))
    } else {
      const key = pairKey(event.business, event.customer)
      const window = windows.get(key) ?? SessionWindow.empty(event)
      windows.set(key, SessionWindow.closeByProvider(window, at(event.at)))
    }
  }
  return windows
}
