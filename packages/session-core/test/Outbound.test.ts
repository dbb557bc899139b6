import { assert, describe, it } from "@effect/vitest"
import { DateTime, Option, Schema } from "effect"
import * as fc from "effect/FastCheck"
import { isDeepStrictEqual } from "node:util"
import { MessageContent, Outbound } from "../src/index.js"
import { business, customer, followUpTemplate, text } from "./fixtures.js"

const fingerprint = Outbound.requestFingerprint

/** The same JSON value with every object's keys in another order (reversed, then rotated by `turn`). */
const reorder = (value: unknown, turn: number): unknown => {
  if (Array.isArray(value)) return value.map((item) => reorder(item, turn + 1))
  if (typeof value !== "object" || value === null) return value
  const record = value as Record<string, unknown>
  const keys = Object.keys(record).reverse()
  const shift = keys.length === 0 ? 0 : turn % keys.length
  const order = [...keys.slice(shift), ...keys.slice(0, shift)]
  return Object.fromEntries(order.map((key) => [key, reorder(record[key], turn + 1)]))
}

/** Two JSON values that are not the same value once through JSON (so -0 and 0 are the same). */
const sameJson = (a: unknown, b: unknown) =>
  isDeepStrictEqual(JSON.parse(JSON.stringify(a) ?? "null"), JSON.parse(JSON.stringify(b) ?? "null"))

const request = fc.record({
  from: fc.string({ minLength: 1 }),
  to: fc.string({ minLength: 1 }),
  content: fc.jsonValue(),
  fallback: fc.option(fc.jsonValue(), { nil: undefined }),
  dryRun: fc.option(fc.boolean(), { nil: undefined })
}, { noNullPrototype: false })

describe("Outbound.requestFingerprint", () => {
  it("is 32 hex digits, the same for the same request, with absent fields as their defaults", () => {
    const base = { from: business, to: customer, content: text("Hi") }
    const value = fingerprint(base)
    assert.match(value, /^[0-9a-f]{32}$/)
    assert.strictEqual(fingerprint({ ...base }), value)
    assert.strictEqual(fingerprint({ ...base, fallback: undefined, dryRun: undefined }), value)
    assert.strictEqual(fingerprint({ ...base, fallback: null, dryRun: false }), value)
    assert.notStrictEqual(fingerprint({ ...base, dryRun: true }), value)
    assert.notStrictEqual(fingerprint({ ...base, fallback: followUpTemplate }), value)
    assert.notStrictEqual(fingerprint({ ...base, to: business }), value)
    assert.notStrictEqual(fingerprint({ ...base, from: customer }), value)
    assert.notStrictEqual(fingerprint({ ...base, content: text("Hi!") }), value)
  })

  it("does not depend on the order of the fields, at any depth", () => {
    const a = fingerprint({
      from: business,
      to: customer,
      content: { type: "text", text: { body: "Hi", preview_url: false } },
      fallback: followUpTemplate,
      dryRun: false
    })
    const b = fingerprint({
      dryRun: false,
      fallback: { template: { language: { code: "en" }, name: "follow_up" }, type: "template" },
      content: { text: { preview_url: false, body: "Hi" }, type: "text" },
      to: customer,
      from: business
    })
    assert.strictEqual(a, b)
  })

  it("keeps array order, an own __proto__ key, and reads a bigint as its digits", () => {
    const base = { from: business, to: customer }
    assert.notStrictEqual(fingerprint({ ...base, content: [1, 2] }), fingerprint({ ...base, content: [2, 1] }))
    const proto = JSON.parse(`{"__proto__": {"a": 1}, "b": 2}`) as unknown
    assert.notStrictEqual(fingerprint({ ...base, content: proto }), fingerprint({ ...base, content: { b: 2 } }))
    assert.strictEqual(fingerprint({ ...base, content: { n: 12n } }), fingerprint({ ...base, content: { n: "12" } }))
  })

  it.prop("property: insensitive to key order, sensitive to any change of to, content, fallback or dryRun", [
    request,
    fc.nat(),
    request
  ], ([input, turn, other]) => {
    const value = fingerprint(input)
    const reordered = {
      dryRun: input.dryRun,
      fallback: reorder(input.fallback, turn),
      content: reorder(input.content, turn + 1),
      to: input.to,
      from: input.from
    }
    assert.strictEqual(fingerprint(reordered), value)
    if (other.to !== input.to) assert.notStrictEqual(fingerprint({ ...input, to: other.to }), value)
    if (!sameJson(other.content, input.content)) {
      assert.notStrictEqual(fingerprint({ ...input, content: other.content }), value)
    }
    if (!sameJson(other.fallback ?? null, input.fallback ?? null)) {
      assert.notStrictEqual(fingerprint({ ...input, fallback: other.fallback }), value)
    }
    assert.notStrictEqual(fingerprint({ ...input, dryRun: input.dryRun !== true }), value)
  }, { fastCheck: { numRuns: 500 } })
})

