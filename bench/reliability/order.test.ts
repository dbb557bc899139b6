/**
 * Order: a generated stream of inbound messages and delivery reports, shuffled, with duplicates, in random batches
 * delivered concurrently over HTTP, ends in the same windows and statuses as the sorted stream replayed through
 * session-core (the oracle).
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { type FakeExotel, startFakeExotel } from "@wa-session/exotel-fake"
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
  type Inbound,
  inboundItem,
  istTimestamp,
  pairKey,
  pool,
  postJson,
  recordFigures,
  rng,
  type RunningServer,
  seedFromEnv,
  sendMessage,
  sized,
  startServer,
  TEMPLATE,
  tmpDir
} from "./harness.js"
import { expected, finalStatus, STATUS_OF_CODE, windowsOf } from "./oracle.js"

const PAIRS = sized(60, 400)
const INBOUND = sized(1500, 12000)
const OUTBOUND = sized(60, 400)
const CONCURRENCY = sized(16, 48)
const HOUR = 3_600_000
const FAILURE_CODES = [30004, 30012, 30013] as const

describe("order: shuffled, duplicated, concurrent webhooks", () => {
  let server: RunningServer | undefined
  let fake: FakeExotel | undefined
  afterAll(async () => {
    await server?.stop()
    await fake?.close()
  })

  it("ends in the windows and statuses of the sorted stream", async () => {
    const seed = seedFromEnv()
    const random = rng(seed)
    fake = await startFakeExotel({ ...FAKE_CREDENTIALS })
    const port = await freePort()
    server = await startServer({
      databaseUrl: `sqlite:${Path.join(tmpDir("order"), "wa.db")}`,
      port,
      env: exotelEnv(fake.url, port)
    })
    const s = server
    const now = Date.now()
    const pairs = Array.from(
      { length: PAIRS },
      (_, i) => ({ business: businessNumber(i % 5), customer: customerNumber(i) })
    )

    // outbound messages to report on: templates (always allowed), sent through the fake
    const sent = await pool(
      8,
      Array.from({ length: OUTBOUND }, (_, i) => async () => {
        const pair = pairs[i % pairs.length]!
        const answer = await sendMessage(s, { from: pair.business, to: pair.customer, content: TEMPLATE })
        assert.strictEqual(answer.status, 202, answer.text)
        assert.strictEqual(typeof answer.body.providerMessageId, "string")
        return { id: answer.body.id as string, sid: answer.body.providerMessageId as string }
      })
    )

    const inbound: Array<Inbound> = Array.from({ length: INBOUND }, (_, i) => {
      const pair = random.pick(pairs)
      const sentAt = Math.floor(
        (random.next() < 0.75
          ? now - 60_000 - random.next() * 22 * HOUR
          : now - 25 * HOUR - random.next() * 30 * HOUR) /
          1000
      ) * 1000
      return { sid: `wamid.order.${seed}.${i}`, ...pair, sentAt, text: "order test" }
    })
    // ties on purpose: some messages share a timestamp with another of the same pair
    for (let i = 0; i < inbound.length / 20; i++) {
      const a = random.pick(inbound)
      const j = random.int(inbound.length)
      inbound[j] = { ...inbound[j]!, business: a.business, customer: a.customer, sentAt: a.sentAt }
    }

    const reports: Array<{ readonly id: string; readonly item: Record<string, unknown>; readonly status: string }> = []
    for (const message of sent) {
      const codes = [30001, 30002, 30003].filter(() => random.next() < 0.7)
      if (random.next() < 0.15) codes.push(random.pick(FAILURE_CODES))
      codes.forEach((code, k) => {
        reports.push({
          id: message.id,
          status: STATUS_OF_CODE[code] ?? "failed",
          item: fake!.deliveryReportItem({ sid: message.sid, code, timestamp: istTimestamp(now + k * 1000) })
        })
      })
    }

    const items: Array<Record<string, unknown>> = [...inbound.map(inboundItem), ...reports.map((r) => r.item)]
    const duplicates = Array.from({ length: Math.floor(items.length / 5) }, () => random.pick(items))
    const stream = random.shuffle([...items, ...duplicates])
    const batches: Array<Array<Record<string, unknown>>> = []
    for (let i = 0; i < stream.length;) {
      const size = 1 + random.int(12)
      batches.push(stream.slice(i, i + size))
      i += size
    }
    let accepted = 0
    let duplicatesSeen = 0
    let http5xx = 0
    const answers = await pool(
      CONCURRENCY,
      batches.map((items) => async () => {
        const answer = await postJson(s.webhookUrl, batch(items))
        if (answer.status >= 500) http5xx++
        assert.strictEqual(answer.status, 200, answer.text)
        assert.strictEqual(answer.body.rejected, 0)
        accepted += answer.body.accepted
        duplicatesSeen += answer.body.duplicates
        return answer.status
      })
    )
    assert.isTrue(answers.every((status) => status === 200))
    // every distinct item is accepted once; each repeat is a duplicate (a report repeating a status is one too)
    assert.strictEqual(accepted + duplicatesSeen, stream.length)

    const oracle = windowsOf(inbound)
    const at = Date.now()
    let windowMismatches = 0
    for (const pair of pairs) {
      const answer = await getSession(s, pair.business, pair.customer)
      const want = expected(oracle.get(pairKey(pair.business, pair.customer)), at)
      const got = {
        state: answer.body.state,
        lastInboundAt: answer.body.lastInboundAt,
        expiresAt: answer.body.expiresAt
      }
      if (JSON.stringify(got) !== JSON.stringify(want)) windowMismatches++
      assert.deepStrictEqual(got, want, `window ${pair.business}/${pair.customer} (seed ${seed})`)
    }
    let statusMismatches = 0
    for (const message of sent) {
      const answer = await getMessage(s, message.id)
      assert.strictEqual(answer.status, 200)
      const want = finalStatus("accepted", reports.filter((r) => r.id === message.id).map((r) => r.status))
      if (answer.body.status !== want) statusMismatches++
      assert.strictEqual(answer.body.status, want, `status of ${message.id} (seed ${seed})`)
    }
    // nothing went to Exotel but the templates we sent (no report triggered a send)
    assert.strictEqual(fake.messages.length, OUTBOUND)
    recordFigures("order", {
      events: stream.length,
      inbound: inbound.length,
      reports: reports.length,
      duplicates: duplicates.length,
      batches: batches.length,
      windowMismatches,
      statusMismatches,
      lost: windowMismatches + statusMismatches,
      http5xx,
      seed
    })
  })
})
