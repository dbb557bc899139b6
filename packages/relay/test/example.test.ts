/**
 * The receiver example of docs/events.md (examples/receiver.mjs), run as it is: it accepts a delivery signed with
 * its secret, refuses one signed with another, and handles a redelivery (same webhook-id) once.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Delivery, Event } from "@wa-session/session-core"
import { DateTime, Effect, Option, Redacted } from "effect"
import * as ChildProcess from "node:child_process"
import * as Path from "node:path"
import { StandardWebhooks } from "../src/index.js"

const SECRET = `whsec_${Buffer.alloc(32, 5).toString("base64")}`
const OTHER = `whsec_${Buffer.alloc(32, 6).toString("base64")}`

const startExample = Effect.acquireRelease(
  Effect.async<{ readonly url: string; readonly output: () => string; readonly child: ChildProcess.ChildProcess }>(
    (resume) => {
      const child = ChildProcess.spawn(process.execPath, [
        Path.join(import.meta.dirname, "..", "examples", "receiver.mjs")
      ], {
        env: { PATH: process.env["PATH"] ?? "", WA_SESSION_EVENTS_SECRET: SECRET, PORT: "0" },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let output = ""
      child.stdout!.on("data", (chunk) => {
        output += String(chunk)
        const port = /listening on (\d+)/.exec(output)?.[1]
        if (port !== undefined) {
          resume(Effect.succeed({ url: `http://127.0.0.1:${port}/events`, output: () => output, child }))
        }
      })
      child.stderr!.on("data", (chunk) => (output += String(chunk)))
    }
  ).pipe(Effect.timeout("10 seconds"), Effect.orDie),
  ({ child }) => Effect.sync(() => child.kill())
)

const endpoint = (url: string, secret: string) =>
  new Delivery.Endpoint({
    id: "ep_example",
    url,
    events: Option.none(),
    secret: Redacted.make(secret),
    state: "enabled",
    disabledReason: Option.none(),
    createdAt: DateTime.unsafeMake(0)
  })

describe("the receiver example of docs/events.md", () => {
  it.scopedLive("verifies, refuses a wrong signature, and handles a redelivery once", () =>
    Effect.gen(function*() {
      const example = yield* startExample
      const transport = yield* StandardWebhooks.make()
      const now = yield* DateTime.now
      const event =
        Event.webhookQuarantined({ id: "q_example", kind: "item", reason: "demo", receivedAt: now, item: {} })
          .event
      const first = yield* transport.post(endpoint(example.url, SECRET), Event.payloadOf(event), now)
      const again = yield* transport.post(endpoint(example.url, SECRET), Event.payloadOf(event), now)
      const forged = yield* transport.post(endpoint(example.url, OTHER), Event.payloadOf(event), now)
      assert.deepStrictEqual([first, again, forged], [
        { _tag: "Answered", status: 204 },
        { _tag: "Answered", status: 204 },
        { _tag: "Answered", status: 401 }
      ])
      yield* Effect.sleep("100 millis")
      assert.strictEqual(example.output().split(`webhook.quarantined ${event.id}`).length - 1, 1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)), 20_000)
})
