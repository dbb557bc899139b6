import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import { Webhook } from "standardwebhooks"
import * as FakeReceiver from "../src/FakeReceiver.js"

const secret = `whsec_${Buffer.alloc(32, 42).toString("base64")}`

let receiver: FakeReceiver.FakeReceiver

beforeEach(async () => {
  receiver = await FakeReceiver.start({ secret })
})
afterEach(() => receiver.close())

const signedPost = (path = "/", body = JSON.stringify({ hello: "world" })) => {
  const id = `evt_${Math.random().toString(16).slice(2)}`
  const at = new Date()
  return fetch(`${receiver.url}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": new Webhook(secret).sign(id, at, body)
    },
    body
  })
}

describe("FakeReceiver", () => {
  it("records and verifies requests on any path, answering the scripted statuses then the default", async () => {
    receiver.script([503, 410])
    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push((await signedPost(`/p/${i}`)).status)
    receiver.respondWith(500)
    statuses.push((await signedPost()).status)
    assert.deepStrictEqual(statuses, [503, 410, 200, 500])
    assert.deepStrictEqual(receiver.received.map((r) => r.status), [503, 410, 200, 500])
    assert.deepStrictEqual(receiver.received.map((r) => r.path), ["/p/0", "/p/1", "/p/2", "/"])
    assert.isTrue(receiver.received.every((r) => r.verified && r.verifyError === undefined))
    assert.deepStrictEqual(receiver.received[0]!.body, { hello: "world" })
    assert.strictEqual(receiver.delivered().length, 1)
    assert.isTrue(receiver.url.startsWith("http://127.0.0.1:"))
  })

  it("does not verify an unsigned or tampered request, and says why", async () => {
    await fetch(receiver.url, { method: "POST", body: "{}" })
    await fetch(receiver.url, {
      method: "POST",
      body: "not json",
      headers: { "webhook-id": "evt_1", "webhook-timestamp": "1", "webhook-signature": "v1,AAAA" }
    })
    const [unsigned, tampered] = receiver.received
    assert.isFalse(unsigned!.verified)
    assert.strictEqual(unsigned!.verifyError, "Missing required headers")
    assert.isFalse(tampered!.verified)
    assert.strictEqual(tampered!.verifyError, "Message timestamp too old")
    assert.isUndefined(tampered!.body)
    assert.strictEqual(tampered!.rawBody, "not json")
  })

  it("waits for a count or a condition, and rejects with what it got after the timeout", async () => {
    const waiting = receiver.waitFor(2, 2_000)
    await signedPost()
    await signedPost()
    assert.strictEqual((await waiting).length, 2)
    const twoOk = (received: ReadonlyArray<FakeReceiver.ReceivedRequest>) =>
      received.filter((r) => r.status === 200).length >= 3
    const error = await receiver.waitFor(twoOk, 100).then(() => undefined, (e: unknown) => e)
    assert.instanceOf(error, Error)
    assert.match(
      (error as Error).message,
      /twoOk not met within 100 ms; 2 request\(s\) received: evt_\w+ → 200, evt_\w+ → 200/
    )
  })

  it("holds requests while hung and answers those still connected when released", async () => {
    receiver.hang(true)
    receiver.script([201])
    const pending = signedPost()
    await receiver.waitFor(1)
    assert.isNull(receiver.received[0]!.status)
    receiver.hang(false)
    assert.strictEqual((await pending).status, 201)
    assert.strictEqual(receiver.received[0]!.status, 201)
  })

  it("counts open connections: a request sent just before its client's socket dies is recorded before it closes", async () => {
    const Net = await import("node:net")
    const socket = Net.connect(receiver.port, "127.0.0.1")
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()))
    const waitForCount = async (n: number) => {
      for (let i = 0; i < 200 && receiver.openConnections() !== n; i++) await new Promise((r) => setTimeout(r, 5))
      return receiver.openConnections()
    }
    assert.strictEqual(await waitForCount(1), 1)
    const body = "{}"
    socket.write(
      `POST /last HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`
    )
    socket.end()
    assert.strictEqual(await waitForCount(0), 0)
    assert.deepStrictEqual(receiver.received.map((r) => r.path), ["/last"])
  })

  it("refuses connections while down and comes back on the same port", async () => {
    const url = receiver.url
    await receiver.goDown()
    const refused = await signedPost().then(() => undefined, (e: unknown) => e)
    assert.strictEqual(((refused as Error).cause as { code?: string }).code, "ECONNREFUSED")
    await receiver.comeBack()
    assert.strictEqual(receiver.url, url)
    assert.strictEqual((await signedPost()).status, 200)
  })

  it("answers a redirect with a location back to itself", async () => {
    receiver.script([307])
    const response = await signedPost()
    assert.strictEqual(response.status, 307)
    assert.strictEqual(response.headers.get("location"), "/redirected-by-fake-receiver")
  })

  it("rejects pending waits when closed", async () => {
    const waiting = receiver.waitFor(1, 5_000).then(() => undefined, (e: unknown) => e)
    await receiver.close()
    assert.match(((await waiting) as Error).message, /FakeReceiver closed; no requests received/)
  })
})
