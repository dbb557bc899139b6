/**
 * Text every store keeps exactly as given. PostgreSQL's `text` cannot hold a NUL character (the statement fails),
 * and the database drivers write an unpaired UTF-16 surrogate as U+FFFD, so an id holding either would fail or come
 * back changed (and a duplicate would pass as new). Ids with them are refused; display text is made storable.
 *
 * @since 0.3.0
 */
import * as Schema from "effect/Schema"

// an unpaired surrogate: a high one not followed by a low one, or a low one not preceded by a high one
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const UNPAIRED_SURROGATES = new RegExp(UNPAIRED_SURROGATE.source, "g")

/**
 * Why such text is refused, for error messages.
 *
 * @since 0.3.0
 * @category constants
 */
export const PROBLEM = "contains a NUL character or an unpaired surrogate, which cannot be stored"

/**
 * Whether `text` is stored and read back unchanged by every store.
 *
 * @example
 * ```ts
 * import { StorableText } from "@wa-session/session-core"
 * StorableText.isStorable("wamid.HBgM") // true
 * StorableText.isStorable("wamid.\u0000") // false
 * StorableText.isStorable("\uD83D") // false: half of an emoji
 * ```
 *
 * @since 0.3.0
 * @category predicates
 */
export const isStorable = (text: string): boolean => !text.includes("\u0000") && !UNPAIRED_SURROGATE.test(text)

/**
 * `text` with each NUL character and unpaired surrogate replaced by U+FFFD: for display text (a profile name, a
 * status description), whose exact form the raw item keeps.
 *
 * @since 0.3.0
 * @category constructors
 */
export const toStorable = (text: string): string =>
  isStorable(text) ? text : text.replaceAll("\u0000", "\uFFFD").replace(UNPAIRED_SURROGATES, "\uFFFD")

/**
 * A string that `isStorable`: for ids and keys taken from requests.
 *
 * @since 0.3.0
 * @category schemas
 */
export const StorableString = Schema.String.pipe(Schema.filter(isStorable, { message: () => PROBLEM }))
