import { OpenApi } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { EventsParams, HistoryParams, ListExpiringParams, MessageListParams, WaSessionApi } from "@wa-session/http-api"
import { Either, ParseResult, Schema } from "effect"

const spec = OpenApi.fromApi(WaSessionApi) as unknown as Record<string, any>
const schemas: Record<string, any> = spec.components.schemas

const operations = (): Array<{ readonly path: string; readonly method: string; readonly operation: any }> =>
  Object.entries<Record<string, any>>(spec.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ path, method, operation }))
  )

const parameter = (path: string, name: string) =>
  (spec.paths[path].get.parameters as Array<any>).find((candidate) => candidate.name === name)

const valuesOf = (key: string, value: unknown, into: Array<unknown> = []): Array<unknown> => {
  if (Array.isArray(value)) value.forEach((item) => valuesOf(key, item, into))
  else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k === key) into.push(v)
      else valuesOf(key, v, into)
    }
  }
  return into
}

/** The published validator (OpenAPI 2.0 to 3.2 schemas, on ajv), when it is installed. */
const VALIDATOR = "@seriousme/openapi-schema-validator"

interface SchemaValidator {
  validate(specification: object): Promise<{ readonly valid: boolean; readonly errors?: unknown }>
  readonly version: string
}

const loadValidator = async (): Promise<{ new(): SchemaValidator } | undefined> => {
  try {
    const module: { readonly Validator: { new(): SchemaValidator } } = await import(VALIDATOR)
    return module.Validator
  } catch {
    return undefined
  }
}

