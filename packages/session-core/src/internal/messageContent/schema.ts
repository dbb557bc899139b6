/**
 * The shapes of message content, as Schemas: the single description of each shape. `MessageContent` exposes them
 * (with their documentation), the decoders of `validate` are typed by them, and the templates' shapes build on them.
 * Shape only: the limits are `validate`'s, so a message stored under an older limit still decodes after it changes.
 *
 * @internal
 */
import * as Schema from "effect/Schema"

export const RecipientType = Schema.optional(Schema.Literal("individual"))

export const MessageContext = Schema.Struct({ message_id: Schema.String }).annotations({
  identifier: "MessageContext"
})

export type MessageContext = typeof MessageContext.Type

export const ReplyContext = Schema.optional(MessageContext)

export const MediaSource = { id: Schema.optional(Schema.String), link: Schema.optional(Schema.String) }

/** Media without a caption: audio, stickers, and media in headers and template parameters. */
export const Media = Schema.Struct(MediaSource)

export const CaptionedMedia = Schema.Struct({ ...MediaSource, caption: Schema.optional(Schema.String) })

export const HeaderDocument = Schema.Struct({ ...MediaSource, filename: Schema.optional(Schema.String) })

export const Location = Schema.Struct({
  latitude: Schema.Number,
  longitude: Schema.Number,
  name: Schema.optional(Schema.String),
  address: Schema.optional(Schema.String)
})

export const TextContent = Schema.Struct({
  type: Schema.Literal("text"),
  recipient_type: RecipientType,
  context: ReplyContext,
  text: Schema.Struct({ body: Schema.String, preview_url: Schema.optional(Schema.Boolean) })
}).annotations({ identifier: "TextContent" })

export type TextContent = typeof TextContent.Type

export const ImageContent = Schema.Struct({
  type: Schema.Literal("image"),
  recipient_type: RecipientType,
  context: ReplyContext,
  image: CaptionedMedia
}).annotations({ identifier: "ImageContent" })

export type ImageContent = typeof ImageContent.Type

export const VideoContent = Schema.Struct({
  type: Schema.Literal("video"),
  recipient_type: RecipientType,
  context: ReplyContext,
  video: CaptionedMedia
}).annotations({ identifier: "VideoContent" })

export type VideoContent = typeof VideoContent.Type

export const AudioContent = Schema.Struct({
  type: Schema.Literal("audio"),
  recipient_type: RecipientType,
  context: ReplyContext,
  audio: Media
}).annotations({ identifier: "AudioContent" })

export type AudioContent = typeof AudioContent.Type

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

export type DocumentContent = typeof DocumentContent.Type

export const StickerContent = Schema.Struct({
  type: Schema.Literal("sticker"),
  recipient_type: RecipientType,
  context: ReplyContext,
  sticker: Media
}).annotations({ identifier: "StickerContent" })

export type StickerContent = typeof StickerContent.Type

export const LocationContent = Schema.Struct({
  type: Schema.Literal("location"),
  recipient_type: RecipientType,
  context: ReplyContext,
  location: Location
}).annotations({ identifier: "LocationContent" })

export type LocationContent = typeof LocationContent.Type

export const Typed = { type: Schema.optional(Schema.String) }

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

export type Contact = typeof Contact.Type

export const ContactsContent = Schema.Struct({
  type: Schema.Literal("contacts"),
  recipient_type: RecipientType,
  context: ReplyContext,
  contacts: Schema.Array(Contact)
}).annotations({ identifier: "ContactsContent" })

export type ContactsContent = typeof ContactsContent.Type

export const TextObject = Schema.Struct({ text: Schema.String })

export const TextHeader = Schema.Struct({ type: Schema.Literal("text"), text: Schema.String })

export const InteractiveHeader = Schema.Union(
  TextHeader,
  Schema.Struct({ type: Schema.Literal("image"), image: Media }),
  Schema.Struct({ type: Schema.Literal("video"), video: Media }),
  Schema.Struct({ type: Schema.Literal("document"), document: HeaderDocument })
)

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

export type InteractiveButton = typeof InteractiveButton.Type

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

export type InteractiveList = typeof InteractiveList.Type

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

export type InteractiveCtaUrl = typeof InteractiveCtaUrl.Type

/** Which version of a Flow opens: the one being edited, or the published one. */
export const FlowMode = Schema.Literal("draft", "published")

/** What the Flow's button does: open a screen (`navigate`, the default) or ask the business's endpoint. */
export const FlowAction = Schema.Literal("navigate", "data_exchange")

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
      mode: Schema.optional(FlowMode),
      flow_action: Schema.optional(FlowAction),
      flow_action_payload: Schema.optional(Schema.Struct({
        screen: Schema.String,
        data: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
      }))
    })
  })
}).annotations({ identifier: "InteractiveFlow" })

export type InteractiveFlow = typeof InteractiveFlow.Type

export const InteractiveProduct = Schema.Struct({
  type: Schema.Literal("product"),
  body: Schema.optional(TextObject),
  footer: Schema.optional(TextObject),
  action: Schema.Struct({ catalog_id: Schema.String, product_retailer_id: Schema.String })
}).annotations({ identifier: "InteractiveProduct" })

export type InteractiveProduct = typeof InteractiveProduct.Type

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

export type InteractiveProductList = typeof InteractiveProductList.Type

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

export type InteractiveContent = typeof InteractiveContent.Type

export const ReactionContent = Schema.Struct({
  type: Schema.Literal("reaction"),
  recipient_type: RecipientType,
  context: ReplyContext,
  reaction: Schema.Struct({ message_id: Schema.String, emoji: Schema.String })
}).annotations({ identifier: "ReactionContent" })

export type ReactionContent = typeof ReactionContent.Type
