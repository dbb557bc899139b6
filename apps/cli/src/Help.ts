// `--help`, printed by bin.ts instead of @effect/cli's: each option with its own description once (not the type of
// its value and "This setting is optional" every time), the usage line starting with `wa-session`, the commands
// listed with what they do, and the global options without --wizard.
import * as CliConfig from "@effect/cli/CliConfig"
import * as Descriptor from "@effect/cli/CommandDescriptor"
import * as HelpDoc from "@effect/cli/HelpDoc"
import type * as Span from "@effect/cli/HelpDoc/Span"
import * as Usage from "@effect/cli/Usage"
import type { CommandTree } from "./Argv.js"

/** What each command does, in a line: the list of commands in `wa-session --help`, in this order. */
export const SUMMARIES: ReadonlyArray<readonly [string, string]> = [
  ["serve", "Run the HTTP server (the same as pnpm start)"],
  ["webhook-url", "Print the webhook URL to give Exotel, secret included"],
  ["send", "Send a message: as a session message inside the window, else the fallback template, else refuse"],
  ["parked", "Messages parked by send --park, waiting for their customer, in release order"],
  ["cancel", "Cancel a parked message: it is never sent"],
  ["status", "The 24-hour window of a (business, customer) pair: state, expiry, time left"],
  ["expiring", "Open windows that close soon, soonest first"],
  ["explain", "Why a pair's window is what it is: the message it counts from, the margin, closures"],
  ["check", "Validate a message offline against WhatsApp's rules and limits"],
  ["inbound", "Record a customer's message by hand, as the webhook would (imports, backfill)"],
  ["history", "A pair's messages, newest first"],
  ["events", "The event log, oldest first; --follow keeps printing new events"],
  ["deliveries", "The deliveries of events to the endpoints, newest event first"],
  ["deliveries replay", "Deliver events again, with the same webhook-id"],
  ["quarantine", "What the webhook could not use, kept"],
  ["quarantine retry", "Decode a quarantine entry again with today's decoder"],
  ["endpoints", "The endpoints events are delivered to"],
  ["endpoints add", "Deliver events to a URL, signed per Standard Webhooks"],
  ["endpoints delete", "Stop delivering to an endpoint"],
  ["simulate", "Replay a timeline on a virtual clock and an in-memory store; nothing is sent"]
]

const GLOBAL_OPTIONS: ReadonlyArray<readonly [string, string]> = [
  ["-h, --help", "Show the help of wa-session or of a command (wa-session status --help)"],
  ["--version", "Print the version"],
  [
    "--completions bash | fish | zsh | sh",
    "Print a completion script for the shell, e.g. wa-session --completions bash > ~/.local/share/bash-completion/" +
    "completions/wa-session"
  ],
  [
    "--log-level all | trace | debug | info | warning | error | fatal | none",
    "Print logs from this level on, on stderr (default: warnings and worse)"
  ]
]

