import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { type FakeExotel, startFakeExotel, startWebhookRecorder, type WebhookRecorder } from "@wa-session/exotel-fake"
import { spawn } from "node:child_process"
import { createHmac } from "node:crypto"
import { join } from "node:path"
import * as Fixtures from "./fixtures.js"
import { baseEnv, bin, BUSINESS, json, type Result, root, run, startServer, tempDir } from "./support.js"

const TOKEN = "test-token-0123456789abcdef"
const SECRET = "webhook-secret-0123456789"
const CUSTOMER = "+919876543401"

const temp = tempDir("relay-remote")
const filename = join(temp.dir, "server.db")
let fake: FakeExotel
let recorder: WebhookRecorder
let server: Awaited<ReturnType<typeof startServer>>

const remote = (args: ReadonlyArray<string>) =>
  run([...args, "--server", server.url], { env: { WA_SESSION_API_TOKEN: TOKEN } })

/** The same command on the store the server uses, without the server. */
const local = (args: ReadonlyArray<string>) => run(args, { env: { WA_SESSION_DATABASE_URL: `sqlite:${filename}` } })

const webhook = () => `${server.url}/webhooks/exotel/${SECRET}`
const pair = ["--business", BUSINESS, "--customer", CUSTOMER]

/** The generated secret `endpoints add` printed, and the endpoint. */
let added: { readonly id: string; readonly secret: string }
let quarantined: string

const eventually = async <A>(get: () => Promise<A>, done: (value: A) => boolean, what: string): Promise<A> => {
  for (let i = 0; i < 100; i++) {
    const value = await get()
    if (done(value)) return value
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`timed out waiting for ${what}`)
}

beforeAll(async () => {
  fake = await startFakeExotel({ apiKey: "key-1", apiToken: "token-1", accountSid: "acct1" })
  recorder = await startWebhookRecorder()
  server = await startServer({
    WA_SESSION_DATABASE_URL: `sqlite:${filename}`,
    WA_SESSION_API_TOKEN: TOKEN,
    WA_SESSION_WEBHOOK_SECRET: SECRET
  })
  const human = await remote(["endpoints", "add", `${recorder.url}/wa-events`])
  assert.strictEqual(human.code, 0)
  added = {
    id: /^Endpoint\s+(ep_\S+)$/m.exec(human.stdout)![1]!,
    secret: /^ {2}(whsec_\S+)$/m.exec(human.stdout)![1]!
  }
  const inbound = await fake.sendInbound(webhook(), {
    from: CUSTOMER,
    to: BUSINESS,
    sid: "wamid.r1",
    profileName: "Meera",
    text: "Do you deliver to Pune?"
  })
  assert.strictEqual(inbound.status, 200)
  const broken = await fetch(webhook(), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{oops"
  })
  assert.isBelow(broken.status, 500)
  assert.strictEqual(
    (await remote(["send", "--from", BUSINESS, "--to", CUSTOMER, "--text", "Yes, we do!", "--dry-run"])).code,
    0
  )
  quarantined = await Fixtures.quarantinedItem(
    filename,
    fake.inboundItem({
      from: "+919876543402",
      to: BUSINESS,
      sid: "wamid.r2",
      text: "Kept while the decoder was broken"
    }),
    "an older decoder refused it"
  )
  // the server's relay delivers every event to the recorder
  await eventually(
    () => local(["deliveries", "--state", "pending", "--json"]),
    (result) => json(result).items.length === 0,
    "the deliveries"
  )
})

afterAll(async () => {
  if (server !== undefined) assert.strictEqual(await server.stop(), 0)
  await recorder?.close()
  await fake?.close()
  temp.remove()
})

const same = async (args: ReadonlyArray<string>): Promise<Result> => {
  const [viaServer, onStore] = await Promise.all([remote(args), local(args)])
  assert.strictEqual(viaServer.stderr, onStore.stderr, args.join(" "))
  assert.strictEqual(viaServer.code, onStore.code, args.join(" "))
  assert.strictEqual(viaServer.stdout, onStore.stdout, args.join(" "))
  return viaServer
}

