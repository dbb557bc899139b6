/**
 * The content of a WhatsApp message, in the Meta Cloud API shape that Exotel passes in `content`, and its
 * validation against WhatsApp's limits.
 *
 * The schemas describe the shape only: `validate` checks the limits, so a message stored under an older limit
 * still decodes after a limit changes. Lengths are counted in Unicode code points.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { type ContentError, InvalidMessage, MessageTypeNotSupported, Violation } from "./Errors.js"

// -------------------------------------------------------------------------------------------------------------------
// types
// -------------------------------------------------------------------------------------------------------------------

/**
 * The content types WhatsApp accepts as session (free-form) messages, inside the customer-service window.
 *
 * @since 0.1.0
 * @category constants
 */
export const SESSION_TYPES = [
  "text",
  "image",
  "video",
  "audio",
  "document",
  "sticker",
  "location",
  "contacts",
  "interactive",
  "reaction"
] as const

/**
 * Every content type: the session types and `template`, the only one allowed outside the window.
 *
 * @since 0.1.0
 * @category constants
 */
export const ALL_TYPES = [...SESSION_TYPES, "template"] as const

/**
 * @since 0.1.0
 * @category models
 */
export const MessageType = Schema.Literal(...ALL_TYPES)

/**
 * @since 0.1.0
 * @category models
 */
export type MessageType = typeof MessageType.Type

/**
 * The length of a string in Unicode code points, the unit of WhatsApp's limits: an emoji outside the Basic
 * Multilingual Plane counts 1, not the 2 UTF-16 units of `String.prototype.length`.
 *
 * @since 0.1.0
 * @category utils
 */
export const codePointLength = (s: string): number => {
  let length = 0
  for (const _ of s) length++
  return length
}

// -------------------------------------------------------------------------------------------------------------------
// schemas
// -------------------------------------------------------------------------------------------------------------------

const RecipientType = Schema.optional(Schema.Literal("individual"))

/**
 * The message a reply quotes: WhatsApp shows the new message as a reply to the one with this id (a `wamid.…`).
 * Any content may carry it, as `context`.
 *
 * @since 0.2.0
 * @category models
 */
export const MessageContext = Schema.Struct({ message_id: Schema.String }).annotations({
  identifier: "MessageContext"
})

/**
 * @since 0.2.0
 * @category models
 */
export type MessageContext = typeof MessageContext.Type

const ReplyContext = Schema.optional(MessageContext)

const MediaSource = { id: Schema.optional(Schema.String), link: Schema.optional(Schema.String) }

/** Media without a caption: audio, stickers, and media in headers and template parameters. */
const Media = Schema.Struct(MediaSource)

const CaptionedMedia = Schema.Struct({ ...MediaSource, caption: Schema.optional(Schema.String) })

const HeaderDocument = Schema.Struct({ ...MediaSource, filename: Schema.optional(Schema.String) })

const Location = Schema.Struct({
  latitude: Schema.Number,
  longitude: Schema.Number,
  name: Schema.optional(Schema.String),
  address: Schema.optional(Schema.String)
})

/**
 * A text message. `preview_url` asks WhatsApp to render a preview of the first URL in the body.
 *
 * @since 0.1.0
 * @category models
 */
export const TextContent = Schema.Struct({
  type: Schema.Literal("text"),
  recipient_type: RecipientType,
  context: ReplyContext,
  text: Schema.Struct({ body: Schema.String, preview_url: Schema.optional(Schema.Boolean) })
}).annotations({ identifier: "TextContent" })

/**
 * @since 0.1.0
 * @category models
 */
export type TextContent = typeof TextContent.Type

/**
 * An image by `link` (an http(s) URL) or `id` (an uploaded media id), with an optional caption.
 *
 * @since 0.1.0
 * @category models
 */
export const ImageContent = Schema.Struct({
  type: Schema.Literal("image"),
  recipient_type: RecipientType,
  context: ReplyContext,
  image: CaptionedMedia
}).annotations({ identifier: "ImageContent" })

/**
 * @since 0.1.0
 * @category models
 */
export type ImageContent = typeof ImageContent.Type

/**
 * A video by `link` or `id`, with an optional caption.
 *
 * @since 0.1.0
 * @category models
 */
export const VideoContent = Schema.Struct({
  type: Schema.Literal("video"),
  recipient_type: RecipientType,
  context: ReplyContext,
  video: CaptionedMedia
}).annotations({ identifier: "VideoContent" })

/**
 * @since 0.1.0
 * @category models
 */
export type VideoContent = typeof VideoContent.Type

/**
 * An audio file by `link` or `id`. Audio has no caption.
 *
 * @since 0.1.0
 * @category models
 */
export const AudioContent = Schema.Struct({
  type: Schema.Literal("audio"),
  recipient_type: RecipientType,
  context: ReplyContext,
  audio: Media
}).annotations({ identifier: "AudioContent" })

/**
 * @since 0.1.0
 * @category models
 */
export type AudioContent = typeof AudioContent.Type

/**
 * A document by `link` or `id`, with an optional caption and the file name shown to the customer.
 *
 * @since 0.1.0
 * @category models
 */
export const DocumentContent = Schema.Struct({
  type: Schema.Literal("document"),
  recipient_type: RecipientType,
  context: ReplyContext,
  document: Schema.Struct({
    ...MediaSource,
    caption: Schema.optional(Schema.String),
    filename: Schema.optional(Schema.String)
  })
}).annotations({ identifier: "DocumentContent" })

/**
 * @since 0.1.0
 * @category models
 */
export type DocumentContent = typeof DocumentContent.Type

/**
 * A sticker (webp) by `link` or `id`. Stickers have no caption.
 *
 * @since 0.1.0
 * @category models
 */
export const StickerContent = Schema.Struct({
  type: Schema.Literal("sticker"),
  recipient_type: RecipientType,
  context: ReplyContext,
  sticker: Media
}).annotations({ identifier: "StickerContent" })

/**
 * @since 0.1.0
 * @category models
 */
export type StickerContent = typeof StickerContent.Type

/**
 * A location pin, with an optional name and address.
 *
 * @since 0.1.0
 * @category models
 */
export const LocationContent = Schema.Struct({
  type: Schema.Literal("location"),
  recipient_type: RecipientType,
  context: ReplyContext,
  location: Location
}).annotations({ identifier: "LocationContent" })

/**
 * @since 0.1.0
 * @category models
 */
export type LocationContent = typeof LocationContent.Type

const Typed = { type: Schema.optional(Schema.String) }

/**
 * One contact card.
 *
 * @since 0.1.0
 * @category models
 */
