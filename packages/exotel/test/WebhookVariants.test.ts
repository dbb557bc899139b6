/**
 * What other integrators' live Exotel traffic shows besides the documented shape: `message_sid` for `sid`, delivery
 * reports whose `to` is not a phone number, codes as strings or numbers, timestamps with a space for the `T` or
 * without an offset (no instant: read as missing), system notices and group messages (decoded like any message, with
 * their group). What still does not decode is kept for the quarantine, never dropped.
 */
import { assert, describe, it } from "@effect/vitest"
import { Ingest, WindowOpeners } from "@wa-session/session-core"
import { Duration, Effect, Option } from "effect"
import { Webhook } from "../src/index.js"
import { adapter, BUSINESS, CUSTOMER, decodeOk, decodeOne, request, send, utc, webhookHarness } from "./support.js"

const harness = webhookHarness()
const deliver = harness.deliverBatch

const message = (fields: Record<string, unknown>) => ({
  callback_type: "incoming_message",
  from: CUSTOMER,
  to: BUSINESS,
  profile_name: "Aman",
  timestamp: "2026-01-20T10:00:00+05:30",
  content: { type: "text", text: { body: "Hi" } },
  ...fields
})

describe("Webhook variants over HTTP (the fake Exotel over loopback)", () => {
  it.live("message_sid, a `to` that is no phone number, string and number codes, space-separated and offset-less timestamps", () =>
    Effect.gen(function*() {
      const receipt = yield* send(request({ outboundId: "msg_5" })).pipe(
        Effect.provide(adapter(harness.fake, { statusCallbackUrl: harness.callbackUrl }))
      )
      const sid = receipt.providerMessageId
      const body = yield* deliver([
        // 0: keyed message_sid (with client_sid), code as a string, a space for the T
        {
          callback_type: "dlr",
          message_sid: sid,
          client_sid: "client-1",
          exo_status_code: "30001",
          exo_detailed_status: "EX_MESSAGE_SENT",
          timestamp: "2026-01-20 10:00:05+05:30"
        },
        // 1: `to` a phone-number id, code a number, no offset
        {
          callback_type: "dlr",
          sid,
          to: "waba-phone-number-id",
          exo_status_code: 30002,
          timestamp: "2026-01-20 10:00:06"
        },
        // 2: `to` empty, code a number as a string with spaces
        { callback_type: "dlr", message_sid: sid, to: "", exo_status_code: " 30003 " },
        // 3: an inbound message keyed message_sid, with a time and no offset
        message({ sid: undefined, message_sid: "in-ms-1", timestamp: "2026-01-20T10:00:00" }),
        // 4: both keys: sid wins
        message({ sid: "in-sid", message_sid: "in-ms-2", timestamp: "2026-01-20 10:00:00+05:30" }),
        // 5: a system notice (the customer changed number)
        message({
          sid: "in-sys",
          content: {
            type: "system",
            system: { body: "User Aman changed from +919158455686 to +919158455687", type: "user_changed_number" }
          }
        }),
        // 6: a group message, group_id on the item
        message({ sid: "in-grp", group_id: "120363000000000001" }),
        // 7: a group message, group_id in the content
        message({ sid: "in-grp-2", content: { type: "text", text: { body: "Hi all" }, group_id: 120363000000000 } }),
        // 8..10: still undecodable
        { callback_type: "dlr", client_sid: "client-1", exo_status_code: 30002 },
        message({ sid: "in-bad", timestamp: "yesterday" }),
        { callback_type: "dlr", message_sid: sid, exo_status_code: "delivered" }
      ])
      const items = decodeOk(body)
      assert.deepStrictEqual(items.map((item) => item._tag), [
        "DeliveryReport",
        "DeliveryReport",
        "DeliveryReport",
        "Inbound",
        "Inbound",
        "Inbound",
        "Inbound",
        "Inbound",
        "Malformed",
        "Malformed",
        "Malformed"
      ])
      const [sent, delivered, seen] = items as ReadonlyArray<Webhook.DeliveryReport>
      assert.strictEqual(sent!.providerMessageId, sid)
      assert.deepStrictEqual(sent!.code, Option.some(30001))
      assert.deepStrictEqual(sent!.at, Option.some(utc("2026-01-20T04:30:05Z")))
      assert.strictEqual(sent!.outcome.status, "sent")
      assert.deepStrictEqual(Webhook.outboundRef(sent!), { _tag: "ByProviderId", providerMessageId: sid })
      assert.deepStrictEqual(delivered!.to, Option.none())
      assert.deepStrictEqual(delivered!.code, Option.some(30002))
      assert.deepStrictEqual(delivered!.at, Option.none())
      assert.strictEqual(delivered!.outcome.status, "delivered")
      assert.deepStrictEqual([seen!.to, seen!.code, seen!.outcome.status], [Option.none(), Option.some(30003), "read"])

      const [offsetLess, both, system, group, groupInContent] = items.slice(3, 8) as ReadonlyArray<Webhook.Inbound>
      assert.strictEqual(offsetLess!.messageId, "in-ms-1")
      assert.deepStrictEqual(offsetLess!.providerTimestamp, Option.none())
      assert.strictEqual(both!.messageId, "in-sid")
      assert.deepStrictEqual(both!.providerTimestamp, Option.some(utc("2026-01-20T04:30:00Z")))
      assert.strictEqual(system!.contentType, "system")
      assert.isUndefined(system!.groupId)
      assert.deepStrictEqual(group!.groupId, Option.some("120363000000000001"))
      assert.deepStrictEqual(groupInContent!.groupId, Option.some("120363000000000"))

      const [noSid, badTime, badCode] = items.slice(8) as ReadonlyArray<Webhook.Malformed>
      assert.include(noSid!.reason, "sid: is missing (and so is message_sid)")
      assert.include(badTime!.reason, "timestamp")
      assert.include(badCode!.reason, "exo_status_code")
    }))

  it.live("through to the core: the variants are recorded, system and group messages stored only, the rest quarantined", () =>
    Effect.gen(function*() {
      const body = yield* deliver([
        message({ sid: undefined, message_sid: "in-1", timestamp: "2026-01-20 10:00:00" }),
        message({ sid: "in-2", content: { type: "system", system: { body: "changed number" } } }),
        message({ sid: "in-3", group_id: "g-1" }),
        { callback_type: "dlr", message_sid: "sid-7", to: "not-a-number", exo_status_code: "30018" },
        { callback_type: "dlr", exo_status_code: 30002 }
      ])
      const now = utc("2026-01-20T05:00:00Z")
      const items = Webhook.toIngestItems(body, JSON.stringify(body))
      assert.deepStrictEqual(items.map((item) => item._tag), ["Inbound", "Inbound", "Inbound", "Status", "Undecodable"])
      const opens = items.map((item) => item._tag === "Inbound" && WindowOpeners.opensWindow(item))
      assert.deepStrictEqual(opens, [true, false, false, false, false])
      const [group] = items.slice(2)
      assert.deepStrictEqual(group?._tag === "Inbound" && group.groupId, Option.some("g-1"))
      const status = items[3]
      assert.isTrue(status?._tag === "Status" && status.reengagement)
      assert.deepStrictEqual(
        status?._tag === "Status" && status.ref,
        { _tag: "ByProviderId", providerMessageId: "sid-7" }
      )

      const prepared = Ingest.prepare(items, now, Duration.minutes(5))
      // the time without an offset counts as missing: the receive time, recorded as such
      const first = prepared[0]
      assert.isTrue(first?._tag === "Inbound" && first.timestampAdjustment === "missing")
      assert.deepStrictEqual(first?._tag === "Inbound" && first.message.sentAt, now)
      assert.deepStrictEqual(prepared[2]?._tag === "Inbound" && prepared[2].groupId, Option.some("g-1"))
      const plan = Ingest.plan(
        { pairs: new Map(), inbound: new Map(), outbound: new Map(), quarantine: new Set() },
        {
          now,
          policy: { safetyMargin: Duration.zero, expiringLead: Duration.zero },
          items: prepared,
          resolves: []
        }
      )
      assert.deepStrictEqual(plan.inbound.map((m) => m.message.messageId), ["in-1", "in-2", "in-3"])
      assert.deepStrictEqual(plan.windows.map(({ window }) => window.basisMessageId), ["in-1"])
      assert.deepStrictEqual(plan.results.map((r) => r._tag), [
        "Inbound",
        "Inbound",
        "Inbound",
        "Status",
        "Quarantined"
      ])
      assert.deepStrictEqual(plan.results.slice(1, 3).map((r) => r._tag === "Inbound" && r.storedOnly), [
        "system",
        "group"
      ])
      // the report names no message we know, the last item does not decode: both kept in the quarantine
      assert.deepStrictEqual(plan.quarantine.map((q) => q.kind), ["unknown_message", "item"])
      assert.deepStrictEqual(Ingest.counts(plan.results), { accepted: 4, duplicates: 0, rejected: 1 })
    }))
})

