import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { type FakeExotel, judgeContent, startFakeExotel } from "../src/index.js"

const credentials = { apiKey: "key_123", apiToken: "s3cret-token", accountSid: "acme1" }
const authorization = "Basic " + Buffer.from(`${credentials.apiKey}:${credentials.apiToken}`).toString("base64")

type Json = Record<string, unknown>

let fake: FakeExotel
let linked: FakeExotel

beforeAll(async () => {
  fake = await startFakeExotel(credentials)
  linked = await startFakeExotel({ ...credentials, catalogs: { cat_1: ["SKU-1", "SKU-2"] } })
})
afterAll(async () => {
  await fake.close()
  await linked.close()
})

/** Sends each content as one message of a batch; the per-message result codes ("ok" or Exotel's code). */
const codesOf = async (to: FakeExotel, ...contents: ReadonlyArray<unknown>): Promise<Array<number | "ok">> => {
  const response = await fetch(to.messagesUrl, {
    method: "POST",
    headers: { "content-type": "application/json", authorization },
    body: JSON.stringify({
      whatsapp: { messages: contents.map((content) => ({ from: "+919211514326", to: "+919158455686", content })) }
    })
  })
  assert.strictEqual(response.status, 202)
  const body = await response.json() as { response: { whatsapp: { messages: Array<any> } } }
  return body.response.whatsapp.messages.map((m) => m.status === "success" ? "ok" : m.error_data.code)
}

const interactive = (value: Json): Json => ({ type: "interactive", interactive: value })

const flow = (parameters: Json = {}, extra: Json = {}): Json =>
  interactive({
    type: "flow",
    body: { text: "Book your test drive" },
    action: {
      name: "flow",
      parameters: {
        flow_message_version: "3",
        flow_id: "1234567890",
        flow_cta: "Book now",
        flow_action_payload: { screen: "WELCOME" },
        ...parameters
      }
    },
    ...extra
  })

const product = (action: Json = {}, extra: Json = {}): Json =>
  interactive({ type: "product", action: { catalog_id: "cat_1", product_retailer_id: "SKU-1", ...action }, ...extra })

const items = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({ product_retailer_id: `SKU-${from + i}` }))

const productList = (sections: ReadonlyArray<unknown>, extra: Json = {}): Json =>
  interactive({
    type: "product_list",
    header: { type: "text", text: "Our picks" },
    body: { text: "Have a look" },
    action: { catalog_id: "cat_1", sections },
    ...extra
  })

describe("interactive flow, product and product_list", () => {
  it("takes them, and records the content exactly as sent", async () => {
    const sent = [
      flow({ flow_token: "t-1", mode: "draft", flow_action_payload: { screen: "WELCOME", data: { city: "Pune" } } }),
      flow({ flow_id: undefined, flow_name: "drive", flow_action: "data_exchange", flow_action_payload: undefined }),
      product({}, { body: { text: "Our best seller" }, footer: { text: "Free delivery" } }),
      productList([{ title: "Shoes", product_items: items(0, 20) }, { title: "Bags", product_items: items(20, 10) }]),
      { type: "text", text: { body: "Yes, in stock" }, context: { message_id: "wamid.HBgM1" } }
    ]
    fake.reset()
    assert.deepStrictEqual(await codesOf(fake, ...sent), ["ok", "ok", "ok", "ok", "ok"])
    assert.deepStrictEqual(fake.messages.map((m) => m.content), JSON.parse(JSON.stringify(sent)))
  })

  it("refuses them past WhatsApp's limits, with Exotel's codes", async () => {
    assert.deepStrictEqual(
      await codesOf(
        fake,
        productList([{ product_items: items(0, 31) }]),
        productList(Array.from({ length: 11 }, (_, i) => ({ title: `S${i}`, product_items: items(i, 1) }))),
        productList([{ product_items: [] }]),
        productList([{ product_items: [{}] }]),
        productList([{ product_items: items(0, 1) }], { header: { type: "image", image: { id: "1" } } }),
        product({}, { header: { type: "text", text: "Shoes" } }),
        productList([{ product_items: items(0, 1) }, { title: "B", product_items: items(1, 1) }]),
        product({ catalog_id: "" })
      ),
      [30033, 30031, 30033, 30036, 30039, 30039, 30020, 30021]
    )
    assert.deepStrictEqual(
      await codesOf(
        fake,
        flow({ flow_cta: "x".repeat(21) }),
        flow({ flow_cta: "Book 👍" }),
        flow({ flow_name: "drive" }),
        flow({ flow_action_payload: undefined }),
        flow({ flow_action: "data_exchange" }),
        flow({ flow_action_payload: { screen: "WELCOME", data: {} } }),
        flow({ flow_message_version: 3 }),
        flow({}, { body: { text: "x".repeat(1025) } }),
        { type: "text", text: { body: "hi" }, context: { message_id: "" } },
        { type: "text", text: { body: "hi" }, context: "wamid.1" }
      ),
      [30021, 30021, 30021, 30020, 30021, 30021, 30021, 30021, 30021, 30021]
    )
  })

  it("answers 30034 and 30037 for a catalog or a product the account lacks, when catalogs are given", async () => {
    assert.deepStrictEqual(
      await codesOf(
        linked,
        product(),
        product({ catalog_id: "cat_9" }),
        product({ product_retailer_id: "SKU-9" }),
        productList([{ product_items: items(1, 2) }]),
        productList([{ product_items: items(2, 2) }]),
        productList([{ product_items: items(1, 1) }], { action: { catalog_id: "cat_9", sections: [] } })
      ),
      ["ok", 30034, 30037, "ok", 30037, 30031]
    )
  })

  it("judges a content alone as it judges it in a batch", () => {
    assert.isUndefined(judgeContent(flow()))
    assert.strictEqual(judgeContent(productList([]))?.code, 30031)
    assert.strictEqual(judgeContent("text")?.code, 30020)
    assert.strictEqual(judgeContent(product({ product_retailer_id: "SKU-9" }), { cat_1: ["SKU-1"] })?.code, 30037)
  })
})
