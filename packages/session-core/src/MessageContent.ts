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
import { type ContentError, InvalidMessage, MessageTypeNotSupported } from "./Errors.js"
import * as decoder from "./internal/messageContent/decoder.js"
import * as rules from "./internal/messageContent/rules.js"
import * as schema from "./internal/messageContent/schema.js"
import * as template from "./internal/messageContent/template.js"

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
export const codePointLength = (s: string): number => decoder.codePointLength(s)

// -------------------------------------------------------------------------------------------------------------------
// schemas: the shapes are written once, in internal/messageContent (schema.ts, and template.ts for templates)
// -------------------------------------------------------------------------------------------------------------------

/**
 * The message a reply quotes: WhatsApp shows the new message as a reply to the one with this id (a `wamid.…`).
 * Any content may carry it, as `context`.
 *
 * @since 0.2.0
 * @category models
 */
export const MessageContext = schema.MessageContext

/**
 * @since 0.2.0
 * @category models
 */
export type MessageContext = typeof MessageContext.Type

/**
 * A text message. `preview_url` asks WhatsApp to render a preview of the first URL in the body.
 *
 * @since 0.1.0
 * @category models
 */
export const TextContent = schema.TextContent

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
export const ImageContent = schema.ImageContent

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
export const VideoContent = schema.VideoContent

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
export const AudioContent = schema.AudioContent

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
export const DocumentContent = schema.DocumentContent

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
export const StickerContent = schema.StickerContent

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
export const LocationContent = schema.LocationContent

/**
 * @since 0.1.0
 * @category models
 */
export type LocationContent = typeof LocationContent.Type

/**
 * One contact card.
 *
 * @since 0.1.0
 * @category models
 */
export const Contact = schema.Contact

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
export const ContactsContent = schema.ContactsContent

/**
 * @since 0.1.0
 * @category models
 */
export type ContactsContent = typeof ContactsContent.Type

/**
 * A message with up to three quick-reply buttons.
 *
 * @since 0.1.0
 * @category models
 */
export const InteractiveButton = schema.InteractiveButton

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
export const InteractiveList = schema.InteractiveList

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
export const InteractiveCtaUrl = schema.InteractiveCtaUrl

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
export const InteractiveFlow = schema.InteractiveFlow

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
export const InteractiveProduct = schema.InteractiveProduct

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
export const InteractiveProductList = schema.InteractiveProductList

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
export const InteractiveContent = schema.InteractiveContent

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
export const ReactionContent = schema.ReactionContent

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
export const TemplateParameter = template.TemplateParameter

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
export const TemplateComponent = template.TemplateComponent

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
export const TemplateContent = template.TemplateContent

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
// validation: WhatsApp's rules are in internal/messageContent (rules.ts for session messages, template.ts)
// -------------------------------------------------------------------------------------------------------------------

const decoders: {
  readonly [T in MessageType]: decoder.Decoder<Extract<MessageContent, { readonly type: T }>>
} = {
  text: rules.textContent,
  image: rules.imageContent,
  video: rules.videoContent,
  audio: rules.audioContent,
  document: rules.documentContent,
  sticker: rules.stickerContent,
  location: rules.locationContent,
  contacts: rules.contactsContent,
  interactive: rules.interactiveContent,
  reaction: rules.reactionContent,
  template: template.templateContent
}

// the keys of `decoders` are exactly the MessageType literals (checked above); faster than Schema.is on a hot path
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
  const typePath = decoder.field(path, "type")
  const issues = new decoder.Issues()
  let failure: decoder.Invalid
  if (!decoder.isRecord(input)) {
    failure = decoder.wrongType(issues, path, "a message content object", input)
  } else {
    const type = decoder.own(input, "type")
    if (type === undefined) {
      failure = decoder.report(issues, typePath, `is required: one of ${ALL_TYPES.join(", ")}`)
    } else if (typeof type !== "string") {
      failure = decoder.wrongType(issues, typePath, `a string, one of ${ALL_TYPES.join(", ")}`, type)
    } else if (!isMessageType(type)) {
      return Either.left(new MessageTypeNotSupported({ path: typePath, type, supported: ALL_TYPES }))
    } else {
      const content = decoders[type](input, path, issues)
      if (!decoder.isInvalid(content)) return Either.right(content)
      failure = content
    }
  }
  return Either.left(new InvalidMessage({ violations: failure.violations }, true))
}
