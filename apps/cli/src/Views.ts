// Human and JSON output of history, events, deliveries, quarantine and endpoints. Loaded by those commands only
// (it brings the HTTP API's schemas, which print --json in exactly the API's shapes).
import {
  AddedEndpoint,
  DeliveryPage,
  EndpointList,
  EventsPage,
  HistoryPage,
  MessageList,
  MessageView,
  QuarantinePage,
  QuarantineRetryResponse
} from "@wa-session/http-api"
import { DateTime, Duration, Option, Predicate, Redacted, Schema } from "effect"
import type {
  AddedEndpointView,
  DeliveriesView,
  EndpointsView,
  EventsView,
  HistoryView,
  MessageDetailView,
  ParkedView,
  QuarantineView,
  RetryView
} from "./Backend.js"
import { fields, localTime, type Output, paint, relative, span, type Style, table } from "./Output.js"

// ---------------------------------------------------------------------------------------------------------------
// JSON: the HTTP API's models, encoded

export const historyJson = Schema.encodeSync(HistoryPage)
export const eventsJson = Schema.encodeSync(EventsPage)
export const deliveriesJson = Schema.encodeSync(DeliveryPage)
export const quarantineJson = Schema.encodeSync(QuarantinePage)
export const retryJson = Schema.encodeSync(QuarantineRetryResponse)
export const parkedJson = Schema.encodeSync(MessageList)
export const messageJson = Schema.encodeSync(MessageView)
export const endpointsJson = (view: EndpointsView) => Schema.encodeSync(EndpointList)({ items: view })
/** The one place the secret of an endpoint is unwrapped: the answer to `endpoints add --json` (a generated one). */
export const addedJson = (view: AddedEndpointView) =>
  Schema.encodeSync(AddedEndpoint)({ ...view, secret: Option.getOrNull(Option.map(view.secret, Redacted.value)) })

type Event = EventsView["items"][number]

/** One event as a line of JSON (`events --follow --json`). */
export const eventLine = (event: Event): string => JSON.stringify(eventsJson({ items: [event], last: null }).items[0])

// ---------------------------------------------------------------------------------------------------------------
// text taken from customers and providers: made safe and short for a terminal

// control characters (a terminal's escape sequences among them) and bidirectional overrides
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]+/g

/** One line: controls removed, whitespace collapsed. */
const oneLine = (text: string): string => text.replace(UNSAFE, " ").replace(/\s+/g, " ").trim()

/** One line of at most `max` characters (code points): controls removed, whitespace collapsed, `…` when cut. */
export const clip = (text: string, max: number): string => {
  const flat = [...oneLine(text)]
  return flat.length <= max ? flat.join("") : `${flat.slice(0, Math.max(0, max - 1)).join("").trimEnd()}…`
}

const at = (value: unknown, ...path: ReadonlyArray<string>): unknown =>
  path.reduce<unknown>((current, key) => Predicate.isRecord(current) ? current[key] : undefined, value)

const text = (value: unknown): string | undefined =>
  typeof value === "string" && value.trim() !== "" ? value : typeof value === "number" ? String(value) : undefined

const MEDIA = new Set(["image", "video", "audio", "document", "sticker"])

/** What a message says, in a few words: the text, a caption, a button's title, a template's name… */
const words = (content: unknown): string => {
  const type = text(at(content, "type")) ?? "unknown"
  if (type === "text") return text(at(content, "text", "body")) ?? ""
  if (MEDIA.has(type)) return text(at(content, type, "caption")) ?? text(at(content, type, "filename")) ?? ""
  switch (type) {
    case "location": {
      const place = [text(at(content, "location", "name")), text(at(content, "location", "address"))]
        .filter((part) => part !== undefined)
      const latitude = text(at(content, "location", "latitude"))
      const longitude = text(at(content, "location", "longitude"))
      return place.length > 0 ? place.join(", ") : latitude && longitude ? `${latitude}, ${longitude}` : ""
    }
    case "contacts": {
      const contacts = at(content, "contacts")
      return Array.isArray(contacts)
        ? contacts.map((contact) => text(at(contact, "name", "formatted_name"))).filter(Boolean).join(", ")
        : ""
    }
    case "interactive":
      return text(at(content, "interactive", "body", "text")) ??
        text(at(content, "interactive", "button_reply", "title")) ??
        text(at(content, "interactive", "list_reply", "title")) ??
        text(at(content, "interactive", "nfm_reply", "body")) ??
        ""
    case "button":
      return text(at(content, "button", "text")) ?? text(at(content, "button", "payload")) ?? ""
    case "reaction":
      return text(at(content, "reaction", "emoji")) ?? ""
    case "template": {
      const name = text(at(content, "template", "name"))
      const language = text(at(content, "template", "language", "code"))
      return name === undefined ? "" : language === undefined ? name : `${name} (${language})`
    }
    default:
      return ""
  }
}

