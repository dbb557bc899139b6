import { OpenApi } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import {
  ErrorCode,
  InvalidMessageError,
  NoActiveSessionError,
  ProviderFailedError,
  SendMessageResponse,
  SessionExpiredError,
  WaSessionApi
} from "@wa-session/http-api"
import { DateTime, Schema } from "effect"

describe("WaSessionApi", () => {
  it("describes every endpoint in OpenAPI, /v1 behind the bearer token", () => {
    const spec = OpenApi.fromApi(WaSessionApi)
    assert.deepStrictEqual(Object.keys(spec.paths).sort(), [
      "/healthz",
      "/metrics",
      "/readyz",
      "/v1/messages",
      "/v1/messages/{id}",
      "/v1/sessions",
      "/v1/sessions/{business}/{customer}",
      "/webhooks/exotel/{secret}"
    ])
    assert.deepStrictEqual(spec.paths["/v1/messages"]!.post!.security, [{ bearer: [] }])
    assert.deepStrictEqual(spec.paths["/v1/sessions"]!.get!.security, [{ bearer: [] }])
    assert.deepStrictEqual(spec.paths["/webhooks/exotel/{secret}"]!.post!.security, [])
    assert.deepStrictEqual(
      Object.keys(spec.paths["/v1/messages"]!.post!.responses).sort(),
      ["202", "400", "401", "404", "409", "413", "422", "500", "502", "503"]
    )
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

  it("a send response round-trips through JSON", () => {
    const response = Schema.decodeUnknownSync(SendMessageResponse)({
      id: "msg_1",
      decision: "template",
      reason: "SESSION_EXPIRED",
      window: { state: "expired", expiresAt: "2026-01-21T04:30:00.000Z" },
      providerMessageId: null,
      status: "pending",
      dryRun: true
    })
    assert.strictEqual(response.window.state, "expired")
    assert.strictEqual(Schema.encodeSync(SendMessageResponse)(response).window.expiresAt, "2026-01-21T04:30:00.000Z")
  })
})
