// Preparing what an adapter decoded for the store: timestamps through the clock-skew guard, raw text, quarantine ids.
import type * as DateTime from "effect/DateTime"
import type * as Duration from "effect/Duration"
import * as ClockSkew from "../ClockSkew.js"
import { type OutboundRef, StatusEvent } from "../Outbound.js"
import * as SessionWindow from "../SessionWindow.js"
import { toStorable } from "../StorableText.js"
import { hash128 } from "./hash.js"
import type { Item, Prepared, PreparedStatus, QuarantineKind } from "./ingestModel.js"

/**
 * JSON text of a received value; a value JSON cannot write (nested too deep for the engine) is described instead,
 * since what matters then is that it is kept at all. Text received as it is (a body that is not JSON) keeps all but
 * its NUL characters, which become U+FFFD: PostgreSQL cannot store them (JSON text escapes them).
 *
 * @since 0.2.0
 * @category constructors
 */
export const rawText = (raw: unknown): string => {
  if (typeof raw === "string") return toStorable(raw)
  try {
    return JSON.stringify(raw) ?? "null"
  } catch {
    return "\"[not representable as JSON text]\""
  }
}

/**
 * The quarantine id of something received: `q_` and a hash of what it is and its text, so the same thing received
 * twice (a provider's retry) is one entry.
 *
 * @since 0.2.0
 * @category constructors
 */
export const quarantineIdOf = (kind: QuarantineKind, raw: string): string => `q_${hash128(`${kind}|${raw}`)}`

/**
 * A status our own send path records (`accepted`, or a send that failed at once), as an item of a batch: never a
 * re-engagement failure by itself (the send path acts on those), and quarantined under an id of its own should its
 * message be gone.
 *
 * @since 0.2.0
 * @category constructors
 */
export const ownStatus = (ref: OutboundRef, event: StatusEvent): PreparedStatus => {
  const raw = rawText({ ref: ref._tag === "ById" ? ref.id : ref.providerMessageId, status: event.status })
  return {
    _tag: "Status",
    ref,
    event,
    reengagement: false,
    raw,
    item: null,
    quarantineId: quarantineIdOf("unknown_message", raw)
  }
}

/**
 * Prepares what an adapter decoded for the store, received at `receivedAt`: the clock-skew guard on every provider
 * timestamp, the raw text of every item, quarantine ids.
 *
 * @example
 * ```ts
 * import { Ingest, PhoneNumber } from "@wa-session/session-core"
 * import { DateTime, Option } from "effect"
 * const [prepared] = Ingest.prepare([{
 *   _tag: "Inbound",
 *   business: PhoneNumber.unsafeMake("+919876500001"),
 *   customer: PhoneNumber.unsafeMake("+919876543210"),
 *   messageId: "wamid.1",
 *   providerTimestamp: Option.none(),
 *   contentType: "text",
 *   content: { type: "text", text: { body: "Hi" } },
 *   profileName: Option.some("Asha"),
 *   raw: {}
 * }], DateTime.unsafeMake("2026-01-20T10:00:00Z"), "5 minutes")
 * ```
 * @since 0.2.0
 * @category constructors
 */
export const prepare = (
  items: ReadonlyArray<Item>,
  receivedAt: DateTime.Utc,
  skewTolerance: Duration.DurationInput
): ReadonlyArray<Prepared> =>
  items.map((item): Prepared => {
    switch (item._tag) {
      case "Inbound": {
        const guarded = ClockSkew.guard(item.providerTimestamp, receivedAt, skewTolerance)
        return {
          _tag: "Inbound",
          message: new SessionWindow.InboundMessage({
            business: item.business,
            customer: item.customer,
            messageId: item.messageId,
            sentAt: guarded.sentAt,
            receivedAt
          }, true),
          timestampAdjustment: guarded.adjustment,
          contentType: item.contentType,
          content: item.content,
          profileName: item.profileName,
          providerTimestamp: item.providerTimestamp,
          raw: rawText(item.raw),
          ...(item.groupId === undefined ? {} : { groupId: item.groupId })
        }
      }
      case "Status": {
        const raw = rawText(item.raw)
        return {
          _tag: "Status",
          ref: item.ref,
          providerMessageId: item.providerMessageId,
          retryLater: item.retryLater,
          event: new StatusEvent({
            status: item.status,
            at: ClockSkew.guard(item.at, receivedAt, skewTolerance).sentAt,
            code: item.code,
            detail: item.detail
          }),
          reengagement: item.reengagement,
          raw,
          item: item.raw,
          quarantineId: quarantineIdOf("unknown_message", raw)
        }
      }
      case "Undecodable": {
        const raw = rawText(item.raw)
        return {
          _tag: "Quarantine",
          id: quarantineIdOf(item.kind, raw),
          kind: item.kind,
          // a reason may quote what was received
          reason: toStorable(item.reason),
          raw,
          item: typeof item.raw === "string" ? null : item.raw
        }
      }
    }
  })
