/**
 * Exotel as it really answers, end to end through the server and the fake Exotel: a 30018 in a 4xx answer is a
 * re-engagement refusal like one under a 2xx (the window closes, the fallback template goes once), and Exotel's
 * retry-later failures (30007, 30009) are sent again while other failures stay final.
 */
import { assert, describe, it } from "@effect/vitest"
import { Behaviour } from "@wa-session/exotel-fake"
import { Effect, Either } from "effect"
import {
  at,
  BUSINESS,
  client,
  CUSTOMER,
  customerWrites,
  followUp,
  rawGet,
  report,
  TestEnv,
  TestServer,
  text
} from "./support.js"

const refusedWith30018 = Behaviour.respond(400, {
  http_code: 400,
  response: { error_data: { code: 30018, message: "EX_REENGAGEMENT_ERROR", description: "24 hour window is over" } }
})

describe("Exotel's answers, end to end", () => {
  it.live("30018 in a 4xx answer: the window closes and the fallback template goes out (SESSION_EXPIRED)", () =>
    Effect.gen(function*() {
      const api = yield* client
      const env = yield* TestEnv
      yield* customerWrites()
      env.fake.script(refusedWith30018)
      const sent = yield* api.messages.sendMessage({
        payload: { from: BUSINESS, to: CUSTOMER, content: text("Your order shipped"), fallback: followUp },
        headers: {}
      })
      assert.strictEqual(sent.decision, "template")
      assert.strictEqual(sent.reason, "SESSION_EXPIRED")
      assert.strictEqual(sent.status, "accepted")
      assert.strictEqual(env.fake.messages.length, 1, "the template, once")
      assert.deepStrictEqual(env.fake.messages[0]!.content, followUp)
      const session = yield* api.sessions.getSession({
        path: { business: BUSINESS, customer: CUSTOMER },
        urlParams: {}
      })
      assert.strictEqual(session.state, "expired")
      assert.isTrue(session.closedByProvider)
      // without a fallback: the refusal reaches the caller, and the window is closed all the same
      const again = yield* api.messages.sendMessage({
        payload: { from: BUSINESS, to: CUSTOMER, content: text("Still there?") },
        headers: {}
      }).pipe(Effect.either)
      assert.isTrue(Either.isLeft(again) && again.left._tag === "SessionExpiredError")
    }).pipe(Effect.provide(TestServer())))

  it.live("a retry-later failure (30007) is sent again and goes out; a final one (30012) fails at once", () =>
    Effect.gen(function*() {
      const api = yield* client
      const env = yield* TestEnv
      env.fake.script(Behaviour.failMessage(0, { code: 30007 }))
      const sent = yield* api.messages.sendMessage({
        payload: { from: BUSINESS, to: CUSTOMER, content: followUp },
        headers: {}
      })
      assert.strictEqual(sent.status, "accepted")
      assert.strictEqual(env.fake.requests.length, 2)
      assert.strictEqual(env.fake.messages.length, 1)
      env.fake.script(Behaviour.failMessage(0, { code: 30012 }))
      const refused = yield* api.messages.sendMessage({
        payload: { from: BUSINESS, to: CUSTOMER, content: followUp },
        headers: {}
      }).pipe(Effect.flip)
      assert.strictEqual(refused._tag, "ProviderFailedError")
      if (refused._tag === "ProviderFailedError") assert.strictEqual(refused.providerCode, "30012")
      assert.strictEqual(env.fake.requests.length, 3)
    }).pipe(Effect.provide(TestServer())))

  it.live("sends Exotel did not take are counted deferred, then accepted, in wa_session_send_jobs_total", () =>
    Effect.gen(function*() {
      const api = yield* client
      const env = yield* TestEnv
      env.fake.script(Behaviour.serverError(503), Behaviour.serverError(503))
      const sent = yield* api.messages.sendMessage({
        payload: { from: BUSINESS, to: CUSTOMER, content: followUp },
        headers: {}
      })
      assert.strictEqual(sent.status, "queued")
      const metrics = (yield* rawGet("/metrics")).text
      assert.include(metrics, "wa_session_send_jobs_total{outcome=\"deferred\"} 1")
      assert.include(metrics, "wa_session_sends_total{decision=\"template\",result=\"queued\"} 1")
    }).pipe(Effect.provide(TestServer({ maxRetries: 1 }))))

  it.live("a delivery report of 30007 after Exotel took the message: it is sent again, once, and keeps its new id", () =>
    Effect.gen(function*() {
      const api = yield* client
      const env = yield* TestEnv
      const sent = yield* api.messages.sendMessage({
        payload: { from: BUSINESS, to: CUSTOMER, content: followUp },
        headers: {}
      })
      const firstSid = sent.providerMessageId!
      const answer = yield* report({ sid: firstSid, code: 30007 })
      assert.strictEqual(answer.status, 200)
      assert.strictEqual((yield* api.messages.getMessage({ path: { id: sent.id } })).status, "accepted", "not failed")
      yield* at("2026-01-20T04:30:10Z")
      let stored = yield* api.messages.getMessage({ path: { id: sent.id } })
      for (let i = 0; i < 100 && stored.providerMessageId === firstSid; i++) {
        yield* Effect.sleep("50 millis")
        stored = yield* api.messages.getMessage({ path: { id: sent.id } })
      }
      assert.notStrictEqual(stored.providerMessageId, firstSid)
      assert.strictEqual(env.fake.messages.length, 2)
      // a late copy of the first report is about a send already replaced: nothing happens
      yield* report({ sid: firstSid, code: 30007 })
      yield* at("2026-01-20T04:31:00Z")
      yield* Effect.sleep("300 millis")
      assert.strictEqual(env.fake.messages.length, 2)
      assert.strictEqual((yield* api.messages.getMessage({ path: { id: sent.id } })).status, "accepted")
    }).pipe(Effect.provide(TestServer())))
})
