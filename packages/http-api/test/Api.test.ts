import { OpenApi } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import {
  ErrorCode,
  IdempotencyKeyReusedError,
  Instant,
  InvalidMessageError,
  NoActiveSessionError,
  ProviderFailedError,
  RecordInboundRequest,
  SendMessageResponse,
  SessionExpiredError,
  WaSessionApi
} from "@wa-session/http-api"
import { DateTime, Either, Schema, SchemaAST } from "effect"
import * as Errors from "../src/Errors.js"

describe("WaSessionApi", () => {
  it("describes every endpoint in OpenAPI, /v1 behind the bearer token", () => {
    const spec = OpenApi.fromApi(WaSessionApi)
    assert.deepStrictEqual(Object.keys(spec.paths).sort(), [
      "/healthz",
      "/metrics",
      "/readyz",
      "/v1/deliveries",
      "/v1/deliveries/replay",
      "/v1/endpoints",
      "/v1/endpoints/{id}",
      "/v1/events",
      "/v1/messages",
      "/v1/messages/{id}",
      "/v1/quarantine",
      "/v1/quarantine/{id}/retry",
      "/v1/sessions",
      "/v1/sessions/{business}/{customer}",
      "/v1/sessions/{business}/{customer}/explanation",
      "/v1/sessions/{business}/{customer}/inbound",
      "/v1/sessions/{business}/{customer}/messages",
      "/webhooks/exotel/{secret}"
    ])
    for (const path of ["/v1/events", "/v1/endpoints", "/v1/deliveries", "/v1/quarantine"]) {
      assert.deepStrictEqual(spec.paths[path]!.get!.security, [{ bearer: [] }], path)
    }
    // what an endpoint receives, per event type (OpenAPI 3.1 webhooks)
    const webhooks = (spec as unknown as { webhooks: Record<string, { post: { requestBody: unknown } }> }).webhooks
    assert.deepStrictEqual(Object.keys(webhooks).sort(), [
      "message.expired",
      "message.received",
      "message.released",
      "message.status",
      "webhook.quarantined",
      "window.closed",
      "window.expiring",
      "window.opened"
    ])
    assert.include(JSON.stringify(webhooks["message.received"]!.post.requestBody), "MessageReceivedEvent")
    assert.include(JSON.stringify(spec.components.schemas["MessageReceivedData"]), "profileName")
    assert.deepStrictEqual(spec.paths["/v1/messages"]!.post!.security, [{ bearer: [] }])
    assert.deepStrictEqual(spec.paths["/v1/sessions"]!.get!.security, [{ bearer: [] }])
    assert.deepStrictEqual(spec.paths["/v1/sessions/{business}/{customer}/explanation"]!.get!.security, [{
      bearer: []
    }])
    assert.deepStrictEqual(spec.paths["/v1/sessions/{business}/{customer}/inbound"]!.post!.security, [{ bearer: [] }])
    const evaluatedAt = [
      "/v1/sessions",
      "/v1/sessions/{business}/{customer}",
      "/v1/sessions/{business}/{customer}/explanation"
    ]
    for (const path of evaluatedAt) {
      assert.include(spec.paths[path]!.get!.parameters.map((parameter) => parameter.name), "at", path)
    }
    assert.deepStrictEqual(spec.paths["/webhooks/exotel/{secret}"]!.post!.security, [])
    assert.deepStrictEqual(
      Object.keys(spec.paths["/v1/messages"]!.post!.responses).sort(),
      ["202", "400", "401", "404", "405", "408", "409", "413", "422", "500", "502", "503"]
    )
    // a reused idempotency key is one of the 422 answers of a send
    assert.include(
      JSON.stringify(spec.paths["/v1/messages"]!.post!.responses["422"]),
      "IdempotencyKeyReusedError"
    )
  })

  it("IdempotencyKeyReusedError encodes with its code, the key and the message the key belongs to", () => {
    const encoded = Schema.encodeSync(IdempotencyKeyReusedError)(
      new IdempotencyKeyReusedError({ message: "m", idempotencyKey: "order-1", messageId: "msg_1" })
    )
    assert.deepStrictEqual(encoded, {
      _tag: "IdempotencyKeyReusedError",
      code: "IDEMPOTENCY_KEY_REUSED",
      message: "m",
      idempotencyKey: "order-1",
      messageId: "msg_1"
    })
    assert.include(ErrorCode.literals, "IDEMPOTENCY_KEY_REUSED")
  })

  it("errors encode with a top-level stable code and a human message", () => {
    const expired = Schema.encodeSync(SessionExpiredError)(
      new SessionExpiredError({
        message: "closed",
        business: "+919876500001",
        customer: "+919876543210",
        expiredAt: DateTime.unsafeMake("2026-01-21T04:30:00Z"),
        closedByProvider: false
      })
    )
    assert.strictEqual(expired.code, "SESSION_EXPIRED")
    assert.strictEqual(expired.message, "closed")
    assert.strictEqual(expired.expiredAt, "2026-01-21T04:30:00.000Z")
    assert.strictEqual(
      Schema.encodeSync(NoActiveSessionError)(new NoActiveSessionError({ message: "m", business: "b", customer: "c" }))
        .code,
      "NO_ACTIVE_SESSION"
    )
    const invalid = new InvalidMessageError({
      message: "text.body: too long",
      path: "text.body",
      limit: 4096,
      actual: 4097,
      violations: [{ path: "text.body", message: "too long", limit: 4096, actual: 4097 }]
    })
    assert.strictEqual(Schema.encodeSync(InvalidMessageError)(invalid).code, "INVALID_MESSAGE")
    const provider = Schema.encodeSync(ProviderFailedError)(
      new ProviderFailedError({
        message: "m",
        reason: "Rejected",
        providerCode: "30012",
        httpStatus: 202,
        messageId: "msg_1"
      })
    )
    assert.strictEqual(provider.code, "PROVIDER_ERROR")
    assert.strictEqual(provider.providerCode, "30012")
    assert.include(ErrorCode.literals, "PROVIDER_ERROR")
  })

  it("ErrorCode lists exactly the codes of the error classes", () => {
    const codes = Object.values(Errors).flatMap((value) => {
      const code = (value as { fields?: { code?: { ast: unknown } } }).fields?.code?.ast
      const type = (code as { type?: SchemaAST.AST } | undefined)?.type
      return type !== undefined && SchemaAST.isLiteral(type) ? [String(type.literal)] : []
    })
    assert.isAbove(codes.length, 15)
    assert.sameMembers(codes, [...ErrorCode.literals])
  })

  it("a send response round-trips through JSON", () => {
    const response = Schema.decodeUnknownSync(SendMessageResponse)({
      id: "msg_1",
      decision: "template",
      reason: "SESSION_EXPIRED",
      window: { state: "expired", expiresAt: "2026-01-21T04:30:00.000Z" },
      providerMessageId: null,
      status: "pending",
      dryRun: true,
      replayed: false
    })
    assert.strictEqual(response.window.state, "expired")
    // an older server's answer has no parking fields: they read as null
    assert.strictEqual(response.parkedUntil, null)
    assert.strictEqual(response.reengagementMessageId, null)
    assert.strictEqual(Schema.encodeSync(SendMessageResponse)(response).window.expiresAt, "2026-01-21T04:30:00.000Z")
  })
})

