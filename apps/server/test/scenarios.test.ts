import { assert, describe, it } from "@effect/vitest"
import { DateTime, Duration, Effect, Option } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { at, client, customerWrites, TestEnv, TestServer } from "./support.js"

// The seed's four session-window scenarios (docs/scenarios), replayed end to end through the real HTTP stack: a
// customer's message is posted to our webhook by the fake Exotel, a send goes through POST /v1/messages and out to
// the fake Exotel, a check is GET /v1/sessions/{business}/{customer}; each at its own time on the virtual clock.
const dir = Path.resolve(import.meta.dirname, "../../../docs/scenarios")

interface Scenario {
  readonly business: string
  readonly safetyMargin?: string
  readonly events: ReadonlyArray<{
    readonly at: string
    readonly kind: "inbound" | "send" | "check"
    readonly customer: string
    readonly messageId?: string
    readonly sentAt?: string
    readonly content?: unknown
    readonly fallback?: unknown
  }>
}

interface Expected {
  readonly index: number
  readonly at: string
  readonly kind: string
  readonly customer: string
  readonly state: string
  readonly expiresAt: string | null
  readonly decision: string | null
  readonly reason: string | null
}

const iso = (at: DateTime.Utc | null) => (at === null ? null : DateTime.formatIso(at))

const files = Fs.readdirSync(dir).filter((file) => /^scenario-.*(?<!\.expected)\.json$/.test(file)).sort()

describe("the seed's session-window scenarios, end to end", () => {
  it("there are four", () => assert.strictEqual(files.length, 4))

  for (const file of files) {
    const scenario: Scenario = JSON.parse(Fs.readFileSync(Path.join(dir, file), "utf8"))
    const expected: ReadonlyArray<Expected> = JSON.parse(
      Fs.readFileSync(Path.join(dir, file.replace(/\.json$/, ".expected.json")), "utf8")
    )
    const margin = Option.getOrElse(
      Option.fromNullable(scenario.safetyMargin).pipe(Option.flatMap(Duration.decodeUnknown)),
      () => Duration.zero
    )
    it.live(file.replace(/\.json$/, ""), () =>
      Effect.gen(function*() {
        const api = yield* client
        const env = yield* TestEnv
        for (const [index, event] of scenario.events.entries()) {
          const want = expected[index]!
          assert.strictEqual(want.index, index)
          yield* at(event.at)
          assert.strictEqual(DateTime.formatIso(yield* DateTime.now), want.at)
          const pair = { business: scenario.business, customer: event.customer }
          switch (event.kind) {
            case "inbound": {
              const delivery = yield* customerWrites({
                from: event.customer,
                to: scenario.business,
                timestamp: event.sentAt ?? event.at,
                ...(event.messageId === undefined ? {} : { sid: event.messageId })
              })
              assert.strictEqual(delivery.status, 200)
              assert.strictEqual(JSON.parse(delivery.body).accepted, 1)
              const session = yield* api.sessions.getSession({ path: pair, urlParams: {} })
              assert.strictEqual(session.state, want.state, `${file}#${index}`)
              assert.strictEqual(iso(session.expiresAt), want.expiresAt, `${file}#${index}`)
              break
            }
            case "check": {
              const session = yield* api.sessions.getSession({ path: pair, urlParams: {} })
              assert.strictEqual(session.state, want.state, `${file}#${index}`)
              assert.strictEqual(iso(session.expiresAt), want.expiresAt, `${file}#${index}`)
              break
            }
            case "send": {
              const before = env.fake.messages.length
              const result = yield* api.messages.sendMessage({
                payload: {
                  from: scenario.business,
                  to: event.customer,
                  content: event.content,
                  ...(event.fallback === undefined ? {} : { fallback: event.fallback })
                },
                headers: {}
              }).pipe(Effect.either)
              if (want.decision === "rejected") {
                assert.strictEqual(result._tag, "Left", `${file}#${index}`)
                if (result._tag === "Left") assert.strictEqual((result.left as { code?: string }).code, want.reason)
                assert.strictEqual(env.fake.messages.length, before, "nothing sent")
              } else {
                assert.strictEqual(result._tag, "Right", `${file}#${index}`)
                if (result._tag !== "Right") break
                const sent = result.right
                assert.strictEqual(sent.decision, want.decision, `${file}#${index}`)
                assert.strictEqual(sent.reason, want.reason, `${file}#${index}`)
                assert.strictEqual(sent.window.state, want.state, `${file}#${index}`)
                assert.strictEqual(iso(sent.window.expiresAt), want.expiresAt, `${file}#${index}`)
                assert.strictEqual(env.fake.messages.length, before + 1, "sent to Exotel once")
                const wire = env.fake.messages.at(-1)!
                assert.strictEqual(wire.sid, sent.providerMessageId)
                assert.deepStrictEqual(wire.content, sent.reason === null ? event.content : event.fallback)
              }
            }
          }
        }
      }).pipe(Effect.provide(TestServer({ safetyMargin: margin }))))
  }
})
