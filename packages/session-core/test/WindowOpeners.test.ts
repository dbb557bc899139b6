/**
 * What opens the window: the decision table of `WindowOpeners.classify`, and the laws of `Ingest.plan` with it:
 * stored-only messages are recorded (with their `message.received`) and never move a window; opening messages
 * behave exactly as a text message always did.
 */
import { assert, describe, it } from "@effect/vitest"
import { DateTime, Duration, Option } from "effect"
import * as fc from "effect/FastCheck"
import { Ingest, PhoneNumber, SessionWindow, type WindowEvents, WindowOpeners } from "../src/index.js"
import { snapshot } from "./fixtures.js"

const HOUR = 3_600_000
const NOW = DateTime.unsafeMake("2026-01-23T00:00:00Z")
const hours = (h: number): DateTime.Utc => DateTime.unsafeMake(NOW.epochMillis + h * HOUR)
const TOLERANCE = Duration.minutes(5)
const policy: WindowEvents.Policy = { safetyMargin: Duration.minutes(30), expiringLead: Duration.hours(1) }

const B1 = PhoneNumber.unsafeMake("+919876500001")
const B2 = PhoneNumber.unsafeMake("+919876500002")
const C1 = PhoneNumber.unsafeMake("+919876543210")
const C2 = PhoneNumber.unsafeMake("+919876543211")
const PAIRS = [
  new PhoneNumber.Pair({ business: B1, customer: C1 }),
  new PhoneNumber.Pair({ business: B1, customer: C2 }),
  new PhoneNumber.Pair({ business: B2, customer: C1 })
] as const

type Candidate = WindowOpeners.Candidate
const content = (type: string, fields: Record<string, unknown> = {}): Candidate => ({
  contentType: type,
  content: { type, ...fields }
})
const inGroup = (candidate: Candidate, groupId: string): Candidate => ({ ...candidate, groupId: Option.some(groupId) })

/** What a customer can send that opens the window (Meta's inbound types; Exotel relays the same objects). */
const OPENERS: ReadonlyArray<Candidate> = [
  content("text", { text: { body: "Hi" } }),
  content("image", { image: { url: "https://x/y.jpg" } }),
  content("audio", { audio: { url: "https://x/y.ogg" } }),
  content("video", { video: { url: "https://x/y.mp4" } }),
  content("document", { document: { url: "https://x/y.pdf" } }),
  content("sticker", { sticker: { url: "https://x/y.webp" } }),
  content("location", { location: { latitude: 19.07, longitude: 72.87 } }),
  content("contacts", { contacts: [{ name: { formatted_name: "Asha" } }] }),
  content("interactive", { interactive: { type: "button_reply", button_reply: { id: "yes", title: "Yes" } } }),
  content("interactive", { interactive: { type: "list_reply", list_reply: { id: "t1", title: "10:00" } } }),
  content("interactive", { interactive: { type: "nfm_reply", nfm_reply: { response_json: "{}" } } }),
  content("button", { button: { text: "Track order", payload: "TRACK" } }),
  content("order", { order: { catalog_id: "c1", product_items: [] } }),
  content("reaction", { reaction: { message_id: "wamid.1", emoji: "👍" } }),
  content("unknown", { errors: [{ code: 131051, title: "Message type unknown" }] }),
  content("unsupported", { unsupported: { type: "poll_creation" } }),
  content("request_welcome"),
  { ...content("text", { text: { body: "Hi" } }), groupId: Option.none() },
  inGroup(content("text", { text: { body: "Hi" } }), "  ")
]

const STORED_ONLY: ReadonlyArray<readonly [Candidate, WindowOpeners.StoredOnlyReason]> = [
  [content("system", { system: { body: "User A changed from 1 to 2", type: "user_changed_number" } }), "system"],
  [content(" System "), "system"],
  [inGroup(content("system"), "g1"), "system"],
  [inGroup(content("text", { text: { body: "Hi all" } }), "120363000000000001"), "group"],
  [inGroup(content("reaction", { reaction: { message_id: "wamid.1", emoji: "👍" } }), "g1"), "group"],
  [inGroup(content("reaction", { reaction: { message_id: "wamid.1" } }), "g1"), "group"],
  [content("reaction", { reaction: { message_id: "wamid.1" } }), "reaction_removed"],
  [content("reaction", { reaction: { message_id: "wamid.1", emoji: "" } }), "reaction_removed"],
  [content("REACTION", { reaction: { message_id: "wamid.1", emoji: " " } }), "reaction_removed"],
  [content("reaction", { reaction: { message_id: "wamid.1", emoji: 1 } }), "reaction_removed"],
  [content("reaction"), "reaction_removed"],
  [content("reaction", { reaction: ["👍"] }), "reaction_removed"]
]

