import * as Terminal from "@effect/platform/Terminal"
import { Config, Console, DateTime, Duration, Effect, Option } from "effect"
import type { ExpiringView, ExplainView, InboundView, SendView, WindowView } from "./Backend.js"
import type { Failure } from "./Errors.js"
import { localTime, relative, span, when } from "./TimeText.js"

/** How to print: JSON for machines, or text with colour only on a terminal (and never with NO_COLOR set). */
export interface Output {
  readonly json: boolean
  readonly color: boolean
}

export const make = (json: boolean): Effect.Effect<Output, never, Terminal.Terminal> =>
  Effect.gen(function*() {
    if (json) return { json, color: false }
    const terminal = yield* Terminal.Terminal
    const tty = yield* terminal.isTTY
    const noColor = yield* Config.string("NO_COLOR").pipe(Config.option, Effect.orElseSucceed(() => Option.none()))
    return { json, color: tty && Option.isNone(noColor) }
  })

// ---------------------------------------------------------------------------------------------------------------
// colour

const SGR = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, cyan: 36 } as const
export type Style = keyof typeof SGR

export const paint = (out: Output, style: Style, text: string): string =>
  out.color && text !== "" ? `\u001b[${SGR[style]}m${text}\u001b[0m` : text

const ANSI = /\u001b\[[0-9;]*m/g
const width = (text: string): number => [...text.replace(ANSI, "")].length
const pad = (text: string, to: number): string => text + " ".repeat(Math.max(0, to - width(text)))

const STATE_STYLE: Record<string, Style> = { open: "green", expired: "red", none: "yellow" }
const DECISION_STYLE: Record<string, Style> = {
  session: "green",
  template: "yellow",
  parked: "cyan",
  rejected: "red"
}

export const state = (out: Output, value: string): string => paint(out, STATE_STYLE[value] ?? "bold", value)
export const decision = (out: Output, value: string): string => paint(out, DECISION_STYLE[value] ?? "bold", value)

// ---------------------------------------------------------------------------------------------------------------
// layout

/** Columns aligned on the widest cell; the header is dimmed. */
export const table = (
  out: Output,
  headers: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string>>
): string => {
  const widths = headers.map((header, i) => Math.max(width(header), ...rows.map((row) => width(row[i] ?? ""))))
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((cell, i) => i === cells.length - 1 ? cell : pad(cell, widths[i] ?? 0)).join("  ").trimEnd()
  return [paint(out, "dim", line(headers)), ...rows.map(line)].join("\n")
}

/** `Label   value` lines, labels aligned. */
export const fields = (out: Output, entries: ReadonlyArray<readonly [string, string]>): string => {
  const labelWidth = Math.max(...entries.map(([label]) => width(label)))
  return entries.map(([label, value]) => `${paint(out, "dim", pad(label, labelWidth))}  ${value}`).join("\n")
}

// ---------------------------------------------------------------------------------------------------------------
// time (TimeText.ts, which Errors.ts uses too; re-exported for the commands and views)

export { localTime, relative, span, when }

const optionalWhen = (at: Option.Option<DateTime.Utc>, now: DateTime.Utc, none = "-"): string =>
  Option.match(at, { onNone: () => none, onSome: (value) => when(value, now) })

/** The safety margin that brings an open window's end before its 24-hour mark (none for other windows). */
const marginOf = (view: WindowView): Duration.Duration =>
  view.state === "open" && Option.isSome(view.expiresAt) ? view.safetyMargin : Duration.zero

/** When session messages stop: the 24-hour mark minus the safety margin. */
const sendableUntil = (expiresAt: DateTime.Utc, margin: Duration.Duration): DateTime.Utc =>
  DateTime.subtractDuration(expiresAt, margin)

/**
 * `closes …` / `closed …` at the time session messages stop, relative to now, and the safety margin when there is
 * one: `closes 2026-01-21 09:30 +05:30 (in 15m; safety margin 30m before the 24-hour mark at 10:00 +05:30)`.
 */
const closingText = (view: WindowView, now: DateTime.Utc, margin: Duration.Duration): string =>
  Option.match(view.expiresAt, {
    onNone: () => "no expiry",
    onSome: (expiresAt) => {
      const until = sendableUntil(expiresAt, margin)
      const note = Duration.isZero(margin)
        ? ""
        : `; safety margin ${span(margin)} before the 24-hour mark at ${localTime(expiresAt)}`
      return `${view.state === "open" ? "closes" : "closed"} ${localTime(until)} (${relative(until, now)}${note})`
    }
  })

/** The time left to send, and when that ends if a safety margin brings it before the 24-hour mark. */
const remainingText = (view: WindowView, now: DateTime.Utc): string => {
  if (view.state !== "open") {
    const early = !view.closedByProvider && view.state === "expired" &&
      Option.exists(view.expiresAt, (at) => DateTime.greaterThan(at, now))
    return early ? "- (closed by the safety margin before the 24-hour mark)" : "-"
  }
  const margin = marginOf(view)
  return Option.match(view.expiresAt, {
    onNone: () => span(view.remaining),
    onSome: (expiresAt) =>
      Duration.isZero(margin)
        ? span(view.remaining)
        : `${span(view.remaining)} (session messages until ${localTime(sendableUntil(expiresAt, margin))}, ` +
          `safety margin ${span(margin)})`
  })
}

// ---------------------------------------------------------------------------------------------------------------
// JSON

export const iso = (at: DateTime.Utc): string => DateTime.formatIso(at)
const isoOrNull = (at: Option.Option<DateTime.Utc>): string | null => Option.getOrNull(Option.map(at, iso))
const seconds = (duration: Duration.Duration): number => Math.floor(Duration.toMillis(duration) / 1000)

export const windowJson = (view: WindowView) => ({
  business: view.business,
  customer: view.customer,
  state: view.state,
  lastInboundAt: isoOrNull(view.lastInboundAt),
  expiresAt: isoOrNull(view.expiresAt),
  remainingSeconds: seconds(view.remaining),
  closedByProvider: view.closedByProvider
})

export const sendJson = (view: SendView) => ({
  id: view.id,
  decision: view.decision,
  reason: Option.getOrNull(view.reason),
  window: { state: view.window.state, expiresAt: isoOrNull(view.window.expiresAt) },
  providerMessageId: Option.getOrNull(view.providerMessageId),
  status: view.status,
  dryRun: view.dryRun,
  ...Option.match(view.replayed, { onNone: () => ({}), onSome: (replayed) => ({ replayed }) }),
  parkedUntil: isoOrNull(view.parkedUntil),
  reengagementMessageId: Option.getOrNull(view.reengagementMessageId)
})

export const expiringJson = (view: ExpiringView) => ({
  items: view.items.map(windowJson),
  nextCursor: Option.getOrNull(view.nextCursor)
})

export const explainJson = (view: ExplainView) => ({
  ...windowJson(view.status),
  basisMessageId: Option.getOrNull(view.basisMessageId),
  basisReceivedAt: isoOrNull(view.basisReceivedAt),
  firstSeenAt: isoOrNull(view.firstSeenAt),
  closedByProviderAt: isoOrNull(view.closedByProviderAt),
  safetyMarginSeconds: seconds(view.safetyMargin),
  summary: view.summary
})

export const inboundJson = (view: InboundView): Record<string, unknown> => ({
  messageId: view.messageId,
  duplicate: view.duplicate,
  adjustment: view.adjustment,
  window: windowJson(view.window)
})

/** Every string of a JSON value with its secrets hidden (`maskSecrets`). */
const masked = (value: unknown): unknown =>
  typeof value === "string"
    ? maskSecrets(value)
    : Array.isArray(value)
    ? value.map(masked)
    : typeof value === "object" && value !== null
    ? Object.fromEntries(Object.entries(value).map(([key, field]) => [key, masked(field)]))
    : value

/** A failure's JSON, secrets hidden as on stderr: its message and details may quote what the user typed. */
export const failureJson = (failure: Failure) => ({
  error: masked({ code: failure.code, message: failure.message, ...failure.details })
})

export const printJson = (value: unknown): Effect.Effect<void> => Console.log(JSON.stringify(value, null, 2))

// ---------------------------------------------------------------------------------------------------------------
// human text

const expiryText = (out: Output, view: WindowView, now: DateTime.Utc, margin: Duration.Duration): string => {
  if (view.state === "none") return paint(out, "dim", "no window")
  if (view.closedByProvider) return `closed by the provider (24h mark ${optionalWhen(view.expiresAt, now)})`
  return closingText(view, now, margin)
}

export const windowText = (out: Output, view: WindowView, now: DateTime.Utc): string =>
  fields(out, [
    ["Pair", `${view.business} → ${view.customer}`],
    ["State", state(out, view.state)],
    ["Expires", optionalWhen(view.expiresAt, now)],
    ["Remaining", remainingText(view, now)],
    ["Last inbound", optionalWhen(view.lastInboundAt, now)],
    ["Closed by provider", view.closedByProvider ? paint(out, "red", "yes") : "no"],
    ["At", localTime(now)]
  ])

/** What a status that is not an answer from Exotel means for the person who sent. */
const SEND_NOTES: Partial<Record<string, string>> = {
  queued: "queued: a running server sends it, in order after the customer's earlier messages",
  unknown: "Exotel's answer was lost: it may have been sent, so it is not sent again; its delivery report settles it"
}

/** A parked message's lines: until when it waits, and the re-engagement template this send sent. */
const parkingFields = (
  out: Output,
  view: SendView,
  now: DateTime.Utc,
  replayed: boolean
): ReadonlyArray<readonly [string, string]> => [
  ["Parked until", optionalWhen(view.parkedUntil, now)],
  [
    "Re-engagement",
    Option.match(view.reengagementMessageId, {
      onSome: (id) => `${id} (the fallback template, sent to bring the customer back)`,
      onNone: () =>
        paint(
          out,
          "dim",
          replayed
            ? "none sent again (replayed)"
            : "none sent: no fallback template given, or the customer was nudged within WA_SESSION_REENGAGE_INTERVAL"
        )
    })
  ]
]

/**
 * `window` is the pair's status after the send, when it was read (human output only): it tells when session messages
 * stop, which the send's answer (the 24-hour mark) does not when a safety margin applies.
 */
export const sendText = (
  out: Output,
  view: SendView,
  now: DateTime.Utc,
  requestedDryRun: boolean,
  after: Option.Option<WindowView> = Option.none()
): string => {
  const parked = view.decision === "parked"
  const reason = Option.match(view.reason, {
    onNone: () => view.decision === "session" ? "the window is open" : "the content is a template",
    onSome: (reason) =>
      !parked
        ? `${reason}: sent as the fallback template`
        : view.status === "parked"
        ? `${reason}: parked until the customer writes again`
        : `${reason}: parked, then ${view.status} unsent`
  })
  const window = view.window.state === "none"
    ? paint(out, "dim", "none (the customer never wrote)")
    : `${state(out, view.window.state)}, ${
      Option.match(Option.filter(after, (status) => status.state === view.window.state), {
        onSome: (status) => closingText({ ...status, expiresAt: view.window.expiresAt }, now, marginOf(status)),
        onNone: () =>
          Option.match(view.window.expiresAt, {
            onNone: () => "no expiry",
            onSome: (at) => `${view.window.state === "open" ? "closes" : "closed"} ${when(at, now)}`
          })
      })
    }`
  const provider = view.dryRun
    ? paint(
      out,
      "yellow",
      requestedDryRun ? "dry run: nothing sent" : "dry run: nothing sent (no EXOTEL_* credentials)"
    )
    : Option.getOrElse(view.providerMessageId, () => "-")
  const replayed = Option.getOrElse(view.replayed, () => false)
  const note = SEND_NOTES[view.status]
  return fields(out, [
    ["Decision", decision(out, view.decision)],
    ["Reason", reason],
    ["Window", window],
    ["Message", `${view.id} (${view.status})${replayed ? ", replayed: nothing sent again" : ""}`],
    ...(parked ? parkingFields(out, view, now, replayed) : []),
    ["Provider id", provider],
    ...(note === undefined ? [] : [["Note", paint(out, "yellow", note)] as const])
  ])
}

export const expiringText = (out: Output, view: ExpiringView, now: DateTime.Utc, within: Duration.Duration): string => {
  if (view.items.length === 0) return `No window closes within ${span(within)}.`
  const rows = view.items.map((item) => [
    item.business,
    item.customer,
    Option.match(item.expiresAt, {
      onNone: () => "-",
      onSome: (at) => localTime(sendableUntil(at, marginOf(item)))
    }),
    paint(out, Duration.lessThan(item.remaining, Duration.hours(1)) ? "red" : "bold", span(item.remaining)),
    Option.match(item.lastInboundAt, { onNone: () => "-", onSome: (at) => relative(at, now) })
  ])
  const more = Option.match(view.nextCursor, {
    onNone: () => "",
    onSome: (cursor) => `\nMore: --cursor ${cursor}`
  })
  return table(out, ["BUSINESS", "CUSTOMER", "CLOSES", "LEFT", "LAST INBOUND"], rows) + more
}

/** Why the window is what it is, in local time (the core's `summary`, in --json, is in UTC). */
const explainSummary = (view: ExplainView, now: DateTime.Utc): string => {
  const status = view.status
  if (status.state === "none" || Option.isNone(status.expiresAt) || Option.isNone(status.lastInboundAt)) {
    return `No window: ${status.customer} has never written to ${status.business}. Only a template can start the ` +
      "conversation."
  }
  const received = Option.match(view.basisReceivedAt, {
    onNone: () => "",
    onSome: (at) => ` (received ${localTime(at)})`
  })
  const margin = Duration.isZero(view.safetyMargin) ? "" : ` minus a safety margin of ${span(view.safetyMargin)}`
  const basis = `The latest customer message ${Option.getOrElse(view.basisMessageId, () => "-")} was sent at ${
    localTime(status.lastInboundAt.value)
  }${received}, so the window runs to ${localTime(status.expiresAt.value)}${margin}`
  if (status.closedByProvider) {
    const closedAt = Option.match(view.closedByProviderAt, { onNone: () => "", onSome: (at) => ` at ${localTime(at)}` })
    return `${basis}, but the provider reported the window closed${closedAt} (re-engagement failure) and no newer ` +
      "customer message has arrived: closed."
  }
  return status.state === "open"
    ? `${basis}: open at ${localTime(now)}, ${span(status.remaining)} left.`
    : `${basis}: expired at ${localTime(now)}.`
}

export const explainText = (out: Output, view: ExplainView, now: DateTime.Utc): string =>
  [
    fields(out, [
      ["Pair", `${view.status.business} → ${view.status.customer}`],
      [
        "State",
        `${state(out, view.status.state)}${
          view.status.state === "none" ? "" : `, ${expiryText(out, view.status, now, view.safetyMargin)}`
        }`
      ],
      ["Basis message", Option.getOrElse(view.basisMessageId, () => "-")],
      ["Customer sent it", optionalWhen(view.status.lastInboundAt, now)],
      ["We received it", optionalWhen(view.basisReceivedAt, now)],
      ["First seen", optionalWhen(view.firstSeenAt, now)],
      ["Provider closure", optionalWhen(view.closedByProviderAt, now, "none")],
      ["Safety margin", Duration.isZero(view.safetyMargin) ? "none" : span(view.safetyMargin)],
      ["At", localTime(now)]
    ]),
    "",
    explainSummary(view, now)
  ].join("\n")

export const inboundText = (out: Output, view: InboundView, now: DateTime.Utc): string =>
  fields(out, [
    ["Message", `${view.messageId}${view.duplicate ? paint(out, "yellow", " (duplicate: already recorded)") : ""}`],
    ...(view.adjustment === "future"
      ? [["Timestamp", "in the future beyond the skew tolerance: counted from the receive time"] as const]
      : []),
    ["Pair", `${view.window.business} → ${view.window.customer}`],
    ["State", state(out, view.window.state)],
    ["Expires", optionalWhen(view.window.expiresAt, now)],
    ["Remaining", remainingText(view.window, now)]
  ])

// ---------------------------------------------------------------------------------------------------------------
// help text

const stripArgs = (args: ReadonlyArray<unknown>) =>
  args.map((arg) => typeof arg === "string" ? arg.replace(ANSI, "").replace(/[ \t]+$/gm, "") : arg)

// A Standard Webhooks signing secret; @effect/cli echoes a stray argument in its errors, which could be one.
const SECRET = /whsec_[A-Za-z0-9+/]+=*/g

// The password of a URL's userinfo (`http://user:pw@host`), as a --server URL or a stray argument may carry one. Up
// to the last `@` before the host, as URL parsers read it: a password may hold an `@` (`http://u:p@ss@host`).
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*):[^\s/?#]*@/gi

/** A URL's password hidden (`http://user:***@host`), as the store's URL is shown. */
export const hidePassword = (text: string): string => text.replace(URL_PASSWORD, "$1:***@")

/** Text for stderr with any signing secret and URL password hidden: only `endpoints add` prints a secret, on stdout. */
export const maskSecrets = (text: string): string => hidePassword(text.replace(SECRET, "whsec_<hidden>"))

/**
 * The console with ANSI escapes removed from what goes to stdout when it is not a terminal (or with NO_COLOR):
 * @effect/cli colours its help unconditionally. Its error channel is silent: only @effect/cli writes to it (its
 * usage errors, in several paragraphs), and bin.ts prints every failure itself, in one line.
 */
export const plainConsole = (
  console: Console.Console,
  keep: { readonly stdout: boolean }
): Console.Console => ({
  ...console,
  log: (...args) => console.log(...(keep.stdout ? args : stripArgs(args))),
  info: (...args) => console.info(...(keep.stdout ? args : stripArgs(args))),
  error: () => Effect.void,
  warn: () => Effect.void
})
