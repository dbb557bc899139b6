/**
 * The oracle: session-core's own pure functions, fed the events in order. What the server answers over HTTP must
 * equal what these say.
 */
import { PhoneNumber, SessionWindow } from "@wa-session/session-core"
import { DateTime } from "effect"
import { type Inbound, pairKey } from "./harness.js"

export interface ExpectedWindow {
  readonly state: string
  readonly lastInboundAt: string | null
  readonly expiresAt: string | null
}

/** Replays `messages` (in any order: the oracle sorts them) through SessionWindow.record, per pair. */
export const windowsOf = (messages: Iterable<Inbound>, receivedAt = Date.now()): Map<string, SessionWindow.Window> => {
  const sorted = [...messages].sort((a, b) => a.sentAt - b.sentAt || (a.sid < b.sid ? -1 : 1))
  const windows = new Map<string, SessionWindow.Window>()
  for (const m of sorted) {
    const key = pairKey(m.business, m.customer)
    const business = PhoneNumber.unsafeMake(m.business)
    const customer = PhoneNumber.unsafeMake(m.customer)
    const window = windows.get(key) ?? SessionWindow.empty({ business, customer })
    windows.set(
      key,
      SessionWindow.record(
        window,
        new SessionWindow.InboundMessage({
          business,
          customer,
          messageId: m.sid,
          sentAt: DateTime.unsafeMake(m.sentAt),
          receivedAt: DateTime.unsafeMake(receivedAt)
        })
      )
    )
  }
  return windows
}

export const expected = (window: SessionWindow.Window | undefined, now: number): ExpectedWindow => {
  if (window === undefined || !SessionWindow.hasWindow(window)) {
    return { state: "none", lastInboundAt: null, expiresAt: null }
  }
  const status = SessionWindow.statusAt(window, DateTime.unsafeMake(now))
  return {
    state: status.state,
    lastInboundAt: DateTime.formatIso(window.lastInboundAt),
    expiresAt: DateTime.formatIso(SessionWindow.expiresAt(window))
  }
}

/** Outbound status ranks as the API documents them: sent < delivered < read; failed wins. */
export const STATUS_OF_CODE: Readonly<Record<number, string>> = { 30001: "sent", 30002: "delivered", 30003: "read" }
const RANK: Readonly<Record<string, number>> = { accepted: 0, pending: 0, sent: 1, delivered: 2, read: 3, failed: 9 }
export const finalStatus = (initial: string, reports: ReadonlyArray<string>): string =>
  reports.reduce((best, status) => ((RANK[status] ?? 0) > (RANK[best] ?? 0) ? status : best), initial)
