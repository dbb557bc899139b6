/**
 * The fake's own check of a reply `context` and of interactive `flow`, `product` and `product_list` messages, written
 * apart from session-core's validator and held to accept exactly what it accepts (a property test in
 * packages/exotel/test/ContentAgreement.test.ts feeds both the same contents). Limits are WhatsApp's (Meta's Cloud API
 * docs; the sources are given next to session-core's MessageContent rules).
 */
import type { ErrorData } from "./errorData.js"

type Json = Record<string, unknown>

/** Known catalogs and the retailer ids of their products; when given, others fail with 30034 / 30037. */
export type Catalogs = Readonly<Record<string, ReadonlyArray<string>>>

const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

const has = (record: Json, key: string): boolean => Object.hasOwn(record, key) && record[key] !== undefined

const get = (record: Json, key: string): unknown => Object.hasOwn(record, key) ? record[key] : undefined

const length = (s: string): number => [...s].length

const EMOJI = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u

const fail = (code: number, message: string, description: string): ErrorData => ({ code, message, description })

const missing = (path: string) => fail(30020, "EX_MISSING_PARAM", `${path} is mandatory`)
const bad = (path: string, why: string) => fail(30021, "EX_INVALID_PARAM_VALUE", `${path}: ${why}`)
const badHeader = (path: string, why: string) => fail(30039, "EX_INVALID_HEADER", `${path}: ${why}`)

interface TextRules {
  readonly min?: number
  readonly max?: number
  readonly optional?: boolean
}

/**
 * A string of `min`..`max` code points at `record[key]`, answered when accepted; `optional` lets it be absent
 * (`undefined`).
 */
const checkedText = (
  record: Json,
  key: string,
  path: string,
  rules: TextRules = {}
): string | ErrorData | undefined => {
  const at = `${path}.${key}`
  if (!has(record, key)) return rules.optional === true ? undefined : missing(at)
  const value = get(record, key)
  if (typeof value !== "string") return bad(at, "expected a string")
  const n = length(value)
  if (rules.min !== undefined && n < rules.min) return bad(at, `must not be empty`)
  if (rules.max !== undefined && n > rules.max) return bad(at, `longer than ${rules.max} characters`)
  return value
}

/** `checkedText`'s problem only. */
const text = (record: Json, key: string, path: string, rules: TextRules = {}): ErrorData | undefined => {
  const checked = checkedText(record, key, path, rules)
  return typeof checked === "string" ? undefined : checked
}

/** `{ text }` of 1..`max` code points: body and footer. */
const textObject = (record: Json, key: string, path: string, max: number, optional: boolean) => {
  if (!has(record, key)) return optional ? undefined : missing(`${path}.${key}`)
  const value = get(record, key)
  return isObject(value)
    ? text(value, "text", `${path}.${key}`, { min: 1, max })
    : bad(`${path}.${key}`, "expected an object")
}

/** What is not an object where one is required: missing when absent, else invalid. */
const objectExpected = (value: unknown, path: string): ErrorData =>
  value === undefined ? missing(path) : bad(path, "expected an object")

const isHttpUrl = (s: unknown): boolean => typeof s === "string" && /^https?:\/\//i.test(s) && URL.canParse(s)

/** Header media: a non-empty `id` or an http(s) `link`, exactly one. */
const headerMedia = (media: unknown, path: string, withFilename: boolean): ErrorData | undefined => {
  if (!isObject(media)) return badHeader(path, "expected an object")
  const hasId = has(media, "id")
  const hasLink = has(media, "link")
  if (hasId === hasLink) return badHeader(path, "needs a link or an id, exactly one")
  if (hasId && (typeof media.id !== "string" || media.id === "")) return badHeader(`${path}.id`, "expected an id")
  if (hasLink && !isHttpUrl(media.link)) return badHeader(`${path}.link`, "expected an http(s) URL")
  if (withFilename && has(media, "filename") && (typeof media.filename !== "string" || media.filename === "")) {
    return badHeader(`${path}.filename`, "expected a file name")
  }
  return undefined
}

const header = (value: unknown, path: string, textOnly: boolean): ErrorData | undefined => {
  if (!isObject(value)) return badHeader(path, "expected an object")
  const type = get(value, "type")
  if (type === "text") {
    const t = get(value, "text")
    return typeof t === "string" && length(t) >= 1 && length(t) <= 60
      ? undefined
      : badHeader(`${path}.text`, "expected 1 to 60 characters")
  }
  if (!textOnly && (type === "image" || type === "video" || type === "document")) {
    return headerMedia(get(value, type), `${path}.${type}`, type === "document")
  }
  return badHeader(`${path}.type`, textOnly ? "expected text" : "expected text, image, video or document")
}