export const Contact = Schema.Struct({
  name: Schema.Struct({
    formatted_name: Schema.String,
    first_name: Schema.optional(Schema.String),
    last_name: Schema.optional(Schema.String),
    middle_name: Schema.optional(Schema.String),
    suffix: Schema.optional(Schema.String),
    prefix: Schema.optional(Schema.String)
  }),
  phones: Schema.optional(
    Schema.Array(Schema.Struct({ phone: Schema.String, ...Typed, wa_id: Schema.optional(Schema.String) }))
  ),
  emails: Schema.optional(Schema.Array(Schema.Struct({ email: Schema.String, ...Typed }))),
  org: Schema.optional(Schema.Struct({
    company: Schema.optional(Schema.String),
    department: Schema.optional(Schema.String),
    title: Schema.optional(Schema.String)
  })),
  addresses: Schema.optional(Schema.Array(Schema.Struct({
    street: Schema.optional(Schema.String),
    city: Schema.optional(Schema.String),
    state: Schema.optional(Schema.String),
    zip: Schema.optional(Schema.String),
    country: Schema.optional(Schema.String),
    country_code: Schema.optional(Schema.String),
    ...Typed
  }))),
  urls: Schema.optional(Schema.Array(Schema.Struct({ url: Schema.String, ...Typed }))),
  birthday: Schema.optional(Schema.String)
}).annotations({ identifier: "Contact" })

/**
 * @since 0.1.0
 * @category models
 */
export type Contact = typeof Contact.Type

/**
 * One or more contact cards.
 *
 * @since 0.1.0
 * @category models
 */
export const ContactsContent = Schema.Struct({
  type: Schema.Literal("contacts"),
  recipient_type: RecipientType,
  context: ReplyContext,
  contacts: Schema.Array(Contact)
}).annotations({ identifier: "ContactsContent" })

/**
 * @since 0.1.0
 * @category models
 */
export type ContactsContent = typeof ContactsContent.Type

const TextObject = Schema.Struct({ text: Schema.String })

const TextHeader = Schema.Struct({ type: Schema.Literal("text"), text: Schema.String })

const InteractiveHeader = Schema.Union(
  TextHeader,
  Schema.Struct({ type: Schema.Literal("image"), image: Media }),
  Schema.Struct({ type: Schema.Literal("video"), video: Media }),
  Schema.Struct({ type: Schema.Literal("document"), document: HeaderDocument })
)

/**
 * A message with up to three quick-reply buttons.
 *
 * @since 0.1.0
 * @category models
 */
export const InteractiveButton = Schema.Struct({
  type: Schema.Literal("button"),
  header: Schema.optional(InteractiveHeader),
  body: TextObject,
  footer: Schema.optional(TextObject),
  action: Schema.Struct({
    buttons: Schema.Array(Schema.Struct({
      type: Schema.Literal("reply"),
      reply: Schema.Struct({ id: Schema.String, title: Schema.String })
    }))
  })
}).annotations({ identifier: "InteractiveButton" })

/**
 * @since 0.1.0
 * @category models
 */
export type InteractiveButton = typeof InteractiveButton.Type

/**
 * A message with a button that opens a list of rows, grouped in sections.
 *
 * @since 0.1.0
 * @category models
 */
export const InteractiveList = Schema.Struct({
  type: Schema.Literal("list"),
  header: Schema.optional(TextHeader),
  body: TextObject,
  footer: Schema.optional(TextObject),
  action: Schema.Struct({
    button: Schema.String,
    sections: Schema.Array(Schema.Struct({
      title: Schema.optional(Schema.String),
      rows: Schema.Array(Schema.Struct({
        id: Schema.String,
        title: Schema.String,
        description: Schema.optional(Schema.String)
      }))
    }))
  })
}).annotations({ identifier: "InteractiveList" })

/**
 * @since 0.1.0
 * @category models
 */
export type InteractiveList = typeof InteractiveList.Type

/**
 * A message with one call-to-action button that opens a URL.
 *
 * @since 0.1.0
 * @category models
 */
export const InteractiveCtaUrl = Schema.Struct({
  type: Schema.Literal("cta_url"),
  header: Schema.optional(InteractiveHeader),
  body: TextObject,
  footer: Schema.optional(TextObject),
  action: Schema.Struct({
    name: Schema.Literal("cta_url"),
    parameters: Schema.Struct({ display_text: Schema.String, url: Schema.String })
  })
}).annotations({ identifier: "InteractiveCtaUrl" })

/**
 * @since 0.1.0
 * @category models
 */
export type InteractiveCtaUrl = typeof InteractiveCtaUrl.Type

/**
 * A message with a button that opens a WhatsApp Flow, by `flow_id` or `flow_name`. With `flow_action` `navigate`
 * (the default) `flow_action_payload` names the first screen and may give it data; with `data_exchange` the Flow
 * asks the business's endpoint instead, and there is no payload.
 *
 * @since 0.2.0
 * @category models
 */
export const InteractiveFlow = Schema.Struct({
  type: Schema.Literal("flow"),
  header: Schema.optional(InteractiveHeader),
  body: TextObject,
  footer: Schema.optional(TextObject),
  action: Schema.Struct({
    name: Schema.Literal("flow"),
    parameters: Schema.Struct({
      flow_message_version: Schema.Literal("3"),
      flow_token: Schema.optional(Schema.String),
      flow_id: Schema.optional(Schema.String),
      flow_name: Schema.optional(Schema.String),
      flow_cta: Schema.String,
      mode: Schema.optional(Schema.Literal("draft", "published")),
      flow_action: Schema.optional(Schema.Literal("navigate", "data_exchange")),
      flow_action_payload: Schema.optional(Schema.Struct({
        screen: Schema.String,
        data: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
      }))
    })
  })
}).annotations({ identifier: "InteractiveFlow" })

/**
 * @since 0.2.0
 * @category models
 */
export type InteractiveFlow = typeof InteractiveFlow.Type

/**
 * A single-product message: one item of a catalog, by its retailer id (the SKU). It has no header.
 *
 * @since 0.2.0
 * @category models
 */
export const InteractiveProduct = Schema.Struct({
  type: Schema.Literal("product"),
  body: Schema.optional(TextObject),
  footer: Schema.optional(TextObject),
  action: Schema.Struct({ catalog_id: Schema.String, product_retailer_id: Schema.String })
}).annotations({ identifier: "InteractiveProduct" })

/**
 * @since 0.2.0
 * @category models
 */
export type InteractiveProduct = typeof InteractiveProduct.Type

/**
 * A multi-product message: items of one catalog, grouped in sections, under a text header.
 *
 * @since 0.2.0
 * @category models
 */
export const InteractiveProductList = Schema.Struct({
  type: Schema.Literal("product_list"),
  header: TextHeader,
  body: TextObject,
  footer: Schema.optional(TextObject),
  action: Schema.Struct({
    catalog_id: Schema.String,
    sections: Schema.Array(Schema.Struct({
      title: Schema.optional(Schema.String),
      product_items: Schema.Array(Schema.Struct({ product_retailer_id: Schema.String }))
    }))
  })
}).annotations({ identifier: "InteractiveProductList" })

