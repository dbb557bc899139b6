import { assert, describe, it } from "@effect/vitest"
import { DateTime, Duration, Option, Redacted, Schema } from "effect"
import * as fc from "effect/FastCheck"
import { Delivery } from "../src/index.js"
import { hash128 } from "../src/internal/hash.js"
import { at } from "./fixtures.js"

const MINUTE = 60_000
const CREATED = at("2026-01-20T10:00:00Z")

const policyArb = fc
  .record({
    initial: fc.integer({ min: 1, max: 10_000 }),
    extra: fc.integer({ min: 0, max: 20 * MINUTE }),
    jitter: fc.oneof(fc.constant(0), fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })),
    retryFor: fc.integer({ min: 0, max: 48 * 60 * MINUTE })
  })
  .map(({ extra, initial, jitter, retryFor }): Delivery.RetryPolicy => ({
    initialDelay: Duration.millis(initial),
    maxDelay: Duration.millis(initial + extra),
    retryFor: Duration.millis(retryFor),
    jitter,
    timeout: Duration.seconds(10)
  }))

/** The delay before jitter: `initialDelay` doubling per failed attempt, capped at `maxDelay`. */
const unjittered = (policy: Delivery.RetryPolicy, attempts: number): number =>
  Math.min(
    Duration.toMillis(policy.maxDelay),
    Duration.toMillis(policy.initialDelay) * 2 ** Math.min(Math.max(0, attempts - 1), 40)
  )

const ms = (duration: Duration.Duration) => Duration.toMillis(duration)

describe("Delivery.backoff", () => {
  it.prop("stays between (1 - jitter) x the un-jittered delay and the un-jittered delay, never above maxDelay", [
    policyArb,
    fc.integer({ min: 1, max: 80 }),
    fc.string()
  ], ([policy, attempts, key]) => {
    const delay = ms(Delivery.backoff(policy, attempts, key))
    const full = unjittered(policy, attempts)
    assert.isTrue(Number.isInteger(delay))
    assert.isAtMost(delay, full)
    assert.isAtMost(delay, ms(policy.maxDelay))
    assert.isAtLeast(delay, Math.floor((1 - policy.jitter) * full))
    assert.isAtLeast(delay, 0)
  }, { fastCheck: { numRuns: 500 } })

  it.prop("grows with the attempts up to jitter, exactly doubling to maxDelay without jitter", [
    policyArb,
    fc.integer({ min: 1, max: 60 }),
    fc.string()
  ], ([policy, attempts, key]) => {
    const now = ms(Delivery.backoff(policy, attempts, key))
    const next = ms(Delivery.backoff(policy, attempts + 1, key))
    assert.isAtLeast(next, Math.floor((1 - policy.jitter) * now))
    const exact = { ...policy, jitter: 0 }
    assert.strictEqual(ms(Delivery.backoff(exact, attempts, key)), unjittered(policy, attempts))
    assert.isAtLeast(ms(Delivery.backoff(exact, attempts + 1, key)), ms(Delivery.backoff(exact, attempts, key)))
  }, { fastCheck: { numRuns: 500 } })

  it.prop(
    "is deterministic per (key, attempt)",
    [policyArb, fc.integer({ min: 1, max: 30 }), fc.string()],
    ([policy, attempts, key]) => {
      assert.isTrue(Duration.equals(Delivery.backoff(policy, attempts, key), Delivery.backoff(policy, attempts, key)))
    },
    { fastCheck: { numRuns: 200 } }
  )

  it("spreads different keys", () => {
    const delays = Array.from({ length: 100 }, (_, i) => ms(Delivery.backoff(Delivery.defaultRetryPolicy, 5, `d${i}`)))
    assert.isAbove(new Set(delays).size, 50)
    for (const delay of delays) assert.isTrue(delay > 0.8 * 16_000 - 1 && delay <= 16_000)
  })

  it("clamps odd settings: jitter outside [0, 1], attempts below 1, a maxDelay under initialDelay, huge attempts", () => {
    const base = Delivery.defaultRetryPolicy
    assert.strictEqual(ms(Delivery.backoff({ ...base, jitter: -3 }, 3, "k")), 4_000)
    assert.strictEqual(
      ms(Delivery.backoff({ ...base, jitter: 7 }, 3, "k")),
      ms(Delivery.backoff({ ...base, jitter: 1 }, 3, "k"))
    )
    assert.strictEqual(ms(Delivery.backoff({ ...base, jitter: 0 }, 0, "k")), 1_000)
    assert.strictEqual(ms(Delivery.backoff({ ...base, jitter: 0 }, -5, "k")), 1_000)
    // maxDelay below initialDelay: initialDelay is the ceiling
    assert.strictEqual(
      ms(
        Delivery.backoff(
          { ...base, jitter: 0, initialDelay: Duration.minutes(2), maxDelay: Duration.minutes(1) },
          9,
          "k"
        )
      ),
      2 * MINUTE
    )
    assert.strictEqual(ms(Delivery.backoff({ ...base, jitter: 0 }, 1e9, "k")), 10 * MINUTE)
  })
})