/** Plain JSON, as JSON.parse builds it, without a `__proto__` key (a copy could not keep it). */
const isPlainJson = (value: unknown): boolean => {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true
  if (typeof value === "number") return Number.isFinite(value) && !Object.is(value, -0)
  if (Array.isArray(value)) return value.every(isPlainJson)
  if (!isObject(value)) return false
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return false
  return Object.keys(value).every((key) => key !== "__proto__" && isPlainJson(value[key]))
}

const flowParameters = (parameters: unknown, path: string): ErrorData | undefined => {
  if (!isObject(parameters)) return parameters === undefined ? missing(path) : bad(path, "expected an object")
  if (get(parameters, "flow_message_version") !== "3") {
    return has(parameters, "flow_message_version")
      ? bad(`${path}.flow_message_version`, "must be \"3\"")
      : missing(`${path}.flow_message_version`)
  }
  for (const key of ["flow_token", "flow_id", "flow_name"]) {
    const problem = text(parameters, key, path, { min: 1, optional: true })
    if (problem !== undefined) return problem
  }
  if (has(parameters, "flow_id") === has(parameters, "flow_name")) {
    return bad(path, "needs a flow_id or a flow_name, exactly one")
  }
  const cta = checkedText(parameters, "flow_cta", path, { min: 1, max: 20 })
  if (typeof cta !== "string") return cta
  if (EMOJI.test(cta)) return bad(`${path}.flow_cta`, "must not contain emoji")
  const mode = get(parameters, "mode")
  if (has(parameters, "mode") && mode !== "draft" && mode !== "published") {
    return bad(`${path}.mode`, "expected draft or published")
  }
  const action = get(parameters, "flow_action")
  if (action !== undefined && action !== "navigate" && action !== "data_exchange") {
    return bad(`${path}.flow_action`, "expected navigate or data_exchange")
  }
  const payload = get(parameters, "flow_action_payload")
  if (action === "data_exchange") {
    return payload === undefined ? undefined : bad(`${path}.flow_action_payload`, "not allowed with data_exchange")
  }
  if (payload === undefined) return missing(`${path}.flow_action_payload`)
  if (!isObject(payload)) return bad(`${path}.flow_action_payload`, "expected an object")
  const screen = text(payload, "screen", `${path}.flow_action_payload`, { min: 1 })
  if (screen !== undefined) return screen
  if (!has(payload, "data")) return undefined
  const data = payload.data
  return isObject(data) && isPlainJson(data) && Object.keys(data).length > 0
    ? undefined
    : bad(`${path}.flow_action_payload.data`, "expected a non-empty object of JSON values")
}

const checkFlow = (interactive: Json): ErrorData | undefined => {
  const path = "content.interactive"
  if (has(interactive, "header")) {
    const problem = header(interactive.header, `${path}.header`, false)
    if (problem !== undefined) return problem
  }
  const parts = textObject(interactive, "body", path, 1024, false) ?? textObject(interactive, "footer", path, 60, true)
  if (parts !== undefined) return parts
  const action = get(interactive, "action")
  if (!isObject(action)) return objectExpected(action, `${path}.action`)
  if (get(action, "name") !== "flow") return bad(`${path}.action.name`, "must be \"flow\"")
  return flowParameters(get(action, "parameters"), `${path}.action.parameters`)
}

/** Whether the catalog (its id already checked) is known. */
const catalogOf = (catalogId: string, catalogs: Catalogs | undefined): ErrorData | undefined =>
  catalogs === undefined || Object.hasOwn(catalogs, catalogId)
    ? undefined
    : fail(30034, "EX_CATALOGUE_NOT_FOUND", `catalog ${catalogId} not found`)

const productOf = (
  item: unknown,
  path: string,
  catalogId: string,
  catalogs: Catalogs | undefined
): ErrorData | undefined => {
  if (!isObject(item)) return bad(path, "expected an object")
  const id = get(item, "product_retailer_id")
  if (id === undefined) return fail(30036, "EX_MISSING_PRODUCT", `${path}.product_retailer_id is mandatory`)
  if (typeof id !== "string" || id === "") return bad(`${path}.product_retailer_id`, "expected a retailer id")
  const known = catalogs?.[catalogId]
  return known === undefined || known.includes(id)
    ? undefined
    : fail(30037, "EX_PRODUCT_NOT_FOUND", `product ${id} not found in catalog ${catalogId}`)
}

