/**
 * Exotel faults through the fake: 429 bursts with Retry-After, 5xx, hangs, resets, an acceptance answered after the
 * timeout, a batch whose message fails, a 30018 after acceptance. Nothing is sent twice (what Exotel may have taken is
 * `unknown`, never retried), and every message ends in a final recorded status (`unknown` only when Exotel never got
 * it, so no report can come).
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Behaviour, type FakeExotel, startFakeExotel } from "@wa-session/exotel-fake"
import * as Path from "node:path"
import {
  batch,
  businessNumber,
  customerNumber,
  exotelEnv,
  FAKE_CREDENTIALS,
  freePort,
  getMessage,
  getSession,
  inboundItem,
  ourId,
  postJson,
  recordFigures,
  type RunningServer,
  sendMessage,
  sized,
  startServer,
  TEMPLATE,
  tmpDir
} from "./harness.js"

const ROUNDS = sized(2, 6)
const TEXT = (body: string) => ({ type: "text", text: { body } })

interface Case {
  readonly name: string
  readonly script: ReadonlyArray<Behaviour>
  /** faults injected */
  readonly faults: number
  readonly status: 202 | 502
  /** the message's status in the answer: accepted, or unknown when Exotel may have taken it (never sent again) */
  readonly outcome?: "accepted" | "unknown"
  readonly reason?: string
  readonly minGapMs?: number
}

const CASES: ReadonlyArray<Case> = [
  {
    name: "429 burst with Retry-After: 1",
    script: [Behaviour.rateLimited(1), Behaviour.rateLimited(1)],
    faults: 2,
    status: 202,
    minGapMs: 900
  },
  { name: "503 then 500", script: [Behaviour.serverError(503), Behaviour.serverError(500)], faults: 2, status: 202 },
  // Exotel may have read these: not retried, the message is unknown (a delivery report would settle it)
  { name: "hang", script: [Behaviour.hang()], faults: 1, status: 202, outcome: "unknown" },
  { name: "connection reset", script: [Behaviour.reset()], faults: 1, status: 202, outcome: "unknown" },
  {
    name: "accepted, answered after the timeout",
    script: [Behaviour.acceptAfter(1_500)],
    faults: 1,
    status: 202,
    outcome: "unknown"
  },
  {
    name: "HTML 502 of a proxy",
    script: [Behaviour.respondText(502, "<html>bad gateway</html>", { "content-type": "text/html" })],
    faults: 1,
    status: 202
  },
  {
    name: "429 until the retries run out",
    script: [0, 1, 2, 3].map(() => Behaviour.rateLimited(0)),
    faults: 4,
    status: 502,
    reason: "RateLimited"
  },
  {
    name: "5xx until the retries run out",
    script: [0, 1, 2, 3].map(() => Behaviour.serverError(503)),
    faults: 4,
    status: 502,
    reason: "Unavailable"
  },
  {
    name: "the batch's message fails (30012)",
    script: [Behaviour.failMessage(0, { code: 30012 })],
    faults: 1,
    status: 502,
    reason: "Rejected"
  }
]

