/**
 * An idempotency key stands for one request, through the real server process and the fake Exotel: the same key
 * with another body (another recipient, content, fallback or dryRun) is 422 IDEMPOTENCY_KEY_REUSED and sends
 * nothing; the same body, its fields in any order, key in the body or the header, replays. Raced: many requests
 * with one key and two different bodies at once (one server on SQLite; two servers on one PostgreSQL) send exactly
 * once, to the winner's recipient, and every loser with the other body is told so.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { type FakeExotel, startFakeExotel } from "@wa-session/exotel-fake"
import * as Path from "node:path"
import {
  type Answer,
  auth,
  businessNumber,
  customerNumber,
  exotelEnv,
  FAKE_CREDENTIALS,
  freePort,
  getMessage,
  ourId,
  pool,
  recordFigures,
  request,
  type RunningServer,
  sendMessage,
  sized,
  startServer,
  TEMPLATE,
  tmpDir
} from "./harness.js"
import { createSchema, dropSchema, freshSchema, pgAvailable, query, urlWithSchema } from "./pg.js"

const KEYS = sized(12, 100)
const RACERS = sized(6, 10)
const OTHER_TEMPLATE = { type: "template", template: { name: "order_cancelled", language: { code: "en" } } }

/** The same JSON value with every object's keys in reverse order. */
const reversed = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(reversed)
  if (typeof value !== "object" || value === null) return value
  const record = value as Record<string, unknown>
  return Object.fromEntries(Object.keys(record).reverse().map((key) => [key, reversed(record[key])]))
}

/** POST /v1/messages with the body exactly as given. */
const sendRaw = (server: RunningServer, body: string, headers: Record<string, string> = {}) =>
  request("POST", `${server.url}/v1/messages`, {
    body,
    headers: { "content-type": "application/json", ...auth, ...headers }
  })

const figures = { events: 0, reused: 0, replayed: 0, http5xx: 0 }
const count = (answer: Answer) => {
  figures.events++
  if (answer.status >= 500) figures.http5xx++
  if (answer.status === 422 && answer.body?.code === "IDEMPOTENCY_KEY_REUSED") figures.reused++
  if (answer.status === 202 && answer.body?.replayed === true) figures.replayed++
  return answer
}

/**
 * For each key, `RACERS` requests at once spread over `servers`, half with body A and half with body B (another
 * recipient): one message is stored and sent, to its body's recipient; the requests with its body answer 202 with
 * its id (one of them not replayed), the others 422 naming it. Returns the ids of the stored messages.
 */
const race = async (servers: ReadonlyArray<RunningServer>, fake: FakeExotel, label: string) => {
  const business = businessNumber(7)
  return pool(
    4,
    Array.from({ length: KEYS }, (_, k) => async () => {
      const key = `${label}-race-${k}`
      const bodies = [
        { from: business, to: customerNumber(1000 + 2 * k), content: TEMPLATE, idempotencyKey: key },
        { from: business, to: customerNumber(1001 + 2 * k), content: TEMPLATE, idempotencyKey: key }
      ] as const
      const answers = await Promise.all(
        Array.from({ length: RACERS }, (_, i) => sendMessage(servers[i % servers.length]!, bodies[i % 2]!).then(count))
      )
      const texts = answers.map((answer) => `${answer.status} ${answer.text}`).join("\n")
      const winner = answers.find((answer) => answer.status === 202 && answer.body.replayed === false)
      assert.isDefined(winner, texts)
      const id = winner!.body.id as string
      assert.strictEqual(
        answers.filter((answer) => answer.status === 202 && answer.body.replayed === false).length,
        1,
        texts
      )
      const stored = await getMessage(servers[0]!, id)
      const winning = bodies.findIndex((body) => body.to === stored.body.customer)
      assert.isAtLeast(winning, 0, stored.text)
      answers.forEach((answer, i) => {
        if (i % 2 === winning) {
          assert.strictEqual(answer.status, 202, texts)
          assert.strictEqual(answer.body.id, id, texts)
        } else {
          assert.strictEqual(answer.status, 422, texts)
          assert.strictEqual(answer.body.code, "IDEMPOTENCY_KEY_REUSED", texts)
          assert.strictEqual(answer.body.messageId, id, texts)
        }
      })
      const sends = fake.messages.filter((message) => ourId(message) === id)
      assert.strictEqual(sends.length, 1, `sends of ${id} (key ${key})`)
      assert.strictEqual(sends[0]!.to, bodies[winning]!.to)
      return id
    })
  )
}

