/**
 * WhatsApp's rules for session messages: the limits (with where they come from), the rules between fields, and one
 * decoder per content type, each checked against its Schema in `./schema.ts` by `decoderOf`. The templates' rules
 * are in `./template.ts`.
 *
 * @internal
 */
import { isCalendarDate } from "../calendar.js"
import {
  array,
  boolean,
  type Check,
  codePointLength,
  type Decoder,
  decoderOf,
  dig,
  field,
  forbidden,
  isInvalid,
  isRecord,
  jsonObject,
  literal,
  number,
  oneOf,
  optional,
  own,
  report,
  string,
  struct,
  tagged,
  unique,
  type UnknownRecord,
  wrongType
} from "./decoder.js"
import {
  AudioContent,
  CaptionedMedia,
  Contact,
  ContactsContent,
  DocumentContent,
  FlowAction,
  FlowMode,
  HeaderDocument,
  ImageContent,
  InteractiveButton,
  InteractiveContent,
  InteractiveCtaUrl,
  InteractiveFlow,
  InteractiveHeader,
  InteractiveList,
  InteractiveProduct,
  InteractiveProductList,
  Location,
  LocationContent,
  Media,
  ReactionContent,
  StickerContent,
  TextContent,
  TextHeader,
  TextObject,
  VideoContent
} from "./schema.js"

const TEXT_BODY_MAX = 4096
const CAPTION_MAX = 1024
export const HEADER_TEXT_MAX = 60
const FOOTER_TEXT_MAX = 60
const BUTTON_BODY_MAX = 1024
// Meta's current list-message page (Nov 2025 on) allows 4096; older Meta pages, Exotel's docs and BSPs say 1024.
// We follow Meta's newest page: 1024 would refuse list messages WhatsApp now accepts, and should the provider still
// enforce 1024, it answers with an error we report.
const LIST_BODY_MAX = 4096
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

export const nonEmpty = string({ min: 1 })
const anyString = string()
export const recipientType = optional(literal("individual"))
// Meta's context object: the id of the message replied to (Cloud API "Messages" reference, `context.message_id`)
export const replyContext = optional(struct({ message_id: nonEmpty }))

const mediaSource = { id: optional(nonEmpty), link: optional(httpUrl) }

const oneSource: Check<UnknownRecord> = (media, path, issues) => {
  const hasId = own(media, "id") !== undefined
  const hasLink = own(media, "link") !== undefined
  if (hasId === hasLink) {
    report(issues, path, hasId ? "must have a link or an id, not both" : "must have a link (an http(s) URL) or an id")
  }
}

export const media = decoderOf(Media)(struct(mediaSource, oneSource))

const captionedMedia = decoderOf(CaptionedMedia)(struct(
  { ...mediaSource, caption: optional(string({ max: CAPTION_MAX })) },
  oneSource
))

export const headerDocument = decoderOf(HeaderDocument)(struct(
  { ...mediaSource, filename: optional(nonEmpty) },
  oneSource
))

const uncaptionedMedia = (kind: string) =>
  decoderOf(Media)(
    struct({ ...mediaSource, caption: forbidden(`must be absent: ${kind} messages have no caption`) }, oneSource)
  )

export const location = decoderOf(Location)(struct({
  latitude: number(-90, 90),
  longitude: number(-180, 180),
  name: optional(anyString),
  address: optional(anyString)
}))

export const textContent = decoderOf(TextContent)(struct({
  type: literal("text"),
  recipient_type: recipientType,
  context: replyContext,
  text: struct({ body: string({ min: 1, max: TEXT_BODY_MAX }), preview_url: optional(boolean) })
}))

export const imageContent = decoderOf(ImageContent)(struct({
  type: literal("image"),
  recipient_type: recipientType,
  context: replyContext,
  image: captionedMedia
}))

export const videoContent = decoderOf(VideoContent)(struct({
  type: literal("video"),
  recipient_type: recipientType,
  context: replyContext,
  video: captionedMedia
}))

export const audioContent = decoderOf(AudioContent)(struct({
  type: literal("audio"),
  recipient_type: recipientType,
  context: replyContext,
  audio: uncaptionedMedia("audio")
}))

