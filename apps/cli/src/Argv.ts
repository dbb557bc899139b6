// What the command line says before @effect/cli parses it: the command it names, whether help or JSON was asked
// for, and the options no command of that path knows. @effect/cli's own messages about bad usage name the wrong
// option (`--bogus 1 --business …` is reported as a missing `--business`), so bin.ts names the problem from this
// scan and from the ValidationError, in one line.
import * as Descriptor from "@effect/cli/CommandDescriptor"
import * as HelpDoc from "@effect/cli/HelpDoc"
import type * as Usage from "@effect/cli/Usage"
import type * as ValidationError from "@effect/cli/ValidationError"
import { Match, Option } from "effect"
import { UsageError } from "./Errors.js"
import { maskSecrets } from "./Output.js"

interface OptionSpec {
  /** the option's first name (`--help` for `-h`) */
  readonly name: string
  readonly takesValue: boolean
  readonly repeatable: boolean
}

/** The options every command takes (@effect/cli's built-ins); `--wizard` is refused (see bin.ts). */
const BUILT_INS: ReadonlyArray<readonly [string, OptionSpec]> = [
  ["--help", { name: "--help", takesValue: false, repeatable: false }],
  ["-h", { name: "--help", takesValue: false, repeatable: false }],
  ["--version", { name: "--version", takesValue: false, repeatable: false }],
  ["--wizard", { name: "--wizard", takesValue: false, repeatable: false }],
  ["--completions", { name: "--completions", takesValue: true, repeatable: false }],
  ["--log-level", { name: "--log-level", takesValue: true, repeatable: false }]
]

/** The options of a command, by every name they answer to, from its usage (the same tree its help prints). */
const optionsOf = (command: Descriptor.Command<unknown>): Map<string, OptionSpec> => {
  const options = new Map<string, OptionSpec>(BUILT_INS)
  const collect = (usage: Usage.Usage, repeatable: boolean): void => {
    switch (usage._tag) {
      case "Named": {
        const [first] = usage.names
        if (first === undefined || !first.startsWith("-")) return
        const spec = { name: first, takesValue: Option.isSome(usage.acceptedValues), repeatable }
        for (const name of usage.names) options.set(name, spec)
        return
      }
      case "Optional":
        return collect(usage.usage, repeatable)
      case "Repeated":
        return collect(usage.usage, true)
      case "Alternation":
      case "Concat":
        collect(usage.left, repeatable)
        return collect(usage.right, repeatable)
      case "Empty":
      case "Mixed":
        return
    }
  }
  collect(Descriptor.getUsage(command), false)
  return options
}

/**
 * A command, its descriptor and its subcommands, as Cli.ts builds the command line (@effect/cli's own listing of
 * subcommands does not go below the first level).
 */
export interface CommandTree {
  readonly name: string
  readonly descriptor: Descriptor.Command<unknown>
  readonly children: ReadonlyArray<CommandTree>
}

// the values @effect/cli reads after a boolean option
const TRUE_VALUES = new Set(["true", "yes", "y", "1", "on"])
const BOOLEAN_VALUES = new Set([...TRUE_VALUES, "false", "no", "n", "0", "off"])

export interface Scan {
  /** The command named, e.g. `["deliveries", "replay"]` (empty: the top level). */
  readonly path: ReadonlyArray<string>
  readonly help: boolean
  readonly wizard: boolean
  readonly json: boolean
  /** The first option that the command does not take, and the option of that command it may be a typo of. */
  readonly unknown: Option.Option<string>
  readonly guess: Option.Option<string>
  /** The first option given twice that may be given once. */
  readonly repeated: Option.Option<string>
  /** At the top level, the first word that is not a command. */
  readonly unknownCommand: Option.Option<string>
  /** The arguments that are neither options, their values nor command names. */
  readonly positional: ReadonlyArray<string>
  /** The first repeatable option given an empty value, which @effect/cli would drop without a word. */
  readonly emptyValue: Option.Option<string>
  /** The value of the last `--log-level` wherever it is ("" when it has none). */
  readonly logLevel: Option.Option<string>
  /**
   * The arguments without `--log-level` and its value, for @effect/cli: it reads the option only before a command's
   * own options (after them it is an unexpected argument), so bin.ts applies it wherever it is.
   */
  readonly rest: ReadonlyArray<string>
}

