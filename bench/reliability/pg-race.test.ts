/**
 * Two servers on one PostgreSQL, racing on the same pairs: the maximum window wins on both, no duplicate rows, and
 * an idempotency key sends at most once across both.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { type FakeExotel, startFakeExotel } from "@wa-session/exotel-fake"
import {
  batch,
  businessNumber,
  customerNumber,
  exotelEnv,
  FAKE_CREDENTIALS,
  freePort,
  getSession,
  type Inbound,
  inboundItem,
  pairKey,
  pool,
  postJson,
  recordFigures,
  rng,
  type RunningServer,
  seedFromEnv,
  sendMessage,
  sized,
  sleep,
  startServer,
  TEMPLATE
} from "./harness.js"
import { expected, windowsOf } from "./oracle.js"
import { createSchema, dropSchema, freshSchema, pgAvailable, query, urlWithSchema } from "./pg.js"

const PAIRS = sized(30, 200)
const INBOUND = sized(1200, 6000)
const KEYS = sized(40, 300)
const HOUR = 3_600_000

describe.skipIf(!pgAvailable)("two servers on one PostgreSQL", () => {
  const schema = freshSchema("race")
  let servers: Array<RunningServer> = []
  let fake: FakeExotel | undefined
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()))
    await fake?.close()
    await dropSchema(schema)
  })

  it("agree on the maximum window, keep no duplicate rows and send each idempotency key once", async () => {
    const seed = seedFromEnv()
    const random = rng(seed)
    await createSchema(schema)
    fake = await startFakeExotel({ ...FAKE_CREDENTIALS })
    const ports = [await freePort(), await freePort()]
    // both start together: the migrations race too
    servers = await Promise.all(
      ports.map((port) => startServer({ databaseUrl: urlWithSchema(schema), port, env: exotelEnv(fake!.url, port) }))
    )
    const [a, b] = servers as [RunningServer, RunningServer]
    const now = Date.now()
    const pairs = Array.from(
      { length: PAIRS },
      (_, i) => ({ business: businessNumber(i % 3), customer: customerNumber(i) })
    )
    const inbound: Array<Inbound> = Array.from({ length: INBOUND }, (_, i) => ({
      sid: `wamid.race.${seed}.${i}`,
      ...random.pick(pairs),
      sentAt: Math.floor((now - 60_000 - random.next() * 22 * HOUR) / 1000) * 1000,
      text: "race"
    }))
    // every batch goes to both servers at once, each in its own order
    const batches: Array<Array<Inbound>> = []
    for (let i = 0; i < inbound.length;) {
      const size = 1 + random.int(8)
      batches.push(inbound.slice(i, i + size))
      i += size
    }
    let accepted = 0
    let duplicates = 0
    let http5xx = 0
    await pool(
      12,
      batches.map((messages) => async () => {
        const answers = await Promise.all([
          postJson(a.webhookUrl, batch(messages.map(inboundItem))),
          postJson(b.webhookUrl, batch(random.shuffle(messages).map(inboundItem)))
        ])
        for (const answer of answers) {
          if (answer.status >= 500) http5xx++
          assert.strictEqual(answer.status, 200, answer.text)
          accepted += answer.body.accepted
          duplicates += answer.body.duplicates
        }
      })
    )
    // each item recorded by exactly one of the two
    assert.strictEqual(accepted, inbound.length)
    assert.strictEqual(duplicates, inbound.length)
    const [rows] = await query<{ n: string; d: string }>(
      `SELECT COUNT(*) AS n, COUNT(DISTINCT (business, message_id)) AS d FROM ${schema}.wa_inbound`
    )
    assert.strictEqual(Number(rows!.n), inbound.length)
    assert.strictEqual(Number(rows!.d), inbound.length)
    const [windowRows] = await query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${schema}.wa_windows`)

    const oracle = windowsOf(inbound)
    assert.strictEqual(Number(windowRows!.n), oracle.size)
    const at = Date.now()
    for (const pair of pairs) {
      const want = expected(oracle.get(pairKey(pair.business, pair.customer)), at)
      for (const server of servers) {
        const answer = await getSession(server, pair.business, pair.customer)
        assert.deepStrictEqual(
          { state: answer.body.state, lastInboundAt: answer.body.lastInboundAt, expiresAt: answer.body.expiresAt },
          want,
          `${pair.business}/${pair.customer} via ${server.url} (seed ${seed})`
        )
      }
    }

    // idempotency keys raced across both servers: at most one send each
    const keyed = await pool(
      8,
      Array.from({ length: KEYS }, (_, k) => async () => {
        const pair = pairs[k % pairs.length]!
        const body = { from: pair.business, to: pair.customer, content: TEMPLATE, idempotencyKey: `race-${seed}-${k}` }
        const answers = await Promise.all([
          sendMessage(a, body),
          sendMessage(b, body),
          sendMessage(a, body),
          sendMessage(b, body)
        ])
        for (const answer of answers) if (answer.status >= 500) http5xx++
        const statuses = answers.map((answer) => answer.status)
        assert.deepStrictEqual(statuses, [202, 202, 202, 202], answers.map((answer) => answer.text).join("\n"))
        const ids = new Set(answers.map((answer) => answer.body.id))
        assert.strictEqual(ids.size, 1, `key race-${seed}-${k}`)
        return [...ids][0] as string
      })
    )
    // sends are jobs, paced (200 a minute) and in line per customer: some answered `queued` go out a little later
    const deadline = Date.now() + 30_000
    while (fake.messages.length < KEYS && Date.now() < deadline) await sleep(100)
    await sleep(500)
    const sendsPerId = new Map<string, number>()
    for (const message of fake.messages) {
      const id = keyed.find((candidate) => message.customData?.includes(candidate))
      if (id !== undefined) sendsPerId.set(id, (sendsPerId.get(id) ?? 0) + 1)
    }
    const duplicateSends = [...sendsPerId.values()].filter((n) => n > 1).length
    assert.strictEqual(fake.messages.length, KEYS)
    assert.strictEqual(duplicateSends, 0)
    const [outbound] = await query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${schema}.wa_outbound`)
    assert.strictEqual(Number(outbound!.n), KEYS)

    recordFigures("pg-race", {
      events: inbound.length * 2 + KEYS * 4,
      inbound: inbound.length,
      idempotencyKeys: KEYS,
      sendsToExotel: fake.messages.length,
      duplicateSends,
      lost: inbound.length - Number(rows!.n),
      http5xx,
      seed
    })
  })
})