describe("Exotel faults through the fake", () => {
  let server: RunningServer | undefined
  let fake: FakeExotel | undefined
  afterAll(async () => {
    await server?.stop()
    await fake?.close()
  })

  it("sends nothing twice and leaves every message in a final recorded status", async () => {
    fake = await startFakeExotel({ ...FAKE_CREDENTIALS })
    const f = fake
    const port = await freePort()
    server = await startServer({
      databaseUrl: `sqlite:${Path.join(tmpDir("faults"), "wa.db")}`,
      port,
      // a send Exotel keeps refusing fails here (WA_SESSION_SEND_RETRY_FOR=0) instead of waiting in the queue, so that
      // each case sees its own script; sends.test.ts covers the queue taking them back
      env: {
        ...exotelEnv(f.url, port),
        EXOTEL_REQUEST_TIMEOUT: "1 second",
        EXOTEL_MAX_RETRIES: "3",
        WA_SESSION_SEND_RETRY_FOR: "0"
      }
    })
    const s = server
    const business = businessNumber(1)
    const ids: Array<string> = []
    let faults = 0
    let events = 0
    let n = 0

    for (let round = 0; round < ROUNDS; round++) {
      for (const c of CASES) {
        const customer = customerNumber(n++)
        const before = f.requests.length
        f.script(...c.script)
        faults += c.faults
        const key = `fault-${round}-${n}`
        const answer = await sendMessage(s, { from: business, to: customer, content: TEMPLATE, idempotencyKey: key })
        events++
        assert.strictEqual(answer.status, c.status, `${c.name}: ${answer.text}`)
        assert.strictEqual(f.pending(), 0, c.name)
        const id: string = c.status === 202 ? answer.body.id : answer.body.messageId
        assert.match(id, /^msg_/, c.name)
        ids.push(id)
        if (c.status === 502) {
          assert.strictEqual(answer.body.code, "PROVIDER_ERROR")
          assert.strictEqual(answer.body.reason, c.reason, c.name)
        } else {
          assert.strictEqual(answer.body.status, c.outcome ?? "accepted", c.name)
        }
        if (c.outcome === "unknown") {
          assert.strictEqual(f.requests.length - before, 1, `${c.name}: sent once, not retried`)
        }
        if (c.minGapMs !== undefined) {
          const times = f.requests.slice(before).map((r) => r.receivedAt.getTime())
          for (let i = 1; i < times.length; i++) {
            assert.isAtLeast(times[i]! - times[i - 1]!, c.minGapMs, `${c.name}: Retry-After honoured`)
          }
        }
        // the same key again: the first message back, nothing sent
        const sendsBefore = f.messages.length
        const again = await sendMessage(s, { from: business, to: customer, content: TEMPLATE, idempotencyKey: key })
        events++
        assert.strictEqual(again.status, 202, `${c.name} replay: ${again.text}`)
        assert.strictEqual(again.body.id, id)
        assert.strictEqual(again.body.status, c.status === 202 ? c.outcome ?? "accepted" : "failed")
        assert.strictEqual(f.messages.length, sendsBefore)
      }

      // 30018 after acceptance: the session message fails, the window closes, the fallback goes once
      const customer = customerNumber(n++)
      const inbound = await postJson(
        s.webhookUrl,
        batch([
          inboundItem({
            sid: `wamid.fault.${round}`,
            business,
            customer,
            sentAt: Math.floor(Date.now() / 1000) * 1000 - 60_000,
            text: "hi"
          })
        ])
      )
      assert.strictEqual(inbound.status, 200)
      const session = await sendMessage(s, {
        from: business,
        to: customer,
        content: TEXT("Your order shipped"),
        fallback: TEMPLATE
      })
      events += 2
      assert.strictEqual(session.status, 202, session.text)
      assert.strictEqual(session.body.decision, "session")
      ids.push(session.body.id)
      const accepted = f.messages.find((m) => ourId(m) === session.body.id)
      assert.strictEqual(accepted?.statusCallback, s.webhookUrl, "status_callback is our webhook")
      for (let i = 0; i < 3; i++) {
        // Exotel retries reports: three copies of the 30018
        const report = await f.sendDeliveryReport(accepted!.statusCallback!, { sid: accepted!.sid, code: 30018 })
        events++
        assert.strictEqual(report.status, 200, report.body)
      }
      faults++
      const failed = await getMessage(s, session.body.id)
      assert.strictEqual(failed.body.status, "failed")
      assert.match(failed.body.fallbackMessageId, /^msg_/, "fallback sent after 30018")
      ids.push(failed.body.fallbackMessageId)
      // the fallback is queued with the report and sent by the server's send worker: wait until Exotel has it, so
      // that it cannot take the next case's scripted answer
      const fallbackId: string = failed.body.fallbackMessageId
      const fallbackSent = async () => {
        for (let i = 0; i < 200; i++) {
          if (f.messages.some((m) => ourId(m) === fallbackId)) return true
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
        return false
      }
      assert.isTrue(await fallbackSent(), "the fallback reaches Exotel within 10 s")
      assert.strictEqual(f.messages.filter((m) => ourId(m) === fallbackId).length, 1, "the fallback goes once")
      const window = await getSession(s, business, customer)
      assert.containsSubset(window.body, { state: "expired", closedByProvider: true })
    }

    // reports for everything Exotel accepted: every message ends delivered or failed
    for (const message of [...f.messages]) {
      const report = await f.sendDeliveryReport(message.statusCallback!, { sid: message.sid, code: 30002 })
      events++
      assert.strictEqual(report.status, 200)
    }
    // what Exotel never received stays unknown: no report will come
    const neverReceived = new Set(ids.filter((id) => !f.messages.some((m) => ourId(m) === id)))
    const finals: Record<string, number> = {}
    let lost = 0
    for (const id of ids) {
      const message = await getMessage(s, id)
      if (message.status !== 200) lost++
      assert.strictEqual(message.status, 200)
      finals[message.body.status] = (finals[message.body.status] ?? 0) + 1
      assert.oneOf(
        neverReceived.has(id) && message.body.status === "unknown" ? "unknown" : message.body.status,
        neverReceived.has(id) ? ["unknown", "failed"] : ["delivered", "failed"],
        `${id} ends in a final status`
      )
      assert.isAbove(message.body.history.length, 0)
    }
    // nothing sent twice: every accepted Exotel message names a distinct one of ours
    const ours = f.messages.map(ourId)
    assert.isTrue(ours.every((id) => id !== undefined))
    const duplicateSends = ours.length - new Set(ours).size
    assert.strictEqual(duplicateSends, 0)
    const serverErrors = f.requests.filter((r) => r.path.includes("/messages")).length
    recordFigures("exotel-faults", {
      events,
      faults,
      messages: ids.length,
      exotelRequests: serverErrors,
      exotelAccepted: f.messages.length,
      delivered: finals["delivered"] ?? 0,
      failed: finals["failed"] ?? 0,
      unknown: finals["unknown"] ?? 0,
      duplicateSends,
      lost
    })
  })
})
