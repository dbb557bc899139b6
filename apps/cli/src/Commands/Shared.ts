// What the commands share: their options, help layout and the lists the start path keeps without loading schemas.
import * as Args from "@effect/cli/Args"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Span from "@effect/cli/HelpDoc/Span"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as FileSystem from "@effect/platform/FileSystem"
import type * as Delivery from "@wa-session/session-core/Delivery"
import type * as Event from "@wa-session/session-core/Event"
// one module, not the package: the rest of session-core loads with the commands that use it
import * as PhoneNumber from "@wa-session/session-core/PhoneNumber"
import { Config, Effect, Either, Option, type Redacted } from "effect"
import { UsageError } from "../Errors.js"
import { fileSubject, Instant, parseDocument, readOption } from "../Input.js"
import { hidePassword } from "../Output.js"

/** A description, then its examples. */
export const help = (description: string, ...examples: ReadonlyArray<string>): HelpDoc.HelpDoc =>
  HelpDoc.blocks([
    HelpDoc.p(description),
    HelpDoc.p(Span.strong(examples.length > 1 ? "Examples:" : "Example:")),
    ...examples.map((example) => HelpDoc.p(Span.code(`  $ ${example}`)))
  ])

/** Loaded on first use, so --help and the offline commands never load the store, the drivers or the HTTP client. */
export const lazy = <M>(load: () => Promise<M>): Effect.Effect<M> => Effect.promise(load)

/**
 * A text option read by `parse`: a bad value is refused in one line naming the option, which bin.ts prints (not
 * @effect/cli's tree of the schema's transformations, nor its "is not a integer" that names no option).
 */
export const parsed = <A>(parse: (input: string) => Either.Either<A, string>) =>
(
  self: Options.Options<string>
): Options.Options<A> =>
  Options.mapEffect(
    self,
    (input) => Either.mapLeft(parse(input), (message) => ValidationError.invalidValue(HelpDoc.p(message)))
  )

/** A text option: `--name PSEUDO`, described. */
export const text = (name: string, pseudoName: string, description: string) =>
  Options.text(name).pipe(Options.withPseudoName(pseudoName), Options.withDescription(description))

/** The longest message id (`inbound --message-id`) and idempotency key the API takes. */
export const MAX_ID_LENGTH = 200

/**
 * An id, key or cursor as given with `field`: refused when empty or only whitespace (an unset shell variable) or
 * longer than the API's `max`, before a backend sees it; the API's client would refuse it as an answer outside the
 * contract, and the store would keep it.
 */
export const nonBlank = (field: string, max?: number) => (input: string): Either.Either<string, string> =>
  input.trim() === ""
    ? Either.left(`${field}: must not be ${input === "" ? "empty" : "blank (only whitespace)"}`)
    : max !== undefined && input.length > max
    ? Either.left(`${field}: at most ${max} characters, got ${input.length}`)
    : Either.right(input)

/** A text option naming one thing (an id, a key, a cursor): `text`, refused when blank (`nonBlank`). */
export const idText = (name: string, pseudoName: string, description: string, max?: number) =>
  text(name, pseudoName, description).pipe(parsed(nonBlank(`--${name}`, max)))

/**
 * An option given any number of times, none included: `Options.repeated` alone is shown as required in the usage
 * (`--param VALUE...`), so it is marked optional too (`[--param VALUE...]`), its absence the empty list.
 */
export const anyNumberOf = <A>(self: Options.Options<A>): Options.Options<ReadonlyArray<A>> =>
  self.pipe(
    Options.repeated,
    Options.optional,
    Options.map(Option.getOrElse((): ReadonlyArray<A> => []))
  )

/** A repeated `idText` (`[--event ID...]`): each value refused when blank. */
export const idTexts = (name: string, pseudoName: string, description: string) => {
  const check = nonBlank(`--${name}`)
  return text(name, pseudoName, description).pipe(
    anyNumberOf,
    Options.mapEffect((values) =>
      Either.mapLeft(Either.all(values.map(check)), (message) => ValidationError.invalidValue(HelpDoc.p(message)))
    )
  )
}

/** The `ID` argument of the commands on one thing (an endpoint, a parked message, a quarantine entry). */
export const id = (description: string) =>
  Args.text({ name: "ID" }).pipe(
    Args.mapEffect((input) => Either.mapLeft(nonBlank("ID")(input), (message) => HelpDoc.p(message))),
    Args.withDescription(description)
  )

export const phone = (name: string, description: string) =>
  Options.text(name).pipe(
    parsed(readOption(`--${name}`, PhoneNumber.FromString)),
    Options.withPseudoName("E164"),
    Options.withDescription(description)
  )

export const business = phone("business", "The business number (E.164; + optional, spaces and dashes allowed)")
export const customer = phone("customer", "The customer number (E.164; + optional, spaces and dashes allowed)")

/** An instant option (ISO-8601 with an offset), named in its errors. */
export const instant = (name: string, description: string) =>
  Options.text(name).pipe(
    parsed(readOption(`--${name}`, Instant)),
    Options.withPseudoName("INSTANT"),
    Options.withDescription(description)
  )

