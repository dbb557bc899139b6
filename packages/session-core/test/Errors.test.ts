import { assert, describe, it } from "@effect/vitest"
import { DateTime, Either, Option, Schema } from "effect"
import {
  InvalidMessage,
  InvalidPhoneNumber,
  MessageContent,
  MessageSender,
  MessageTypeNotSupported,
  NoActiveSession,
  Outbound,
  PhoneNumber,
  SessionExpired,
  SessionStore,
  Violation
} from "../src/index.js"

describe("errors", () => {
  it("carry stable codes and readable messages", () => {
    const expiredAt = DateTime.unsafeMake("2026-01-21T04:30:00Z")
    const cases: Array<[{ readonly code: string; readonly message: string }, string, string]> = [
      [
        new SessionExpired({ business: "+1", customer: "+2", expiredAt, closedByProvider: false }),
        "SESSION_EXPIRED",
        "closed at 2026-01-21T04:30:00.000Z"
      ],
      [new NoActiveSession({ business: "+1", customer: "+2" }), "NO_ACTIVE_SESSION", "has never written"],
      [
        new MessageTypeNotSupported({ path: "type", type: "carousel", supported: ["text", "image"] }),
        "MESSAGE_TYPE_NOT_SUPPORTED",
        `type: message type "carousel" is not supported; use one of text, image`
      ],
      [
        new InvalidMessage({
          violations: [
            new Violation({ path: "text.body", message: "at most 4096 characters", limit: 4096, actual: 4097 }),
            new Violation({ path: "text.preview_url", message: "must be a boolean" })
          ]
        }),
        "INVALID_MESSAGE",
        "text.body: at most 4096 characters; text.preview_url: must be a boolean"
      ],
      [new InvalidPhoneNumber({ field: "to", input: "12", reason: "2 digits" }), "INVALID_PHONE_NUMBER", "to: \"12\""],
      [
        new SessionStore.StorageError({ operation: "recordInbound", detail: "disk full" }),
        "STORAGE_ERROR",
        "storage failed during recordInbound: disk full"
      ],
      [new SessionStore.InvalidCursor({ cursor: "e30" }), "INVALID_CURSOR", "cursor \"e30\" is not the nextCursor"],
      [
        new MessageSender.ProviderError({
          reason: "RateLimited",
          providerCode: Option.none(),
          httpStatus: Option.some(429),
          detail: "still 429 after 3 retries"
        }),
        "PROVIDER_ERROR",
        "provider error (RateLimited): still 429 after 3 retries"
      ]
    ]
    for (const [error, code, text] of cases) {
      assert.strictEqual(error.code, code)
      assert.include(error.message, text)
    }
  })

  it("InvalidMessage exposes the first violation's path, limit and actual value", () => {
    const error = new InvalidMessage({
      violations: [new Violation({ path: "interactive.action.buttons", message: "at most 3", limit: 3, actual: 4 })]
    })
    assert.deepStrictEqual([error.path, error.limit, error.actual], ["interactive.action.buttons", 3, 4])
    const root = MessageContent.validate(null)
    assert.isTrue(Either.isLeft(root) && root.left.message.startsWith("content: "))
  })

  it("the PhoneNumber brand rejects unnormalized input with an explanation", () => {
    const result = Schema.decodeUnknownEither(PhoneNumber.PhoneNumber)("919876543210")
    assert.isTrue(Either.isLeft(result))
    if (Either.isLeft(result)) assert.include(result.left.message, "expected E.164")
  })
})

describe("Outbound status order", () => {
  it("ranks queued < pending < unknown < accepted < sent < delivered < read < failed, so any report order ends the same", () => {
    const order: Array<Outbound.OutboundStatus> = [
      "queued",
      "pending",
      "unknown",
      "accepted",
      "sent",
      "delivered",
      "read",
      "failed"
    ]
    order.forEach((status, i) => assert.strictEqual(Outbound.rank(status), i))
    const final = (reports: Array<Outbound.OutboundStatus>) =>
      reports.reduce<Outbound.OutboundStatus>((s, next) => (Outbound.advances(s, next) ? next : s), "pending")
    assert.strictEqual(final(["read", "sent", "delivered"]), "read")
    assert.strictEqual(final(["failed", "sent"]), "failed")
    assert.strictEqual(final(["sent", "sent"]), "sent")
    // a send whose answer was lost is settled by whatever the provider reports, and never undoes a report
    assert.strictEqual(final(["unknown", "delivered"]), "delivered")
    assert.strictEqual(final(["sent", "unknown"]), "sent")
    assert.strictEqual(final(["unknown", "failed"]), "failed")
  })
})