/** A short preview of a message's content: one line, at most `max` characters. */
export const preview = (content: unknown, max = 60): string => clip(words(content), max)

// ---------------------------------------------------------------------------------------------------------------
// history

const STATUS_STYLE: Record<string, Style> = {
  queued: "yellow",
  pending: "yellow",
  unknown: "yellow",
  accepted: "bold",
  sent: "bold",
  delivered: "green",
  read: "green",
  failed: "red"
}

export const historyText = (
  out: Output,
  view: HistoryView,
  pair: { readonly business: string; readonly customer: string }
): string => {
  if (view.items.length === 0) return `No messages between ${pair.business} and ${pair.customer}.`
  const rows = view.items.map((item) =>
    item.direction === "inbound"
      ? [localTime(item.receivedAt), "← in", item.contentType, preview(item.content), ""]
      : [
        localTime(item.createdAt),
        "→ out",
        item.content.type,
        preview(item.content),
        paint(out, STATUS_STYLE[item.status] ?? "bold", item.status) + (item.dryRun ? " (dry run)" : "")
      ]
  )
  return table(out, ["TIME", "DIR", "TYPE", "CONTENT", "STATUS"], rows) + more(view.nextCursor)
}

const more = (cursor: string | null): string => cursor === null ? "" : `\nMore: --cursor ${cursor}`

// ---------------------------------------------------------------------------------------------------------------
// events

const padTo = (value: string, width: number): string => value + " ".repeat(Math.max(0, width - [...value].length))

// Fixed columns, so that the lines `events --follow` prints as they come stay aligned: the local time with seconds
// and offset, the longest type, an event id.
const COLUMNS = [26, 19, 36, 31] as const

const eventRow = (cells: readonly [string, string, string, string, string]): string =>
  cells.map((cell, i) => i < COLUMNS.length ? padTo(cell, COLUMNS[i]!) : cell).join("  ").trimEnd()

export const eventsHeader = (out: Output): string =>
  paint(out, "dim", eventRow(["CREATED", "TYPE", "ID", "PAIR", "SUMMARY"]))

const pairOf = (event: Event): string =>
  event.business === null || event.customer === null ? "-" : `${event.business} → ${event.customer}`

const TYPE_STYLE: Record<string, Style> = {
  "message.received": "cyan",
  "message.status": "bold",
  "message.released": "green",
  "message.expired": "yellow",
  "window.opened": "green",
  "window.expiring": "yellow",
  "window.closed": "red",
  "webhook.quarantined": "red"
}

export const summary = (event: Event): string => {
  switch (event.type) {
    case "message.received": {
      const words = preview(event.data.content, 50)
      return words === "" ? `${event.data.messageId} (${event.data.contentType})` : `${event.data.messageId}: ${words}`
    }
    case "message.status": {
      const code = event.data.code === null ? "" : `, code ${clip(event.data.code, 20)}`
      return `${event.data.status}${code} (${event.data.messageId})`
    }
    case "message.released":
      return `${event.data.messageId} released (parked ${localTime(event.data.parkedAt)})`
    case "message.expired":
      return `${event.data.messageId} expired unsent (parked until ${localTime(event.data.parkedUntil)})`
    case "window.opened":
      return `was ${event.data.previousState}; session messages until ${localTime(event.data.sendableUntil)}`
    case "window.expiring":
      return `session messages until ${localTime(event.data.sendableUntil)} (${
        span(Duration.seconds(event.data.remainingSeconds))
      } left)`
    case "window.closed":
      return `${event.data.reason === "provider" ? "closed by the provider" : "expired"} at ${
        localTime(event.data.closedAt)
      }`
    case "webhook.quarantined":
      return `${event.data.quarantineId} (${event.data.kind}): ${clip(event.data.reason, 60)}`
  }
}