/** One of `values`, named in its errors (`--state: expected pending, delivered or failed, got "lost"`). */
export const oneOf = <const T extends string>(name: string, values: ReadonlyArray<T>, description: string) =>
  Options.text(name).pipe(
    parsed((input) => {
      const value = values.find((candidate) => candidate === input)
      return value === undefined
        ? Either.left(
          `--${name}: expected ${values.slice(0, -1).join(", ")} or ${values.at(-1) ?? ""}, got ${
            JSON.stringify(input)
          }`
        )
        : Either.right(value)
    }),
    Options.withPseudoName(values.join("|")),
    Options.withDescription(description)
  )

export const pairOf = (
  config: { readonly business: PhoneNumber.PhoneNumber; readonly customer: PhoneNumber.PhoneNumber }
) => ({ business: config.business, customer: config.customer })

export const json = Options.boolean("json").pipe(Options.withDescription("Print JSON for machines instead of text"))

export const at = instant(
  "at",
  "Evaluate at this instant instead of now (ISO-8601 with offset, e.g. 2026-01-21T09:00:00+05:30)"
).pipe(Options.optional)

export const limit = (max: number, fallback: number, what: string) =>
  Options.text("limit").pipe(
    parsed((input) => {
      const n = /^\d{1,9}$/.test(input.trim()) ? Number(input.trim()) : Number.NaN
      return n >= 1 && n <= max
        ? Either.right(n)
        : Either.left(`--limit must be 1 to ${max}, got ${JSON.stringify(input)}`)
    }),
    Options.withPseudoName("N"),
    Options.withDescription(`At most N ${what} (1 to ${max}, default ${fallback})`),
    Options.withDefault(fallback)
  )

export const cursor = idText(
  "cursor",
  "CURSOR",
  "The next page: the cursor printed after the previous one (nextCursor in JSON)"
).pipe(Options.optional)

export const endpoint = (description: string) => idText("endpoint", "ID", description).pipe(Options.optional)

/**
 * The `--server` URL: http or https, without userinfo (the API takes a bearer token, and fetch refuses a URL that
 * carries credentials). What it echoes of a bad URL has its password hidden.
 */
const serverUrl = (input: string): Either.Either<string, string> => {
  const url = URL.canParse(input) ? new URL(input) : undefined
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    return Either.left(
      `--server: expected the server's http:// or https:// URL, like http://127.0.0.1:8080, got ${
        hidePassword(JSON.stringify(input))
      }`
    )
  }
  return url.username !== "" || url.password !== ""
    ? Either.left(
      "--server: the URL must not carry credentials (user:password@); give the API token with --token or " +
        "WA_SESSION_API_TOKEN"
    )
    : Either.right(input)
}

/** `--server` and `--token`: a running server instead of the local store. */
export const connection = {
  server: Options.text("server").pipe(
    parsed(serverUrl),
    Options.withPseudoName("URL"),
    Options.withDescription("Call a running wa-session server instead of the local store (e.g. http://127.0.0.1:8080)"),
    Options.optional
  ),
  token: Options.redacted("token").pipe(
    Options.withFallbackConfig(Config.redacted("WA_SESSION_API_TOKEN")),
    Options.withPseudoName("TOKEN"),
    Options.withDescription("The server's API token (default: WA_SESSION_API_TOKEN)"),
    Options.optional
  )
}

/** What every command on a backend takes last: `--json`, `--server` and `--token` (Wiring.ts reads them). */
export const backendOptions = { json, ...connection }

export interface Connection {
  readonly server: Option.Option<string>
  readonly token: Option.Option<Redacted.Redacted<string>>
}

/** `--text` or `--content-file`: what `send` and `check` take. */
export const contentSource = text("text", "TEXT", "A text message body").pipe(
  Options.orElseEither(
    // text, not a file option: read by loadContent (a pipe too), whose error names the option and the file
    text("content-file", "FILE", "A JSON (or YAML) file holding the WhatsApp message content, any type")
  )
)

/** A JSON or YAML file, parsed; a file that cannot be read or parsed is refused naming `field`. */
export const readDocument = (path: string, field: string): Effect.Effect<unknown, UsageError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(path).pipe(
      Effect.mapError((error) =>
        new UsageError({
          field,
          message: error._tag === "SystemError" && error.reason === "NotFound"
            ? `${fileSubject(path, field)} does not exist`
            : `${fileSubject(path, field)} cannot be read: ${error.message}`
        })
      )
    )
    return yield* parseDocument(text, path, field)
  })

/** The content `--text` or `--content-file` gave. */
export const loadContent = (
  source: Either.Either<string, string>
): Effect.Effect<unknown, UsageError, FileSystem.FileSystem> =>
  Either.match(source, {
    onLeft: (text) => Effect.succeed<unknown>({ type: "text", text: { body: text } }),
    onRight: (path) => readDocument(path, "--content-file")
  })

/**
 * Every value of a literal type, listed here so that the start path does not load the core's schemas; the compiler
 * says which value the list misses.
 */
const everyOf = <T extends string>() =>
<const L extends ReadonlyArray<T>>(
  values: L & ([Exclude<T, L[number]>] extends [never] ? unknown : { readonly missing: Exclude<T, L[number]> })
): L => values

export const EVENT_TYPES = everyOf<Event.EventType>()([
  "message.received",
  "message.status",
  "message.released",
  "message.expired",
  "window.opened",
  "window.expiring",
  "window.closed",
  "webhook.quarantined"
])
export const DELIVERY_STATES = everyOf<Delivery.DeliveryState>()(["pending", "delivered", "failed"])
export const QUARANTINE_STATES = ["quarantined", "resolved"] as const
