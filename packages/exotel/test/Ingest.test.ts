/**
 * From what Exotel posts to the core's `Ingest.Item`s: one decoder for the webhook and for quarantine retries,
 * nothing thrown and nothing dropped, whatever the body.
 */
import { assert, describe, it } from "@effect/vitest"
import { Ingest } from "@wa-session/session-core"
import { Option } from "effect"
import { Webhook } from "../src/index.js"

const inbound = {
  callback_type: "incoming_message",
  sid: "wamid.1",
  from: "919876543210",
  to: "919876500001",
  profile_name: "Asha",
  timestamp: "2026-01-20T10:00:00+05:30",
  content: { type: "text", text: { body: "Hi" }, context: { id: "wamid.0" }, referral: { source_type: "ad" } }
}
const report = { callback_type: "dlr", sid: "sid-1", exo_status_code: "30018", description: "re-engagement" }

/** An array nested `depth` levels deep, built without recursion. */
const nested = (depth: number): unknown => {
  const root: Array<unknown> = []
  let current = root
  for (let i = 1; i < depth; i++) {
    const next: Array<unknown> = []
    current.push(next)
    current = next
  }
  return root
}

describe("Webhook.toIngestItems", () => {
  it("maps messages with their whole content, reports with their outcome, and keeps what it cannot decode", () => {
    const bad = { callback_type: "mystery", sid: "x" }
    const items = Webhook.toIngestItems({ whatsapp: { messages: [inbound, report, bad] } })
    assert.deepStrictEqual(items.map((item) => item._tag), ["Inbound", "Status", "Undecodable"])
    const [message, status, undecodable] = items
    if (message?._tag === "Inbound") {
      assert.deepStrictEqual(message.content, inbound.content)
      assert.strictEqual(message.contentType, "text")
      assert.deepStrictEqual(message.profileName, Option.some("Asha"))
      assert.strictEqual(message.business, "+919876500001")
      assert.strictEqual(message.raw, inbound)
    }
    if (status?._tag === "Status") {
      assert.deepStrictEqual(status.ref, { _tag: "ByProviderId", providerMessageId: "sid-1" })
      assert.isTrue(status.reengagement)
      assert.strictEqual(status.status, "failed")
      assert.deepStrictEqual(status.code, Option.some("30018"))
      assert.deepStrictEqual(status.detail, Option.some("re-engagement"))
    }
    if (undecodable?._tag === "Undecodable") {
      assert.strictEqual(undecodable.kind, "item")
      assert.strictEqual(undecodable.raw, bad)
      assert.include(undecodable.reason, "mystery")
    }
  })

  it("a body that is not a batch is one undecodable body, kept whole", () => {
    for (const body of [null, 42, "text", [], { whatsapp: {} }, { whatsapp: { messages: {} } }, { event: "x" }]) {
      const items = Webhook.toIngestItems(body, JSON.stringify(body))
      assert.strictEqual(items.length, 1)
      assert.isTrue(
        items[0]?._tag === "Undecodable" && items[0].kind === "body" && items[0].raw === JSON.stringify(body)
      )
      assert.isFalse(Webhook.isBatch(body))
    }
    const withoutText = Webhook.toIngestItems({ nope: true })
    assert.deepStrictEqual(withoutText[0]?._tag === "Undecodable" && withoutText[0].raw, { nope: true })
  })

  it("an item nested too deep is refused unread; one JSON cannot even write back is kept as the whole body", () => {
    const deep = nested(Webhook.MAX_ITEM_DEPTH + 2)
    const [guarded] = Webhook.toIngestItems({ whatsapp: { messages: [deep] } }, "the body")
    assert.isTrue(guarded?._tag === "Undecodable" && guarded.kind === "item" && guarded.reason.includes("levels deep"))
    const huge = nested(200_000)
    const text = "[".repeat(10) // stands for the request body as received
    const [kept] = Webhook.toIngestItems({ whatsapp: { messages: [inbound, huge] } }, text).slice(1)
    assert.isTrue(kept?._tag === "Undecodable" && kept.kind === "body" && kept.raw === text)
    assert.include(kept?._tag === "Undecodable" ? kept.reason : "", "item 1")
    // without the body text it is still kept, as the item (its text is then described, not lost silently)
    const [item] = Webhook.toIngestItems({ whatsapp: { messages: [huge] } })
    assert.strictEqual(item?._tag === "Undecodable" && item.kind, "item")
    assert.strictEqual(Ingest.rawText(huge), "\"[not representable as JSON text]\"")
  })
})

describe("Webhook.fromBodyText", () => {
  it("decodes a batch, and says why a body is not one", () => {
    const batch = Webhook.fromBodyText(JSON.stringify({ whatsapp: { messages: [inbound] } }))
    assert.deepStrictEqual([batch.items.length, Option.isNone(batch.notABatch)], [1, true])
    const notJson = Webhook.fromBodyText("{ nope")
    assert.deepStrictEqual(notJson.notABatch, Option.some("the body is not JSON"))
    assert.isTrue(notJson.items[0]?._tag === "Undecodable" && notJson.items[0].raw === "{ nope")
    const other = Webhook.fromBodyText(JSON.stringify({ type: "inbound_message", data: {} }))
    assert.isTrue(Option.isSome(other.notABatch))
  })
})

describe("Webhook.fromQuarantine", () => {
  it("decodes an entry again: an item as an item of a batch, a body as a body", () => {
    const item = Webhook.fromQuarantine({ kind: "item", raw: JSON.stringify(inbound) })
    assert.deepStrictEqual(item.map((i) => i._tag), ["Inbound"])
    const unknown = Webhook.fromQuarantine({ kind: "unknown_message", raw: JSON.stringify(report) })
    assert.deepStrictEqual(unknown.map((i) => i._tag), ["Status"])
    const body = Webhook.fromQuarantine({
      kind: "body",
      raw: JSON.stringify({ whatsapp: { messages: [inbound, report] } })
    })
    assert.deepStrictEqual(body.map((i) => i._tag), ["Inbound", "Status"])
    const still = Webhook.fromQuarantine({ kind: "item", raw: JSON.stringify({ callback_type: "mystery" }) })
    assert.isTrue(
      still[0]?._tag === "Undecodable" && Ingest.rawText(still[0].raw) === JSON.stringify({ callback_type: "mystery" })
    )
    const notJson = Webhook.fromQuarantine({ kind: "item", raw: "{ nope" })
    assert.isTrue(notJson[0]?._tag === "Undecodable" && notJson[0].raw === "{ nope")
  })
})
