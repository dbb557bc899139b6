/**
 * Touches to the generated OpenAPI document so that it says what the server does and passes an OpenAPI 3.1
 * validator. Applied by `WaSessionApi`'s `OpenApi.Transform`.
 */

type Json = Record<string, any>

const DECODE_ERROR = "#/components/schemas/HttpApiDecodeError"

/** Components that only `HttpApiDecodeError` uses (`Issue`, and `PropertyKey` for an issue's path). */
const DECODE_ERROR_COMPONENTS = ["HttpApiDecodeError", "Issue", "PropertyKey"]

const refsIn = (value: unknown, into: Set<string>): Set<string> => {
  if (Array.isArray(value)) {
    for (const item of value) refsIn(item, into)
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      if (key === "$ref" && typeof item === "string") into.add(item)
      else refsIn(item, into)
    }
  }
  return into
}

/**
 * The server answers every request that does not decode with 400 `InvalidRequestError` (`code: INVALID_REQUEST`;
 * apps/server's `normalizeErrors`): the `HttpApiDecodeError` that `HttpApi` lists in every 400 is never sent. It
 * leaves the 400s, and its components (`HttpApiDecodeError`, `Issue`, `PropertyKey`) leave the document.
 */
export const withoutDecodeError = (spec: Json): Json => {
  const schemas: Json = { ...spec.components?.schemas }
  const describe = (ref: string): string | undefined => schemas[ref.slice("#/components/schemas/".length)]?.description
  const paths: Json = {}
  for (const [path, item] of Object.entries<Json>(spec.paths ?? {})) {
    const methods: Json = {}
    for (const [method, operation] of Object.entries<Json>(item)) {
      const responses: Json = {}
      for (const [status, response] of Object.entries<Json>(operation.responses ?? {})) {
        const schema = response.content?.["application/json"]?.schema
        const members: Array<Json> | undefined = schema?.anyOf
        if (members === undefined || !members.some((member) => member.$ref === DECODE_ERROR)) {
          responses[status] = response
          continue
        }
        const kept = members.filter((member) => member.$ref !== DECODE_ERROR)
        const descriptions = kept.flatMap((member) => {
          const description = typeof member.$ref === "string" ? describe(member.$ref) : undefined
          return description === undefined ? [] : [description]
        })
        responses[status] = {
          ...response,
          description: descriptions.length > 0 ? descriptions.join("; ") : response.description,
          content: {
            ...response.content,
            "application/json": {
              ...response.content["application/json"],
              schema: kept.length === 1 ? kept[0] : { ...schema, anyOf: kept }
            }
          }
        }
      }
      methods[method] = { ...operation, responses }
    }
    paths[path] = methods
  }
  const result = { ...spec, paths, components: { ...spec.components, schemas } }
  for (const name of DECODE_ERROR_COMPONENTS) {
    const { [name]: _, ...others } = schemas
    const used = refsIn({ ...result, components: { ...result.components, schemas: others } }, new Set())
    if (!used.has(`#/components/schemas/${name}`)) delete schemas[name]
  }
  return result
}

/**
 * Effect's JSON Schema marks `Schema.Unknown` (and `Any`, `Object`, …) with a fixed `$id` such as
 * `/schemas/unknown`; in one document the same `$id` twice is an error of JSON Schema 2020-12 (the dialect of
 * OpenAPI 3.1), so those `$id`s are removed. They carry no meaning of their own.
 */
export const withoutBuiltinIds = <A>(value: A): A => {
  if (Array.isArray(value)) return value.map(withoutBuiltinIds) as A
  if (value === null || typeof value !== "object") return value
  const out: Json = {}
  for (const [key, item] of Object.entries(value)) {
    if (key === "$id" && typeof item === "string" && item.startsWith("/schemas/")) continue
    out[key] = withoutBuiltinIds(item)
  }
  return out as A
}