describe("the OpenAPI document", () => {
  it("passes an OpenAPI 3.1 validator", async () => {
    const Validator = await loadValidator()
    if (Validator === undefined) {
      // Loud, like the PostgreSQL tests; in CI a missing validator is a failure.
      const message = `${VALIDATOR} is not installed: add it to packages/http-api's devDependencies`
      if (process.env.CI === "true") assert.fail(message)
      console.warn(`SKIPPED: ${message}`)
      return
    }
    const validator = new Validator()
    const result = await validator.validate(JSON.parse(JSON.stringify(spec)))
    assert.isTrue(result.valid, JSON.stringify(result.errors, null, 2))
    assert.strictEqual(validator.version, "3.1")
  })

  it("every $ref points at a component, and no $id is given twice", () => {
    for (const ref of valuesOf("$ref", spec)) {
      assert.isString(ref)
      assert.match(ref as string, /^#\/components\/schemas\//)
      assert.property(schemas, (ref as string).slice("#/components/schemas/".length), ref as string)
    }
    const ids = valuesOf("$id", spec)
    assert.strictEqual(new Set(ids).size, ids.length, JSON.stringify(ids))
  })

  it("numeric query parameters are integers with the bounds and the defaults the server applies", () => {
    const expected: Record<string, Record<string, object>> = {
      "/v1/sessions": {
        expiringWithin: { type: "integer", minimum: 0, default: 90_000 },
        limit: { type: "integer", minimum: 1, maximum: 1000, default: 100 }
      },
      "/v1/sessions/{business}/{customer}/messages": {
        limit: { type: "integer", minimum: 1, maximum: 200, default: 50 }
      },
      "/v1/messages": { limit: { type: "integer", minimum: 1, maximum: 1000, default: 100 } },
      "/v1/events": { limit: { type: "integer", minimum: 1, maximum: 1000, default: 100 } },
      "/v1/deliveries": { limit: { type: "integer", minimum: 1, maximum: 1000, default: 100 } },
      "/v1/quarantine": { limit: { type: "integer", minimum: 1, maximum: 1000, default: 100 } }
    }
    for (const [path, parameters] of Object.entries(expected)) {
      for (const [name, schema] of Object.entries(parameters)) {
        const found = parameter(path, name)
        assert.isDefined(found, `${path} ${name}`)
        assert.strictEqual(found.in, "query")
        assert.isFalse(found.required)
        const { description, ...rest } = found.schema
        assert.deepStrictEqual(rest, schema, `${path} ${name}`)
        assert.isString(description)
        assert.strictEqual(found.description, description)
      }
    }
    // no query parameter is left documented as "a string to be decoded into a number"
    for (const { operation, path } of operations()) {
      for (const candidate of operation.parameters as Array<any>) {
        assert.notInclude(JSON.stringify(candidate), "decoded into a number", `${path} ${candidate.name}`)
      }
    }
  })

  it("the query parameters decode as before: from strings, refusing what is out of bounds, with the same words", () => {
    const problems = (schema: Schema.Schema<any, any>, input: unknown) => {
      const result = Schema.decodeUnknownEither(schema)(input)
      // (an optional field also reports "Expected undefined": the server leaves that out too)
      return Either.isLeft(result)
        ? ParseResult.ArrayFormatter.formatErrorSync(result.left).map((issue) => issue.message).filter((message) =>
          !message.startsWith("Expected undefined")
        )
        : []
    }
    assert.deepStrictEqual(
      Schema.decodeUnknownSync(ListExpiringParams)({ expiringWithin: "0", limit: "1000" }),
      { expiringWithin: 0, limit: 1000 }
    )
    assert.deepStrictEqual(Schema.decodeUnknownSync(ListExpiringParams)({}), {})
    assert.deepStrictEqual(problems(ListExpiringParams, { expiringWithin: "-1" }), [
      "Expected a non-negative number, actual -1"
    ])
    assert.deepStrictEqual(problems(ListExpiringParams, { limit: "0" }), [
      "Expected a number between 1 and 1000, actual 0"
    ])
    assert.deepStrictEqual(problems(ListExpiringParams, { limit: "1.5" }), ["Expected an integer, actual 1.5"])
    assert.deepStrictEqual(problems(MessageListParams, { state: "parked", limit: "x" }), [
      "Unable to decode \"x\" into a number"
    ])
    assert.deepStrictEqual(problems(MessageListParams, { state: "parked", limit: "1001" }), [
      "Expected a number between 1 and 1000, actual 1001"
    ])
    assert.deepStrictEqual(problems(HistoryParams, { limit: "201" }), [
      "Expected Page size, 1 to 200 (default 50), actual 201"
    ])
    assert.deepStrictEqual(Schema.decodeUnknownSync(EventsParams)({ limit: "7" }), { limit: 7 })
    // the typed client encodes them back to strings
    assert.deepStrictEqual(Schema.encodeSync(ListExpiringParams)({ expiringWithin: 60, limit: 5 }), {
      expiringWithin: "60",
      limit: "5"
    })
  })

  it("every 400 is what the server answers: InvalidRequestError with its code, never HttpApiDecodeError", () => {
    for (const name of ["HttpApiDecodeError", "Issue", "PropertyKey"]) assert.notProperty(schemas, name)
    assert.notInclude(JSON.stringify(spec), "HttpApiDecodeError")
    const invalid = schemas.InvalidRequestError
    assert.deepStrictEqual(invalid.properties.code, { type: "string", enum: ["INVALID_REQUEST"] })
    assert.includeMembers(invalid.required, ["code", "message", "_tag"])
    for (const { method, operation, path } of operations()) {
      const response = operation.responses["400"]
      assert.isDefined(response, `${method} ${path}`)
      const schema = response.content["application/json"].schema
      const refs: Array<string> = schema.anyOf === undefined
        ? [schema.$ref]
        : schema.anyOf.map((member: any) => member.$ref)
      assert.include(refs, "#/components/schemas/InvalidRequestError", `${method} ${path}`)
      for (const ref of refs) {
        const component = schemas[ref.slice("#/components/schemas/".length)]
        assert.isDefined(component.properties.code?.enum, `${method} ${path}: ${ref} has a code`)
      }
      assert.include(response.description, "The request does not match the contract")
    }
    // the webhook's own 400 stays listed next to it
    const webhook = spec.paths["/webhooks/exotel/{secret}"].post.responses["400"].content["application/json"].schema
    assert.deepStrictEqual(webhook.anyOf.map((member: any) => member.$ref).sort(), [
      "#/components/schemas/InvalidRequestError",
      "#/components/schemas/InvalidWebhookError"
    ])
  })

  it("every operation has a summary; the health checks say what they check; there is a server", () => {
    for (const { method, operation, path } of operations()) {
      assert.isString(operation.summary, `${method} ${path}`)
      assert.isAbove(operation.summary.length, 5, `${method} ${path}`)
    }
    assert.include(spec.paths["/healthz"].get.summary, "process")
    assert.include(spec.paths["/readyz"].get.summary, "store")
    assert.include(spec.paths["/readyz"].get.description, "NOT_READY")
    assert.deepStrictEqual(spec.servers, [{ url: "/", description: "The server that serves this document" }])
  })

  it("the event webhooks refer to the components, which hold the events' data", () => {
    const received = spec.webhooks["message.received"].post.requestBody.content["application/json"].schema
    assert.deepStrictEqual(received, { $ref: "#/components/schemas/MessageReceivedEvent" })
    assert.include(JSON.stringify(schemas.MessageReceivedData), "profileName")
    assert.notInclude(JSON.stringify(spec.webhooks), "$defs")
    assert.notInclude(JSON.stringify(spec.webhooks), "$schema")
  })
})
