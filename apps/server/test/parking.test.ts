import { assert, describe, it } from "@effect/vitest"
import { DateTime, Effect } from "effect"
import {
  at,
  auth,
  BUSINESS,
  client,
  CUSTOMER,
  customerWrites,
  eventually,
  followUp,
  json,
  rawGet,
  rawPost,
  TestEnv,
  TestServer,
  text
} from "./support.js"

const iso = (instant: DateTime.Utc | null) => (instant === null ? null : DateTime.formatIso(instant))
const bodyOf = (content: unknown) => JSON.stringify(content)

const park = (body: string, extra: Record<string, unknown> = {}) =>
  Effect.flatMap(client, (api) =>
    api.messages.sendMessage({
      payload: {
        from: BUSINESS,
        to: CUSTOMER,
        content: text(body),
        fallback: followUp,
        whenClosed: "park",
        ...extra
      },
      headers: {}
    }))

describe("park and release (whenClosed: park)", () => {
  it.live("three parked messages → one template → the customer writes → three session messages in order", () =>
    Effect.gen(function*() {
      const api = yield* client
      const env = yield* TestEnv
      // a second apart: messages parked in the same millisecond are released in id order
      const parked = [yield* park("one")]
      yield* at("2026-01-20T04:30:01Z")
      parked.push(yield* park("two"))
      yield* at("2026-01-20T04:30:02Z")
      parked.push(yield* park("three"))
      parked.forEach((message, i) => {
        assert.strictEqual(message.decision, "parked")
        assert.strictEqual(message.status, "parked")
        assert.strictEqual(message.reason, "NO_ACTIVE_SESSION")
        assert.strictEqual(iso(message.parkedUntil), `2026-01-27T04:30:0${i}.000Z`)
      })
      assert.strictEqual(parked[0]!.reengagementMessageId, `${parked[0]!.id}-reengage`)
      assert.strictEqual(parked[1]!.reengagementMessageId, null)
      yield* eventually(() => env.fake.messages.length === 1, "the re-engagement template")
      assert.deepStrictEqual(env.fake.messages[0]!.content, followUp)

      const session = yield* api.sessions.getSession({
        path: { business: BUSINESS, customer: CUSTOMER },
        urlParams: {}
      })
      assert.strictEqual(session.parked, 3)
      assert.strictEqual(iso(session.nextParkedExpiresAt), "2026-01-27T04:30:00.000Z")
      const listed = yield* rawGet(`/v1/messages?state=parked&business=${encodeURIComponent(BUSINESS)}`, auth)
      assert.strictEqual(listed.status, 200)
      assert.deepStrictEqual(json(listed.text).items.map((m: { id: string }) => m.id), parked.map((m) => m.id))

      yield* at("2026-01-20T06:00:00Z")
      yield* customerWrites({ sid: "wamid.back" })
      yield* eventually(() => env.fake.messages.length === 4, "the released messages")
      // nothing more goes out
      yield* Effect.sleep("300 millis")
      assert.deepStrictEqual(env.fake.messages.map((m) => m.content), [
        followUp,
        text("one"),
        text("two"),
        text("three")
      ])
      for (const message of parked) {
        const view = yield* api.messages.getMessage({ path: { id: message.id } })
        assert.strictEqual(view.decision, "session")
        assert.strictEqual(view.status, "accepted")
        assert.deepStrictEqual(view.history.map((entry) => entry.status), ["parked", "queued", "accepted"])
      }
      const after = yield* api.sessions.getSession({ path: { business: BUSINESS, customer: CUSTOMER }, urlParams: {} })
      assert.strictEqual(after.parked, 0)
      assert.strictEqual(after.nextParkedExpiresAt, null)
      const events = yield* api.events.listEvents({ urlParams: { type: "message.released" } })
      assert.deepStrictEqual(
        events.items.map((event) => event.type === "message.released" ? event.data.messageId : ""),
        parked.map((m) => m.id)
      )
      const metrics = yield* rawGet("/metrics", auth)
      assert.include(metrics.text, `wa_session_parking_total{event="parked"} 3`)
      assert.include(metrics.text, `wa_session_parking_total{event="reengaged"} 1`)
      assert.include(metrics.text, `wa_session_parking_total{event="released"} 3`)
    }).pipe(Effect.provide(TestServer())))

  it.live("an open window sends at once; DELETE cancels a parked message once (404 unknown, 409 after)", () =>
    Effect.gen(function*() {
      const api = yield* client
      const env = yield* TestEnv
      yield* customerWrites()
      const open = yield* park("now")
      assert.strictEqual(open.decision, "session")
      assert.strictEqual(open.status, "accepted")
      yield* at("2026-01-21T05:00:00Z")
      const parked = yield* park("later", { ttl: 3600 })
      assert.strictEqual(parked.reason, "SESSION_EXPIRED")
      assert.strictEqual(iso(parked.parkedUntil), "2026-01-21T06:00:00.000Z")
      const cancelled = yield* rawPost(`/v1/messages/${parked.id}`, "", auth, "DELETE")
      assert.strictEqual(cancelled.status, 200)
      assert.strictEqual(json(cancelled.text).status, "cancelled")
      assert.strictEqual(json(cancelled.text).decision, "parked")
      const again = yield* rawPost(`/v1/messages/${parked.id}`, "", auth, "DELETE")
      assert.strictEqual(again.status, 409)
      assert.strictEqual(json(again.text).code, "MESSAGE_NOT_PARKED")
      assert.strictEqual(json(again.text).status, "cancelled")
      const sent = yield* rawPost(`/v1/messages/${open.id}`, "", auth, "DELETE")
      assert.strictEqual(sent.status, 409)
      const missing = yield* rawPost("/v1/messages/msg_nope", "", auth, "DELETE")
      assert.strictEqual(missing.status, 404)
      assert.strictEqual(json(missing.text).code, "MESSAGE_NOT_FOUND")
      // the customer comes back: the cancelled message stays unsent
      yield* customerWrites({ sid: "wamid.back" })
      yield* Effect.sleep("300 millis")
      assert.deepStrictEqual(env.fake.messages.map((m) => m.content), [text("now"), followUp])
      const view = yield* api.messages.getMessage({ path: { id: parked.id } })
      assert.strictEqual(view.status, "cancelled")
    }).pipe(Effect.provide(TestServer())))

  it.live("a parked message not released within its ttl expires (message.expired) and is never sent", () =>
    Effect.gen(function*() {
      const api = yield* client
      const env = yield* TestEnv
      const parked = yield* park("too late", { ttl: 60, fallback: undefined })
      assert.strictEqual(parked.reengagementMessageId, null)
      yield* at("2026-01-20T04:31:00Z")
      const expired = yield* Effect.gen(function*() {
        for (let i = 0; i < 100; i++) {
          const view = yield* api.messages.getMessage({ path: { id: parked.id } })
          if (view.status === "expired") return view
          yield* Effect.sleep("50 millis")
        }
        return assert.fail("the parked message did not expire")
      })
      assert.deepStrictEqual(expired.history.map((entry) => entry.status), ["parked", "expired"])
      yield* customerWrites({ sid: "wamid.back" })
      yield* Effect.sleep("300 millis")
      assert.strictEqual(env.fake.messages.length, 0)
      const events = yield* api.events.listEvents({ urlParams: { type: "message.expired" } })
      assert.deepStrictEqual(
        events.items.map((event) => event.type === "message.expired" ? iso(event.data.parkedUntil) : null),
        ["2026-01-20T04:31:00.000Z"]
      )
    }).pipe(Effect.provide(TestServer())))

  it.live("bad input: a ttl over 30 days is 422 naming ttl, a negative one 400; an unknown whenClosed or state is 400", () =>
    Effect.gen(function*() {
      const tooLong = yield* rawPost(
        "/v1/messages",
        bodyOf({
          from: BUSINESS,
          to: CUSTOMER,
          content: text("hi"),
          whenClosed: "park",
          ttl: 31 * 86_400
        }),
        auth
      )
      assert.strictEqual(tooLong.status, 422)
      assert.strictEqual(json(tooLong.text).code, "INVALID_MESSAGE")
      assert.strictEqual(json(tooLong.text).path, "ttl")
      assert.strictEqual(json(tooLong.text).limit, 2_592_000)
      // not a positive number of seconds: the contract's 400, quoting what was sent (not a clamped 0)
      const negative = yield* rawPost(
        "/v1/messages",
        bodyOf({ from: BUSINESS, to: CUSTOMER, content: text("hi"), whenClosed: "park", ttl: -5 }),
        auth
      )
      assert.strictEqual(negative.status, 400)
      assert.strictEqual(json(negative.text).code, "INVALID_REQUEST")
      assert.strictEqual(json(negative.text).path, "ttl")
      assert.include(json(negative.text).message, "-5")
      const unknown = yield* rawPost(
        "/v1/messages",
        bodyOf({
          from: BUSINESS,
          to: CUSTOMER,
          content: text("hi"),
          whenClosed: "wait"
        }),
        auth
      )
      assert.strictEqual(unknown.status, 400)
      const state = yield* rawGet("/v1/messages?state=sent", auth)
      assert.strictEqual(state.status, 400)
    }).pipe(Effect.provide(TestServer())))
})
