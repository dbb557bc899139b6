/**
 * Templates, the only content WhatsApp delivers outside the customer-service window: their shapes (a template, its
 * components and the values of its variables) and WhatsApp's rules for them.
 *
 * @internal
 */
import * as Schema from "effect/Schema"
import {
  array,
  type Check,
  codePointLength,
  type Decoder,
  decoderOf,
  dig,
  integer,
  jsonObject,
  literal,
  optional,
  report,
  string,
  struct,
  tagged
} from "./decoder.js"
import { HEADER_TEXT_MAX, headerDocument, location, media, nonEmpty, recipientType, replyContext } from "./rules.js"
import { HeaderDocument, Location, Media, RecipientType, ReplyContext } from "./schema.js"

// -------------------------------------------------------------------------------------------------------------------
// shapes
// -------------------------------------------------------------------------------------------------------------------

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

export type TemplateParameter = typeof TemplateParameter.Type

export const TemplateComponent = Schema.Struct({
  type: Schema.Literal("header", "body", "footer", "button"),
  sub_type: Schema.optional(Schema.String),
  index: Schema.optional(Schema.Union(Schema.String, Schema.Number)),
  parameters: Schema.optional(Schema.Array(TemplateParameter))
}).annotations({ identifier: "TemplateComponent" })

export type TemplateComponent = typeof TemplateComponent.Type

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

export type TemplateContent = typeof TemplateContent.Type

// -------------------------------------------------------------------------------------------------------------------
// WhatsApp's rules
// -------------------------------------------------------------------------------------------------------------------

const TEMPLATE_NAME_MAX = 512
const TEMPLATE_BODY_PARAMETERS_MAX = 1024

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

const parameter = (text: Decoder<TextParameter>) =>
  decoderOf(TemplateParameter)(tagged({
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
  }))

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

// Stricter than the Schema, which has one shape for every part: only a button has `sub_type` and `index`.
const component: Decoder<TemplateComponent> = tagged({
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

export const templateContent = decoderOf(TemplateContent)(struct({
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
}))