export const eventText = (out: Output, event: Event): string =>
  eventRow([
    localTime(event.createdAt),
    paint(out, TYPE_STYLE[event.type] ?? "bold", event.type) + " ".repeat(Math.max(0, 19 - event.type.length)),
    event.id,
    pairOf(event),
    summary(event)
  ])

export const eventsText = (out: Output, view: EventsView, after: string | null): string => {
  if (view.items.length === 0) return after === null ? "No events." : `No events after ${after}.`
  return [
    eventsHeader(out),
    ...view.items.map((event) => eventText(out, event)),
    ...(view.last === null ? [] : [`Next: --after ${view.last}`])
  ].join("\n")
}

// ---------------------------------------------------------------------------------------------------------------
// deliveries

const DELIVERY_STYLE: Record<string, Style> = { pending: "yellow", delivered: "green", failed: "red" }

const lastResult = (delivery: DeliveriesView["items"][number], now: DateTime.Utc): string => {
  if (delivery.deliveredAt !== null) return `delivered ${relative(delivery.deliveredAt, now)}`
  const outcome = delivery.lastStatus !== null
    ? `HTTP ${delivery.lastStatus}`
    : delivery.lastError === null
    ? undefined
    : clip(delivery.lastError, 50)
  if (outcome === undefined) return "-"
  return delivery.lastAttemptAt === null ? outcome : `${outcome} ${relative(delivery.lastAttemptAt, now)}`
}

const nextAttempt = (delivery: DeliveriesView["items"][number], now: DateTime.Utc): string =>
  delivery.state !== "pending" || delivery.nextAttemptAt === null
    ? "-"
    : delivery.nextAttemptAt.epochMillis <= now.epochMillis
    ? "due"
    : relative(delivery.nextAttemptAt, now)

export const deliveriesText = (out: Output, view: DeliveriesView, now: DateTime.Utc, what: string): string => {
  if (view.items.length === 0) return `No ${what}.`
  const rows = view.items.map((delivery) => [
    delivery.eventId,
    delivery.eventType,
    delivery.endpointId,
    paint(out, DELIVERY_STYLE[delivery.state] ?? "bold", delivery.state),
    String(delivery.attempts),
    nextAttempt(delivery, now),
    lastResult(delivery, now)
  ])
  return table(out, ["EVENT", "TYPE", "ENDPOINT", "STATE", "TRIES", "NEXT", "LAST"], rows) + more(view.nextCursor)
}

export const replayText = (replayed: number): string =>
  replayed === 0
    ? "Nothing to deliver again (pending deliveries are on their way already)."
    : `${replayed} deliver${replayed === 1 ? "y" : "ies"} pending again: the server's relay sends ${
      replayed === 1 ? "it" : "them"
    } (same webhook-id).`

// ---------------------------------------------------------------------------------------------------------------
// quarantine

type Entry = QuarantineView["items"][number]

const entryState = (out: Output, entry: Entry): string =>
  entry.state === "resolved" ? paint(out, "green", "resolved") : paint(out, "yellow", "quarantined")

export const quarantineText = (out: Output, view: QuarantineView, what: string): string => {
  if (view.items.length === 0) return `No ${what}.`
  const rows = view.items.map((entry) => [
    entry.id,
    entry.kind,
    localTime(entry.receivedAt),
    entryState(out, entry),
    clip(entry.reason, 50),
    clip(entry.raw, 80)
  ])
  return table(out, ["ID", "KIND", "RECEIVED", "STATE", "REASON", "RAW"], rows) + more(view.nextCursor)
}

export const retryText = (out: Output, view: RetryView, now: DateTime.Utc): string => {
  const { entry, result } = view
  const state = entry.state === "resolved"
    ? `${entryState(out, entry)}${entry.resolvedAt === null ? "" : ` ${localTime(entry.resolvedAt)}`}`
    : `${entryState(out, entry)}: ${
      entry.kind === "unknown_message" ? "the message it reports on is still unknown" : "it still does not decode"
    }`
  const counted = result.accepted + result.duplicates + result.rejected > 0
  return fields(out, [
    ["Entry", entry.id],
    ["Kind", entry.kind],
    ["Received", `${localTime(entry.receivedAt)} (${relative(entry.receivedAt, now)})`],
    ["State", state],
    ["Reason", clip(entry.reason, 100)],
    ["Retries", String(entry.retries)],
    ...(entry.state === "resolved" && counted
      ? [
        [
          "Recorded",
          `${result.accepted} accepted, ${result.duplicates} duplicate${
            result.duplicates === 1 ? "" : "s"
          }, ${result.rejected} rejected`
        ] as const
      ]
      : []),
    ["Raw", clip(entry.raw, 80)]
  ])
}