describe("WindowOpeners.classify", () => {
  it("the decision table: what the customer sends opens the window; system notices, groups and withdrawn reactions do not", () => {
    for (const candidate of OPENERS) {
      assert.deepStrictEqual(WindowOpeners.classify(candidate), { _tag: "Opens" }, JSON.stringify(candidate))
      assert.isTrue(WindowOpeners.opensWindow(candidate))
    }
    for (const [candidate, reason] of STORED_ONLY) {
      assert.deepStrictEqual(
        WindowOpeners.classify(candidate),
        { _tag: "StoredOnly", reason },
        JSON.stringify(candidate)
      )
      assert.isFalse(WindowOpeners.opensWindow(candidate))
    }
  })

  it.prop("any type opens unless it is system, in a group, or a reaction without an emoji", [
    fc.oneof(fc.string(), fc.constantFrom("system", " SYSTEM", "reaction", "Reaction ", "text", "unknown")),
    fc.option(fc.oneof(fc.string(), fc.constantFrom("", " ", "👍"))),
    fc.option(fc.oneof(fc.string({ minLength: 1 }), fc.constant(" ")))
  ], ([type, emoji, groupId]) => {
    const candidate: Candidate = {
      contentType: type,
      content: { type, reaction: { message_id: "m", ...(emoji === null ? {} : { emoji }) } },
      ...(groupId === null ? {} : { groupId: Option.some(groupId) })
    }
    const normalized = type.trim().toLowerCase()
    const expected = normalized === "system"
      ? "system"
      : groupId !== null && groupId.trim() !== ""
      ? "group"
      : normalized === "reaction" && (emoji === null || emoji.trim() === "")
      ? "reaction_removed"
      : undefined
    assert.deepStrictEqual(
      WindowOpeners.classify(candidate),
      expected === undefined ? { _tag: "Opens" } : { _tag: "StoredOnly", reason: expected }
    )
    assert.strictEqual(WindowOpeners.opensWindow(candidate), expected === undefined)
  }, { fastCheck: { numRuns: 500 } })
})

// ---------------------------------------------------------------------------------------------------------------
// Ingest.plan with stored-only messages
// ---------------------------------------------------------------------------------------------------------------

interface GenItem {
  readonly pairIndex: number
  readonly at: number | null
  readonly kind: { readonly _tag: "Opens"; readonly index: number } | {
    readonly _tag: "StoredOnly"
    readonly index: number
  }
  readonly known: boolean
}

interface GenPair {
  readonly lastInbound: number | null
  readonly closedAt: number | null
  readonly announcedOpen: boolean
}

const pairArb: fc.Arbitrary<GenPair> = fc.record({
  lastInbound: fc.option(fc.integer({ min: -60, max: 0 })),
  closedAt: fc.option(fc.integer({ min: -60, max: 0 })),
  announcedOpen: fc.boolean()
})

const itemArb: fc.Arbitrary<GenItem> = fc.record({
  pairIndex: fc.integer({ min: 0, max: PAIRS.length - 1 }),
  at: fc.option(fc.integer({ min: -72, max: 2 })),
  kind: fc.oneof(
    fc.integer({ min: 0, max: OPENERS.length - 1 }).map((index) => ({ _tag: "Opens" as const, index })),
    fc.integer({ min: 0, max: STORED_ONLY.length - 1 }).map((index) => ({ _tag: "StoredOnly" as const, index }))
  ),
  // already recorded by the store (a provider's retry): a duplicate
  known: fc.integer({ min: 0, max: 4 }).map((n) => n === 0)
})

const scenarioArb = fc.record({
  pairs: fc.tuple(pairArb, pairArb, pairArb),
  items: fc.array(itemArb, { maxLength: 12 })
})

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer A> ? A : never

const windowOf = (pair: PhoneNumber.Pair, gen: GenPair): Option.Option<SessionWindow.SessionWindow> => {
  if (gen.lastInbound === null) return Option.none()
  const opened = SessionWindow.record(
    SessionWindow.empty(pair),
    new SessionWindow.InboundMessage({
      ...pair,
      messageId: "before",
      sentAt: hours(gen.lastInbound),
      receivedAt: hours(gen.lastInbound)
    })
  )
  const window = gen.closedAt === null ? opened : SessionWindow.closeByProvider(opened, hours(gen.closedAt))
  return Option.some(window as SessionWindow.SessionWindow)
}