describe("Instant", () => {
  const decode = Schema.decodeUnknownEither(Instant)

  it("an ISO-8601 instant with an offset decodes to UTC and encodes back as ISO-8601 UTC", () => {
    const decoded = Either.getOrThrow(decode("2026-01-21T09:00:00+05:30"))
    assert.strictEqual(DateTime.formatIso(decoded), "2026-01-21T03:30:00.000Z")
    assert.strictEqual(Schema.encodeSync(Instant)(decoded), "2026-01-21T03:30:00.000Z")
    assert.strictEqual(DateTime.formatIso(Either.getOrThrow(decode("2026-01-21T03:30Z"))), "2026-01-21T03:30:00.000Z")
  })

  it("refuses a time without an offset, an impossible date and anything else, saying what it expects", () => {
    for (const input of ["2026-01-21T09:00:00", "2026-01-21", "yesterday", "1768966200", "2026-02-30T10:00:00Z"]) {
      const result = decode(input)
      assert.isTrue(Either.isLeft(result), input)
      if (Either.isLeft(result)) assert.include(result.left.message, input)
    }
    const noOffset = decode("2026-01-21T09:00:00")
    if (Either.isLeft(noOffset)) assert.include(noOffset.left.message, "with an offset")
  })

  it("an inbound request's sentAt is an Instant; its messageId is 1 to 200 characters", () => {
    const request = Schema.decodeUnknownSync(RecordInboundRequest)({
      messageId: "wamid.1",
      sentAt: "2026-01-20T10:00:00+05:30"
    })
    assert.strictEqual(DateTime.formatIso(request.sentAt!), "2026-01-20T04:30:00.000Z")
    assert.deepStrictEqual(Schema.decodeUnknownSync(RecordInboundRequest)({}), {})
    for (const bad of [{ messageId: "" }, { messageId: "x".repeat(201) }, { sentAt: "2026-01-20T10:00:00" }]) {
      assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(RecordInboundRequest)(bad)), JSON.stringify(bad))
    }
  })
})