/**
 * @since 0.2.0
 * @category models
 */
export type InteractiveProductList = typeof InteractiveProductList.Type

/**
 * An interactive message: reply buttons, a list, a call-to-action URL button, a Flow (since 0.2.0), or one or
 * several products of a catalog (since 0.2.0).
 *
 * @since 0.1.0
 * @category models
 */
export const InteractiveContent = Schema.Struct({
  type: Schema.Literal("interactive"),
  recipient_type: RecipientType,
  context: ReplyContext,
  interactive: Schema.Union(
    InteractiveButton,
    InteractiveList,
    InteractiveCtaUrl,
    InteractiveFlow,
    InteractiveProduct,
    InteractiveProductList
  )
}).annotations({ identifier: "InteractiveContent" })

/**
 * @since 0.1.0
 * @category models
 */
export type InteractiveContent = typeof InteractiveContent.Type

/**
 * A reaction to an earlier message; an empty `emoji` removes the reaction.
 *
 * @since 0.1.0
 * @category models
 */
export const ReactionContent = Schema.Struct({
  type: Schema.Literal("reaction"),
  recipient_type: RecipientType,
  context: ReplyContext,
  reaction: Schema.Struct({ message_id: Schema.String, emoji: Schema.String })
}).annotations({ identifier: "ReactionContent" })

/**
 * @since 0.1.0
 * @category models
 */
export type ReactionContent = typeof ReactionContent.Type

/**
 * A value for a template variable. `parameter_name` names the variable of a template with named parameters.
 *
 * @since 0.1.0
 * @category models
 */
export const TemplateParameter = Schema.Union(
  Schema.Struct({ type: Schema.Literal("text"), text: Schema.String, parameter_name: Schema.optional(Schema.String) }),
  Schema.Struct({ type: Schema.Literal("image"), image: Media }),
  Schema.Struct({ type: Schema.Literal("video"), video: Media }),
  Schema.Struct({ type: Schema.Literal("document"), document: HeaderDocument }),
  Schema.Struct({ type: Schema.Literal("location"), location: Location }),
  Schema.Struct({
    type: Schema.Literal("currency"),
    currency: Schema.Struct({ fallback_value: Schema.String, code: Schema.String, amount_1000: Schema.Number })
  }),
  Schema.Struct({ type: Schema.Literal("date_time"), date_time: Schema.Struct({ fallback_value: Schema.String }) }),
  Schema.Struct({ type: Schema.Literal("payload"), payload: Schema.String }),
  Schema.Struct({ type: Schema.Literal("coupon_code"), coupon_code: Schema.String }),
  Schema.Struct({
    type: Schema.Literal("action"),
    action: Schema.Struct({
      flow_token: Schema.optional(Schema.String),
      action_data: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
    })
  })
).annotations({ identifier: "TemplateParameter" })

/**
 * @since 0.1.0
 * @category models
 */
export type TemplateParameter = typeof TemplateParameter.Type

/**
 * The values for one part of a template. A `button` component names its button by `sub_type` and `index`.
 *
 * @since 0.1.0
 * @category models
 */
export const TemplateComponent = Schema.Struct({
  type: Schema.Literal("header", "body", "footer", "button"),
  sub_type: Schema.optional(Schema.String),
  index: Schema.optional(Schema.Union(Schema.String, Schema.Number)),
  parameters: Schema.optional(Schema.Array(TemplateParameter))
}).annotations({ identifier: "TemplateComponent" })

/**
 * @since 0.1.0
 * @category models
 */
export type TemplateComponent = typeof TemplateComponent.Type

/**
 * A pre-approved template, with the values of its variables. The only content allowed outside the window.
 *
 * @since 0.1.0
 * @category models
 */
export const TemplateContent = Schema.Struct({
  type: Schema.Literal("template"),
  recipient_type: RecipientType,
  context: ReplyContext,
  template: Schema.Struct({
    name: Schema.String,
    language: Schema.Struct({ code: Schema.String, policy: Schema.optional(Schema.Literal("deterministic")) }),
    components: Schema.optional(Schema.Array(TemplateComponent))
  })
}).annotations({ identifier: "TemplateContent" })

/**
 * @since 0.1.0
 * @category models
 */
export type TemplateContent = typeof TemplateContent.Type

/**
 * Any message content, discriminated on `type`. Decoding strips unknown keys.
 *
 * @since 0.1.0
 * @category models
 */
export const MessageContent = Schema.Union(
  TextContent,
  ImageContent,
  VideoContent,
  AudioContent,
  DocumentContent,
  StickerContent,
  LocationContent,
  ContactsContent,
  InteractiveContent,
  ReactionContent,
  TemplateContent
).annotations({ identifier: "MessageContent" })

/**
 * @since 0.1.0
 * @category models
 */
export type MessageContent = typeof MessageContent.Type

/**
 * Whether the content is a template, the only kind WhatsApp delivers outside the customer-service window.
 *
 * @example
 * ```ts
 * import { MessageContent } from "@wa-session/session-core"
 * import { Either } from "effect"
 * const content = MessageContent.validate({ type: "template", template: { name: "hello", language: { code: "en" } } })
 * Either.isRight(content) && MessageContent.isTemplate(content.right) // true
 * ```
 * @since 0.1.0
 * @category predicates
 */
export const isTemplate = (content: MessageContent): content is TemplateContent => content.type === "template"

// -------------------------------------------------------------------------------------------------------------------
// decoders: a small checker that walks unknown input, reports every violation with its path, and builds the value
// (known keys only) when there is none. The Schemas above cannot report limits and actual values per violation.
// -------------------------------------------------------------------------------------------------------------------

const invalid: unique symbol = Symbol("@wa-session/session-core/MessageContent/invalid")

type Decoded<A> = A | typeof invalid

type Issues = Array<Violation>

type Decoder<A> = (input: unknown, path: string, issues: Issues) => Decoded<A>

/** A rule on a value that already has the right type; it reports its own violations. */
type Check<A> = (value: A, path: string, issues: Issues) => void

interface UnknownRecord {
  readonly [key: string]: unknown
}

const isRecord = (u: unknown): u is UnknownRecord => typeof u === "object" && u !== null && !Array.isArray(u)

const own = (record: UnknownRecord, key: string): unknown => Object.hasOwn(record, key) ? record[key] : undefined

const dig = (value: unknown, ...keys: ReadonlyArray<string>): unknown => {
  let current = value
  for (const key of keys) current = isRecord(current) ? own(current, key) : undefined
  return current
}

const field = (path: string, key: string): string => path === "" ? key : `${path}.${key}`

