/**
 * The oracle of the relay: what the fake receiving endpoint got, against the server's own event log
 * (`GET /v1/events`). Every logged event must have been answered 2xx at least once, every request must carry a
 * valid Standard Webhooks signature and the event it names, an event delivered more than once must be the same
 * event again (same id, same body), and per (business, customer) pair the first delivery of each event must come in
 * the order the log has them.
 */
import type { ReceivedRequest } from "@wa-session/relay/FakeReceiver"
import { isDeepStrictEqual } from "node:util"
import type { LoggedEvent } from "./harness.js"

export interface DeliveryReport {
  /** Every request the receiver got. */
  readonly requests: number
  /** Distinct event ids answered 2xx. */
  readonly delivered: number
  /** 2xx answers beyond the first one per event id: the redeliveries at-least-once allows. */
  readonly redeliveries: number
  /** Requests beyond the first one per event id, whatever their answer (retries after 5xx, hangs, refusals). */
  readonly repeats: number
  /** Logged events never answered 2xx. */
  readonly missing: ReadonlyArray<string>
  /** Event ids received that the log does not have. */
  readonly unknown: ReadonlyArray<string>
  /** Requests whose signature did not verify, as `id: reason`. */
  readonly unverified: ReadonlyArray<string>
  /** Requests on the wrong path, whose webhook-id is not their body's id, or whose body is not the logged event. */
  readonly mismatched: ReadonlyArray<string>
  /** Pairs whose events were first received (or first answered 2xx) out of log order, with the two events. */
  readonly outOfOrder: ReadonlyArray<string>
}

export const pairOf = (
  event: { readonly business: string | null; readonly customer: string | null }
): string | undefined =>
  event.business === null || event.customer === null ? undefined : `${event.business}|${event.customer}`

/** Per pair, whether `position` (first receipt per id) grows along the log order; the first violation of each pair. */
const orderViolations = (events: ReadonlyArray<LoggedEvent>, position: ReadonlyMap<string, number>): Array<string> => {
  const lastOfPair = new Map<string, { id: string; at: number }>()
  const violations: Array<string> = []
  const reported = new Set<string>()
  for (const event of events) {
    const pair = pairOf(event)
    const at = position.get(event.id)
    if (pair === undefined || at === undefined) continue
    const previous = lastOfPair.get(pair)
    if (previous !== undefined && previous.at > at && !reported.has(pair)) {
      reported.add(pair)
      violations.push(`${pair}: ${event.id} (${event.type}) arrived before ${previous.id}, recorded earlier`)
    }
    lastOfPair.set(pair, { id: event.id, at: Math.max(at, previous?.at ?? -1) })
  }
  return violations
}

export const checkDeliveries = (
  received: ReadonlyArray<ReceivedRequest>,
  events: ReadonlyArray<LoggedEvent>,
  path: string
): DeliveryReport => {
  const logged = new Map(events.map((event) => [event.id, event]))
  const firstReceipt = new Map<string, number>()
  const firstSuccess = new Map<string, number>()
  const successes = new Map<string, number>()
  const unknown = new Set<string>()
  const unverified: Array<string> = []
  const mismatched: Array<string> = []
  received.forEach((request, index) => {
    const id = request.id ?? "(no webhook-id)"
    if (!firstReceipt.has(id)) firstReceipt.set(id, index)
    if (!request.verified) unverified.push(`${id}: ${request.verifyError}`)
    if (request.path !== path) mismatched.push(`${id}: posted to ${request.path}`)
    const body = request.body as { id?: unknown } | undefined
    if (body?.id !== request.id) mismatched.push(`${id}: webhook-id differs from the body's id ${String(body?.id)}`)
    const event = logged.get(id)
    if (event === undefined) unknown.add(id)
    else if (!isDeepStrictEqual(request.body, event)) mismatched.push(`${id}: body differs from the logged event`)
    if (request.status !== null && request.status >= 200 && request.status < 300) {
      if (!firstSuccess.has(id)) firstSuccess.set(id, index)
      successes.set(id, (successes.get(id) ?? 0) + 1)
    }
  })
  const redeliveries = [...successes.values()].reduce((sum, n) => sum + n - 1, 0)
  return {
    requests: received.length,
    delivered: successes.size,
    redeliveries,
    repeats: received.length - firstReceipt.size,
    missing: events.filter((event) => !successes.has(event.id)).map((event) => `${event.id} (${event.type})`),
    unknown: [...unknown],
    unverified,
    mismatched,
    outOfOrder: [
      ...orderViolations(events, firstReceipt).map((v) => `first receipt: ${v}`),
      ...orderViolations(events, firstSuccess).map((v) => `first 2xx: ${v}`)
    ]
  }
}

/** The problems of a report as one readable list (empty when there are none). */
export const problemsOf = (report: DeliveryReport, limit = 10): Array<string> => {
  const some = (label: string, items: ReadonlyArray<string>) =>
    items.length === 0
      ? []
      : [`${items.length} ${label}: ${items.slice(0, limit).join("; ")}${items.length > limit ? "; …" : ""}`]
  return [
    ...some("missing", report.missing),
    ...some("unknown ids", report.unknown),
    ...some("unverified", report.unverified),
    ...some("mismatched", report.mismatched),
    ...some("out of order", report.outOfOrder)
  ]
}