const candidateOf = (item: GenItem): Candidate =>
  item.kind._tag === "Opens" ? OPENERS[item.kind.index]! : STORED_ONLY[item.kind.index]![0]

const build = (scenario: Scenario) => {
  const pairs = new Map<string, Ingest.PairState>()
  scenario.pairs.forEach((gen, i) => {
    const pair = PAIRS[i]!
    const window = windowOf(pair, gen)
    if (Option.isSome(window)) {
      pairs.set(Ingest.pairKey(pair), { window, announced: { open: gen.announcedOpen, expiringFor: Option.none() } })
    }
  })
  const inbound = new Map<string, string>()
  const items = scenario.items.map((gen, i) => {
    const pair = PAIRS[gen.pairIndex]!
    const candidate = candidateOf(gen)
    const messageId = `m${i}`
    if (gen.known) inbound.set(`${pair.business}|${messageId}`, Ingest.pairKey(pair))
    const item: Ingest.InboundItem = {
      _tag: "Inbound",
      business: pair.business,
      customer: pair.customer,
      messageId,
      providerTimestamp: gen.at === null ? Option.none() : Option.some(hours(gen.at)),
      contentType: candidate.contentType,
      content: candidate.content,
      profileName: Option.none(),
      raw: { messageId },
      ...(candidate.groupId === undefined ? {} : { groupId: candidate.groupId })
    }
    return item
  })
  const state: Ingest.State = { pairs, inbound, outbound: new Map(), quarantine: new Set() }
  return { state, items }
}

const planOf = (state: Ingest.State, items: ReadonlyArray<Ingest.Item>) =>
  Ingest.plan(state, { now: NOW, policy, items: Ingest.prepare(items, NOW, TOLERANCE), resolves: [] })

const windowsOf = (plan: Ingest.Plan) =>
  plan.windows.map(({ announced, window }) => ({ window: snapshot(window), announced }))

const eventsOf = (plan: Ingest.Plan) => plan.events.map(({ event }) => `${event.type}|${event.id}`)

const isOpener = (item: Ingest.Item) => item._tag === "Inbound" && WindowOpeners.opensWindow(item)

describe("Ingest.plan with WindowOpeners", () => {
  it.prop(
    "stored-only messages never change a window and are still recorded; the rest of the batch plans as without them",
    [scenarioArb],
    ([scenario]) => {
      const { items, state } = build(scenario)
      const all = planOf(state, items)
      const openers = planOf(state, items.filter(isOpener))

      // windows and window events exactly as if the stored-only messages were not there
      assert.deepStrictEqual(windowsOf(all), windowsOf(openers))
      const storedOnlyReceived = new Set(
        all.events.filter(({ event }) =>
          event.type === "message.received" &&
          !isOpener(items.find((item) => item._tag === "Inbound" && item.messageId === event.data.messageId)!)
        ).map(({ event }) => `${event.type}|${event.id}`)
      )
      assert.deepStrictEqual(eventsOf(all).filter((e) => !storedOnlyReceived.has(e)), eventsOf(openers))

      // every new message is recorded, in order, each with one message.received; the duplicates are not
      const fresh = items.filter((item) =>
        item._tag === "Inbound" && !state.inbound.has(`${item.business}|${item.messageId}`)
      )
      assert.deepStrictEqual(
        all.inbound.map((m) => m.message.messageId),
        fresh.map((item) => item._tag === "Inbound" ? item.messageId : "")
      )
      assert.strictEqual(
        all.events.filter(({ event }) => event.type === "message.received").length,
        fresh.length
      )

      // results: the openers' as without the others; a stored-only one says why, with its pair's window after the
      // batch (as it was) or no window at all
      const finalWindows = new Map(state.pairs)
      for (const { announced, window } of all.windows) {
        finalWindows.set(Ingest.pairKey(window), { window: Option.some(window), announced })
      }
      const openerResults: Array<Ingest.ItemResult> = []
      all.results.forEach((result, i) => {
        const item = items[i]!
        if (item._tag !== "Inbound") return
        const classification = WindowOpeners.classify(item)
        if (classification._tag === "Opens") {
          openerResults.push(result)
          return
        }
        const duplicate = state.inbound.has(`${item.business}|${item.messageId}`)
        const window = Option.flatMap(Option.fromNullable(finalWindows.get(Ingest.pairKey(item))), (p) => p.window)
        assert.deepStrictEqual(
          result,
          Option.match(window, {
            onNone: () => ({ _tag: "InboundWithoutWindow" as const, duplicate, storedOnly: classification.reason }),
            onSome: (window) => ({ _tag: "Inbound" as const, duplicate, window, storedOnly: classification.reason })
          })
        )
      })
      assert.deepStrictEqual(openerResults, openers.results)
      const counts = Ingest.counts(all.results)
      assert.strictEqual(counts.accepted + counts.duplicates, items.length)
      assert.strictEqual(counts.duplicates, items.length - fresh.length)
    },
    { fastCheck: { numRuns: 300 } }
  )

  it.prop("an opening message of any type plans exactly as a text message does", [scenarioArb], ([scenario]) => {
    const { items, state } = build(scenario)
    const openers = items.filter(isOpener)
    const asText = openers.map((item): Ingest.Item =>
      item._tag === "Inbound"
        ? { ...item, contentType: "text", content: { type: "text" }, groupId: undefined }
        : item
    )
    const typed = planOf(state, openers)
    const text = planOf(state, asText)
    assert.deepStrictEqual(windowsOf(typed), windowsOf(text))
    assert.deepStrictEqual(eventsOf(typed), eventsOf(text))
    assert.deepStrictEqual(typed.results, text.results)
    assert.deepStrictEqual(
      typed.inbound.map((m) => m.message),
      text.inbound.map((m) => m.message)
    )
  }, { fastCheck: { numRuns: 200 } })
})

