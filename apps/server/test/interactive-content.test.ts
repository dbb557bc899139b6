import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { fullFlow, fullProductList, items, productList } from "../../../packages/session-core/test/fixtures.js"
import { auth, BUSINESS, CUSTOMER, customerWrites, json, rawGet, rawPost, TestEnv, TestServer } from "./support.js"

const flow = { ...fullFlow, context: { message_id: "wamid.HBgMOTE5ODc2NTQzMjEw" } }

const send = (content: unknown) =>
  rawPost("/v1/messages", JSON.stringify({ from: BUSINESS, to: CUSTOMER, content }), auth)

describe("flows and catalog messages through the server", () => {
  it.live("inside the window a flow (replying with context) and a product_list go to Exotel unchanged: 202", () =>
    Effect.gen(function*() {
      const env = yield* TestEnv
      yield* customerWrites()
      for (const [i, content] of [flow, fullProductList].entries()) {
        const response = yield* send(content)
        assert.strictEqual(response.status, 202, response.text)
        const sent = json(response.text)
        assert.strictEqual(sent.decision, "session")
        assert.strictEqual(sent.status, "accepted")
        assert.strictEqual(env.fake.messages.length, i + 1)
        const wire = env.fake.messages[i]!
        assert.strictEqual(sent.providerMessageId, wire.sid)
        assert.deepStrictEqual(wire.content, content)
        const stored = yield* rawGet(`/v1/messages/${sent.id}`, auth)
        assert.strictEqual(stored.status, 200)
        assert.deepStrictEqual(json(stored.text).content, content, "stored as sent, context included")
      }
    }).pipe(Effect.provide(TestServer())))

  it.live("a product_list of 31 products: 422 INVALID_MESSAGE with the path and the limit, nothing sent", () =>
    Effect.gen(function*() {
      const env = yield* TestEnv
      yield* customerWrites()
      const response = yield* send(productList([
        { title: "Running", product_items: items(1, 21) },
        { title: "Walking", product_items: items(22, 10) }
      ]))
      assert.strictEqual(response.status, 422, response.text)
      const error = json(response.text)
      assert.strictEqual(error.code, "INVALID_MESSAGE")
      assert.strictEqual(error.path, "interactive.action.sections")
      assert.strictEqual(error.limit, 30)
      assert.strictEqual(error.actual, 31)
      assert.strictEqual(env.fake.requests.length, 0)
    }).pipe(Effect.provide(TestServer())))
})