const typeName = (u: unknown): string =>
  u === null ? "null" : Array.isArray(u) ? "array" : typeof u === "number" && !Number.isFinite(u) ? `${u}` : typeof u

// The props are well-typed by construction, so the constructors skip re-validating them: with thousands of
// violations (a huge array of bad items) validation would dominate the cost.
const report = (issues: Issues, path: string, message: string, limit?: number, actual?: unknown): typeof invalid => {
  const props = {
    path,
    message,
    ...(limit === undefined ? {} : { limit }),
    ...(typeof actual === "string" || typeof actual === "number" ? { actual } : {})
  }
  issues.push(new Violation(props, true))
  return invalid
}

/** A value of the wrong type; a number is echoed as `actual`, other values are only named. */
const wrongType = (issues: Issues, path: string, expected: string, input: unknown): typeof invalid => {
  const actual = typeof input === "number" ? input : undefined
  return report(issues, path, `must be ${expected} (got ${typeName(input)})`, undefined, actual)
}

const mustBeOneOf = (values: ReadonlyArray<string>): string =>
  values.length === 1 ? `must be "${values[0]}"` : `must be one of ${values.map((v) => `"${v}"`).join(", ")}`

interface StringRules {
  readonly min?: 1
  readonly max?: number
  readonly checks?: ReadonlyArray<Check<string>>
}

const string = (rules: StringRules = {}): Decoder<string> => (input, path, issues) => {
  if (typeof input !== "string") return wrongType(issues, path, "a string", input)
  const before = issues.length
  if (rules.min !== undefined || rules.max !== undefined) {
    const length = codePointLength(input)
    if (rules.min !== undefined && length < rules.min) report(issues, path, "must not be empty", rules.min, length)
    if (rules.max !== undefined && length > rules.max) {
      report(issues, path, `must be at most ${rules.max} characters`, rules.max, length)
    }
  }
  for (const check of rules.checks ?? []) check(input, path, issues)
  return issues.length === before ? input : invalid
}

const boolean: Decoder<boolean> = (input, path, issues) =>
  typeof input === "boolean" ? input : wrongType(issues, path, "a boolean", input)

const number = (min: number, max: number): Decoder<number> => (input, path, issues) => {
  if (typeof input !== "number" || !Number.isFinite(input)) return wrongType(issues, path, "a finite number", input)
  if (input < min) return report(issues, path, `must be at least ${min}`, min, input)
  if (input > max) return report(issues, path, `must be at most ${max}`, max, input)
  // -0 does not survive JSON; + 0 turns it into 0 and leaves every other number as it is
  return input + 0
}

const integer: Decoder<number> = (input, path, issues) =>
  typeof input === "number" && Number.isSafeInteger(input) ? input + 0 : wrongType(issues, path, "an integer", input)

const literal = <const L extends string>(value: L): Decoder<L> => (input, path, issues) =>
  input === value ? value : report(issues, path, mustBeOneOf([value]), undefined, input)

/**
 * Plain JSON data (flow `action_data`): kept as given, so it must survive a JSON round trip. A key named `__proto__`
 * cannot: copying the object into another (as decoders do) sets a prototype instead of keeping the key.
 */
const isJson = (root: unknown): boolean => {
  const pending: Array<unknown> = [root]
  const seen = new Set<object>()
  while (pending.length > 0) {
    const value = pending.pop()
    if (value === null || typeof value === "string" || typeof value === "boolean") continue
    if (typeof value === "number") {
      if (Number.isFinite(value) && !Object.is(value, -0)) continue
      return false
    }
    if (typeof value !== "object" || seen.has(value)) return false
    seen.add(value)
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) pending.push(value[i])
      continue
    }
    const proto: unknown = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) return false
    for (const key of Object.keys(value)) {
      if (key === "__proto__") return false
      pending.push((value as UnknownRecord)[key])
    }
  }
  return true
}

const jsonObject: Decoder<UnknownRecord> = (input, path, issues) =>
  isRecord(input) && isJson(input) ? input : report(issues, path, "must be an object of plain JSON values")

interface Optional<A> {
  readonly _tag: "Optional"
  readonly decoder: Decoder<A>
}

interface Forbidden {
  readonly _tag: "Forbidden"
  readonly message: string
}

type Field = Decoder<unknown> | Optional<unknown> | Forbidden

type Fields = { readonly [key: string]: Field }

type StructType<F extends Fields> =
  & { readonly [K in keyof F as F[K] extends Decoder<unknown> ? K : never]: F[K] extends Decoder<infer A> ? A : never }
  & {
    readonly [K in keyof F as F[K] extends Optional<unknown> ? K : never]?: F[K] extends Optional<infer A> ? A : never
  }

/** A key that may be absent; `undefined` counts as absent, `null` does not. */
const optional = <A>(decoder: Decoder<A>): Optional<A> => ({ _tag: "Optional", decoder })

/** A key WhatsApp rejects in this object. */
const forbidden = (message: string): Forbidden => ({ _tag: "Forbidden", message })

/** Unknown keys are dropped; `checks` see the raw object, so they run even when a field is invalid. */
const struct = <F extends Fields>(
  fields: F,
  ...checks: ReadonlyArray<Check<UnknownRecord>>
): Decoder<StructType<F>> => {
  const specs = Object.entries(fields)
  return (input, path, issues) => {
    if (!isRecord(input)) return wrongType(issues, path, "an object", input)
    const before = issues.length
    const out: Record<string, unknown> = {}
    for (const [key, spec] of specs) {
      const at = field(path, key)
      const value = own(input, key)
      if (typeof spec === "function") {
        if (value === undefined) report(issues, at, "is required")
        else out[key] = spec(value, at, issues)
      } else if (value !== undefined) {
        if (spec._tag === "Forbidden") report(issues, at, spec.message)
        else out[key] = spec.decoder(value, at, issues)
      }
    }
    for (const check of checks) check(input, path, issues)
    return issues.length === before ? out as StructType<F> : invalid
  }
}

interface Count {
  readonly min?: 1
  readonly max?: number
}

/** Every item is checked even when the count is wrong; `checks` see the raw items. */
const array = <A>(
  item: Decoder<A>,
  count: Count,
  ...checks: ReadonlyArray<Check<ReadonlyArray<unknown>>>
): Decoder<ReadonlyArray<A>> =>
(input, path, issues) => {
  if (!Array.isArray(input)) return wrongType(issues, path, "an array", input)
  const items: ReadonlyArray<unknown> = input
  const before = issues.length
  if (count.min !== undefined && items.length < count.min) {
    report(issues, path, "must not be empty", count.min, items.length)
  }
  if (count.max !== undefined && items.length > count.max) {
    report(issues, path, `must have at most ${count.max} items`, count.max, items.length)
  }
  const out: Array<Decoded<A>> = []
  for (let i = 0; i < items.length; i++) out.push(item(items[i], `${path}[${i}]`, issues))
  for (const check of checks) check(items, path, issues)
  return issues.length === before ? out as Array<A> : invalid
}

