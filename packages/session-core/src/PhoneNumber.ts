/**
 * Phone numbers in normalized E.164 form, and the pair that keys a conversation.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { InvalidPhoneNumber } from "./Errors.js"

const E164 = /^\+[1-9]\d{7,14}$/
const SEPARATORS = /[\s\-().]/g

/**
 * A normalized E.164 number: `+`, then 8 to 15 digits, the first not zero.
 *
 * @since 0.1.0
 * @category models
 */
export const PhoneNumber = Schema.String.pipe(
  Schema.pattern(E164, { message: () => "expected E.164: + followed by 8 to 15 digits, the first not 0" }),
  Schema.brand("@wa-session/PhoneNumber")
)

/**
 * @since 0.1.0
 * @category models
 */
export type PhoneNumber = typeof PhoneNumber.Type

/**
 * Whether `value` is already a normalized E.164 number (no trimming, no separators: `parse` reads what people
 * write). For readers of stored numbers, which `parse` once normalized.
 *
 * @example
 * ```ts
 * import { PhoneNumber } from "@wa-session/session-core"
 * PhoneNumber.isPhoneNumber("+919876543210") // true
 * PhoneNumber.isPhoneNumber("98765 43210") // false
 * ```
 * @since 0.2.0
 * @category predicates
 */
export const isPhoneNumber = (value: unknown): value is PhoneNumber => typeof value === "string" && E164.test(value)

const whyInvalid = (digits: string): string =>
  digits.length === 0
    ? "no digits"
    : /\D/.test(digits)
    ? "only digits, spaces, dashes, dots, parentheses and a leading + are allowed"
    : digits.startsWith("0")
    ? "the country code cannot start with 0"
    : digits.length < 8
    ? `${digits.length} digits, at least 8 needed`
    : `${digits.length} digits, at most 15 allowed`

/**
 * Normalizes a number written by a person or a provider: the `+` is optional, spaces, dashes, dots and
 * parentheses are removed. `field` names the input in the error.
 *
 * @example
 * ```ts
 * import { PhoneNumber } from "@wa-session/session-core"
 * PhoneNumber.parse("+91 98765-43210") // Either.right("+919876543210")
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const parse = (input: string, field = "phoneNumber"): Either.Either<PhoneNumber, InvalidPhoneNumber> => {
  const trimmed = input.trim()
  const digits = (trimmed.startsWith("+") ? trimmed.slice(1) : trimmed).replace(SEPARATORS, "")
  const candidate = `+${digits}`
  return isPhoneNumber(candidate)
    ? Either.right(candidate)
    : Either.left(new InvalidPhoneNumber({ field, input, reason: whyInvalid(digits) }))
}

/**
 * Like {@link parse} but throws: for numbers known to be valid (tests, constants).
 *
 * @example
 * ```ts
 * import { PhoneNumber } from "@wa-session/session-core"
 * const business = PhoneNumber.unsafeMake("+91 98765 00001") // "+919876500001"
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const unsafeMake = (input: string): PhoneNumber =>
  Either.getOrThrowWith(parse(input), (error) => new Error(error.message))

/**
 * A phone number as people and providers write it (any of the forms {@link parse} accepts), decoded to the
 * normalized number; encoded as the normalized number. The one schema for numbers in options, files and payloads:
 * a bad one fails with `"<input>" is not a phone number in E.164 form (<reason>)`, the field being named by where the
 * schema is used (a struct's path, an option's name).
 *
 * @example
 * ```ts
 * import { PhoneNumber } from "@wa-session/session-core"
 * import { Schema } from "effect"
 * Schema.decodeSync(PhoneNumber.FromString)("91 98765-43210") // "+919876543210"
 * Schema.decodeEither(PhoneNumber.FromString)("12") // left: "12" is not a phone number in E.164 form (…)
 * ```
 * @since 0.2.0
 * @category schemas
 */
export const FromString: Schema.Schema<PhoneNumber, string> = Schema.transformOrFail(
  Schema.String.annotations({
    description: "A phone number in E.164 form; the + is optional, spaces, dashes, dots and parentheses are ignored",
    examples: ["+919876543210", "+91 98765-43210"]
  }),
  Schema.typeSchema(PhoneNumber),
  {
    strict: true,
    decode: (input, _, ast) =>
      Either.mapLeft(
        parse(input),
        (error) => new ParseResult.Type(ast, input, `"${input}" is not a phone number in E.164 form (${error.reason})`)
      ),
    encode: ParseResult.succeed
  }
)

/**
 * The same schema as {@link FromString}.
 *
 * @deprecated Use {@link FromString}; its failure no longer starts with `phoneNumber: ` (the field is named by where
 * the schema is used).
 * @since 0.1.0
 * @category schemas
 */
export const PhoneNumberFromString: Schema.Schema<PhoneNumber, string> = FromString

/**
 * The key of a conversation: the business number and the customer number. Conversations are never keyed by a
 * provider conversation id.
 *
 * @since 0.1.0
 * @category models
 */
export class Pair extends Schema.Class<Pair>("@wa-session/session-core/Pair")({
  business: PhoneNumber,
  customer: PhoneNumber
}) {}