/** Reads the arguments (without `node` and the script) the way @effect/cli will, for `root`. */
export const scan = (root: CommandTree, args: ReadonlyArray<string>): Scan => {
  let command = root
  let options = optionsOf(root.descriptor)
  const path: Array<string> = []
  const positional: Array<string> = []
  const seen = new Set<string>()
  let help = false
  let wizard = false
  let json = false
  let unknown = Option.none<string>()
  let repeated = Option.none<string>()
  let unknownCommand = Option.none<string>()
  let emptyValue = Option.none<string>()
  let logLevel = Option.none<string>()
  const taken = new Set<number>()
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? ""
    if (arg.length > 1 && arg.startsWith("-") && !/^-\d/.test(arg)) {
      const equals = arg.startsWith("--") ? arg.indexOf("=") : -1
      const name = equals === -1 ? arg : arg.slice(0, equals)
      const spec = options.get(name)
      if (spec === undefined) {
        unknown = Option.orElse(unknown, () => Option.some(name))
        continue
      }
      if (spec.name === "--help") help = true
      if (spec.name === "--wizard") wizard = true
      if (spec.name === "--json") {
        const value = equals === -1 ? args[i + 1] : arg.slice(equals + 1)
        json = value === undefined || !BOOLEAN_VALUES.has(value.toLowerCase()) || TRUE_VALUES.has(value.toLowerCase())
      }
      if (seen.has(spec.name) && !spec.repeatable) repeated = Option.orElse(repeated, () => Option.some(spec.name))
      seen.add(spec.name)
      const value = equals === -1 ? args[i + 1] : arg.slice(equals + 1)
      if (spec.repeatable && spec.takesValue && value === "") {
        emptyValue = Option.orElse(emptyValue, () => Option.some(spec.name))
      }
      if (spec.name === "--log-level") {
        logLevel = Option.some(value ?? "")
        taken.add(i)
        if (equals === -1) taken.add(i + 1)
      }
      if (equals !== -1) continue
      const next = args[i + 1]
      if (spec.takesValue || (next !== undefined && BOOLEAN_VALUES.has(next.toLowerCase()))) i++
      continue
    }
    const sub = positional.length === 0 ? command.children.find((child) => child.name === arg) : undefined
    if (sub !== undefined) {
      command = sub
      options = optionsOf(command.descriptor)
      seen.clear()
      path.push(arg)
      continue
    }
    if (path.length === 0) {
      unknownCommand = Option.orElse(unknownCommand, () => Option.some(arg))
    }
    positional.push(arg)
  }
  const guess = Option.flatMap(unknown, (name) => closest(name, [...optionsOf(command.descriptor).keys()]))
  const rest = args.filter((_, i) => !taken.has(i))
  return {
    path,
    help,
    wizard,
    json,
    unknown,
    guess,
    repeated,
    unknownCommand,
    positional,
    emptyValue,
    logLevel,
    rest
  }
}

/** Edit distance, for the option a mistyped one may be. */
const distance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1)
      )
    }
    previous = current
  }
  return previous[b.length] ?? 0
}

/** The known option nearest to `name`, two edits away at most (and not for names too short to tell apart). */
const closest = (name: string, known: ReadonlyArray<string>): Option.Option<string> => {
  if (name.length < 5) return Option.none()
  const ranked = known
    .filter((candidate) => candidate.startsWith("--"))
    .map((candidate) => [candidate, distance(name, candidate)] as const)
    .filter(([, d]) => d <= 2)
    .sort((x, y) => x[1] - y[1])
  return Option.fromNullable(ranked[0]?.[0])
}

// ---------------------------------------------------------------------------------------------------------------
// @effect/cli's refusals as one line naming the option