/** Picks the decoder by the object's `type`; an unknown `type` stops there, since nothing else can be checked. */
const tagged = <A>(members: { readonly [type: string]: Decoder<A> }): Decoder<A> => (input, path, issues) => {
  if (!isRecord(input)) return wrongType(issues, path, "an object", input)
  const type = own(input, "type")
  const member = typeof type === "string" && Object.hasOwn(members, type) ? members[type] : undefined
  if (member !== undefined) return member(input, path, issues)
  const types = Object.keys(members)
  return type === undefined
    ? report(issues, field(path, "type"), `is required: ${mustBeOneOf(types)}`)
    : report(issues, field(path, "type"), mustBeOneOf(types), undefined, type)
}

/** Reports the second and later items whose value at `keys` repeats an earlier one. */
const unique = (...keys: ReadonlyArray<string>): Check<ReadonlyArray<unknown>> => (items, path, issues) => {
  const seen = new Map<string, string>()
  items.forEach((item, index) => {
    const value = dig(item, ...keys)
    if (typeof value !== "string") return
    const at = [`${path}[${index}]`, ...keys].join(".")
    const first = seen.get(value)
    if (first === undefined) seen.set(value, at)
    else report(issues, at, `must be unique (the same as ${first})`, undefined, value)
  })
}

// -------------------------------------------------------------------------------------------------------------------
// WhatsApp's rules
// -------------------------------------------------------------------------------------------------------------------

const TEXT_BODY_MAX = 4096
const CAPTION_MAX = 1024
const HEADER_TEXT_MAX = 60
const FOOTER_TEXT_MAX = 60
const BUTTON_BODY_MAX = 1024
// Meta's current list-message page (Nov 2025 on) allows 4096; older Meta pages, Exotel's docs and BSPs say 1024.
// We follow Meta's newest page: 1024 would refuse list messages WhatsApp now accepts, and should the provider still
// enforce 1024, it answers with an error we report.
const LIST_BODY_MAX = 4096
const TEMPLATE_NAME_MAX = 512
const TEMPLATE_BODY_PARAMETERS_MAX = 1024
// Flow messages: `flow_cta` at most 20 characters, no emoji. Meta, "Send a Flow" / interactive Flow messages
// (https://developers.facebook.com/docs/whatsapp/flows/guides/sendingaflow ; mirror
// https://developers.secure.facebook.com/docs/whatsapp/cloud-api/messages/interactive-flow-messages): "Text on the CTA
// button. Character limit - 20 characters (no emoji)". Body 1024, header text 60 and footer 60 as for every
// interactive message (Meta's interactive object reference, mirrored in WhatsApp's Node.js SDK docs,
// https://whatsapp.github.io/WhatsApp-Nodejs-SDK/api-reference/types/InteractiveObject).
const FLOW_CTA_MAX = 20
// Catalog messages. Meta's interactive object reference (mirrored by Cequens,
// https://developer.cequens.com/reference/sending-product-message): the header is required for `product_list` (text
// only) and not allowed for `product`; the body is optional for `product` and required otherwise, at most 1024; the
// footer at most 60. Meta, "Multi-product messages" (mirror
// https://support.chatarchitect.com/books/meta-whatsapp/page/multi-product-messages-developer-documentation): "up to
// 30 products … organized into sections"; Meta's section object: 1 to 10 sections, a title of at most 24 characters,
// required when there are several sections, at least 1 product per section and at most 30 across all sections.
const PRODUCT_SECTIONS_MAX = 10
const PRODUCT_SECTION_TITLE_MAX = 24
const PRODUCT_ITEMS_MAX = 30

/** An emoji character: a pictograph, a regional indicator (flags) or a keycap mark. */
const EMOJI = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u

const isHttpUrl = (s: string): boolean => /^https?:\/\//i.test(s) && URL.canParse(s)

const httpUrl = string({
  checks: [(url, path, issues) => {
    if (!isHttpUrl(url)) report(issues, path, "must be an http(s) URL", undefined, url)
  }]
})

const nonEmpty = string({ min: 1 })
const anyString = string()
const recipientType = optional(literal("individual"))
// Meta's context object: the id of the message replied to (Cloud API "Messages" reference, `context.message_id`)
const replyContext = optional(struct({ message_id: nonEmpty }))

const mediaSource = { id: optional(nonEmpty), link: optional(httpUrl) }

const oneSource: Check<UnknownRecord> = (media, path, issues) => {
  const hasId = own(media, "id") !== undefined
  const hasLink = own(media, "link") !== undefined
  if (hasId === hasLink) {
    report(issues, path, hasId ? "must have a link or an id, not both" : "must have a link (an http(s) URL) or an id")
  }
}

const media: Decoder<typeof Media.Type> = struct(mediaSource, oneSource)

const captionedMedia: Decoder<typeof CaptionedMedia.Type> = struct(
  { ...mediaSource, caption: optional(string({ max: CAPTION_MAX })) },
  oneSource
)

const headerDocument: Decoder<typeof HeaderDocument.Type> = struct(
  { ...mediaSource, filename: optional(nonEmpty) },
  oneSource
)

const uncaptionedMedia = (kind: string): Decoder<typeof Media.Type> =>
  struct({ ...mediaSource, caption: forbidden(`must be absent: ${kind} messages have no caption`) }, oneSource)

const location: Decoder<typeof Location.Type> = struct({
  latitude: number(-90, 90),
  longitude: number(-180, 180),
  name: optional(anyString),
  address: optional(anyString)
})

const textContent: Decoder<TextContent> = struct({
  type: literal("text"),
  recipient_type: recipientType,
  context: replyContext,
  text: struct({ body: string({ min: 1, max: TEXT_BODY_MAX }), preview_url: optional(boolean) })
})

const imageContent: Decoder<ImageContent> = struct({
  type: literal("image"),
  recipient_type: recipientType,
  context: replyContext,
  image: captionedMedia
})

const videoContent: Decoder<VideoContent> = struct({
  type: literal("video"),
  recipient_type: recipientType,
  context: replyContext,
  video: captionedMedia
})

const audioContent: Decoder<AudioContent> = struct({
  type: literal("audio"),
  recipient_type: recipientType,
  context: replyContext,
  audio: uncaptionedMedia("audio")
})

const documentContent: Decoder<DocumentContent> = struct({
  type: literal("document"),
  recipient_type: recipientType,
  context: replyContext,
  document: struct(
    { ...mediaSource, caption: optional(string({ max: CAPTION_MAX })), filename: optional(nonEmpty) },
    oneSource
  )
})

