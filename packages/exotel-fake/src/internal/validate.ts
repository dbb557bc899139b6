import type { ErrorData } from "./errorData.js"
import { type Catalogs, checkContext, checkStrictInteractive, STRICT_INTERACTIVE } from "./interactive.js"

export type { ErrorData }

export type Json = Record<string, unknown>

const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

const PHONE = /^\+?[1-9]\d{7,14}$/

const missing = (path: string): ErrorData => ({
  code: 30020,
  message: "EX_MISSING_PARAM",
  description: `${path} is mandatory`
})

const invalid = (path: string, why: string): ErrorData => ({
  code: 30019,
  message: "EX_INVALID_PARAM",
  description: `${path}: ${why}`
})

const unsupported = (type: string): ErrorData => ({
  code: 30015,
  message: "EX_UNSUPPORTED_MESSAGE",
  description: `message type ${type} is not supported`
})

const MEDIA: ReadonlyArray<string> = ["image", "video", "audio", "document", "sticker"]
const SUPPORTED = ["text", "location", "interactive", "template", "reaction", "contacts", ...MEDIA]
const INTERACTIVE = ["button", "list", "cta_url", "flow", "product", "product_list", "location_request_message"]

const isHttpUrl = (u: unknown): boolean => {
  if (typeof u !== "string") return false
  try {
    const url = new URL(u)
    return url.protocol === "http:" || url.protocol === "https:"
  } catch {
    return false
  }
}

const checkMedia = (type: string, media: Json): ErrorData | undefined =>
  typeof media.link !== "string" && typeof media.id !== "string"
    ? missing(`content.${type}.link or content.${type}.id`)
    : undefined

/** Checks one `content` object: `undefined` when the fake takes it. */
export const checkContent = (content: Json, catalogs?: Catalogs): ErrorData | undefined => {
  const type = content.type
  if (typeof type !== "string") return missing("content.type")
  const context = checkContext(content)
  if (context !== undefined) return context
  const body = content[type]
  if (type === "contacts") {
    return Array.isArray(body) && body.length > 0 ? undefined : missing("content.contacts")
  }
  if (!isObject(body)) {
    return SUPPORTED.includes(type) ? missing(`content.${type}`) : unsupported(type)
  }
  switch (type) {
    case "text":
      if (typeof body.body !== "string") return missing("content.text.body")
      return [...body.body].length > 4096
        ? { code: 30029, message: "EX_MESSAGE_TOO_LONG", description: "content.text.body is longer than 4096" }
        : undefined
    case "location":
      return typeof body.latitude === "number" && typeof body.longitude === "number"
        ? undefined
        : missing("content.location.latitude and content.location.longitude")
    case "interactive":
      if (typeof body.type === "string" && STRICT_INTERACTIVE.includes(body.type)) {
        return checkStrictInteractive(body, catalogs)
      }
      return typeof body.type === "string" && INTERACTIVE.includes(body.type)
        ? undefined
        : invalid("content.interactive.type", `expected one of ${INTERACTIVE.join(", ")}`)
    case "template":
      if (typeof body.name !== "string") return missing("content.template.name")
      return isObject(body.language) && typeof body.language.code === "string"
        ? undefined
        : missing("content.template.language.code")
    case "reaction":
      return typeof body.message_id === "string" && typeof body.emoji === "string"
        ? undefined
        : missing("content.reaction.message_id and content.reaction.emoji")
    default:
      return MEDIA.includes(type)
        ? checkMedia(type, body)
        : unsupported(type)
  }
}

/** A Message Object the fake takes: its numbers, its content, and all its fields. */
export interface TakenMessage {
  readonly from: string
  readonly to: string
  readonly content: Json
  readonly fields: Json
}

const isPhone = (value: string): boolean => PHONE.test(value.replace(/[\s-]/g, ""))

/** Checks one Message Object the way the fake answers per message: the error, or the message it takes. */
export const checkMessage = (
  message: unknown,
  catalogs?: Catalogs
): { readonly error: ErrorData } | { readonly taken: TakenMessage } => {
  if (!isObject(message)) return { error: invalid("message", "expected an object") }
  const { content, from, to } = message
  if (typeof from !== "string") return { error: missing("from") }
  if (!isPhone(from)) return { error: invalid("from", `${from} is not an E.164 number`) }
  if (typeof to !== "string") return { error: missing("to") }
  if (!isPhone(to)) {
    return { error: { code: 30012, message: "EX_INVALID_RECIPIENT", description: `to: ${to} is not an E.164 number` } }
  }
  if (message.custom_data !== undefined && typeof message.custom_data !== "string") {
    return { error: invalid("custom_data", "expected a string") }
  }
  if (message.status_callback !== undefined && !isHttpUrl(message.status_callback)) {
    return { error: invalid("status_callback", "expected an http(s) URL") }
  }
  if (!isObject(content)) return { error: missing("content") }
  const contentProblem = checkContent(content, catalogs)
  return contentProblem === undefined
    ? { taken: { from, to, content, fields: message } }
    : { error: contentProblem }
}

export { isObject }
