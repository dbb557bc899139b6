/**
 * PLACEHOLDER — being replaced by the full content schemas and validation.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { InvalidMessage, MessageTypeNotSupported, Violation } from "./Errors.js"

/** @since 0.1.0 */
export const TemplateContent = Schema.Struct({
  type: Schema.Literal("template"),
  template: Schema.Struct({ name: Schema.String, language: Schema.Struct({ code: Schema.String }) })
})
/** @since 0.1.0 */
export type TemplateContent = typeof TemplateContent.Type
/** @since 0.1.0 */
export const TextContent = Schema.Struct({
  type: Schema.Literal("text"),
  text: Schema.Struct({ body: Schema.String, preview_url: Schema.optional(Schema.Boolean) })
})
/** @since 0.1.0 */
export const MessageContent = Schema.Union(TextContent, TemplateContent)
/** @since 0.1.0 */
export type MessageContent = typeof MessageContent.Type
/** @since 0.1.0 */
export const SESSION_TYPES = ["text"] as const
/** @since 0.1.0 */
export const isTemplate = (content: MessageContent): content is TemplateContent => content.type === "template"
/** @since 0.1.0 */
export const validate = (
  input: unknown,
  path = ""
): Either.Either<MessageContent, InvalidMessage | MessageTypeNotSupported> => {
  const result = Schema.decodeUnknownEither(MessageContent)(input)
  return Either.mapLeft(result, () =>
    new InvalidMessage({
      violations: [new Violation({ path: path === "" ? "type" : `${path}.type`, message: "invalid" })]
    }))
}
