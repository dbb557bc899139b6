import { afterAll, afterEach, assert, beforeAll, describe, it } from "@effect/vitest"
import { type FakeExotel, startFakeExotel } from "@wa-session/exotel-fake"
import { MessageContent } from "@wa-session/session-core"
import { Effect, Either, Option } from "effect"
import { flow, fullFlow, fullProductList, items, type Json, product } from "../../session-core/test/fixtures.js"
import { adapter, credentials, request, send } from "./support.js"

let fake: FakeExotel

beforeAll(async () => {
  const skus = items(1, 30).map((item) => String(item.product_retailer_id))
  fake = await startFakeExotel({ ...credentials, catalogs: { cat_1: skus } })
})
afterAll(() => fake.close())
afterEach(() => fake.reset())

/** As JSON: a key set to `undefined` is left out, as it is on the wire. */
const wire = (value: Json): Json => JSON.parse(JSON.stringify(value))

const CONTENTS: ReadonlyArray<readonly [string, Json]> = [
  ["flow", fullFlow],
  ["product", product({}, { body: { text: "Back in stock" } })],
  ["product_list", fullProductList],
  ["text replying", {
    type: "text",
    text: { body: "Yes, size 9 is in stock" },
    context: { message_id: "wamid.HBgM1" }
  }],
  [
    "flow replying",
    {
      ...wire(flow({
        flow_id: undefined,
        flow_name: "feedback",
        flow_cta: "Answer",
        flow_action: "data_exchange",
        flow_action_payload: undefined
      })),
      context: { message_id: "wamid.HBgM2" }
    }
  ]
]

/** What session-core keeps of a content: what the server stores and hands the adapter. */
const validated = (input: unknown): MessageContent.MessageContent => {
  const result = MessageContent.validate(input)
  return Either.isRight(result) ? result.right : assert.fail(result.left.message)
}

describe("ExotelSender with flows, catalogs and replies", () => {
  it.live("sends a flow, a product, a product_list and replies with context to the fake unchanged", () =>
    Effect.gen(function*() {
      for (const [name, input] of CONTENTS) {
        const content = validated(input)
        assert.deepStrictEqual(content, input as never, `${name}: the validator keeps all of it`)
        const receipt = yield* send(request({ outboundId: `msg_${name}`, content }))
        const accepted = fake.messages[fake.messages.length - 1]!
        assert.strictEqual(receipt.providerMessageId, accepted.sid, name)
        assert.deepStrictEqual(accepted.content, input, name)
        const wire = (fake.requests[fake.requests.length - 1]!.body as any).whatsapp.messages[0].content
        assert.deepStrictEqual(wire, input, name)
      }
      assert.strictEqual(fake.messages.length, CONTENTS.length)
    }).pipe(Effect.provide(adapter(fake))))

  it.live("a catalog or product the account lacks is Rejected with Exotel's 30034 or 30037, not retried", () =>
    Effect.gen(function*() {
      for (const [catalog, sku, code] of [["cat_bags", "SKU-1", "30034"], ["cat_1", "SKU-99", "30037"]] as const) {
        fake.reset()
        const content = validated(product({ catalog_id: catalog, product_retailer_id: sku }))
        const error = yield* send(request({ content })).pipe(Effect.flip)
        assert.strictEqual(error._tag, "ProviderError")
        assert.strictEqual(error.reason, "Rejected")
        assert.deepStrictEqual(error.providerCode, Option.some(code))
        assert.isFalse(error.reengagement)
        assert.strictEqual(fake.requests.length, 1)
        assert.strictEqual(fake.messages.length, 0)
      }
    }).pipe(Effect.provide(adapter(fake))))
})
