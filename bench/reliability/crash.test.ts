/**
 * Crash: inbound webhooks at the server, kill -9 mid-load, restart on the same SQLite file, repeat. Every webhook
 * answered 200 must be in the store, and after Exotel's retries of the unanswered ones every window must equal the
 * oracle.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import Database from "better-sqlite3"
import * as Path from "node:path"
import {
  batch,
  businessNumber,
  customerNumber,
  getSession,
  type Inbound,
  inboundItem,
  pairKey,
  postJson,
  recordFigures,
  rng,
  type RunningServer,
  seedFromEnv,
  sized,
  sleep,
  startServer,
  tmpDir
} from "./harness.js"
import { expected, windowsOf } from "./oracle.js"

const ROUNDS = sized(3, 8)
const CONCURRENCY = sized(12, 32)
const PAIRS = sized(40, 200)
const HOUR = 3_600_000

describe("crash: kill -9 under inbound load", () => {
  let server: RunningServer | undefined
  afterAll(async () => {
    await server?.stop()
  })

  it(`loses no acknowledged webhook over ${ROUNDS} kill -9 rounds`, async () => {
    const seed = seedFromEnv()
    const random = rng(seed)
    const dir = tmpDir("crash")
    const dbFile = Path.join(dir, "wa.db")
    const databaseUrl = `sqlite:${dbFile}`
    const pairs = Array.from(
      { length: PAIRS },
      (_, i) => ({ business: businessNumber(i % 4), customer: customerNumber(i) })
    )
    const now = Date.now()
    // timestamps away from the 24 h boundary so no window changes state while the test runs
    const timestamp = () =>
      Math.floor(
        (random.next() < 0.8 ? now - 60_000 - random.next() * 22 * HOUR : now - 25 * HOUR - random.next() * 20 * HOUR) /
          1000
      ) * 1000

    const all: Array<Inbound> = []
    const acked = new Set<string>()
    const unacked: Array<ReadonlyArray<Inbound>> = []
    let sid = 0
    let webhooks = 0
    let kills = 0
    let http5xx = 0
    let retried = 0
    let committedBeforeDeath = 0

    for (let round = 0; round < ROUNDS; round++) {
      server = await startServer({ databaseUrl })
      // Exotel retries what got no 200: the batches unanswered when the previous process died
      for (const messages of unacked.splice(0)) {
        const answer = await postJson(server.webhookUrl, batch(messages.map(inboundItem)))
        assert.strictEqual(answer.status, 200, answer.text)
        assert.strictEqual(answer.body.accepted + answer.body.duplicates, messages.length)
        retried += messages.length
        committedBeforeDeath += answer.body.duplicates
        for (const m of messages) acked.add(m.sid)
      }
      const current = server
      let stop = false
      const killAfter = 400 + random.int(1200)
      const worker = async () => {
        while (!stop) {
          const messages: Array<Inbound> = Array.from({ length: 1 + random.int(5) }, () => {
            const pair = random.pick(pairs)
            return { sid: `wamid.crash.${seed}.${sid++}`, ...pair, sentAt: timestamp(), text: "crash test" }
          })
          all.push(...messages)
          webhooks++
          const answer = await postJson(current.webhookUrl, batch(messages.map(inboundItem)), {})
          if (answer.status === 200) { for (const m of messages) acked.add(m.sid) }
          else {
            if (answer.status >= 500) http5xx++
            unacked.push(messages)
          }
        }
      }
      const workers = Array.from({ length: CONCURRENCY }, worker)
      await sleep(killAfter)
      await current.kill9()
      kills++
      stop = true
      await Promise.all(workers)

      // every acknowledged sid is in the file the dead process left
      const db = new Database(dbFile, { readonly: true, fileMustExist: true })
      const present = new Set(
        (db.prepare("SELECT message_id FROM wa_inbound").all() as Array<{ message_id: string }>).map((r) =>
          r.message_id
        )
      )
      db.close()
      const lost = [...acked].filter((s) => !present.has(s))
      assert.deepStrictEqual(lost, [], `acknowledged but missing after kill -9 in round ${round} (seed ${seed})`)
    }

    // last restart: retry what is left, then compare every window with the oracle
    server = await startServer({ databaseUrl })
    for (const messages of unacked.splice(0)) {
      const answer = await postJson(server.webhookUrl, batch(messages.map(inboundItem)))
      assert.strictEqual(answer.status, 200, answer.text)
      retried += messages.length
      committedBeforeDeath += answer.body.duplicates
      for (const m of messages) acked.add(m.sid)
    }
    const oracle = windowsOf(all)
    const at = Date.now()
    let mismatches = 0
    for (const pair of pairs) {
      const answer = await getSession(server, pair.business, pair.customer)
      assert.strictEqual(answer.status, 200)
      const want = expected(oracle.get(pairKey(pair.business, pair.customer)), at)
      const got = {
        state: answer.body.state,
        lastInboundAt: answer.body.lastInboundAt,
        expiresAt: answer.body.expiresAt
      }
      if (JSON.stringify(got) !== JSON.stringify(want)) mismatches++
      assert.deepStrictEqual(got, want, `${pair.business}/${pair.customer} (seed ${seed})`)
    }
    const db = new Database(dbFile, { readonly: true })
    const rows = (db.prepare("SELECT COUNT(*) AS n FROM wa_inbound").get() as { n: number }).n
    db.close()
    assert.strictEqual(rows, all.length)
    await server.stop()
    server = undefined
    recordFigures("crash", {
      events: all.length,
      webhooks,
      faults: kills,
      acknowledgedFirstTime: all.length - retried,
      unansweredRetried: retried,
      unansweredButCommitted: committedBeforeDeath,
      lost: all.length - rows,
      windowMismatches: mismatches,
      http5xx,
      seed
    })
  })
})