describe("Webhook variants: decoding", () => {
  it("a delivery report needs sid or message_sid; a blank sid falls back to message_sid", () => {
    const report = decodeOne({ callback_type: "dlr", sid: " ", message_sid: "ms-1", exo_status_code: 30002 })
    assert.strictEqual(report._tag === "DeliveryReport" && report.providerMessageId, "ms-1")
    const inbound = decodeOne(message({ sid: null, message_sid: "ms-2" }))
    assert.strictEqual(inbound._tag === "Inbound" && inbound.messageId, "ms-2")
    const neither = decodeOne(message({ sid: undefined }))
    assert.isTrue(neither._tag === "Malformed" && neither.reason.includes("sid: is missing"))
  })

  it("times without an offset, dates alone included, are read as missing; a real but impossible time is still refused", () => {
    const offsetLess = [
      "2026-01-20T10:00:00",
      "2026-01-20 10:00",
      "2026-01-20T10:00:00.250",
      "2026-01-20",
      " 2026-01-20t10:00 "
    ]
    for (const timestamp of offsetLess) {
      const inbound = decodeOne(message({ sid: "s", timestamp }))
      assert.isTrue(inbound._tag === "Inbound" && Option.isNone(inbound.providerTimestamp), timestamp)
      const report = decodeOne({ callback_type: "dlr", sid: "s", exo_status_code: 30002, timestamp })
      assert.isTrue(report._tag === "DeliveryReport" && Option.isNone(report.at), timestamp)
    }
    for (const timestamp of ["2026-01-20 10:00:00+05:30", "2026-01-20 04:30:00Z", "2026-01-20T10:00:00+0530"]) {
      const inbound = decodeOne(message({ sid: "s", timestamp }))
      assert.deepStrictEqual(
        inbound._tag === "Inbound" && inbound.providerTimestamp,
        Option.some(utc("2026-01-20T04:30:00Z")),
        timestamp
      )
    }
    for (const timestamp of ["2026-02-30 10:00:00+05:30", "20 Jan 2026", "2026-01-20T10:00:00 IST"]) {
      const inbound = decodeOne(message({ sid: "s", timestamp }))
      assert.isTrue(inbound._tag === "Malformed" && inbound.reason.includes("timestamp"), timestamp)
    }
  })

  it("group_id: a string or a number, on the item or in its content; blank is no group", () => {
    const groupOf = (fields: Record<string, unknown>) => {
      const decoded = decodeOne(message({ sid: "s", ...fields }))
      return decoded._tag === "Inbound" ? decoded.groupId : "malformed"
    }
    assert.deepStrictEqual(groupOf({ group_id: " g1 " }), Option.some("g1"))
    assert.deepStrictEqual(groupOf({ group_id: 42 }), Option.some("42"))
    assert.isUndefined(groupOf({ group_id: "" }))
    assert.isUndefined(groupOf({ group_id: null }))
    assert.isUndefined(groupOf({ content: { type: "text", group_id: Number.NaN } }))
    assert.deepStrictEqual(groupOf({ content: { type: "text", group_id: "g2" } }), Option.some("g2"))
    assert.deepStrictEqual(groupOf({ group_id: "g1", content: { type: "text", group_id: "g2" } }), Option.some("g1"))
    assert.strictEqual(groupOf({ group_id: { id: "g" } }), "malformed")
    // carried to the core's item
    const [item] = Webhook.toIngestItems({ whatsapp: { messages: [message({ sid: "s", group_id: "g1" })] } })
    assert.deepStrictEqual(item?._tag === "Inbound" && item.groupId, Option.some("g1"))
    const [plain] = Webhook.toIngestItems({ whatsapp: { messages: [message({ sid: "s" })] } })
    assert.isTrue(plain?._tag === "Inbound" && !("groupId" in plain))
  })

  it("a reaction and its withdrawal decode alike; the core tells them apart", () => {
    const reacted = decodeOne(
      message({ sid: "r1", content: { type: "reaction", reaction: { message_id: "wamid.1", emoji: "👍" } } })
    )
    const removed = decodeOne(
      message({ sid: "r2", content: { type: "reaction", reaction: { message_id: "wamid.1" } } })
    )
    assert.isTrue(reacted._tag === "Inbound" && WindowOpeners.opensWindow(reacted))
    assert.isTrue(removed._tag === "Inbound" && !WindowOpeners.opensWindow(removed))
  })
})
