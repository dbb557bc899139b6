import { OpenApi } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { DEFAULT_HISTORY_PAGE_SIZE, DEFAULT_PAGE_SIZE, WaSessionApi } from "@wa-session/http-api"
import { Effect } from "effect"
import { DEFAULT_EXPIRING_WITHIN_SECONDS } from "../src/Http/Sessions.js"
import { auth, json, rawGet, TestServer } from "./support.js"

const queryDefault = (spec: any, path: string, name: string): unknown =>
  spec.paths[path].get.parameters.find((parameter: any) => parameter.name === name)?.schema.default

describe("GET /openapi.json", () => {
  it.live("serves the contract's document, whose query defaults are the ones this server applies", () =>
    Effect.gen(function*() {
      const response = yield* rawGet("/openapi.json")
      assert.strictEqual(response.status, 200)
      const spec = json(response.text)
      assert.deepStrictEqual(spec, JSON.parse(JSON.stringify(OpenApi.fromApi(WaSessionApi))))
      assert.deepStrictEqual(spec.servers, [{ url: "/", description: "The server that serves this document" }])

      assert.strictEqual(queryDefault(spec, "/v1/sessions", "expiringWithin"), DEFAULT_EXPIRING_WITHIN_SECONDS)
      assert.strictEqual(queryDefault(spec, "/v1/sessions", "limit"), DEFAULT_PAGE_SIZE)
      assert.strictEqual(
        queryDefault(spec, "/v1/sessions/{business}/{customer}/messages", "limit"),
        DEFAULT_HISTORY_PAGE_SIZE
      )
      assert.strictEqual(queryDefault(spec, "/v1/events", "limit"), DEFAULT_PAGE_SIZE)
      assert.strictEqual(queryDefault(spec, "/v1/deliveries", "limit"), DEFAULT_PAGE_SIZE)
      assert.strictEqual(queryDefault(spec, "/v1/messages", "limit"), DEFAULT_PAGE_SIZE)
      assert.strictEqual(queryDefault(spec, "/v1/quarantine", "limit"), DEFAULT_PAGE_SIZE)
    }).pipe(Effect.provide(TestServer())))

  it.live("a 400 for a query out of the documented bounds is the documented InvalidRequestError", () =>
    Effect.gen(function*() {
      const spec = json((yield* rawGet("/openapi.json")).text)
      const documented = spec.paths["/v1/sessions"].get.responses["400"].content["application/json"].schema
      assert.deepStrictEqual(documented, { $ref: "#/components/schemas/InvalidRequestError" })
      const component = spec.components.schemas.InvalidRequestError
      const { maximum, minimum } = spec.paths["/v1/sessions"].get.parameters.find((p: any) => p.name === "limit").schema

      for (
        const query of [
          `limit=${maximum + 1}`,
          `limit=${minimum - 1}`,
          "limit=1.5",
          "expiringWithin=-1",
          "expiringWithin=soon"
        ]
      ) {
        const response = yield* rawGet(`/v1/sessions?${query}`, auth)
        assert.strictEqual(response.status, 400, query)
        const body = json(response.text)
        for (const field of component.required) assert.property(body, field, query)
        assert.includeMembers(Object.keys(component.properties), Object.keys(body), query)
        assert.deepStrictEqual([body.code], component.properties.code.enum, query)
        assert.deepStrictEqual([body._tag], component.properties._tag.enum, query)
      }
      // and in bounds is fine
      assert.strictEqual((yield* rawGet(`/v1/sessions?limit=${maximum}&expiringWithin=${minimum}`, auth)).status, 200)
    }).pipe(Effect.provide(TestServer())))
})
