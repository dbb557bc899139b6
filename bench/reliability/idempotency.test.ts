/**
 * An idempotency key stands for one request, through the real server process and the fake Exotel: the same key
 * with another body (another recipient, content, fallback or dryRun) is 422 IDEMPOTENCY_KEY_REUSED and sends
 * nothing; the same body, its fields in any order, key in the body or the header, replays. Raced: many requests
 * with one key and two different bodies at once (one server on SQLite; two servers on one PostgreSQL) send exactly
 * once, to the winner's recipient, and every loser with the other body is told so.
 */
import { type FakeExotel, startFakeExotel } from "@wa-session/exotel-fake"
import * as Path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
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
      expect(winner, texts).toBeDefined()
      const id = winner!.body.id as string
      expect(answers.filter((answer) => answer.status === 202 && answer.body.replayed === false).length, texts).toBe(1)
      const stored = await getMessage(servers[0]!, id)
      const winning = bodies.findIndex((body) => body.to === stored.body.customer)
      expect(winning, stored.text).toBeGreaterThanOrEqual(0)
      answers.forEach((answer, i) => {
        if (i % 2 === winning) {
          expect(answer.status, texts).toBe(202)
          expect(answer.body.id, texts).toBe(id)
        } else {
          expect(answer.status, texts).toBe(422)
          expect(answer.body.code, texts).toBe("IDEMPOTENCY_KEY_REUSED")
          expect(answer.body.messageId, texts).toBe(id)
        }
      })
      const sends = fake.messages.filter((message) => ourId(message) === id)
      expect(sends.length, `sends of ${id} (key ${key})`).toBe(1)
      expect(sends[0]!.to).toBe(bodies[winning]!.to)
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
      expect(first.status, first.text).toBe(202)
      expect(first.body.replayed).toBe(false)
      expect(fake.messages.length).toBe(before + 1)

      const others: ReadonlyArray<Record<string, unknown>> = [
        { ...body, to: customerNumber(2 * k + 1) },
        { ...body, content: OTHER_TEMPLATE },
        { ...body, fallback: TEMPLATE },
        { ...body, dryRun: true }
      ]
      for (const other of others) {
        const answer = count(await sendMessage(server, other))
        expect(answer.status, answer.text).toBe(422)
        expect(answer.body).toMatchObject({
          code: "IDEMPOTENCY_KEY_REUSED",
          idempotencyKey: key,
          messageId: first.body.id
        })
        expect(answer.body.message).toContain(first.body.id)
      }
      // the key in the header, the recipient another: refused the same way
      const { idempotencyKey: _, ...withoutKey } = body
      const otherRecipient = JSON.stringify({ ...withoutKey, to: customerNumber(2 * k + 1) })
      const byHeader = count(await sendRaw(server, otherRecipient, { "idempotency-key": key }))
      expect(byHeader.status, byHeader.text).toBe(422)
      expect(fake.messages.length).toBe(before + 1)

      // the same request, every object's fields in reverse order, key in the body or the header: the first answer
      for (const [text, headers] of [
        [JSON.stringify(reversed(body)), {}],
        [JSON.stringify(reversed(withoutKey)), { "idempotency-key": key }]
      ] as const) {
        const replay = count(await sendRaw(server, text, headers))
        expect(replay.status, replay.text).toBe(202)
        expect(replay.body).toEqual({ ...first.body, replayed: true, status: replay.body.status })
      }
      expect(fake.messages.length).toBe(before + 1)
      expect(fake.messages.at(-1)!.to).toBe(body.to)
    }
    // nothing was stored for the refused recipients
    for (let k = 0; k < KEYS; k++) {
      const pair = `${encodeURIComponent(business)}/${encodeURIComponent(customerNumber(2 * k + 1))}`
      const history = await request("GET", `${server.url}/v1/sessions/${pair}/messages`, { headers: auth })
      expect(history.status, history.text).toBe(200)
      expect(history.body.items).toEqual([])
    }

    const ids = await race([server], fake, "sqlite")
    expect(new Set(ids).size).toBe(KEYS)
    expect(figures.http5xx).toBe(0)
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
    expect(new Set(ids).size).toBe(KEYS)
    expect(fake.messages.length - before).toBe(KEYS)
    const [outbound] = await query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${schema}.wa_outbound`)
    expect(Number(outbound!.n)).toBe(KEYS)
    expect(figures.http5xx).toBe(0)
  })
})