const stickerContent: Decoder<StickerContent> = struct({
  type: literal("sticker"),
  recipient_type: recipientType,
  context: replyContext,
  sticker: uncaptionedMedia("sticker")
})

const locationContent: Decoder<LocationContent> = struct({
  type: literal("location"),
  recipient_type: recipientType,
  context: replyContext,
  location
})

const NAME_PARTS = ["first_name", "last_name", "middle_name", "suffix", "prefix"] as const

const isLeapYear = (year: number): boolean => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)

const daysInMonth = (year: number, month: number): number =>
  month === 2 ? (isLeapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31

const isCalendarDate = (s: string): boolean => {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s)
  if (match === null) return false
  const year = Number(match[1])
  const month = Number(match[2])
  const day = Number(match[3])
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month)
}

const typed = { type: optional(anyString) }

const contact: Decoder<Contact> = struct({
  name: struct({
    formatted_name: nonEmpty,
    first_name: optional(anyString),
    last_name: optional(anyString),
    middle_name: optional(anyString),
    suffix: optional(anyString),
    prefix: optional(anyString)
  }, (name, path, issues) => {
    if (!NAME_PARTS.some((part) => typeof own(name, part) === "string" && own(name, part) !== "")) {
      report(issues, path, `must have at least one of ${NAME_PARTS.join(", ")}`)
    }
  }),
  phones: optional(array(struct({ phone: nonEmpty, ...typed, wa_id: optional(anyString) }), {})),
  emails: optional(array(struct({ email: nonEmpty, ...typed }), {})),
  org: optional(struct({ company: optional(anyString), department: optional(anyString), title: optional(anyString) })),
  addresses: optional(array(
    struct({
      street: optional(anyString),
      city: optional(anyString),
      state: optional(anyString),
      zip: optional(anyString),
      country: optional(anyString),
      country_code: optional(anyString),
      ...typed
    }),
    {}
  )),
  urls: optional(array(struct({ url: nonEmpty, ...typed }), {})),
  birthday: optional(string({
    checks: [(birthday, path, issues) => {
      if (!isCalendarDate(birthday)) report(issues, path, "must be a date as YYYY-MM-DD", undefined, birthday)
    }]
  }))
})

const contactsContent: Decoder<ContactsContent> = struct({
  type: literal("contacts"),
  recipient_type: recipientType,
  context: replyContext,
  contacts: array(contact, { min: 1 })
})

const textObject = (max: number): Decoder<typeof TextObject.Type> => struct({ text: string({ min: 1, max }) })

const textHeader: Decoder<typeof TextHeader.Type> = struct({
  type: literal("text"),
  text: string({ min: 1, max: HEADER_TEXT_MAX })
})

const interactiveHeader = tagged<typeof InteractiveHeader.Type>({
  text: textHeader,
  image: struct({ type: literal("image"), image: media }),
  video: struct({ type: literal("video"), video: media }),
  document: struct({ type: literal("document"), document: headerDocument })
})

const footer = optional(textObject(FOOTER_TEXT_MAX))

const noEdgeSpaces: Check<string> = (s, path, issues) => {
  if (s.trim() !== s) report(issues, path, "must not start or end with spaces", undefined, s)
}

const interactiveButton: Decoder<InteractiveButton> = struct({
  type: literal("button"),
  header: optional(interactiveHeader),
  body: textObject(BUTTON_BODY_MAX),
  footer,
  action: struct({
    buttons: array(
      struct({
        type: literal("reply"),
        reply: struct({ id: string({ min: 1, max: 256, checks: [noEdgeSpaces] }), title: string({ min: 1, max: 20 }) })
      }),
      { min: 1, max: 3 },
      unique("reply", "title"),
      unique("reply", "id")
    )
  })
})

const rowsOf = (section: unknown): ReadonlyArray<unknown> => {
  const rows = dig(section, "rows")
  return Array.isArray(rows) ? rows : []
}

const sectionTitles: Check<ReadonlyArray<unknown>> = (sections, path, issues) => {
  if (sections.length < 2) return
  sections.forEach((section, index) => {
    if (isRecord(section) && own(section, "title") === undefined) {
      report(issues, `${path}[${index}].title`, "is required when the list has more than one section")
    }
  })
}

const totalRows: Check<ReadonlyArray<unknown>> = (sections, path, issues) => {
  const rows = sections.reduce<number>((total, section) => total + rowsOf(section).length, 0)
  if (rows > 10) report(issues, path, "must have at most 10 rows in total across all sections", 10, rows)
}

const uniqueRowIds: Check<ReadonlyArray<unknown>> = (sections, path, issues) => {
  const seen = new Map<string, string>()
  sections.forEach((section, s) =>
    rowsOf(section).forEach((row, r) => {
      const id = dig(row, "id")
      if (typeof id !== "string") return
      const at = `${path}[${s}].rows[${r}].id`
      const first = seen.get(id)
      if (first === undefined) seen.set(id, at)
      else report(issues, at, `must be unique (the same as ${first})`, undefined, id)
    })
  )
}

const interactiveList: Decoder<InteractiveList> = struct({
  type: literal("list"),
  header: optional(tagged({ text: textHeader })),
  body: textObject(LIST_BODY_MAX),
  footer,
  action: struct({
    button: string({ min: 1, max: 20 }),
    sections: array(
      struct({
        title: optional(string({ min: 1, max: 24 })),
        rows: array(
          struct({
            id: string({ min: 1, max: 200 }),
            title: string({ min: 1, max: 24 }),
            description: optional(string({ max: 72 }))
          }),
          { min: 1 }
        )
      }),
      { min: 1, max: 10 },
      sectionTitles,
      totalRows,
      uniqueRowIds
    )
  })
})

const interactiveCtaUrl: Decoder<InteractiveCtaUrl> = struct({
  type: literal("cta_url"),
  header: optional(interactiveHeader),
  body: textObject(BUTTON_BODY_MAX),
  footer,
  action: struct({
    name: literal("cta_url"),
    parameters: struct({ display_text: string({ min: 1, max: 20 }), url: httpUrl })
  })
})

const oneOf = <const L extends string>(...values: ReadonlyArray<L>): Decoder<L> => (input, path, issues) =>
  typeof input === "string" && (values as ReadonlyArray<string>).includes(input)
    ? input as L
    : report(issues, path, mustBeOneOf(values), undefined, input)

const noEmoji: Check<string> = (s, path, issues) => {
  if (EMOJI.test(s)) report(issues, path, "must not contain emoji", undefined, s)
}

/** Flow `data`: plain JSON, and not empty when given. */
const flowData: Decoder<UnknownRecord> = (input, path, issues) => {
  const data = jsonObject(input, path, issues)
  if (data === invalid || Object.keys(data).length > 0) return data
  return report(issues, path, "must not be empty when given", 1, 0)
}