const ANSI = /\u001b\[[0-9;]*m/g

const spanText = (span: Span.Span): string => HelpDoc.toAnsiText(HelpDoc.p(span)).replace(ANSI, "").trim()

/** The blocks of a document in order (headers, paragraphs, lists), sequences flattened. */
const flatten = (doc: HelpDoc.HelpDoc): ReadonlyArray<HelpDoc.HelpDoc> => {
  switch (doc._tag) {
    case "Sequence":
      return [...flatten(doc.left), ...flatten(doc.right)]
    case "Empty":
      return []
    case "Header":
    case "Paragraph":
    case "DescriptionList":
    case "Enumeration":
      return [doc]
  }
}

// what @effect/cli adds to every option: its own notes, which the descriptions and the usage line already say
const LIBRARY_NOTE = /^This (setting|option|argument) (is optional|may be repeated|must be repeated|can be set from)/

/**
 * An option or argument with its description: @effect/cli's block holds first the type of its value ("A
 * user-defined piece of text."), then the description, then its notes; only the description is kept.
 */
const definition = ([span, block]: readonly [Span.Span, HelpDoc.HelpDoc]): string => {
  const [, ...rest] = flatten(block).filter(HelpDoc.isParagraph).map((paragraph) => spanText(paragraph.value))
  const description = rest.filter((text) => !LIBRARY_NOTE.test(text)).join(" ")
  return `  ${spanText(span)}${description === "" ? "" : `\n      ${description}`}`
}

const section = (title: string, body: string): string => `${title}\n\n${body}`

/** The command at `path` below the root. */
const commandAt = (root: CommandTree, path: ReadonlyArray<string>): Descriptor.Command<unknown> =>
  path.reduce((command, name) => command.children.find((child) => child.name === name) ?? command, root).descriptor

/** A command's usage without the `<command>` its subcommands add: the command is run on its own too. */
const ownUsage = (usage: Usage.Usage): Usage.Usage =>
  usage._tag === "Concat" && usage.right._tag === "Mixed" ? usage.left : usage

const usageText = (usage: Usage.Usage): string => HelpDoc.toAnsiText(Usage.getHelp(usage)).replace(ANSI, "").trim()

const commandsOf = (path: ReadonlyArray<string>): ReadonlyArray<readonly [string, string]> =>
  SUMMARIES.filter(([name]) => {
    const words = name.split(" ")
    return words.length > path.length && path.every((word, i) => words[i] === word)
  })

/** The help of the command at `path` (empty: wa-session itself). */
export const render = (root: CommandTree, path: ReadonlyArray<string>): string => {
  const command = commandAt(root, path)
  const parents = ["wa-session", ...path.slice(0, -1)].join(" ")
  const subcommands = commandsOf(path)
  const usages = path.length === 0
    ? ["$ wa-session <command> [options]", "$ wa-session <command> --help"]
    : [
      `$ ${parents} ${usageText(ownUsage(Descriptor.getUsage(command)))}`,
      ...subcommands.map(([name]) =>
        `$ wa-session ${name} ${
          usageText(Descriptor.getUsage(commandAt(root, name.split(" ")))).replace(/^\S+\s*/, "")
        }`.trimEnd()
      )
    ]
  // @effect/cli's sections: DESCRIPTION as it is, ARGUMENTS and OPTIONS one definition each, not its COMMANDS
  const sections: Array<string> = [
    path.length === 0 ? "wa-session 0.1.0" : `wa-session ${path.join(" ")}`,
    section("USAGE", usages.join("\n"))
  ]
  let title = ""
  let blocks: Array<HelpDoc.HelpDoc> = []
  const flush = () => {
    if (title === "DESCRIPTION") sections.push(section(title, HelpDoc.toAnsiText(HelpDoc.blocks(blocks)).trimEnd()))
    if (title === "ARGUMENTS" || title === "OPTIONS") {
      const definitions = blocks.flatMap((block) => HelpDoc.isDescriptionList(block) ? block.definitions : [])
      if (definitions.length > 0) sections.push(section(title, definitions.map(definition).join("\n")))
    }
    blocks = []
  }
  for (const block of flatten(Descriptor.getHelp(command, CliConfig.make({ showBuiltIns: false })))) {
    if (HelpDoc.isHeader(block)) {
      flush()
      title = spanText(block.value)
    } else {
      blocks.push(block)
    }
  }
  flush()
  if (subcommands.length > 0) {
    const width = Math.max(...subcommands.map(([name]) => name.length))
    sections.push(
      section("COMMANDS", subcommands.map(([name, summary]) => `  ${name.padEnd(width)}  ${summary}`).join("\n"))
    )
  }
  sections.push(
    section("GLOBAL OPTIONS", GLOBAL_OPTIONS.map(([name, text]) => `  ${name}\n      ${text}`).join("\n"))
  )
  return sections.join("\n\n")
}