describe("Delivery.nextAttemptAt and judge", () => {
  const nowArb = fc.integer({ min: 0, max: 60 * 60 * MINUTE }).map((offset) =>
    DateTime.unsafeMake(CREATED.epochMillis + offset)
  )

  it.prop("nextAttemptAt: now + backoff, None exactly when that is past createdAt + retryFor", [
    policyArb,
    fc.integer({ min: 1, max: 40 }),
    nowArb,
    fc.string()
  ], ([policy, attempts, now, key]) => {
    const next = Delivery.nextAttemptAt(policy, attempts, CREATED, now, key)
    const at = now.epochMillis + ms(Delivery.backoff(policy, attempts, key))
    const deadline = CREATED.epochMillis + ms(policy.retryFor)
    assert.deepStrictEqual(next, at > deadline ? Option.none() : Option.some(DateTime.unsafeMake(at)))
  }, { fastCheck: { numRuns: 300 } })

  const resultArb: fc.Arbitrary<Delivery.AttemptResult> = fc.oneof(
    fc.integer({ min: 100, max: 599 }).map((status) => ({ _tag: "Answered" as const, status })),
    fc.constantFrom(200, 204, 299, 300, 410, 500).map((status) => ({ _tag: "Answered" as const, status })),
    fc.string().map((detail) => ({ _tag: "NoAnswer" as const, detail }))
  )

  it.prop(
    "judge: 2xx delivered, 410 gone, anything else retried (or given up) with an error naming it",
    [policyArb, resultArb, fc.integer({ min: 1, max: 40 }), nowArb],
    ([policy, result, attempts, now]) => {
      const verdict = Delivery.judge(policy, result, attempts, CREATED, now, "d1")
      if (result._tag === "Answered" && result.status >= 200 && result.status < 300) {
        assert.deepStrictEqual(verdict, { _tag: "Delivered" })
      } else if (result._tag === "Answered" && result.status === 410) {
        assert.deepStrictEqual(verdict, { _tag: "Gone" })
      } else {
        const error = result._tag === "Answered" ? `HTTP ${result.status}` : result.detail
        assert.deepStrictEqual(
          verdict,
          Option.match(Delivery.nextAttemptAt(policy, attempts, CREATED, now, "d1"), {
            onNone: () => ({ _tag: "GiveUp" as const, error }),
            onSome: (at) => ({ _tag: "Retry" as const, at, error })
          })
        )
      }
    },
    { fastCheck: { numRuns: 500 } }
  )

  it("judge: an attempt past the retry period gives up; a 503 retries, naming it", () => {
    const late = DateTime.unsafeMake(CREATED.epochMillis + 25 * 60 * MINUTE)
    const timedOut = { _tag: "NoAnswer", detail: "timed out after 10s" } as const
    assert.deepStrictEqual(Delivery.judge(Delivery.defaultRetryPolicy, timedOut, 30, CREATED, late, "d1"), {
      _tag: "GiveUp",
      error: "timed out after 10s"
    })
    const retry = Delivery.judge(
      Delivery.defaultRetryPolicy,
      { _tag: "Answered", status: 503 },
      1,
      CREATED,
      CREATED,
      "d1"
    )
    assert.isTrue(retry._tag === "Retry" && retry.error === "HTTP 503")
  })
})