export const documentContent = decoderOf(DocumentContent)(struct({
  type: literal("document"),
  recipient_type: recipientType,
  context: replyContext,
  document: struct(
    { ...mediaSource, caption: optional(string({ max: CAPTION_MAX })), filename: optional(nonEmpty) },
    oneSource
  )
}))

export const stickerContent = decoderOf(StickerContent)(struct({
  type: literal("sticker"),
  recipient_type: recipientType,
  context: replyContext,
  sticker: uncaptionedMedia("sticker")
}))

export const locationContent = decoderOf(LocationContent)(struct({
  type: literal("location"),
  recipient_type: recipientType,
  context: replyContext,
  location
}))

const NAME_PARTS = ["first_name", "last_name", "middle_name", "suffix", "prefix"] as const

const isDate = (s: string): boolean => {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s)
  return match !== null && isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]))
}

const typed = { type: optional(anyString) }

const contact = decoderOf(Contact)(struct({
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
      if (!isDate(birthday)) report(issues, path, "must be a date as YYYY-MM-DD", undefined, birthday)
    }]
  }))
}))

export const contactsContent = decoderOf(ContactsContent)(struct({
  type: literal("contacts"),
  recipient_type: recipientType,
  context: replyContext,
  contacts: array(contact, { min: 1 })
}))

const textObject = (max: number) => decoderOf(TextObject)(struct({ text: string({ min: 1, max }) }))

const textHeader = decoderOf(TextHeader)(struct({
  type: literal("text"),
  text: string({ min: 1, max: HEADER_TEXT_MAX })
}))

const interactiveHeader = decoderOf(InteractiveHeader)(tagged({
  text: textHeader,
  image: struct({ type: literal("image"), image: media }),
  video: struct({ type: literal("video"), video: media }),
  document: struct({ type: literal("document"), document: headerDocument })
}))

const footer = optional(textObject(FOOTER_TEXT_MAX))

const noEdgeSpaces: Check<string> = (s, path, issues) => {
  if (s.trim() !== s) report(issues, path, "must not start or end with spaces", undefined, s)
}

const interactiveButton = decoderOf(InteractiveButton)(struct({
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
}))

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

const interactiveList = decoderOf(InteractiveList)(struct({
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
}))

const interactiveCtaUrl = decoderOf(InteractiveCtaUrl)(struct({
  type: literal("cta_url"),
  header: optional(interactiveHeader),
  body: textObject(BUTTON_BODY_MAX),
  footer,
  action: struct({
    name: literal("cta_url"),
    parameters: struct({ display_text: string({ min: 1, max: 20 }), url: httpUrl })
  })
}))

const noEmoji: Check<string> = (s, path, issues) => {
  if (EMOJI.test(s)) report(issues, path, "must not contain emoji", undefined, s)
}

/** Flow `data`: plain JSON, and not empty when given. */
const flowData: Decoder<UnknownRecord> = (input, path, issues) => {
  const data = jsonObject(input, path, issues)
  if (isInvalid(data) || Object.keys(data).length > 0) return data
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

const interactiveFlow = decoderOf(InteractiveFlow)(struct({
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
        mode: optional(oneOf(FlowMode)),
        flow_action: optional(oneOf(FlowAction)),
        flow_action_payload: optional(struct({ screen: nonEmpty, data: optional(flowData) }))
      },
      oneFlow,
      payloadForAction
    )
  })
}))

const interactiveProduct = decoderOf(InteractiveProduct)(struct({
  type: literal("product"),
  header: forbidden("must be absent: a single-product message has no header"),
  body: optional(textObject(BUTTON_BODY_MAX)),
  footer,
  action: struct({ catalog_id: nonEmpty, product_retailer_id: nonEmpty })
}))

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

const interactiveProductList = decoderOf(InteractiveProductList)(struct({
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
}))

export const interactiveContent = decoderOf(InteractiveContent)(struct({
  type: literal("interactive"),
  recipient_type: recipientType,
  context: replyContext,
  interactive: tagged({
    button: interactiveButton,
    list: interactiveList,
    cta_url: interactiveCtaUrl,
    flow: interactiveFlow,
    product: interactiveProduct,
    product_list: interactiveProductList
  })
}))

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

export const reactionContent = decoderOf(ReactionContent)(struct({
  type: literal("reaction"),
  recipient_type: recipientType,
  context: replyContext,
  reaction: struct({ message_id: nonEmpty, emoji })
}))
