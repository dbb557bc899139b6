/**
 * What opens the window, and Exotel's webhook variants, end to end: the fake Exotel posts to a real server on
 * loopback; the answers, the window (`GET /v1/sessions/…`), the history and the quarantine show what was recorded.
 */
import { assert, describe, it } from "@effect/vitest"
import { DateTime, Effect } from "effect"
import {
  at,
  BUSINESS,
  client,
  CUSTOMER,
  customerWrites,
  followUp,
  postBatch,
  TestEnv,
  TestServer,
  text
} from "./support.js"

const ack = (body: string) => JSON.parse(body) as { accepted: number; duplicates: number; rejected: number }
const pair = { business: BUSINESS, customer: CUSTOMER }
const OTHER = "+919876543299"
const iso = (instant: DateTime.Utc | null | undefined) =>
  instant === null || instant === undefined ? null : DateTime.formatIso(instant)

/** An inbound item as Exotel posts it, sent now (India time), from `from`. */
const item = (sid: string, content: Record<string, unknown>, fields: Record<string, unknown> = {}) =>
  Effect.gen(function*() {
    const env = yield* TestEnv
    const now = yield* DateTime.now
    return {
      ...env.fake.inboundItem({ from: CUSTOMER, to: BUSINESS, sid, timestamp: DateTime.formatIso(now), content }),
      ...fields
    }
  })

const systemNotice = {
  type: "system",
  system: { body: "User Customer changed from +919876543210 to +919876543211", type: "user_changed_number" }
}

describe("what opens the window, end to end", () => {
  it.live("a system item and a group_id item are answered 200 and stored, and leave the window as it was", () =>
    Effect.gen(function*() {
      const api = yield* client
      yield* at("2026-01-20T04:31:00Z")
      yield* customerWrites({ sid: "opener", timestamp: "2026-01-20T10:00:00+05:30" })
      const before = yield* api.sessions.getSession({ path: pair, urlParams: {} })
      assert.strictEqual(before.state, "open")
      assert.strictEqual(iso(before.lastInboundAt), "2026-01-20T04:30:00.000Z")

      yield* at("2026-01-20T09:00:00Z")
      const delivery = yield* postBatch([
        yield* item("sys-1", systemNotice),
        yield* item("grp-1", text("Hi all"), { group_id: "120363000000000001" }),
        yield* item("grp-2", { ...text("Hi again"), group_id: "120363000000000001" })
      ])
      assert.strictEqual(delivery.status, 200)
      assert.deepStrictEqual(ack(delivery.body), { accepted: 3, duplicates: 0, rejected: 0 })

      const after = yield* api.sessions.getSession({ path: pair, urlParams: {} })
      assert.strictEqual(after.state, "open")
      assert.strictEqual(iso(after.lastInboundAt), "2026-01-20T04:30:00.000Z")
      assert.strictEqual(iso(after.expiresAt), "2026-01-21T04:30:00.000Z")
      const explained = yield* api.sessions.explainSession({ path: pair, urlParams: {} })
      assert.strictEqual(explained.basisMessageId, "opener")

      const history = yield* api.sessions.listMessages({ path: pair, urlParams: {} })
      const inbound = history.items.flatMap((entry) => entry.direction === "inbound" ? [entry] : [])
      assert.sameMembers(inbound.map((entry) => entry.id), ["opener", "sys-1", "grp-1", "grp-2"])
      const system = inbound.find((entry) => entry.id === "sys-1")!
      assert.strictEqual(system.contentType, "system")
      assert.deepStrictEqual(system.content, systemNotice)

      // the same items again: duplicates, nothing moves
      const again = yield* postBatch([
        yield* item("sys-1", systemNotice),
        yield* item("grp-1", text("Hi all"), { group_id: "g" })
      ])
      assert.deepStrictEqual(ack(again.body), { accepted: 0, duplicates: 2, rejected: 0 })
      assert.strictEqual(
        iso((yield* api.sessions.getSession({ path: pair, urlParams: {} })).lastInboundAt),
        "2026-01-20T04:30:00.000Z"
      )

      // a message the customer writes still opens it
      yield* customerWrites({ sid: "text-2" })
      assert.strictEqual(
        iso((yield* api.sessions.getSession({ path: pair, urlParams: {} })).lastInboundAt),
        "2026-01-20T09:00:00.000Z"
      )
    }).pipe(Effect.provide(TestServer())))

  it.live("on a pair that never wrote: stored and in the history, still no window; a template-only pair stays so", () =>
    Effect.gen(function*() {
      const api = yield* client
      const other = { business: BUSINESS, customer: OTHER }
      const delivery = yield* postBatch([
        yield* item("sys-2", systemNotice, { from: OTHER }),
        yield* item("grp-3", text("Hi all"), { from: OTHER, group_id: "g-7" }),
        yield* item("react-off", { type: "reaction", reaction: { message_id: "wamid.1" } }, { from: OTHER })
      ])
      assert.strictEqual(delivery.status, 200)
      assert.deepStrictEqual(ack(delivery.body), { accepted: 3, duplicates: 0, rejected: 0 })
      const session = yield* api.sessions.getSession({ path: other, urlParams: {} })
      assert.strictEqual(session.state, "none")
      const history = yield* api.sessions.listMessages({ path: other, urlParams: {} })
      assert.sameMembers(history.items.map((entry) => entry.id), ["sys-2", "grp-3", "react-off"])
      const events = yield* api.events.listEvents({ urlParams: { type: "message.received" } })
      assert.strictEqual(events.items.length, 3)
      for (const event of events.items) {
        assert.isTrue(event.type === "message.received" && event.data.window.state === "none")
      }
      const opened = yield* api.events.listEvents({ urlParams: { type: "window.opened" } })
      assert.strictEqual(opened.items.length, 0)
      const sent = yield* api.messages.sendMessage({
        payload: { from: BUSINESS, to: OTHER, content: text("Hello"), fallback: followUp },
        headers: {}
      })
      assert.strictEqual(sent.decision, "template")
    }).pipe(Effect.provide(TestServer())))

  it.live("a reaction opens the window, an unknown type does too; the withdrawal of a reaction does not", () =>
    Effect.gen(function*() {
      const api = yield* client
      yield* postBatch([yield* item("react-off", { type: "reaction", reaction: { message_id: "wamid.1", emoji: "" } })])
      assert.strictEqual((yield* api.sessions.getSession({ path: pair, urlParams: {} })).state, "none")
      yield* postBatch([
        yield* item("react-on", { type: "reaction", reaction: { message_id: "wamid.1", emoji: "👍" } })
      ])
      const reacted = yield* api.sessions.getSession({ path: pair, urlParams: {} })
      assert.strictEqual(reacted.state, "open")
      yield* at("2026-01-20T05:30:00Z")
      yield* postBatch([yield* item("unknown-1", { type: "unknown", errors: [{ code: 131051 }] })])
      const explained = yield* api.sessions.explainSession({ path: pair, urlParams: {} })
      assert.strictEqual(explained.basisMessageId, "unknown-1")
    }).pipe(Effect.provide(TestServer())))
})

