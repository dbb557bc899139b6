import { afterAll, afterEach, assert, beforeAll, describe, it } from "@effect/vitest"
import { type FakeExotel, startFakeExotel } from "@wa-session/exotel-fake"
import { MessageContent } from "@wa-session/session-core"
import { Effect, Either, Option } from "effect"
import { adapter, credentials, request, send } from "./support.js"

let fake: FakeExotel

beforeAll(async () => {
  fake = await startFakeExotel({ ...credentials, catalogs: { cat_shoes: ["SKU-1", "SKU-2", "SKU-3"] } })
})
afterAll(() => fake.close())
afterEach(() => fake.reset())

const CONTENTS: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
  [
    "flow",
    {
      type: "interactive",
      interactive: {
        type: "flow",
        header: { type: "text", text: "Test drive" },
        body: { text: "Book a test drive near you" },
        footer: { text: "Takes a minute" },
        action: {
          name: "flow",
          parameters: {
            flow_message_version: "3",
            flow_token: "drive-42",
            flow_id: "1234567890",
            flow_cta: "Book now",
            mode: "published",
            flow_action: "navigate",
            flow_action_payload: { screen: "WELCOME", data: { city: "Pune", slots: [10, 11], vip: true } }
          }
        }
      }
    }
  ],
  [
    "product",
    {
      type: "interactive",
      interactive: {
        type: "product",
        body: { text: "Back in stock" },
        action: { catalog_id: "cat_shoes", product_retailer_id: "SKU-1" }
      }
    }
  ],
  [
    "product_list",
    {
      type: "interactive",
      interactive: {
        type: "product_list",
        header: { type: "text", text: "Our picks" },
        body: { text: "Have a look" },
        footer: { text: "Prices incl. GST" },
        action: {
          catalog_id: "cat_shoes",
          sections: [
            { title: "Running", product_items: [{ product_retailer_id: "SKU-1" }, { product_retailer_id: "SKU-2" }] },
            { title: "Walking", product_items: [{ product_retailer_id: "SKU-3" }] }
          ]
        }
      }
    }
  ],
  [
    "text replying",
    { type: "text", text: { body: "Yes, size 9 is in stock" }, context: { message_id: "wamid.HBgM1" } }
  ],
  [
    "flow replying",
    {
      type: "interactive",
      context: { message_id: "wamid.HBgM2" },
      interactive: {
        type: "flow",
        body: { text: "Tell us more" },
        action: {
          name: "flow",
          parameters: {
            flow_message_version: "3",
            flow_name: "feedback",
            flow_cta: "Answer",
            flow_action: "data_exchange"
          }
        }
      }
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
      const product = (catalog_id: string, product_retailer_id: string) =>
        validated({
          type: "interactive",
          interactive: { type: "product", action: { catalog_id, product_retailer_id } }
        })
      for (const [catalog, sku, code] of [["cat_bags", "SKU-1", "30034"], ["cat_shoes", "SKU-9", "30037"]] as const) {
        fake.reset()
        const error = yield* send(request({ content: product(catalog, sku) })).pipe(Effect.flip)
        assert.strictEqual(error._tag, "ProviderError")
        assert.strictEqual(error.reason, "Rejected")
        assert.deepStrictEqual(error.providerCode, Option.some(code))
        assert.isFalse(error.reengagement)
        assert.strictEqual(fake.requests.length, 1)
        assert.strictEqual(fake.messages.length, 0)
      }
    }).pipe(Effect.provide(adapter(fake))))
})
