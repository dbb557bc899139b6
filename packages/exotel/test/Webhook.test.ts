import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Option } from "effect"
import { Webhook } from "../src/index.js"
import { adapter, decodeOk, decodeOne, request, send, utc, webhookHarness } from "./support.js"

const harness = webhookHarness()
const { deliver } = harness

describe("Webhook over HTTP", () => {
  it.live("a batch mixing inbound messages, delivery reports and one malformed item decodes item by item", () =>
    Effect.gen(function*() {
      const receipt = yield* send(request({ outboundId: "msg_77" })).pipe(
        Effect.provide(adapter(harness.fake, { statusCallbackUrl: harness.callbackUrl }))
      )
      const sent = harness.fake.messages[0]!
      assert.strictEqual(sent.statusCallback, harness.callbackUrl)
      const body = yield* deliver((url) =>
        harness.fake.sendBatch(url, [
          harness.fake.inboundItem({
            from: "+919158455686",
            to: "+919211514326",
            text: "Hi",
            sid: "in-1",
            profileName: "Aman",
            timestamp: "2022-10-19T21:48:31+05:30"
          }),
          harness.fake.deliveryReportItem({ sid: receipt.providerMessageId, code: 30001 }),
          harness.fake.inboundItem({
            from: "919158455686",
            to: "919211514326",
            sid: "in-2",
            timestamp: 1666196311,
            callbackType: "icm",
            content: {
              type: "interactive",
              interactive: { type: "button_reply", button_reply: { id: "yes", title: "Yes" } }
            }
          }),
          { callback_type: "dlr", exo_status_code: 30002 },
          harness.fake.deliveryReportItem({ sid: receipt.providerMessageId, code: 30002, codeAsString: true }),
          harness.fake.inboundItem({
            from: "+919158455686",
            to: "+919211514326",
            sid: "in-3",
            timestamp: "1666196400",
            content: {
              type: "interactive",
              interactive: { type: "list_reply", list_reply: { id: "t1", title: "10:00", description: "Today" } }
            }
          }),
          harness.fake.inboundItem({
            from: "+919158455686",
            to: "+919211514326",
            sid: "in-4",
            content: { type: "button", button: { text: "Track order", payload: "TRACK" } }
          }),
          harness.fake.deliveryReportItem({ sid: receipt.providerMessageId, code: 30018 })
        ])
      )
      const items = decodeOk(body)
      assert.deepStrictEqual(items.map((item) => item._tag), [
        "Inbound",
        "DeliveryReport",
        "Inbound",
        "Malformed",
        "DeliveryReport",
        "Inbound",
        "Inbound",
        "DeliveryReport"
      ])
      assert.deepStrictEqual(items.map((item) => item.index), [0, 1, 2, 3, 4, 5, 6, 7])

      const text = items[0] as Webhook.Inbound
      assert.strictEqual(text.messageId, "in-1")
      assert.strictEqual(text.customer, "+919158455686")
      assert.strictEqual(text.business, "+919211514326")
      assert.deepStrictEqual(text.profileName, Option.some("Aman"))
      assert.deepStrictEqual(text.providerTimestamp, Option.some(utc("2022-10-19T16:18:31Z")))
      assert.strictEqual(text.contentType, "text")
      assert.deepStrictEqual(text.content, { type: "text", text: { body: "Hi" } })

      const button = items[2] as Webhook.Inbound
      assert.strictEqual(button.customer, "+919158455686")
      assert.strictEqual(button.contentType, "interactive")
      assert.deepStrictEqual(button.providerTimestamp, Option.some(utc("2022-10-19T16:18:31Z")))
      assert.deepStrictEqual((button.content as any).interactive.button_reply, { id: "yes", title: "Yes" })

      const list = items[5] as Webhook.Inbound
      assert.deepStrictEqual(list.providerTimestamp, Option.some(utc("2022-10-19T16:20:00Z")))
      assert.strictEqual((list.content as any).interactive.list_reply.id, "t1")
      const templateButton = items[6] as Webhook.Inbound
      assert.strictEqual(templateButton.contentType, "button")
      assert.deepStrictEqual(templateButton.content.button, { text: "Track order", payload: "TRACK" })

      const malformed = items[3] as Webhook.Malformed
      assert.include(malformed.reason, "sid")
      assert.deepStrictEqual(malformed.item, { callback_type: "dlr", exo_status_code: 30002 })

      const sentReport = items[1] as Webhook.DeliveryReport
      assert.strictEqual(sentReport.providerMessageId, receipt.providerMessageId)
      assert.deepStrictEqual(sentReport.outboundId, Option.some("msg_77"))
      assert.deepStrictEqual(sentReport.idempotencyKey, Option.some("order-42"))
      assert.deepStrictEqual(sentReport.to, Option.some("+919158455686"))
      assert.deepStrictEqual(sentReport.code, Option.some(30001))
      assert.deepStrictEqual(sentReport.outcome, { status: "sent", reengagement: false, failureName: Option.none() })
      assert.isTrue(Option.isSome(sentReport.at))
      assert.deepStrictEqual(Webhook.outboundRef(sentReport), { _tag: "ById", id: "msg_77" })

      const delivered = items[4] as Webhook.DeliveryReport
      assert.deepStrictEqual(delivered.code, Option.some(30002))
      assert.strictEqual(delivered.outcome.status, "delivered")

      const closed = items[7] as Webhook.DeliveryReport
      assert.deepStrictEqual(closed.outcome, {
        status: "failed",
        reengagement: true,
        failureName: Option.some("EX_REENGAGEMENT_ERROR")
      })
      assert.deepStrictEqual(closed.detailedStatus, Option.some("EX_REENGAGEMENT_ERROR"))
      assert.deepStrictEqual(closed.outboundId, Option.some("msg_77"))
    }))

  it.live("30018 on its own: the provider closed the window", () =>
    Effect.gen(function*() {
      const body = yield* deliver((url) =>
        harness.fake.sendDeliveryReport(url, { sid: "sid-1", code: 30018, to: "919158455686", customData: "Order12" })
      )
      const [report] = decodeOk(body)
      assert.strictEqual(report!._tag, "DeliveryReport")
      const dlr = report as Webhook.DeliveryReport
      assert.isTrue(dlr.outcome.reengagement)
      assert.strictEqual(dlr.outcome.status, "failed")
      assert.deepStrictEqual(dlr.customData, Option.some("Order12"))
      assert.isTrue(Option.isNone(dlr.outboundId))
      assert.deepStrictEqual(Webhook.outboundRef(dlr), { _tag: "ByProviderId", providerMessageId: "sid-1" })
    }))
})

