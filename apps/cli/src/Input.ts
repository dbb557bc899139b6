import * as CoreInstant from "@wa-session/session-core/Instant"
import { type DateTime, Effect, Either, ParseResult, Schema } from "effect"
import { UsageError } from "./Errors.js"

/** An ISO-8601 instant with an explicit offset (`Z` or `+05:30`): local times without an offset are ambiguous. */
export const parseInstant = CoreInstant.parse

/** An instant as written on the command line or in a simulate file. */
export const Instant: Schema.Schema<DateTime.Utc, string> = CoreInstant.Instant

/**
 * A value given with the option `field`, read by `schema`: a bad one is refused naming the option
 * (`--to: "12" is not a phone number…`), for options (whose errors carry no path) and the core's schemas.
 */
export const forOption = <A>(field: string, schema: Schema.Schema<A, string>): Schema.Schema<A, string> => {
  const decode = ParseResult.decodeUnknownEither(schema)
  return Schema.transformOrFail(Schema.String, Schema.typeSchema(schema), {
    strict: true,
    decode: (input, _, ast) =>
      Either.mapLeft(decode(input), (issue) => {
        const messages = ParseResult.ArrayFormatter.formatIssueSync(issue).map((leaf) => leaf.message)
        return new ParseResult.Type(ast, input, `${field}: ${messages.join("; ")}`)
      }),
    encode: ParseResult.encodeUnknownEither(schema)
  })
}

/**
 * Reads a value given with the option `field`: a bad one is refused in one line naming the option (`--to: "12" is
 * not a phone number…`), without the schema's tree of transformations.
 */
export const readOption = <A>(field: string, schema: Schema.Schema<A, string>) => {
  const decode = ParseResult.decodeUnknownEither(schema)
  return (input: string): Either.Either<A, string> =>
    Either.mapLeft(decode(input), (issue) => {
      const messages = ParseResult.ArrayFormatter.formatIssueSync(issue).map((leaf) => leaf.message)
      return `${field}: ${messages.join("; ")}`
    })
}

/** An instant given with the option `field`: a bad one is refused naming the option. */
export const InstantFor = (field: string): Schema.Schema<DateTime.Utc, string> => forOption(field, Instant)

/** What a file's errors start with: the option and the file (`--content-file: a.json`), or the file argument. */
export const fileSubject = (path: string, field: string): string => field === path ? path : `${field}: ${path}`

/** Parses JSON or YAML text (YAML only when `path` ends in .yaml/.yml); the error names `field` and the file. */
export const parseDocument = (
  text: string,
  path: string,
  field: string
): Effect.Effect<unknown, UsageError> =>
  /\.ya?ml$/i.test(path)
    ? Effect.tryPromise({
      try: () =>
        import("yaml").then((module) => {
          // the CJS build seen through a bundle's dynamic import has its exports under `default`; the types promise
          // `default` everywhere, so widen (no cast) to a module that may lack it, as the fallback to `module` expects
          const interop: { readonly default?: typeof module.default } = module
          const yaml = interop.default ?? module
          const parsed: unknown = yaml.parse(text)
          return parsed
        }),
      catch: (cause) =>
        new UsageError({ field, message: `${fileSubject(path, field)} is not valid YAML: ${firstLine(cause)}` })
    })
    : Effect.try({
      try: (): unknown => JSON.parse(text),
      catch: (cause) =>
        new UsageError({ field, message: `${fileSubject(path, field)} is not valid JSON: ${firstLine(cause)}` })
    })

const firstLine = (cause: unknown): string =>
  (cause instanceof Error ? cause.message : String(cause)).split("\n")[0] ?? ""

/** `events[3].at` from a parse-issue path. */
export const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>(
    (acc, key) => typeof key === "number" ? `${acc}[${key}]` : acc === "" ? String(key) : `${acc}.${String(key)}`,
    ""
  )

/** Every issue of a decode failure as `path: message`, in order, the first one per path. */
export const formatIssues = (
  error: ParseResult.ParseError,
  prefix: ReadonlyArray<PropertyKey> = []
): ReadonlyArray<string> => {
  const seen = new Set<string>()
  return ParseResult.ArrayFormatter.formatErrorSync(error).flatMap((issue) => {
    const path = formatPath([...prefix, ...issue.path])
    if (seen.has(path)) return []
    seen.add(path)
    const message = issue._tag === "Unexpected" ? "is not a known field" : issue.message
    return [path === "" ? message : `${path}: ${message}`]
  })
}