const ANSI = /\u001b\[[0-9;]*m/g

/** The text of @effect/cli's message, one paragraph a line. */
const paragraphs = (error: ValidationError.ValidationError): ReadonlyArray<string> =>
  "error" in error
    ? HelpDoc.toAnsiText(error.error).replace(ANSI, "").split(/\n\s*\n/).map((part) => part.trim()).filter(Boolean)
    : []

const quoted = (text: string, pattern: RegExp): ReadonlyArray<string> =>
  [...text.matchAll(pattern)].map((match) => match[1] ?? "").filter(Boolean)

const commandName = (path: ReadonlyArray<string>): string => ["wa-session", ...path].join(" ")

// a stray argument may be a signing secret: never echoed, on stderr or in the JSON on stdout
const usage = (field: string, message: string) =>
  new UsageError({ field: maskSecrets(field), message: maskSecrets(message) })

/** Which options or arguments are missing, from the library's words. */
const missing = (scanned: Scan, texts: ReadonlyArray<string>): Option.Option<UsageError> => {
  const all = texts.join("\n")
  const noValue = quoted(all, /Expected a value following option: '([^']+)'/g)
  if (noValue[0] !== undefined) return Option.some(usage(noValue[0], `${noValue[0]}: missing its value`))
  const options = [...new Set(quoted(all, /Expected to find option: '([^']+)'/g))]
  // one of two options given, and refused: its reason, not that the other one is missing
  const reasons = texts.filter((text) => !text.startsWith("Expected to find option:"))
  if (options.length > 0 && reasons.length > 0) return Option.some(fromText(scanned, reasons))
  const first = options[0]
  if (first !== undefined) {
    return Option.some(
      options.length === 1
        ? usage(first, `${first}: missing; ${commandName(scanned.path)} needs it (see --help)`)
        : usage(first, `${options.join(" or ")}: missing; ${commandName(scanned.path)} needs one of them (see --help)`)
    )
  }
  const argument = quoted(all, /Missing argument <([^>]+)>/g)[0]
  if (argument !== undefined) {
    return Option.some(usage(argument, `${argument}: missing; ${commandName(scanned.path)} ${argument} (see --help)`))
  }
  return Option.none()
}

/** The option a message of ours starts with (`--to: "12" is not a phone number…`, `--limit must be 1 to 200`). */
const leadingField = (text: string): Option.Option<string> =>
  Option.fromNullable(/^(--?[A-Za-z][\w-]*|[A-Z][A-Z_]*)\b/.exec(text)?.[1])

const fromText = (scanned: Scan, texts: ReadonlyArray<string>): UsageError => {
  const text = texts[0] ?? "bad usage"
  const unexpected = quoted(text, /Received unknown argument: '([^']*)'/g)[0]
  if (unexpected !== undefined) {
    return usage(
      unexpected,
      `${unexpected}: unexpected argument; see ${commandName(scanned.path)} --help`
    )
  }
  const twice = quoted(text, /More than one reference to option '([^']+)'/g)[0]
  if (twice !== undefined) return usage(twice, `${twice}: given more than once`)
  return Option.match(leadingField(text), {
    onSome: (field) => usage(field, text),
    onNone: () => usage("usage", `${text} (see ${commandName(scanned.path)} --help)`)
  })
}

/**
 * A refusal of @effect/cli as a usage error naming the option: first what the scan found (an option the command
 * does not take, an option given twice, a word that is no command), then the library's own reason.
 */
export const describeValidation = (scanned: Scan, error: ValidationError.ValidationError): UsageError => {
  const texts = paragraphs(error)
  if (Option.isSome(scanned.unknown)) {
    const name = scanned.unknown.value
    const guess = Option.match(scanned.guess, { onNone: () => "", onSome: (option) => `; did you mean ${option}?` })
    return usage(
      name,
      `${name}: unknown option of ${commandName(scanned.path)}${guess} (see ${commandName(scanned.path)} --help)`
    )
  }
  if (Option.isSome(scanned.repeated)) {
    return usage(scanned.repeated.value, `${scanned.repeated.value}: given more than once`)
  }
  return Match.value(error).pipe(
    Match.tagsExhaustive({
      CommandMismatch: () =>
        Option.match(scanned.unknownCommand, {
          onSome: (word) => usage(word, `${word}: unknown command; see wa-session --help for the commands`),
          onNone: () => fromText(scanned, texts)
        }),
      MissingFlag: () => Option.getOrElse(missing(scanned, texts), () => fromText(scanned, texts)),
      MissingValue: () => Option.getOrElse(missing(scanned, texts), () => fromText(scanned, texts)),
      MissingSubcommand: () => fromText(scanned, texts),
      CorrectedFlag: () => fromText(scanned, texts),
      InvalidArgument: () => Option.getOrElse(missing(scanned, texts), () => fromText(scanned, texts)),
      InvalidValue: () => Option.getOrElse(missing(scanned, texts), () => fromText(scanned, texts)),
      MultipleValuesDetected: () => fromText(scanned, texts),
      NoBuiltInMatch: () => fromText(scanned, texts),
      UnclusteredFlag: () => fromText(scanned, texts),
      HelpRequested: () => fromText(scanned, texts)
    })
  )
}