describe("Outbound.OutboundMessage.requestFingerprint", () => {
  const encoded = {
    id: "msg_1",
    business,
    customer,
    idempotencyKey: "k1",
    decision: "session",
    reason: null,
    windowState: "open",
    windowExpiresAt: "2026-01-21T04:30:00.000Z",
    content: text("Hi"),
    fallback: null,
    providerMessageId: null,
    status: "pending",
    history: [{ status: "pending", at: "2026-01-20T04:30:00.000Z", code: null, detail: null }],
    createdAt: "2026-01-20T04:30:00.000Z",
    dryRun: false,
    fallbackMessageId: null
  }
  const decode = Schema.decodeUnknownSync(Outbound.OutboundMessage)
  const encode = Schema.encodeSync(Outbound.OutboundMessage)

  it("is None when absent or null (messages stored before it existed), and round-trips when set", () => {
    assert.deepStrictEqual(decode(encoded).requestFingerprint, Option.none())
    assert.deepStrictEqual(decode({ ...encoded, requestFingerprint: null }).requestFingerprint, Option.none())
    const set = decode({ ...encoded, requestFingerprint: "0123456789abcdef0123456789abcdef" })
    assert.deepStrictEqual(set.requestFingerprint, Option.some("0123456789abcdef0123456789abcdef"))
    assert.strictEqual(encode(set).requestFingerprint, "0123456789abcdef0123456789abcdef")
    assert.deepStrictEqual(decode(encode(set)), set)
  })

  it("defaults to None in the constructor, and a fallback template message has none", () => {
    const { requestFingerprint: _, ...fields } = decode({
      ...encoded,
      fallback: followUpTemplate,
      requestFingerprint: "0123456789abcdef0123456789abcdef"
    })
    const constructed = new Outbound.OutboundMessage(fields)
    assert.deepStrictEqual(constructed.requestFingerprint, Option.none())
    const original = decode({ ...encoded, fallback: followUpTemplate, requestFingerprint: "f".repeat(32) })
    const fallback = Option.getOrThrow(Outbound.fallbackFor(original, original.createdAt))
    assert.deepStrictEqual(fallback.requestFingerprint, Option.none())
    assert.deepStrictEqual(fallback.idempotencyKey, Option.none())
  })
})

describe("Outbound.queuedAt and the parking statuses", () => {
  const at = (iso: string) => DateTime.unsafeMake(iso)
  const message = (history: ReadonlyArray<Outbound.StatusEvent>) =>
    new Outbound.OutboundMessage({
      id: "m1",
      business,
      customer,
      idempotencyKey: Option.none(),
      decision: "session",
      reason: Option.none(),
      windowState: "none",
      windowExpiresAt: Option.none(),
      content: Schema.decodeUnknownSync(MessageContent.MessageContent)(text("hi")),
      fallback: Option.none(),
      providerMessageId: Option.none(),
      status: history[history.length - 1]!.status,
      history,
      createdAt: at("2026-01-20T10:00:00Z"),
      dryRun: false,
      fallbackMessageId: Option.none()
    })
  const event = (status: Outbound.OutboundStatus, iso: string) =>
    new Outbound.StatusEvent({ status, at: at(iso), code: Option.none(), detail: Option.none() })

  it("queuedAt: the release for a parked message, the creation for one never queued", () => {
    const parked = message([event("parked", "2026-01-20T10:00:00Z")])
    assert.deepStrictEqual(Outbound.queuedAt(parked), parked.createdAt)
    const released = Outbound.release(parked, at("2026-01-21T09:00:00Z"))
    assert.deepStrictEqual(Outbound.queuedAt(released.message), at("2026-01-21T09:00:00Z"))
    assert.strictEqual(released.message.status, "queued")
    const dry = Outbound.release(new Outbound.OutboundMessage({ ...parked, dryRun: true }), at("2026-01-21T09:00:00Z"))
    assert.strictEqual(dry.message.status, "pending")
  })

  it("parked ranks below queued; expired and cancelled are terminal, above failed", () => {
    assert.isTrue(Outbound.advances("parked", "queued"))
    assert.isTrue(Outbound.advances("failed", "expired"))
    assert.isTrue(Outbound.advances("expired", "cancelled"))
    assert.isFalse(Outbound.advances("cancelled", "read"))
    const ended = Outbound.moveTo(
      message([event("parked", "2026-01-20T10:00:00Z")]),
      "cancelled",
      at("2026-01-20T11:00:00Z")
    )
    assert.deepStrictEqual(ended.message.history.map((e) => e.status), ["parked", "cancelled"])
    assert.isFalse(Outbound.isParked(ended.message))
  })

  it("repark: a released message once (a copy keeping its place); never a copy of a copy, never a dry run", () => {
    const released = new Outbound.OutboundMessage({
      ...message([event("parked", "2026-01-20T10:00:00Z"), event("queued", "2026-01-21T09:00:00Z")]),
      parkedUntil: Option.some(at("2026-01-27T10:00:00Z"))
    })
    const copy = Option.getOrThrow(Outbound.afterRefusal(released, at("2026-01-21T09:01:00Z")))
    assert.strictEqual(copy.id, `m1${Outbound.REPARK_SUFFIX}`)
    assert.strictEqual(copy.status, "parked")
    assert.deepStrictEqual(copy.createdAt, released.createdAt)
    assert.deepStrictEqual(copy.parkedUntil, released.parkedUntil)
    assert.isTrue(Option.isNone(Outbound.afterRefusal(copy, at("2026-01-21T09:02:00Z"))))
    assert.isTrue(
      Option.isNone(
        Outbound.repark(new Outbound.OutboundMessage({ ...released, dryRun: true }), at("2026-01-21T09:02:00Z"))
      )
    )
    // not parked before: the fallback template, as always
    assert.isTrue(
      Option.isNone(
        Outbound.afterRefusal(message([event("queued", "2026-01-20T10:00:00Z")]), at("2026-01-21T09:02:00Z"))
      )
    )
  })
})