describe("the new commands through a running server (--server) and on its store", () => {
  it("history, events, deliveries, quarantine, endpoints: the same output, byte for byte", async () => {
    const commands: ReadonlyArray<ReadonlyArray<string>> = [
      ["history", ...pair],
      ["history", ...pair, "--json"],
      ["history", ...pair, "--limit", "1", "--json"],
      ["events"],
      ["events", "--json"],
      ["events", "--type", "message.received,webhook.quarantined", "--limit", "2", "--json"],
      ["deliveries", "--json"],
      ["deliveries", "--state", "delivered", "--endpoint", added.id, "--limit", "3", "--json"],
      ["quarantine"],
      ["quarantine", "--state", "quarantined", "--json"],
      ["endpoints"],
      ["endpoints", "--json"]
    ]
    for (const args of commands) {
      const result = await same(args)
      assert.strictEqual(result.code, 0, args.join(" "))
    }
    const history = json(await remote(["history", ...pair, "--json"]))
    assert.deepStrictEqual(history.items.map((item: any) => [item.direction, item.content]), [
      ["outbound", { type: "text", text: { body: "Yes, we do!" } }],
      ["inbound", { type: "text", text: { body: "Do you deliver to Pune?" } }]
    ])
    const human = await remote(["history", ...pair])
    assert.match(human.stdout, /→ out\s+text\s+Yes, we do!\s+pending \(dry run\)$/m)
    assert.match(human.stdout, /← in\s+text\s+Do you deliver to Pune\?$/m)
    const events = await remote(["events"])
    assert.match(
      events.stdout,
      /message\.received\s+evt_\S+\s+\+919876500001 → \+919876543401\s+wamid\.r1: Do you deliver to Pune\?$/m
    )
    assert.match(events.stdout, /webhook\.quarantined\s+evt_\S+\s+-\s+q_[0-9a-f]{32} \(body\): /m)
  })

  it("the --json of history and events is the HTTP API's answer", async () => {
    const auth = { authorization: `Bearer ${TOKEN}` }
    const history = await fetch(`${server.url}/v1/sessions/${BUSINESS}/${CUSTOMER}/messages`, { headers: auth })
    assert.deepStrictEqual(json(await remote(["history", ...pair, "--json"])), await history.json())
    const events = await fetch(`${server.url}/v1/events?limit=100`, { headers: auth })
    assert.deepStrictEqual(json(await remote(["events", "--json"])), await events.json())
  })

  it("failures: the same code, message and exit code both ways", async () => {
    const failures: ReadonlyArray<readonly [ReadonlyArray<string>, number, string]> = [
      [["history", ...pair, "--cursor", "garbage", "--json"], 2, "INVALID_REQUEST"],
      [["events", "--after", "evt_nope", "--json"], 2, "INVALID_REQUEST"],
      [["events", "--type", "message.sent", "--json"], 2, "INVALID_REQUEST"],
      [["deliveries", "--cursor", "nope", "--json"], 2, "INVALID_REQUEST"],
      [["quarantine", "--cursor", "nope", "--json"], 2, "INVALID_REQUEST"],
      [
        ["deliveries", "replay", "--endpoint", "ep_nope", "--since", "2026-01-01T00:00:00Z", "--json"],
        2,
        "ENDPOINT_NOT_FOUND"
      ],
      [["quarantine", "retry", "q_nope", "--json"], 2, "QUARANTINE_NOT_FOUND"],
      [["endpoints", "delete", "ep_nope", "--json"], 2, "ENDPOINT_NOT_FOUND"],
      [["endpoints", "delete", "ep_configured", "--json"], 2, "ENDPOINT_NOT_FOUND"],
      [["endpoints", "add", "ftp://example.com/x", "--json"], 2, "INVALID_ENDPOINT"],
      [["endpoints", "add", "https://example.com/x", "--event", "message.sent", "--json"], 2, "INVALID_ENDPOINT"]
    ]
    for (const [args, code, errorCode] of failures) {
      const result = await same(args)
      assert.strictEqual(result.code, code, args.join(" "))
      assert.strictEqual(json(result).error.code, errorCode, args.join(" "))
      assert.match(result.stderr, new RegExp(`^wa-session: ${errorCode}: `), args.join(" "))
    }
    const usage = await same(["deliveries", "replay"])
    assert.strictEqual(usage.code, 2)
  })

  it("endpoints add printed the secret once; it is the one that signs the deliveries; listings never show it", async () => {
    const [delivery] = recorder.received
    assert.isDefined(delivery)
    const { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature } = delivery!.headers
    const key = Buffer.from(added.secret.slice("whsec_".length), "base64")
    const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${delivery!.rawBody}`).digest("base64")
    assert.include(signature!.split(" "), `v1,${expected}`)
    for (const args of [["endpoints"], ["endpoints", "--json"], ["deliveries", "--json"]]) {
      const result = await remote(args)
      assert.notInclude(result.stdout, added.secret)
      assert.notInclude(result.stdout, "whsec_")
    }
  })

  it("deliveries (human) and replay by event through the server: delivered again, same webhook-id", async () => {
    const human = await remote(["deliveries", "--endpoint", added.id])
    assert.match(
      human.stdout,
      new RegExp(`^evt_[0-9a-f]{32}\\s+\\S+\\s+${added.id}\\s+delivered\\s+1\\s+-\\s+delivered (now|.* ago)$`, "m")
    )
    const page = json(await remote(["deliveries", "--endpoint", added.id, "--json"]))
    const eventId = page.items.find((d: any) => d.eventType === "message.received").eventId
    const before = recorder.received.length
    const replayed = await remote(["deliveries", "replay", "--endpoint", added.id, "--event", eventId, "--json"])
    assert.deepStrictEqual(json(replayed), { replayed: 1 })
    const [again] = (await recorder.waitFor(before + 1, 10_000)).slice(before)
    assert.strictEqual(again!.headers["webhook-id"], eventId)
  })

  it("quarantine retry through the server: resolved when it decodes now, as the store then shows", async () => {
    const result = await remote(["quarantine", "retry", quarantined, "--json"])
    assert.strictEqual(result.code, 0)
    const retried = json(result)
    assert.containsSubset(retried.entry, { id: quarantined, state: "resolved" })
    assert.containsSubset(retried.result, { accepted: 1, duplicates: 0, rejected: 0 })
    await same(["quarantine", "--json"])
    const history = json(await local(["history", "--business", BUSINESS, "--customer", "+919876543402", "--json"]))
    assert.deepStrictEqual(history.items.map((item: any) => item.id), ["wamid.r2"])
    const body = json(await remote(["quarantine", "--state", "quarantined", "--json"])).items[0]
    const still = await remote(["quarantine", "retry", body.id])
    assert.match(still.stdout, /^State\s+quarantined: it still does not decode$/m)
  })

  it("events --follow --server prints what the webhook brings, until Ctrl-C", async () => {
    const last = json(await remote(["events", "--limit", "1000", "--json"])).last
    const child = spawn(
      process.execPath,
      [bin, "events", "--follow", "--json", "--after", last, "--type", "message.received", "--server", server.url],
      { env: baseEnv({ WA_SESSION_API_TOKEN: TOKEN }), cwd: root }
    )
    let stdout = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
    await new Promise((resolve) => setTimeout(resolve, 1500))
    await fake.sendInbound(webhook(), { from: CUSTOMER, to: BUSINESS, sid: "wamid.r3", text: "Thanks!" })
    await eventually(async () => stdout, (text) => text.includes("wamid.r3"), "the followed event")
    child.kill("SIGINT")
    assert.strictEqual(await exited, 0)
    const lines = stdout.trimEnd().split("\n").map((line) => JSON.parse(line))
    assert.lengthOf(lines, 1)
    assert.containsSubset(lines[0], { type: "message.received" })
    assert.containsSubset(lines[0].data, { messageId: "wamid.r3" })
  })
})