// ---------------------------------------------------------------------------------------------------------------
// endpoints (never their secrets, but once, when added)

type Endpoint = EndpointsView[number]

const eventsOf = (endpoint: Pick<Endpoint, "events">): string =>
  endpoint.events === null ? "all" : endpoint.events.join(",")

// an instant in UTC as the store writes it into a reason (`answered 410 Gone at 2026-12-05T19:04:01.123Z`)
const UTC_INSTANT = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z\b/g

/** Why an endpoint is disabled, whole, on one line, its instants in local time as every time printed. */
export const disabledReason = (reason: string): string =>
  oneLine(reason).replace(
    UTC_INSTANT,
    (iso) => Option.getOrElse(Option.map(DateTime.make(iso), localTime), () => iso)
  )

const endpointState = (out: Output, endpoint: Endpoint): string =>
  endpoint.state === "enabled"
    ? paint(out, "green", "enabled")
    : `${paint(out, "red", "disabled")}${
      endpoint.disabledReason === null ? "" : ` (${disabledReason(endpoint.disabledReason)})`
    }`

export const endpointsText = (out: Output, view: EndpointsView): string => {
  if (view.length === 0) return "No endpoints. Add one with: wa-session endpoints add URL"
  const rows = view.map((endpoint) => [
    endpoint.id + (endpoint.configured ? " (WA_SESSION_EVENTS_URL)" : ""),
    endpoint.url,
    eventsOf(endpoint),
    endpointState(out, endpoint),
    localTime(endpoint.createdAt)
  ])
  return table(out, ["ID", "URL", "EVENTS", "STATE", "CREATED"], rows)
}

/** The endpoint just added, and its signing secret, printed this once (not when the operator gave it). */
export const addedText = (out: Output, view: AddedEndpointView): string =>
  [
    fields(out, [
      ["Endpoint", view.id],
      ["URL", view.url],
      ["Events", eventsOf(view)],
      ["State", endpointState(out, view)],
      ["Secret", Option.isNone(view.secret) ? "the one given with --secret" : paint(out, "yellow", "generated, below")]
    ]),
    ...Option.match(view.secret, {
      onNone: () => [],
      onSome: (secret) => [
        "",
        paint(out, "bold", "Signing secret (shown this once: store it now, it cannot be shown again):"),
        `  ${Redacted.value(secret)}`
      ]
    })
  ].join("\n")

export const deletedText = (id: string): string =>
  `Deleted endpoint ${id}; its pending deliveries failed ("endpoint deleted").`

// ---------------------------------------------------------------------------------------------------------------
// parked messages

/** Parked messages in release order: the pair, when it was parked, until when it waits, what it says. */
export const parkedText = (out: Output, view: ParkedView, now: DateTime.Utc, what: string): string => {
  if (view.items.length === 0) return `No ${what}.`
  const rows = view.items.map((message) => [
    message.id,
    message.business,
    message.customer,
    localTime(message.createdAt),
    message.parkedUntil === null
      ? "-"
      : paint(
        out,
        message.parkedUntil.epochMillis - now.epochMillis < 3_600_000 ? "red" : "bold",
        `${localTime(message.parkedUntil)} (${relative(message.parkedUntil, now)})`
      ),
    preview(message.content, 50)
  ])
  return table(out, ["ID", "BUSINESS", "CUSTOMER", "PARKED", "EXPIRES", "CONTENT"], rows)
}

/** The message `cancel` cancelled. */
export const cancelledText = (out: Output, view: MessageDetailView, now: DateTime.Utc): string =>
  [
    fields(out, [
      ["Message", `${view.id} (${paint(out, "yellow", view.status)})`],
      ["Pair", `${view.business} → ${view.customer}`],
      ["Parked", `${localTime(view.createdAt)} (${relative(view.createdAt, now)})`],
      ["Content", preview(view.content)]
    ]),
    "",
    "Cancelled: it will never be sent."
  ].join("\n")