describe("Ingest.plan with WindowOpeners: examples", () => {
  const pair = PAIRS[0]
  const item = (messageId: string, candidate: Candidate, at: number): Ingest.InboundItem => ({
    _tag: "Inbound",
    business: pair.business,
    customer: pair.customer,
    messageId,
    providerTimestamp: Option.some(hours(at)),
    contentType: candidate.contentType,
    content: candidate.content,
    profileName: Option.some("Asha"),
    raw: { messageId },
    ...(candidate.groupId === undefined ? {} : { groupId: candidate.groupId })
  })
  const system = STORED_ONLY[0]![0]
  const group = STORED_ONLY[3]![0]

  it("on a pair that never wrote: recorded with message.received (window none), no window written", () => {
    const plan = planOf(
      { pairs: new Map(), inbound: new Map(), outbound: new Map(), quarantine: new Set() },
      [item("s1", system, -1), item("g1", group, -1)]
    )
    assert.deepStrictEqual(plan.windows, [])
    assert.deepStrictEqual(plan.inbound.map((m) => [m.message.messageId, m.contentType]), [["s1", "system"], [
      "g1",
      "text"
    ]])
    assert.deepStrictEqual(plan.inbound[1]?.groupId, Option.some("120363000000000001"))
    assert.deepStrictEqual(plan.results, [
      { _tag: "InboundWithoutWindow", duplicate: false, storedOnly: "system" },
      { _tag: "InboundWithoutWindow", duplicate: false, storedOnly: "group" }
    ])
    assert.deepStrictEqual(plan.events.map(({ event }) => event.type), ["message.received", "message.received"])
    for (const { event } of plan.events) {
      assert.isTrue(event.type === "message.received" && event.data.window.state === "none")
    }
    assert.deepStrictEqual(Ingest.counts(plan.results), { accepted: 2, duplicates: 0, rejected: 0 })
  })

  it("on an expired window: it stays expired (no window.opened), then a text message reopens it", () => {
    const old = SessionWindow.record(
      SessionWindow.empty(pair),
      new SessionWindow.InboundMessage({ ...pair, messageId: "old", sentAt: hours(-30), receivedAt: hours(-30) })
    )
    const state: Ingest.State = {
      pairs: new Map([[Ingest.pairKey(pair), {
        window: Option.some(old),
        announced: { open: false, expiringFor: Option.none() }
      }]]),
      inbound: new Map(),
      outbound: new Map(),
      quarantine: new Set()
    }
    const storedOnly = planOf(state, [item("s1", system, -1), item("g1", group, -1)])
    assert.deepStrictEqual(storedOnly.windows, [])
    for (const result of storedOnly.results) {
      assert.isTrue(result._tag === "Inbound" && result.storedOnly !== undefined)
      assert.deepStrictEqual(result._tag === "Inbound" && snapshot(result.window), snapshot(old))
    }
    for (const { event } of storedOnly.events) {
      assert.isTrue(event.type === "message.received" && event.data.window.state === "expired")
    }
    const reopened = planOf(state, [item("s1", system, -1), item("t1", OPENERS[0]!, -1)])
    assert.deepStrictEqual(reopened.events.map(({ event }) => event.type), [
      "message.received",
      "message.received",
      "window.opened"
    ])
    assert.deepStrictEqual(reopened.windows.map(({ window }) => window.basisMessageId), ["t1"])
  })
})