const oneFlow: Check<UnknownRecord> = (parameters, path, issues) => {
  const hasId = own(parameters, "flow_id") !== undefined
  const hasName = own(parameters, "flow_name") !== undefined
  if (hasId === hasName) {
    report(issues, path, hasId ? "must have a flow_id or a flow_name, not both" : "must have a flow_id or a flow_name")
  }
}

// "flow_action_payload: Required if flow_action is navigate. Should be omitted otherwise." (Meta, interactive Flow
// messages); `navigate` is the default.
const payloadForAction: Check<UnknownRecord> = (parameters, path, issues) => {
  const at = field(path, "flow_action_payload")
  const hasPayload = own(parameters, "flow_action_payload") !== undefined
  const action = own(parameters, "flow_action")
  if (action === "data_exchange" && hasPayload) report(issues, at, "must be absent when flow_action is data_exchange")
  if ((action === undefined || action === "navigate") && !hasPayload) {
    report(issues, at, "is required when flow_action is navigate (the default)")
  }
}

const interactiveFlow: Decoder<InteractiveFlow> = struct({
  type: literal("flow"),
  header: optional(interactiveHeader),
  body: textObject(BUTTON_BODY_MAX),
  footer,
  action: struct({
    name: literal("flow"),
    parameters: struct(
      {
        flow_message_version: literal("3"),
        flow_token: optional(nonEmpty),
        flow_id: optional(nonEmpty),
        flow_name: optional(nonEmpty),
        flow_cta: string({ min: 1, max: FLOW_CTA_MAX, checks: [noEmoji] }),
        mode: optional(oneOf("draft", "published")),
        flow_action: optional(oneOf("navigate", "data_exchange")),
        flow_action_payload: optional(struct({ screen: nonEmpty, data: optional(flowData) }))
      },
      oneFlow,
      payloadForAction
    )
  })
})

const interactiveProduct: Decoder<InteractiveProduct> = struct({
  type: literal("product"),
  header: forbidden("must be absent: a single-product message has no header"),
  body: optional(textObject(BUTTON_BODY_MAX)),
  footer,
  action: struct({ catalog_id: nonEmpty, product_retailer_id: nonEmpty })
})

const productItemsOf = (section: unknown): ReadonlyArray<unknown> => {
  const items = dig(section, "product_items")
  return Array.isArray(items) ? items : []
}

const totalProducts: Check<ReadonlyArray<unknown>> = (sections, path, issues) => {
  const products = sections.reduce<number>((total, section) => total + productItemsOf(section).length, 0)
  if (products > PRODUCT_ITEMS_MAX) {
    const limit = PRODUCT_ITEMS_MAX
    report(issues, path, `must have at most ${limit} products in total across all sections`, limit, products)
  }
}

const interactiveProductList: Decoder<InteractiveProductList> = struct({
  type: literal("product_list"),
  header: tagged({ text: textHeader }),
  body: textObject(BUTTON_BODY_MAX),
  footer,
  action: struct({
    catalog_id: nonEmpty,
    sections: array(
      struct({
        title: optional(string({ min: 1, max: PRODUCT_SECTION_TITLE_MAX })),
        product_items: array(struct({ product_retailer_id: nonEmpty }), { min: 1 })
      }),
      { min: 1, max: PRODUCT_SECTIONS_MAX },
      sectionTitles,
      totalProducts
    )
  })
})

const interactiveContent: Decoder<InteractiveContent> = struct({
  type: literal("interactive"),
  recipient_type: recipientType,
  context: replyContext,
  interactive: tagged<InteractiveContent["interactive"]>({
    button: interactiveButton,
    list: interactiveList,
    cta_url: interactiveCtaUrl,
    flow: interactiveFlow,
    product: interactiveProduct,
    product_list: interactiveProductList
  })
})

const graphemes = new Intl.Segmenter("en", { granularity: "grapheme" })

// The longest emoji sequences (ZWJ sequences with skin tones) have 10 code points. The bound is checked first, also
// because V8's grapheme segmenter slows down sharply on long strings (seconds at a few thousand emoji).
const EMOJI_MAX_CODE_POINTS = 16

/**
 * WhatsApp takes one emoji. Checked as: at most 16 code points, one grapheme cluster (so skin tones, flags and ZWJ
 * families count as one) that holds a pictographic character, a regional indicator (flags) or a keycap mark.
 */
const emoji: Decoder<string> = (input, path, issues) => {
  if (typeof input !== "string") return wrongType(issues, path, "a string", input)
  if (input === "") return input
  const length = codePointLength(input)
  if (length > EMOJI_MAX_CODE_POINTS) {
    const limit = EMOJI_MAX_CODE_POINTS
    const message = `must be a single emoji (at most ${limit} characters), or empty to remove the reaction`
    return report(issues, path, message, limit, length)
  }
  let count = 0
  for (const _ of graphemes.segment(input)) count++
  if (count > 1) {
    return report(issues, path, "must be a single emoji (one grapheme), or empty to remove the reaction", 1, count)
  }
  return EMOJI.test(input)
    ? input
    : report(issues, path, "must be an emoji, or empty to remove the reaction", undefined, input)
}

const reactionContent: Decoder<ReactionContent> = struct({
  type: literal("reaction"),
  recipient_type: recipientType,
  context: replyContext,
  reaction: struct({ message_id: nonEmpty, emoji })
})

type TextParameter = Extract<TemplateParameter, { readonly type: "text" }>

const textParameter = (text: Decoder<string>): Decoder<TextParameter> =>
  struct({ type: literal("text"), text, parameter_name: optional(nonEmpty) })

const longestSpaceRun = (s: string): number => {
  let longest = 0
  let current = 0
  for (let i = 0; i < s.length; i++) {
    current = s.charCodeAt(i) === 32 ? current + 1 : 0
    longest = Math.max(longest, current)
  }
  return longest
}

// WhatsApp rejects body parameters with these (error 132018)
const bodyParameterText = string({
  min: 1,
  checks: [(text, path, issues) => {
    if (/[\n\r\t]/.test(text)) report(issues, path, "must not contain newlines or tabs")
    const run = longestSpaceRun(text)
    if (run > 4) report(issues, path, "must not contain more than 4 consecutive spaces", 4, run)
  }]
})

const parameter = (text: Decoder<TextParameter>): Decoder<TemplateParameter> =>
  tagged<TemplateParameter>({
    text,
    image: struct({ type: literal("image"), image: media }),
    video: struct({ type: literal("video"), video: media }),
    document: struct({ type: literal("document"), document: headerDocument }),
    location: struct({ type: literal("location"), location }),
    currency: struct({
      type: literal("currency"),
      currency: struct({ fallback_value: nonEmpty, code: nonEmpty, amount_1000: integer })
    }),
    date_time: struct({ type: literal("date_time"), date_time: struct({ fallback_value: nonEmpty }) }),
    payload: struct({ type: literal("payload"), payload: nonEmpty }),
    coupon_code: struct({ type: literal("coupon_code"), coupon_code: nonEmpty }),
    action: struct({
      type: literal("action"),
      action: struct({ flow_token: optional(nonEmpty), action_data: optional(jsonObject) })
    })
  })