describe("Delivery endpoints and secrets", () => {
  const secretOf = (bytes: Uint8Array) => `whsec_${Buffer.from(bytes).toString("base64")}`

  it("wants: every type when the endpoint names none, else the named ones", () => {
    assert.isTrue(Delivery.wants({ events: Option.none() }, "window.closed"))
    const some = { events: Option.some(["message.received", "window.closed"] as const) }
    assert.isTrue(Delivery.wants(some, "window.closed"))
    assert.isFalse(Delivery.wants(some, "window.opened"))
    assert.isFalse(Delivery.wants({ events: Option.some([]) }, "message.received"))
  })

  it.prop("isValidSecret: whsec_ and the padded base64 of 24 to 64 bytes", [
    fc.uint8Array({ minLength: 24, maxLength: 64 })
  ], ([bytes]) => {
    const secret = secretOf(bytes)
    assert.isTrue(Delivery.isValidSecret(secret))
    assert.isFalse(Delivery.isValidSecret(secret.slice("whsec_".length)), "no prefix")
    assert.isFalse(Delivery.isValidSecret(`whsk_${secret.slice("whsec_".length)}`), "another prefix")
    assert.isFalse(Delivery.isValidSecret(`${secret.slice(0, 10)}!${secret.slice(11)}`), "not base64")
    if (secret.endsWith("=")) {
      assert.isFalse(Delivery.isValidSecret(secret.replace(/=+$/, "")), "unpadded")
    }
  }, { fastCheck: { numRuns: 300 } })

  it.prop("isValidSecret: fewer than 24 or more than 64 bytes are refused", [
    fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 23 }), fc.uint8Array({ minLength: 65, maxLength: 200 }))
  ], ([bytes]) => {
    assert.isFalse(Delivery.isValidSecret(secretOf(bytes)))
  }, { fastCheck: { numRuns: 300 } })

  it("isValidSecret: the edges and the malformed", () => {
    for (
      const bad of ["", "whsec_", "whsec_====", "whsec_AAAA===", `whsec_${"A".repeat(32)}=`, `whsec_ ${"A".repeat(32)}`]
    ) {
      assert.isFalse(Delivery.isValidSecret(bad), bad)
    }
    assert.isTrue(Delivery.isValidSecret(`whsec_${"A".repeat(32)}`)) // exactly 24 bytes
    assert.isTrue(Delivery.isValidSecret(`whsec_${"A".repeat(86)}==`)) // exactly 64 bytes
    assert.isFalse(Delivery.isValidSecret(`whsec_${"A".repeat(88)}`)) // 66 bytes
    assert.isFalse(Delivery.isValidSecret(`whsec_${"A".repeat(28)}AAA=`)) // 23 bytes
  })

  it("endpoints and deliveries decode from their stored form; the secret stays redacted", () => {
    const endpoint = Schema.decodeUnknownSync(Delivery.Endpoint)({
      id: Delivery.CONFIGURED_ENDPOINT_ID,
      url: "https://example.com/hooks",
      events: ["window.expiring"],
      secret: `whsec_${"A".repeat(32)}`,
      state: "enabled",
      disabledReason: null,
      createdAt: "2026-01-20T10:00:00Z"
    })
    assert.strictEqual(endpoint.id, "ep_configured")
    assert.notInclude(String(endpoint.secret), "AAAA")
    assert.strictEqual(Redacted.value(endpoint.secret), `whsec_${"A".repeat(32)}`)
    assert.isTrue(Delivery.wants(endpoint, "window.expiring") && !Delivery.wants(endpoint, "window.opened"))
    const delivery = Schema.decodeUnknownSync(Delivery.Delivery)({
      endpointId: endpoint.id,
      eventId: "evt_1",
      eventType: "window.expiring",
      business: "+919876500001",
      customer: "+919876543210",
      state: "pending",
      attempts: 0,
      createdAt: "2026-01-20T10:00:00Z",
      nextAttemptAt: "2026-01-20T10:00:00Z",
      lastAttemptAt: null,
      lastStatus: null,
      lastError: null,
      deliveredAt: null
    })
    assert.deepStrictEqual(delivery.nextAttemptAt, Option.some(CREATED))
    assert.throws(() =>
      Schema.decodeUnknownSync(Delivery.Delivery)({ ...Schema.encodeSync(Delivery.Delivery)(delivery), state: "lost" })
    )
  })

  it("the default retry policy: 1 s doubling to 10 min, 20% jitter, for 24 h, 10 s per attempt", () => {
    const policy = Delivery.defaultRetryPolicy
    assert.strictEqual(ms(policy.initialDelay), 1_000)
    assert.strictEqual(ms(policy.maxDelay), 10 * MINUTE)
    assert.strictEqual(ms(policy.retryFor), 24 * 60 * MINUTE)
    assert.strictEqual(policy.jitter, 0.2)
    assert.strictEqual(ms(policy.timeout), 10_000)
  })
})

describe("hash128", () => {
  it.prop("32 hex digits, the same for the same input, different for different inputs", [
    fc.uniqueArray(fc.string({ unit: "binary", maxLength: 40 }), { minLength: 1, maxLength: 100 })
  ], ([inputs]) => {
    const hashes = inputs.map(hash128)
    for (const hash of hashes) assert.match(hash, /^[0-9a-f]{32}$/)
    assert.deepStrictEqual(inputs.map(hash128), hashes)
    assert.strictEqual(new Set(hashes).size, inputs.length)
  }, { fastCheck: { numRuns: 300 } })

  it("pinned values, and near inputs that differ in both halves", () => {
    // pinned: ids derived from it are stored, so it must never change
    assert.strictEqual(hash128(""), "583afc3ba650c329a5aed872acadc0cf")
    assert.strictEqual(hash128("a"), "1afdfcd817443234162ace466f8f4393")
    // near inputs differ in both halves
    const [a, b] = [hash128("evt|1"), hash128("evt|2")]
    assert.notStrictEqual(a.slice(0, 16), b.slice(0, 16))
    assert.notStrictEqual(a.slice(16), b.slice(16))
  })
})

describe("redactUrl", () => {
  it("drops user info and query, keeps the rest; text that is not a URL too", () => {
    assert.strictEqual(
      Delivery.redactUrl("https://u:p@biz.example:8443/hook?key=k#top"),
      "https://…@biz.example:8443/hook?…#top"
    )
    assert.strictEqual(Delivery.redactUrl("https://biz.example/hook"), "https://biz.example/hook")
    assert.strictEqual(Delivery.redactUrl("htp://token@nowhere?x"), "htp://…@nowhere?…")
    assert.strictEqual(Delivery.redactUrl("htps//user:pass@biz.example/hook"), "htps//…@biz.example/hook")
    assert.strictEqual(Delivery.redactUrl("not a url"), "not a url")
  })
})