describe("idempotency keys: key reuse with a different body", () => {
  const stops: Array<() => Promise<unknown>> = []
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop()
    recordFigures("idempotency", { ...figures, keys: KEYS, racers: RACERS })
  })

  it("one server on SQLite: another body is 422 and sends nothing; the same body in any order replays", async () => {
    const fake = await startFakeExotel({ ...FAKE_CREDENTIALS })
    stops.push(() => fake.close())
    const port = await freePort()
    const server = await startServer({
      databaseUrl: `sqlite:${Path.join(tmpDir("idempotency"), "wa.db")}`,
      port,
      env: exotelEnv(fake.url, port)
    })
    stops.push(() => server.stop())
    const business = businessNumber(3)

    for (let k = 0; k < KEYS; k++) {
      const key = `order-${k}`
      const body = {
        from: business,
        to: customerNumber(2 * k),
        content: { type: "template", template: { name: "order_update", language: { code: "en" } } },
        idempotencyKey: key
      }
      const before = fake.messages.length
      const first = count(await sendMessage(server, body))
      assert.strictEqual(first.status, 202, first.text)
      assert.isFalse(first.body.replayed)
      assert.strictEqual(fake.messages.length, before + 1)

      const others: ReadonlyArray<Record<string, unknown>> = [
        { ...body, to: customerNumber(2 * k + 1) },
        { ...body, content: OTHER_TEMPLATE },
        { ...body, fallback: TEMPLATE },
        { ...body, dryRun: true }
      ]
      for (const other of others) {
        const answer = count(await sendMessage(server, other))
        assert.strictEqual(answer.status, 422, answer.text)
        assert.containsSubset(answer.body, {
          code: "IDEMPOTENCY_KEY_REUSED",
          idempotencyKey: key,
          messageId: first.body.id
        })
        assert.include(answer.body.message, first.body.id)
      }
      // the key in the header, the recipient another: refused the same way
      const { idempotencyKey: _, ...withoutKey } = body
      const otherRecipient = JSON.stringify({ ...withoutKey, to: customerNumber(2 * k + 1) })
      const byHeader = count(await sendRaw(server, otherRecipient, { "idempotency-key": key }))
      assert.strictEqual(byHeader.status, 422, byHeader.text)
      assert.strictEqual(fake.messages.length, before + 1)

      // the same request, every object's fields in reverse order, key in the body or the header: the first answer
      for (
        const [text, headers] of [
          [JSON.stringify(reversed(body)), {}],
          [JSON.stringify(reversed(withoutKey)), { "idempotency-key": key }]
        ] as const
      ) {
        const replay = count(await sendRaw(server, text, headers))
        assert.strictEqual(replay.status, 202, replay.text)
        assert.deepStrictEqual(replay.body, { ...first.body, replayed: true, status: replay.body.status })
      }
      assert.strictEqual(fake.messages.length, before + 1)
      assert.strictEqual(fake.messages.at(-1)!.to, body.to)
    }
    // nothing was stored for the refused recipients
    for (let k = 0; k < KEYS; k++) {
      const pair = `${encodeURIComponent(business)}/${encodeURIComponent(customerNumber(2 * k + 1))}`
      const history = await request("GET", `${server.url}/v1/sessions/${pair}/messages`, { headers: auth })
      assert.strictEqual(history.status, 200, history.text)
      assert.deepStrictEqual(history.body.items, [])
    }

    const ids = await race([server], fake, "sqlite")
    assert.strictEqual(new Set(ids).size, KEYS)
    assert.strictEqual(figures.http5xx, 0)
  })

  it.skipIf(!pgAvailable)("two servers on one PostgreSQL: a key raced with two bodies sends once", async () => {
    const schema = freshSchema("idempotency")
    await createSchema(schema)
    stops.push(() => dropSchema(schema))
    const fake = await startFakeExotel({ ...FAKE_CREDENTIALS })
    stops.push(() => fake.close())
    const ports = [await freePort(), await freePort()]
    const servers = await Promise.all(
      ports.map((port) => startServer({ databaseUrl: urlWithSchema(schema), port, env: exotelEnv(fake.url, port) }))
    )
    for (const server of servers) stops.push(() => server.stop())
    const before = fake.messages.length
    const ids = await race(servers, fake, "pg")
    assert.strictEqual(new Set(ids).size, KEYS)
    assert.strictEqual(fake.messages.length - before, KEYS)
    const [outbound] = await query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${schema}.wa_outbound`)
    assert.strictEqual(Number(outbound!.n), KEYS)
    assert.strictEqual(figures.http5xx, 0)
  })
})