const checkProduct = (interactive: Json, catalogs: Catalogs | undefined): ErrorData | undefined => {
  const path = "content.interactive"
  if (has(interactive, "header")) return badHeader(`${path}.header`, "a single-product message has no header")
  const parts = textObject(interactive, "body", path, 1024, true) ?? textObject(interactive, "footer", path, 60, true)
  if (parts !== undefined) return parts
  const action = get(interactive, "action")
  if (!isObject(action)) return objectExpected(action, `${path}.action`)
  // the shape first (as WhatsApp checks it), then whether the catalog and the product exist
  const catalogId = checkedText(action, "catalog_id", `${path}.action`, { min: 1 })
  if (typeof catalogId !== "string") return catalogId
  return productOf(action, `${path}.action`, "", undefined) ??
    catalogOf(catalogId, catalogs) ??
    productOf(action, `${path}.action`, catalogId, catalogs)
}

const checkProductList = (interactive: Json, catalogs: Catalogs | undefined): ErrorData | undefined => {
  const path = "content.interactive"
  if (!has(interactive, "header")) return missing(`${path}.header`)
  const parts = header(interactive.header, `${path}.header`, true) ??
    textObject(interactive, "body", path, 1024, false) ??
    textObject(interactive, "footer", path, 60, true)
  if (parts !== undefined) return parts
  const action = get(interactive, "action")
  if (!isObject(action)) return objectExpected(action, `${path}.action`)
  const catalogId = checkedText(action, "catalog_id", `${path}.action`, { min: 1 })
  if (typeof catalogId !== "string") return catalogId
  const sections = get(action, "sections")
  if (!Array.isArray(sections)) {
    return sections === undefined
      ? missing(`${path}.action.sections`)
      : bad(`${path}.action.sections`, "expected an array")
  }
  if (sections.length < 1 || sections.length > 10) {
    return fail(30031, "EX_SECTION_COUNT_ERROR", `${path}.action.sections: 1 to 10 sections, got ${sections.length}`)
  }
  let total = 0
  const items: Array<ReadonlyArray<unknown>> = []
  for (const [s, section] of sections.entries()) {
    const at = `${path}.action.sections[${s}]`
    if (!isObject(section)) return bad(at, "expected an object")
    if (has(section, "title")) {
      const title = text(section, "title", at, { min: 1, max: 24 })
      if (title !== undefined) return title
    } else if (sections.length > 1) {
      return missing(`${at}.title`)
    }
    const products = get(section, "product_items")
    if (!Array.isArray(products)) {
      return products === undefined ? missing(`${at}.product_items`) : bad(`${at}.product_items`, "expected an array")
    }
    if (products.length === 0) return fail(30033, "EX_PRODUCT_COUNT_ERROR", `${at}.product_items is empty`)
    total += products.length
    items.push(products)
    for (const [i, item] of products.entries()) {
      const problem = productOf(item, `${at}.product_items[${i}]`, "", undefined)
      if (problem !== undefined) return problem
    }
  }
  if (total > 30) {
    return fail(30033, "EX_PRODUCT_COUNT_ERROR", `${path}.action.sections: at most 30 products, got ${total}`)
  }
  const catalog = catalogOf(catalogId, catalogs)
  if (catalog !== undefined) return catalog
  for (const [s, products] of items.entries()) {
    for (const [i, item] of products.entries()) {
      const at = `${path}.action.sections[${s}].product_items[${i}]`
      const problem = productOf(item, at, catalogId, catalogs)
      if (problem !== undefined) return problem
    }
  }
  return undefined
}

/** The interactive types checked here, as WhatsApp does; the fake checks the others loosely. */
export const STRICT_INTERACTIVE: ReadonlyArray<string> = ["flow", "product", "product_list"]

/** Checks an interactive `flow`, `product` or `product_list` object; `undefined` when WhatsApp takes it. */
export const checkStrictInteractive = (interactive: Json, catalogs: Catalogs | undefined): ErrorData | undefined => {
  switch (interactive.type) {
    case "flow":
      return checkFlow(interactive)
    case "product":
      return checkProduct(interactive, catalogs)
    default:
      return checkProductList(interactive, catalogs)
  }
}

/** A reply's `context`: absent, or `{ message_id }` with a non-empty id. */
export const checkContext = (content: Json): ErrorData | undefined => {
  if (!has(content, "context")) return undefined
  const context = content.context
  if (!isObject(context)) return bad("content.context", "expected an object")
  return text(context, "message_id", "content.context", { min: 1 })
}