describe("Webhook.decodeBatch", () => {
  it("rejects a body that is not a batch", () => {
    for (const body of [null, "text", [], {}, { whatsapp: {} }, { whatsapp: { messages: {} } }, { messages: [] }]) {
      const result = Webhook.decodeBatch(body)
      assert.isTrue(Either.isLeft(result), JSON.stringify(body))
      if (Either.isLeft(result)) {
        assert.strictEqual(result.left._tag, "WebhookEnvelopeError")
        assert.include(result.left.message, "not an Exotel webhook batch")
      }
    }
    assert.deepStrictEqual(decodeOk({ whatsapp: { messages: [] } }), [])
  })

  it("reports each bad item with its reason", () => {
    const message = (fields: Record<string, unknown>) => {
      const item: Record<string, unknown> = {
        callback_type: "incoming_message",
        sid: "x",
        from: "+919158455686",
        to: "+919211514326",
        content: { type: "text" },
        ...fields
      }
      for (const key of Object.keys(item)) if (item[key] === undefined) delete item[key]
      return item
    }
    const bad: ReadonlyArray<readonly [unknown, string]> = [
      ["a string", "expected an object"],
      [{ callback_type: "whatever", sid: "x" }, "unsupported callback_type \"whatever\""],
      [{ sid: "x" }, "callback_type is missing"],
      [message({ from: undefined }), "from: is missing"],
      [message({ sid: undefined }), "sid: is missing"],
      [message({ sid: "" }), "sid: is missing"],
      [message({ from: "12" }), "from: \"12\" is not a phone number"],
      [message({ to: "+0123" }), "to:"],
      [message({ callback_type: "icm", content: {} }), "content.type: is missing"],
      [message({ content: "hello" }), "content"],
      [message({ timestamp: "yesterday" }), "timestamp"],
      [message({ timestamp: "2026-02-30T10:00:00+05:30" }), "not a valid date"],
      [message({ timestamp: "2026-01-20T24:30:00Z" }), "not a valid date"],
      [
        { callback_type: "dlr", sid: "x", exo_status_code: 30002, timestamp: "2026-04-31T10:00:00Z" },
        "not a valid date"
      ],
      [{ callback_type: "dlr", sid: "x" }, "both missing"],
      [{ callback_type: "dlr", sid: "x", exo_status_code: "delivered" }, "exo_status_code"],
      // ids a store would refuse (NUL in PostgreSQL) or change (an unpaired surrogate becomes U+FFFD)
      [message({ sid: "x\u0000" }), "sid: contains a NUL character or an unpaired surrogate"],
      [message({ sid: undefined, message_sid: "\ud800" }), "message_sid: contains a NUL"],
      [message({ content: { type: "te\u0000xt" } }), "content.type: contains a NUL"],
      [{ callback_type: "dlr", sid: "\udc00x", exo_status_code: 30002 }, "sid: contains a NUL"]
    ]
    const items = decodeOk({ whatsapp: { messages: bad.map(([item]) => item) } })
    items.forEach((item, i) => {
      assert.strictEqual(item._tag, "Malformed", JSON.stringify(bad[i]![0]))
      assert.strictEqual(item.index, i)
      assert.include((item as Webhook.Malformed).reason, bad[i]![1])
    })
  })

  it("keeps display text the stores could not keep exactly as U+FFFD (the raw item keeps it exact)", () => {
    const [inbound, report] = decodeOk({
      whatsapp: {
        messages: [
          {
            callback_type: "icm",
            sid: "a",
            from: "+919158455686",
            to: "+919211514326",
            profile_name: "A\u0000\ud800",
            content: { type: "text" }
          },
          {
            callback_type: "dlr",
            sid: "b",
            exo_detailed_status: "E\u0000",
            description: "d\udc00",
            custom_data: JSON.stringify({ id: "msg_\u0000" })
          }
        ]
      }
    })
    assert.isTrue(inbound?._tag === "Inbound" && Option.getOrNull(inbound.profileName) === "A\uFFFD\uFFFD")
    assert.isTrue(
      inbound?._tag === "Inbound" && (inbound.raw as { profile_name: string }).profile_name === "A\u0000\ud800"
    )
    assert.isTrue(report?._tag === "DeliveryReport" && Option.getOrNull(report.detailedStatus) === "E\uFFFD")
    assert.isTrue(report?._tag === "DeliveryReport" && Option.getOrNull(report.description) === "d\uFFFD")
    // not an id this adapter sent
    assert.isTrue(report?._tag === "DeliveryReport" && Option.isNone(report.outboundId))
  })

  it("tells items apart by shape when callback_type is absent, and ignores its case", () => {
    assert.strictEqual(decodeOne({ sid: "s", exo_status_code: 30001 })._tag, "DeliveryReport")
    assert.strictEqual(decodeOne({ sid: "s", exo_detailed_status: "EX_MESSAGE_SEEN" })._tag, "DeliveryReport")
    assert.strictEqual(
      decodeOne({ sid: "s", from: "+919158455686", to: "+919211514326", content: { type: "text" } })._tag,
      "Inbound"
    )
    assert.strictEqual(decodeOne({ callback_type: "DLR", sid: "s", exo_status_code: 30001 })._tag, "DeliveryReport")
  })

  it("reads timestamps as ISO-8601 with an offset, or Unix seconds as a number or a string", () => {
    const at = (timestamp: unknown) =>
      (decodeOne({ callback_type: "dlr", sid: "s", exo_status_code: 30002, timestamp }) as Webhook.DeliveryReport).at
    const expected = Option.some(utc("2024-01-15T05:00:05Z"))
    assert.deepStrictEqual(at("2024-01-15T10:30:05.000+05:30"), expected)
    assert.deepStrictEqual(at("2024-01-15T10:30:05+0530"), expected)
    assert.deepStrictEqual(at("2024-01-15 05:00:05Z"), expected)
    assert.deepStrictEqual(at(1705294805), expected)
    assert.deepStrictEqual(at("1705294805"), expected)
    assert.deepStrictEqual(at(1705294805000), expected)
    assert.isTrue(Option.isNone(at(undefined)))
    assert.isTrue(Option.isNone(at(null)))
  })

  it("keeps optional fields optional and reads custom_data that is not ours as None", () => {
    const dlr = decodeOne({
      callback_type: "dlr",
      sid: "s",
      exo_detailed_status: "EX_RESTRICTED_BY_META",
      custom_data: "x"
    })
    assert.strictEqual(dlr._tag, "DeliveryReport")
    const report = dlr as Webhook.DeliveryReport
    assert.isTrue(Option.isNone(report.code))
    assert.isTrue(Option.isNone(report.to))
    assert.isTrue(Option.isNone(report.outboundId))
    assert.deepStrictEqual(report.outcome, {
      status: "failed",
      reengagement: false,
      failureName: Option.some("EX_RESTRICTED_BY_META")
    })
    const inbound = decodeOne({
      callback_type: "incoming_message",
      sid: "s",
      from: "+919158455686",
      to: "+919211514326",
      profile_name: null,
      content: { type: "image", image: { url: "https://x/y.jpg", caption: "c" } }
    }) as Webhook.Inbound
    assert.isTrue(Option.isNone(inbound.profileName))
    assert.isTrue(Option.isNone(inbound.providerTimestamp))
    assert.strictEqual(inbound.contentType, "image")
  })

  it("parseCustomData reads back what the sender writes", () => {
    assert.deepStrictEqual(Webhook.parseCustomData(Option.some("{\"id\":\"msg_1\",\"idempotencyKey\":\"k\"}")), {
      outboundId: Option.some("msg_1"),
      idempotencyKey: Option.some("k")
    })
    assert.deepStrictEqual(Webhook.parseCustomData(Option.some("{\"id\":\"msg_1\"}")), {
      outboundId: Option.some("msg_1"),
      idempotencyKey: Option.none()
    })
    for (const other of ["Order12", "[1]", "{\"id\":3}", "null"]) {
      assert.isTrue(Option.isNone(Webhook.parseCustomData(Option.some(other)).outboundId), other)
    }
  })
})