describe("Exotel's webhook variants, end to end", () => {
  it.live("message_sid, a `to` that is no phone number, codes as strings, offset-less times; what does not decode is quarantined", () =>
    Effect.gen(function*() {
      const api = yield* client
      const env = yield* TestEnv
      yield* at("2026-01-20T04:30:00Z")
      // a time without an offset names no instant: the window counts from the receive time
      const opened = yield* postBatch([
        {
          ...(yield* item("in-ms", text("Hi"))),
          sid: undefined,
          message_sid: "in-ms",
          timestamp: "2026-01-20 10:00:00"
        }
      ])
      assert.deepStrictEqual(ack(opened.body), { accepted: 1, duplicates: 0, rejected: 0 })
      const session = yield* api.sessions.getSession({ path: pair, urlParams: {} })
      assert.strictEqual(iso(session.lastInboundAt), "2026-01-20T04:30:00.000Z")
      const received = yield* api.events.listEvents({ urlParams: { type: "message.received" } })
      assert.isTrue(
        received.items[0]?.type === "message.received" && received.items[0].data.timestampAdjustment === "missing"
      )

      const sent = yield* api.messages.sendMessage({
        payload: { from: BUSINESS, to: CUSTOMER, content: text("Hello") },
        headers: {}
      })
      assert.strictEqual(sent.decision, "session")
      const reports = yield* postBatch([
        {
          callback_type: "dlr",
          message_sid: sent.providerMessageId,
          client_sid: "c-1",
          to: "phone-number-id-1065",
          exo_status_code: "30002",
          timestamp: "2026-01-20 10:00:05+05:30"
        },
        { callback_type: "dlr", client_sid: "c-2", exo_status_code: 30003 },
        { callback_type: "dlr", message_sid: sent.providerMessageId, exo_status_code: "seen" }
      ])
      assert.strictEqual(reports.status, 200)
      assert.deepStrictEqual(ack(reports.body), { accepted: 1, duplicates: 0, rejected: 2 })
      const message = yield* api.messages.getMessage({ path: { id: sent.id } })
      assert.strictEqual(message.status, "delivered")
      const kept = yield* api.quarantine.listQuarantine({ urlParams: {} })
      assert.sameMembers(kept.items.map((entry) => entry.kind), ["item", "item"])
      assert.isTrue(kept.items.some((entry) => entry.raw.includes("c-2") && entry.reason.includes("message_sid")))
      assert.isTrue(kept.items.some((entry) => entry.raw.includes("seen") && entry.reason.includes("exo_status_code")))
      assert.strictEqual(env.fake.messages.length, 1)
    }).pipe(Effect.provide(TestServer())))
})
