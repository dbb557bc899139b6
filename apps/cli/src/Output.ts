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
const DECISION_STYLE: Record<string, Style> = { session: "green", template: "yellow", rejected: "red" }

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
  ...Option.match(view.replayed, { onNone: () => ({}), onSome: (replayed) => ({ replayed }) })
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

export const failureJson = (failure: Failure) => ({
  error: { code: failure.code, message: failure.message, ...failure.details }
})

export const printJson = (value: unknown): Effect.Effect<void> => Console.log(JSON.stringify(value, null, 2))

// ---------------------------------------------------------------------------------------------------------------
// human text

const expiryText = (out: Output, view: WindowView, now: DateTime.Utc): string => {
  if (view.state === "none") return paint(out, "dim", "no window")
  const expiry = optionalWhen(view.expiresAt, now)
  if (view.closedByProvider) return `closed by the provider (24h mark ${expiry})`
  return view.state === "open" ? `closes ${expiry}` : `closed ${expiry}`
}

export const windowText = (out: Output, view: WindowView, now: DateTime.Utc): string =>
  fields(out, [
    ["Pair", `${view.business} → ${view.customer}`],
    ["State", state(out, view.state)],
    ["Expires", optionalWhen(view.expiresAt, now)],
    ["Remaining", view.state === "open" ? span(view.remaining) : "-"],
    ["Last inbound", optionalWhen(view.lastInboundAt, now)],
    ["Closed by provider", view.closedByProvider ? paint(out, "red", "yes") : "no"],
    ["At", localTime(now)]
  ])

/** What a status that is not an answer from Exotel means for the person who sent. */
const SEND_NOTES: Partial<Record<string, string>> = {
  queued: "queued: a running server sends it, in order after the customer's earlier messages",
  unknown: "Exotel's answer was lost: it may have been sent, so it is not sent again; its delivery report settles it"
}

export const sendText = (out: Output, view: SendView, now: DateTime.Utc, requestedDryRun: boolean): string => {
  const reason = Option.match(view.reason, {
    onNone: () => view.decision === "session" ? "the window is open" : "the content is a template",
    onSome: (reason) => `${reason}: sent as the fallback template`
  })
  const window = view.window.state === "none"
    ? paint(out, "dim", "none (the customer never wrote)")
    : `${state(out, view.window.state)}, ${
      Option.match(view.window.expiresAt, {
        onNone: () => "no expiry",
        onSome: (at) => `${view.window.state === "open" ? "closes" : "closed"} ${when(at, now)}`
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
    ["Provider id", provider],
    ...(note === undefined ? [] : [["Note", paint(out, "yellow", note)] as const])
  ])
}

export const expiringText = (out: Output, view: ExpiringView, now: DateTime.Utc, within: Duration.Duration): string => {
  if (view.items.length === 0) return `No window closes within ${span(within)}.`
  const rows = view.items.map((item) => [
    item.business,
    item.customer,
    Option.match(item.expiresAt, { onNone: () => "-", onSome: localTime }),
    paint(out, Duration.lessThan(item.remaining, Duration.hours(1)) ? "red" : "bold", span(item.remaining)),
    Option.match(item.lastInboundAt, { onNone: () => "-", onSome: (at) => relative(at, now) })
  ])
  const more = Option.match(view.nextCursor, {
    onNone: () => "",
    onSome: (cursor) => `\nMore: --cursor ${cursor}`
  })
  return table(out, ["BUSINESS", "CUSTOMER", "CLOSES", "LEFT", "LAST INBOUND"], rows) + more
}

export const explainText = (out: Output, view: ExplainView, now: DateTime.Utc): string =>
  [
    fields(out, [
      ["Pair", `${view.status.business} → ${view.status.customer}`],
      [
        "State",
        `${state(out, view.status.state)}${
          view.status.state === "none" ? "" : `, ${expiryText(out, view.status, now)}`
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
    view.summary
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
    ["Remaining", view.window.state === "open" ? span(view.window.remaining) : "-"]
  ])

// ---------------------------------------------------------------------------------------------------------------
// help text

const stripArgs = (args: ReadonlyArray<unknown>) =>
  args.map((arg) => typeof arg === "string" ? arg.replace(ANSI, "").replace(/[ \t]+$/gm, "") : arg)

// A Standard Webhooks signing secret; @effect/cli echoes a stray argument in its errors, which could be one.
const SECRET = /whsec_[A-Za-z0-9+/]+=*/g
const maskArgs = (args: ReadonlyArray<unknown>) =>
  args.map((arg) => typeof arg === "string" ? arg.replace(SECRET, "whsec_<hidden>") : arg)

/**
 * The console with ANSI escapes removed from what goes to a stream that is not a terminal (or with NO_COLOR):
 * @effect/cli colours its help and errors unconditionally. Signing secrets never reach stderr: only `endpoints add`
 * prints one, on stdout.
 */
export const plainConsole = (
  console: Console.Console,
  keep: { readonly stdout: boolean; readonly stderr: boolean }
): Console.Console => ({
  ...console,
  log: (...args) => console.log(...(keep.stdout ? args : stripArgs(args))),
  info: (...args) => console.info(...(keep.stdout ? args : stripArgs(args))),
  error: (...args) => console.error(...maskArgs(keep.stderr ? args : stripArgs(args))),
  warn: (...args) => console.warn(...maskArgs(keep.stderr ? args : stripArgs(args)))
})