/** WhatsApp counts the body after substitution; without the template's own text, the parameters alone are bounded. */
const bodyParametersTotal: Check<ReadonlyArray<unknown>> = (parameters, path, issues) => {
  let total = 0
  for (const p of parameters) {
    const text = dig(p, "text")
    if (dig(p, "type") === "text" && typeof text === "string") total += codePointLength(text)
  }
  if (total > TEMPLATE_BODY_PARAMETERS_MAX) {
    const limit = TEMPLATE_BODY_PARAMETERS_MAX
    report(issues, path, `the text parameters must total at most ${limit} characters`, limit, total)
  }
}

const buttonIndex: Decoder<string | number> = (input, path, issues) => {
  if (typeof input === "number" && Number.isInteger(input) && input >= 0 && input <= 9) return input + 0
  if (typeof input === "string" && /^\d$/.test(input)) return input
  const message = "must be a button position from 0 to 9 (a number, or a string of one digit)"
  return report(issues, path, message, undefined, input)
}

const component: Decoder<TemplateComponent> = tagged<TemplateComponent>({
  header: struct({
    type: literal("header"),
    parameters: optional(array(parameter(textParameter(string({ min: 1, max: HEADER_TEXT_MAX }))), {}))
  }),
  body: struct({
    type: literal("body"),
    parameters: optional(array(parameter(textParameter(bodyParameterText)), {}, bodyParametersTotal))
  }),
  footer: struct({ type: literal("footer"), parameters: optional(array(parameter(textParameter(nonEmpty)), {})) }),
  button: struct({
    type: literal("button"),
    sub_type: nonEmpty,
    index: buttonIndex,
    parameters: optional(array(parameter(textParameter(nonEmpty)), {}))
  })
})

const noRepeatedParts: Check<ReadonlyArray<unknown>> = (components, path, issues) => {
  const seen = new Set<unknown>()
  components.forEach((c, index) => {
    const type = dig(c, "type")
    if (type !== "header" && type !== "body" && type !== "footer") return
    if (seen.has(type)) {
      report(issues, `${path}[${index}].type`, `must not repeat: one ${type} at most`, undefined, type)
    }
    seen.add(type)
  })
}

const templateContent: Decoder<TemplateContent> = struct({
  type: literal("template"),
  recipient_type: recipientType,
  context: replyContext,
  template: struct({
    name: string({
      min: 1,
      max: TEMPLATE_NAME_MAX,
      checks: [(name, path, issues) => {
        if (!/^[a-z0-9_]*$/.test(name)) {
          report(issues, path, "must contain only lowercase letters, digits and underscores", undefined, name)
        }
      }]
    }),
    language: struct({ code: nonEmpty, policy: optional(literal("deterministic")) }),
    components: optional(array(component, {}, noRepeatedParts))
  })
})

const decoders: { readonly [T in MessageType]: Decoder<Extract<MessageContent, { readonly type: T }>> } = {
  text: textContent,
  image: imageContent,
  video: videoContent,
  audio: audioContent,
  document: documentContent,
  sticker: stickerContent,
  location: locationContent,
  contacts: contactsContent,
  interactive: interactiveContent,
  reaction: reactionContent,
  template: templateContent
}

const isMessageType = (type: string): type is MessageType => Object.hasOwn(decoders, type)

/**
 * Checks untrusted content against WhatsApp's rules and returns it typed. Total: it never throws.
 *
 * - Not an object: `InvalidMessage` at `path` itself; `type` missing or not a string: `InvalidMessage` on `type`.
 * - `type` a string WhatsApp does not know: `MessageTypeNotSupported` on `type`, with the supported types.
 * - Otherwise one `InvalidMessage` with every violation, each with its path
 *   (`interactive.action.buttons[1].reply.title`), and the limit and the actual length, count or value where a limit
 *   applies.
 *
 * Lengths are Unicode code points. Unknown keys are accepted and dropped from the result, so what is stored and
 * sent is exactly what was checked. An optional key may be missing or `undefined`; `null` is not accepted for it.
 * `path` prefixes every violation path (`validate(x, "fallback")` reports `fallback.text.body`).
 *
 * Rules worth knowing: a list message body may have 4096 characters (Meta's current page; older pages say
 * 1024); a reaction emoji is empty (removes the reaction) or one grapheme of at most 16 code points holding an
 * emoji character; a button
 * component of a template needs `sub_type` and `index` (0 to 9); template body text parameters total at most 1024
 * characters and hold no newline, tab or run of more than 4 spaces. Since 0.2.0: any content may carry
 * `context.message_id` (it goes out as a reply to that message); a Flow needs exactly one of `flow_id` and
 * `flow_name`, a `flow_cta` of at most 20 characters without emoji, and `flow_action_payload` unless `flow_action` is
 * `data_exchange` (then none); a single-product message has no header; a multi-product message has a text header, 1
 * to 10 sections (titled when there are several) and 1 to 30 products in all.
 *
 * @example
 * ```ts
 * import { MessageContent } from "@wa-session/session-core"
 * MessageContent.validate({ type: "text", text: { body: "Your order has shipped" } })
 * // Either.right({ type: "text", text: { body: "Your order has shipped" } })
 * MessageContent.validate({ type: "text", text: { body: "" } }, "fallback")
 * // Either.left(InvalidMessage: fallback.text.body: must not be empty, limit 1, actual 0)
 * ```
 * @since 0.1.0
 * @category validation
 */
export const validate = (input: unknown, path = ""): Either.Either<MessageContent, ContentError> => {
  const typePath = field(path, "type")
  const issues: Issues = []
  if (!isRecord(input)) {
    wrongType(issues, path, "a message content object", input)
  } else {
    const type = own(input, "type")
    if (type === undefined) {
      report(issues, typePath, `is required: one of ${ALL_TYPES.join(", ")}`)
    } else if (typeof type !== "string") {
      wrongType(issues, typePath, `a string, one of ${ALL_TYPES.join(", ")}`, type)
    } else if (!isMessageType(type)) {
      return Either.left(new MessageTypeNotSupported({ path: typePath, type, supported: ALL_TYPES }))
    } else {
      const content = decoders[type](input, path, issues)
      if (content !== invalid) return Either.right(content)
    }
  }
  // every path to here reported at least one violation
  const violations = issues as unknown as readonly [Violation, ...Array<Violation>]
  return Either.left(new InvalidMessage({ violations }, true))
}
