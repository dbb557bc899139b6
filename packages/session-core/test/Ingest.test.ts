import { assert, describe, it } from "@effect/vitest"
import { DateTime, Duration, Option, Schema } from "effect"
import * as fc from "effect/FastCheck"
import {
  Event,
  Ingest,
  Outbound,
  PhoneNumber,
  type SessionStore,
  SessionWindow,
  type WindowEvents
} from "../src/index.js"
import { at, snapshot } from "./fixtures.js"

const HOUR = 3_600_000
const NOW = at("2026-01-23T00:00:00Z")
const hours = (h: number): DateTime.Utc => DateTime.unsafeMake(NOW.epochMillis + h * HOUR)
const TOLERANCE = Duration.minutes(5)
const policy: WindowEvents.Policy = { safetyMargin: Duration.minutes(30), expiringLead: Duration.hours(1) }

const B1 = PhoneNumber.unsafeMake("+919876500001")
const B2 = PhoneNumber.unsafeMake("+919876500002")
const C1 = PhoneNumber.unsafeMake("+919876543210")
const C2 = PhoneNumber.unsafeMake("+919876543211")
/** (B1, C1) and (B1, C2) share a business, so a message id of one is a duplicate for the other; (B2, C2) never wrote. */
const PAIRS = [
  new PhoneNumber.Pair({ business: B1, customer: C1 }),
  new PhoneNumber.Pair({ business: B1, customer: C2 }),
  new PhoneNumber.Pair({ business: B2, customer: C1 }),
  new PhoneNumber.Pair({ business: B2, customer: C2 })
] as const
const pairAt = (index: number): PhoneNumber.Pair => PAIRS[index % PAIRS.length]!

const decodeOutbound = Schema.decodeUnknownSync(Outbound.OutboundMessage)
const followUp = { type: "template", template: { name: "follow_up", language: { code: "en" } } }

/** An outbound message built from its encoded form, as the storage contract suite does. */
const outbound = (id: string, pair: PhoneNumber.Pair, fields: Record<string, unknown> = {}): Outbound.OutboundMessage =>
  decodeOutbound({
    id,
    business: pair.business,
    customer: pair.customer,
    idempotencyKey: null,
    decision: "session",
    reason: null,
    windowState: "open",
    windowExpiresAt: DateTime.formatIso(hours(20)),
    content: { type: "text", text: { body: "hello" } },
    fallback: null,
    providerMessageId: null,
    status: "pending",
    history: [{ status: "pending", at: DateTime.formatIso(hours(-4)), code: null, detail: null }],
    createdAt: DateTime.formatIso(hours(-4)),
    dryRun: false,
    fallbackMessageId: null,
    ...fields
  })

const inboundItem = (
  pair: PhoneNumber.Pair,
  messageId: string,
  providerTimestamp: Option.Option<DateTime.Utc>,
  raw: unknown = { messageId }
): Ingest.InboundItem => ({
  _tag: "Inbound",
  business: pair.business,
  customer: pair.customer,
  messageId,
  providerTimestamp,
  contentType: "text",
  content: { type: "text", text: { body: "hi" } },
  profileName: Option.some("Asha"),
  raw
})

const statusItem = (
  ref: SessionStore.OutboundRef,
  status: Outbound.OutboundStatus,
  options: {
    readonly reengagement?: boolean
    readonly at?: Option.Option<DateTime.Utc>
    readonly providerMessageId?: Option.Option<string> | undefined
  } = {}
): Ingest.StatusItem => ({
  _tag: "Status",
  ref,
  ...(options.providerMessageId === undefined ? {} : { providerMessageId: options.providerMessageId }),
  status,
  reengagement: options.reengagement ?? false,
  code: options.reengagement === true ? Option.some("30018") : Option.none(),
  detail: Option.none(),
  at: options.at ?? Option.some(NOW),
  raw: { ref: Ingest.refKey(ref), status }
})

const emptyState: Ingest.State = { pairs: new Map(), inbound: new Map(), outbound: new Map(), quarantine: new Set() }

describe("Ingest.prepare", () => {
  const pair = pairAt(0)

  it("guards every provider timestamp: kept when on time or late, the receive time when missing or in the future", () => {
    const [late, ahead, future, missing] = Ingest.prepare(
      [
        inboundItem(pair, "late", Option.some(hours(-30))),
        inboundItem(pair, "ahead", Option.some(DateTime.unsafeMake(NOW.epochMillis + 4 * 60_000))),
        inboundItem(pair, "future", Option.some(hours(1))),
        inboundItem(pair, "missing", Option.none())
      ],
      NOW,
      TOLERANCE
    )
    const expected = [
      ["late", hours(-30), "none"],
      ["ahead", DateTime.unsafeMake(NOW.epochMillis + 4 * 60_000), "none"],
      ["future", NOW, "future"],
      ["missing", NOW, "missing"]
    ] as const
    for (
      const [prepared, [id, sentAt, adjustment]] of [late, ahead, future, missing].map((p, i) =>
        [p, expected[i]!] as const
      )
    ) {
      assert.isTrue(prepared?._tag === "Inbound")
      if (prepared?._tag !== "Inbound") return
      assert.strictEqual(prepared.message.messageId, id)
      assert.deepStrictEqual(prepared.message.sentAt, sentAt)
      assert.deepStrictEqual(prepared.message.receivedAt, NOW)
      assert.strictEqual(prepared.timestampAdjustment, adjustment)
      assert.deepStrictEqual(prepared.profileName, Option.some("Asha"))
      assert.strictEqual(prepared.raw, JSON.stringify({ messageId: id }))
    }
    assert.deepStrictEqual(future?._tag === "Inbound" && future.providerTimestamp, Option.some(hours(1)))
    // a report's time goes through the same guard
    const [report, undated] = Ingest.prepare(
      [
        statusItem({ _tag: "ById", id: "o1" }, "sent", { at: Option.some(hours(2)) }),
        statusItem({ _tag: "ById", id: "o1" }, "sent", { at: Option.none() })
      ],
      NOW,
      TOLERANCE
    )
    assert.deepStrictEqual(report?._tag === "Status" && report.event.at, NOW)
    assert.deepStrictEqual(undated?._tag === "Status" && undated.event.at, NOW)
  })

  it("keeps the raw text of every item, and the quarantine id a report becomes when it names no message", () => {
    const ref = { _tag: "ByProviderId", providerMessageId: "sid-1" } as const
    const [report] = Ingest.prepare([statusItem(ref, "delivered")], NOW, TOLERANCE)
    assert.isTrue(report?._tag === "Status")
    if (report?._tag !== "Status") return
    const raw = JSON.stringify({ ref: "provider:sid-1", status: "delivered" })
    assert.strictEqual(report.raw, raw)
    assert.deepStrictEqual(report.item, { ref: "provider:sid-1", status: "delivered" })
    assert.strictEqual(report.quarantineId, Ingest.quarantineIdOf("unknown_message", raw))
    assert.strictEqual(report.event.status, "delivered")
    assert.isFalse(report.reengagement)
    assert.deepStrictEqual(report.ref, ref)
  })

  it("a quarantine's reason and a text body are storable: NUL and unpaired surrogates become U+FFFD", () => {
    const [item, body] = Ingest.prepare(
      [
        { _tag: "Undecodable", kind: "item", reason: "from: \"+91\u0000\ud800\" is not a phone number", raw: {} },
        { _tag: "Undecodable", kind: "body", reason: "not JSON", raw: "a\u0000b" }
      ],
      NOW,
      TOLERANCE
    )
    assert.isTrue(item?._tag === "Quarantine" && item.reason === "from: \"+91\uFFFD\uFFFD\" is not a phone number")
    assert.isTrue(body?._tag === "Quarantine" && body.raw === "a\uFFFDb")
  })

  it("quarantines what could not be decoded: JSON kept as the item, text kept as text", () => {
    const [json, text] = Ingest.prepare(
      [
        { _tag: "Undecodable", kind: "item", reason: "missing sid", raw: { callback_type: "x" } },
        { _tag: "Undecodable", kind: "body", reason: "not JSON", raw: "<html>oops" }
      ],
      NOW,
      TOLERANCE
    )
    assert.deepStrictEqual(json, {
      _tag: "Quarantine",
      id: Ingest.quarantineIdOf("item", "{\"callback_type\":\"x\"}"),
      kind: "item",
      reason: "missing sid",
      raw: "{\"callback_type\":\"x\"}",
      item: { callback_type: "x" }
    })
    assert.deepStrictEqual(text, {
      _tag: "Quarantine",
      id: Ingest.quarantineIdOf("body", "<html>oops"),
      kind: "body",
      reason: "not JSON",
      raw: "<html>oops",
      item: null
    })
  })

  it("rawText writes JSON, keeps strings, and describes what JSON cannot write", () => {
    assert.strictEqual(Ingest.rawText({ a: [1, "b"] }), "{\"a\":[1,\"b\"]}")
    assert.strictEqual(Ingest.rawText("not json {"), "not json {")
    assert.strictEqual(Ingest.rawText(undefined), "null")
    assert.strictEqual(Ingest.rawText(null), "null")
    const notJson = "\"[not representable as JSON text]\""
    assert.strictEqual(Ingest.rawText(10n), notJson)
    const circular: Record<string, unknown> = {}
    circular.self = circular
    assert.strictEqual(Ingest.rawText(circular), notJson)
    // nested deeper than JSON.stringify can go (built iteratively: no recursion here)
    let deep: unknown = []
    for (let i = 0; i < 100_000; i++) deep = [deep]
    assert.throws(() => JSON.stringify(deep))
    assert.strictEqual(Ingest.rawText(deep), notJson)
    const [prepared] = Ingest.prepare(
      [{ _tag: "Undecodable", kind: "body", reason: "too deep", raw: deep }],
      NOW,
      TOLERANCE
    )
    assert.isTrue(prepared?._tag === "Quarantine" && prepared.raw === notJson && prepared.item === deep)
  })

  it.prop("quarantine ids: q_ and 32 hex digits of the kind and the text, the same wherever computed", [
    fc.string(),
    fc.constantFrom("item" as const, "body" as const, "unknown_message" as const)
  ], ([raw, kind]) => {
    const id = Ingest.quarantineIdOf(kind, raw)
    assert.match(id, /^q_[0-9a-f]{32}$/)
    assert.strictEqual(Ingest.quarantineIdOf(kind, raw), id)
    for (const other of ["item", "body", "unknown_message"] as const) {
      if (other !== kind) assert.notStrictEqual(Ingest.quarantineIdOf(other, raw), id)
    }
  }, { fastCheck: { numRuns: 200 } })

  it("quarantine ids are pinned", () => {
    // pinned: stored entries are found again by this id after an upgrade
    assert.strictEqual(Ingest.quarantineIdOf("item", "{}"), PINNED_ITEM_ID)
  })
})

const PINNED_ITEM_ID = "q_46f64ec277a178cf9f12c8deb055b163"

describe("Ingest helpers", () => {
  it("ownStatus: our own send path's status, never a re-engagement by itself, quarantined under its own id", () => {
    const ref: SessionStore.OutboundRef = { _tag: "ById", id: "msg_1" }
    const event = new Outbound.StatusEvent({ status: "accepted", at: NOW, code: Option.none(), detail: Option.none() })
    const item = Ingest.ownStatus(ref, event)
    assert.strictEqual(item._tag, "Status")
    assert.isFalse(item.reengagement)
    assert.isNull(item.item)
    assert.strictEqual(item.quarantineId, Ingest.quarantineIdOf("unknown_message", item.raw))
    assert.include(item.raw, "msg_1")
    const byProvider = Ingest.ownStatus({ _tag: "ByProviderId", providerMessageId: "sid-1" }, event)
    assert.include(byProvider.raw, "sid-1")
    assert.notStrictEqual(byProvider.quarantineId, item.quarantineId)
  })

  it("pairKey, refKey, pairsOf (customer messages, closures and ticks, each pair once)", () => {
    assert.strictEqual(Ingest.pairKey(pairAt(0)), "+919876500001|+919876543210")
    assert.strictEqual(Ingest.refKey({ _tag: "ById", id: "o1" }), "id:o1")
    assert.strictEqual(Ingest.refKey({ _tag: "ByProviderId", providerMessageId: "sid" }), "provider:sid")
    const operations: ReadonlyArray<Ingest.Operation> = [
      ...Ingest.prepare(
        [
          inboundItem(pairAt(0), "m1", Option.none()),
          inboundItem(pairAt(0), "m2", Option.none()),
          statusItem({ _tag: "ById", id: "o1" }, "sent"),
          { _tag: "Undecodable", kind: "item", reason: "x", raw: {} }
        ],
        NOW,
        TOLERANCE
      ),
      { _tag: "Close", pair: pairAt(1), at: NOW },
      { _tag: "Tick", pair: pairAt(2) },
      { _tag: "Tick", pair: pairAt(1) }
    ]
    assert.deepStrictEqual(
      Ingest.pairsOf(operations).map(Ingest.pairKey),
      [0, 1, 2].map((i) => Ingest.pairKey(pairAt(i)))
    )
  })

  it("counts: accepted (recorded, or an unknown report), duplicates, rejected (quarantined); window operations do not count", () => {
    const window = SessionWindow.record(
      SessionWindow.empty(pairAt(0)),
      new SessionWindow.InboundMessage({ ...pairAt(0), messageId: "m", sentAt: NOW, receivedAt: NOW })
    )
    const status = (outcome: "applied" | "duplicate" | "unknown"): Ingest.ItemResult => ({
      _tag: "Status",
      outcome,
      message: Option.none(),
      fallback: Option.none()
    })
    assert.deepStrictEqual(
      Ingest.counts([
        { _tag: "Inbound", duplicate: false, window },
        { _tag: "Inbound", duplicate: true, window },
        status("applied"),
        status("duplicate"),
        status("unknown"),
        { _tag: "Quarantined", id: "q", duplicate: false },
        { _tag: "Quarantined", id: "q", duplicate: true },
        { _tag: "Window" }
      ]),
      { accepted: 3, duplicates: 2, rejected: 2 }
    )
    assert.deepStrictEqual(Ingest.counts([]), { accepted: 0, duplicates: 0, rejected: 0 })
  })

  it("a duplicate recorded under a pair with no window (its first record opened none) answers InboundWithoutWindow", () => {
    const [item] = Ingest.prepare([inboundItem(pairAt(0), "m1", Option.none())], NOW, TOLERANCE)
    const plan = Ingest.plan(
      { ...emptyState, inbound: new Map([[`${B1}|m1`, Ingest.pairKey(pairAt(1))]]) },
      { now: NOW, policy, items: item === undefined ? [] : [item], resolves: [] }
    )
    assert.deepStrictEqual(plan.results, [{ _tag: "InboundWithoutWindow", duplicate: true }])
    assert.deepStrictEqual([plan.inbound, plan.windows, plan.events], [[], [], []])
    assert.deepStrictEqual(Ingest.counts(plan.results), { accepted: 0, duplicates: 1, rejected: 0 })
  })
})

// ---------------------------------------------------------------------------------------------------------------
// plan against a model
// ---------------------------------------------------------------------------------------------------------------

const INBOUND_IDS = ["w1", "w2", "w3", "n1", "n2", "n3"] as const
// the statuses a report or a send can record (a parked message's are written by the parking alone)
const STATUSES: ReadonlyArray<Outbound.OutboundStatus> = Outbound.OutboundStatus.literals.filter((status) =>
  status !== "parked" && status !== "expired" && status !== "cancelled"
)
const RAWS: ReadonlyArray<unknown> = [{ a: 1 }, { a: 2 }, "<not json>", [1, 2, 3]]
const OUTBOUND_COUNT = 4

interface GenOutbound {
  readonly pairIndex: number
  readonly decision: "session" | "template"
  readonly dryRun: boolean
  readonly fallback: boolean
  readonly fallbackSent: boolean
  readonly provider: boolean
  readonly statuses: ReadonlyArray<Outbound.OutboundStatus>
}

const refArb: fc.Arbitrary<SessionStore.OutboundRef> = fc.oneof(
  fc.integer({ min: 0, max: OUTBOUND_COUNT }).map((i) => ({ _tag: "ById" as const, id: `o${i}` })),
  fc.integer({ min: 0, max: OUTBOUND_COUNT }).map((i) => ({
    _tag: "ByProviderId" as const,
    providerMessageId: `p${i}`
  }))
)

type GenOp =
  | { readonly _tag: "Item"; readonly item: Ingest.Item }
  | { readonly _tag: "Close"; readonly pairIndex: number; readonly at: number }
  | { readonly _tag: "Tick"; readonly pairIndex: number }

const hourArb = fc.integer({ min: -72, max: 0 })

const opArb: fc.Arbitrary<GenOp> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      id: fc.constantFrom(...INBOUND_IDS),
      pairIndex: fc.integer({ min: 0, max: 3 }),
      at: fc.option(fc.integer({ min: -72, max: 2 }))
    }).map(({ at, id, pairIndex }) => ({
      _tag: "Item" as const,
      item: inboundItem(pairAt(pairIndex), id, Option.map(Option.fromNullable(at), hours))
    }))
  },
  {
    weight: 5,
    arbitrary: fc.record({
      ref: refArb,
      status: fc.constantFrom(...STATUSES),
      reengagement: fc.boolean(),
      at: fc.option(hourArb),
      // the provider's id a report may carry besides our id (never one a ref names: those are p0..p4)
      providerMessageId: fc.constantFrom(undefined, Option.none(), Option.some("sid-a"), Option.some("sid-b"))
    }).map(({ at, providerMessageId, ref, reengagement, status }) => ({
      _tag: "Item" as const,
      item: statusItem(ref, reengagement ? "failed" : status, {
        reengagement,
        at: Option.map(Option.fromNullable(at), hours),
        providerMessageId
      })
    }))
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constantFrom("item" as const, "body" as const), raw: fc.constantFrom(...RAWS) })
      .map((
        { kind, raw }
      ) => ({ _tag: "Item" as const, item: { _tag: "Undecodable" as const, kind, reason: `bad ${kind}`, raw } }))
  },
  {
    weight: 1,
    arbitrary: fc.record({ pairIndex: fc.integer({ min: 0, max: 3 }), at: hourArb }).map((x) => ({
      _tag: "Close" as const,
      ...x
    }))
  },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }).map((pairIndex) => ({ _tag: "Tick" as const, pairIndex })) }
)

/** Every quarantine id a batch can produce, so that the stored quarantine and `resolves` overlap with the batch. */
const QUARANTINE_IDS: ReadonlyArray<string> = [
  ...RAWS.flatMap((raw) => (["item", "body"] as const).map((kind) => Ingest.quarantineIdOf(kind, Ingest.rawText(raw)))),
  ...[0, OUTBOUND_COUNT].flatMap((i) =>
    [`id:o${i}`, `provider:p${i}`].flatMap((ref) =>
      STATUSES.map((status) => Ingest.quarantineIdOf("unknown_message", Ingest.rawText({ ref, status })))
    )
  ),
  "q_not_in_this_batch"
]

const scenarioArb = fc.record({
  /** the pairs' windows: messages sent at these hours, maybe closed by the provider at an hour; (B2, C2) has none */
  windows: fc.tuple(
    ...[0, 1, 2].map(() =>
      fc.option(fc.record({ sent: fc.array(hourArb, { minLength: 1, maxLength: 2 }), closedAt: fc.option(hourArb) }))
    )
  ),
  announced: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
  recorded: fc.array(fc.record({ id: fc.constantFrom(...INBOUND_IDS), pairIndex: fc.integer({ min: 0, max: 2 }) }), {
    maxLength: 3
  }),
  outbound: fc.array(
    fc.record({
      pairIndex: fc.integer({ min: 0, max: 3 }),
      decision: fc.constantFrom("session" as const, "session" as const, "template" as const),
      dryRun: fc.constantFrom(false, false, true),
      fallback: fc.constantFrom(true, true, false),
      fallbackSent: fc.boolean(),
      provider: fc.boolean(),
      statuses: fc.subarray(
        ["unknown", "accepted", "sent", "delivered", "read", "failed"] as Array<Outbound.OutboundStatus>
      )
    }),
    { minLength: OUTBOUND_COUNT, maxLength: OUTBOUND_COUNT }
  ),
  quarantine: fc.subarray([...QUARANTINE_IDS]),
  ops: fc.array(opArb, { minLength: 1, maxLength: 25 }),
  resolves: fc.subarray([...QUARANTINE_IDS])
})

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer A> ? A : never

const buildOutbound = (spec: GenOutbound, index: number): Outbound.OutboundMessage => {
  const history = ["pending" as const, ...spec.statuses].map((status, i) => ({
    status,
    at: DateTime.formatIso(hours(-4 + i * 0.1)),
    code: null,
    detail: null
  }))
  return outbound(`o${index}`, pairAt(spec.pairIndex), {
    decision: spec.decision,
    dryRun: spec.dryRun,
    fallback: spec.fallback ? followUp : null,
    fallbackMessageId: spec.fallbackSent ? `o${index}-fallback` : null,
    providerMessageId: spec.provider ? `p${index}` : null,
    status: history.at(-1)!.status,
    history
  })
}

interface Built {
  readonly state: Ingest.State
  readonly store: ReadonlyArray<Outbound.OutboundMessage>
  readonly batch: Ingest.Batch
}

const build = (scenario: Scenario): Built => {
  const pairs = new Map<string, Ingest.PairState>()
  scenario.windows.forEach((spec, index) => {
    if (spec === null) return
    const pair = pairAt(index)
    let window: SessionWindow.Window = SessionWindow.empty(pair)
    spec.sent.forEach((h, j) => {
      window = SessionWindow.record(
        window,
        new SessionWindow.InboundMessage({
          ...pair,
          messageId: `s${index}.${j}`,
          sentAt: hours(h),
          receivedAt: hours(h)
        })
      )
    })
    if (spec.closedAt !== null) window = SessionWindow.closeByProvider(window, hours(spec.closedAt))
    if (!SessionWindow.hasWindow(window)) return
    pairs.set(Ingest.pairKey(pair), {
      window: Option.some(window),
      announced: { open: scenario.announced[index] ?? false, expiringFor: Option.none() }
    })
  })
  const inbound = new Map<string, string>()
  for (const { id, pairIndex } of scenario.recorded) {
    const pair = pairAt(pairIndex)
    const dedup = `${pair.business}|${id}`
    if (pairs.has(Ingest.pairKey(pair)) && !inbound.has(dedup)) inbound.set(dedup, Ingest.pairKey(pair))
  }
  const store = scenario.outbound.map(buildOutbound)
  const items = scenario.ops.map((op): Ingest.Operation => {
    switch (op._tag) {
      case "Item":
        return Ingest.prepare([op.item], NOW, TOLERANCE)[0]!
      case "Close":
        return { _tag: "Close", pair: pairAt(op.pairIndex), at: hours(op.at) }
      case "Tick":
        return { _tag: "Tick", pair: pairAt(op.pairIndex) }
    }
  })
  // what a store reads: the messages the batch's reports name, by reference
  const outboundRead = new Map<string, Outbound.OutboundMessage>()
  for (const item of items) {
    if (item._tag !== "Status") continue
    const found = store.find((m) =>
      item.ref._tag === "ById" ? m.id === item.ref.id : Option.contains(m.providerMessageId, item.ref.providerMessageId)
    )
    if (found !== undefined) outboundRead.set(Ingest.refKey(item.ref), found)
  }
  return {
    state: { pairs, inbound, outbound: outboundRead, quarantine: new Set(scenario.quarantine) },
    store,
    batch: { now: NOW, policy, items, resolves: scenario.resolves }
  }
}

type Expected =
  | { readonly _tag: "Inbound"; readonly duplicate: boolean; readonly pair: string }
  | {
    readonly _tag: "Status"
    readonly outcome: "applied" | "duplicate" | "unknown"
    readonly before: Option.Option<Outbound.OutboundMessage>
    readonly status: Option.Option<Outbound.OutboundStatus>
    readonly history: ReadonlyArray<Outbound.OutboundStatus>
    readonly fallbackMessageId: Option.Option<string>
    readonly fallback: Option.Option<string>
    readonly providerMessageId: Option.Option<string>
  }
  | { readonly _tag: "Quarantined"; readonly id: string; readonly duplicate: boolean }
  | { readonly _tag: "Window" }

/** A straightforward re-statement of the rules, item by item. */
const model = ({ batch, state, store }: Built) => {
  const windows = new Map<string, SessionWindow.Window>()
  for (const [key, pairState] of state.pairs) windows.set(key, Option.getOrThrow(pairState.window))
  const windowOf = (pair: { readonly business: string; readonly customer: string }) =>
    windows.get(Ingest.pairKey(pair)) ?? SessionWindow.empty(pair as PhoneNumber.Pair)
  const changed = new Set<string>()
  const touchedPairs = new Set<string>()
  const seen = new Map(state.inbound)
  const messages = new Map(store.map((m) => [m.id, m]))
  const quarantine = new Set(state.quarantine)
  const touchedQuarantine = new Set<string>()
  const newInbound: Array<Ingest.PreparedInbound> = []
  const newQuarantine: Array<{ readonly id: string; readonly kind: string; readonly reason: string }> = []
  const applied: Array<{ readonly id: string; readonly status: Outbound.OutboundStatus }> = []
  const fallbacks: Array<{ readonly originalId: string; readonly fallbackId: string }> = []
  const results: Array<Expected> = []
  const close = (pair: { readonly business: string; readonly customer: string }, closedAt: DateTime.Utc) => {
    const key = Ingest.pairKey(pair)
    touchedPairs.add(key)
    const window = windowOf(pair)
    if (!SessionWindow.hasWindow(window)) return
    windows.set(key, SessionWindow.closeByProvider(window, closedAt))
    changed.add(key)
  }
  const addQuarantine = (id: string, kind: string, reason: string) => {
    touchedQuarantine.add(id)
    const duplicate = quarantine.has(id)
    if (!duplicate) {
      quarantine.add(id)
      newQuarantine.push({ id, kind, reason })
    }
    return duplicate
  }
  for (const item of batch.items) {
    switch (item._tag) {
      case "Inbound": {
        const dedup = `${item.message.business}|${item.message.messageId}`
        const key = Ingest.pairKey(item.message)
        touchedPairs.add(key)
        const recordedUnder = seen.get(dedup)
        if (recordedUnder !== undefined) {
          results.push({ _tag: "Inbound", duplicate: true, pair: recordedUnder })
          break
        }
        seen.set(dedup, key)
        windows.set(key, SessionWindow.record(windowOf(item.message), item.message))
        changed.add(key)
        newInbound.push(item)
        results.push({ _tag: "Inbound", duplicate: false, pair: key })
        break
      }
      case "Status": {
        const ref = item.ref
        const found = [...messages.values()].find((m) =>
          ref._tag === "ById" ? m.id === ref.id : Option.contains(m.providerMessageId, ref.providerMessageId)
        )
        const statusesOf = (m: Outbound.OutboundMessage) => m.history.map((e) => e.status)
        if (found === undefined) {
          const reason = ref._tag === "ById"
            ? `no outbound message ${ref.id}`
            : `no outbound message with provider id ${ref.providerMessageId}`
          addQuarantine(item.quarantineId, "unknown_message", reason)
          results.push({
            _tag: "Status",
            outcome: "unknown",
            before: Option.none(),
            status: Option.none(),
            history: [],
            fallbackMessageId: Option.none(),
            fallback: Option.none(),
            providerMessageId: Option.none()
          })
          break
        }
        const history = statusesOf(found)
        // a re-engagement failure queues the fallback of a session message that has none yet, even when its status
        // is already recorded (a sent-then-crashed failure whose consequences were never applied)
        const fallbackDue = item.reengagement && found.decision === "session" && !found.dryRun &&
          Option.isSome(found.fallback) && Option.isNone(found.fallbackMessageId)
        const queueFallback = () => {
          fallbacks.push({ originalId: found.id, fallbackId: `${found.id}-fallback` })
          return Option.some(`${found.id}-fallback`)
        }
        if (history.includes(item.event.status)) {
          const fallback = fallbackDue ? queueFallback() : Option.none<string>()
          if (fallbackDue) {
            close(found, item.event.at)
            messages.set(found.id, new Outbound.OutboundMessage({ ...found, fallbackMessageId: fallback }))
          }
          results.push({
            _tag: "Status",
            outcome: "duplicate",
            before: Option.some(found),
            status: Option.some(found.status),
            history,
            fallbackMessageId: fallbackDue ? fallback : found.fallbackMessageId,
            fallback,
            providerMessageId: found.providerMessageId
          })
          break
        }
        const status = Outbound.rank(item.event.status) > Outbound.rank(found.status) ? item.event.status : found.status
        if (item.reengagement) close(found, item.event.at)
        const fallback = fallbackDue ? queueFallback() : Option.none<string>()
        const fallbackMessageId = fallbackDue ? fallback : found.fallbackMessageId
        // a report fills in the provider's id of a message that has none; it never replaces one
        const providerMessageId = Option.isSome(found.providerMessageId)
          ? found.providerMessageId
          : (item.providerMessageId ?? Option.none())
        const after = new Outbound.OutboundMessage({
          ...found,
          providerMessageId,
          status,
          history: [...found.history, item.event].sort((a, b) => Outbound.rank(a.status) - Outbound.rank(b.status)),
          fallbackMessageId
        })
        messages.set(found.id, after)
        applied.push({ id: found.id, status: item.event.status })
        results.push({
          _tag: "Status",
          outcome: "applied",
          before: Option.some(found),
          status: Option.some(status),
          history: statusesOf(after),
          fallbackMessageId,
          fallback,
          providerMessageId
        })
        break
      }
      case "Quarantine": {
        results.push({ _tag: "Quarantined", id: item.id, duplicate: addQuarantine(item.id, item.kind, item.reason) })
        break
      }
      case "Close": {
        close(item.pair, item.at)
        results.push({ _tag: "Window" })
        break
      }
      case "Tick": {
        touchedPairs.add(Ingest.pairKey(item.pair))
        results.push({ _tag: "Window" })
        break
      }
    }
  }
  return {
    windows,
    changed,
    touchedPairs,
    newInbound,
    newQuarantine,
    applied,
    fallbacks,
    results,
    resolved: batch.resolves.filter((id) => !touchedQuarantine.has(id))
  }
}

describe("Ingest.plan against a model", () => {
  it.prop("results, dedup, windows, statuses, fallbacks, quarantine, resolved, events and counts follow the rules", [
    scenarioArb
  ], ([scenario]) => {
    const built = build(scenario)
    const plan = Ingest.plan(built.state, built.batch)
    const expected = model(built)

    // one result per operation, in order
    assert.strictEqual(plan.results.length, built.batch.items.length)
    plan.results.forEach((result, i) => {
      const want = expected.results[i]!
      assert.strictEqual(result._tag, want._tag)
      switch (want._tag) {
        case "Inbound": {
          // duplicate iff seen before (in the store or earlier in the batch), with the window it was recorded under
          assert.isTrue(result._tag === "Inbound" && result.duplicate === want.duplicate)
          const window = expected.windows.get(want.pair)
          assert.isDefined(window)
          assert.deepStrictEqual(result._tag === "Inbound" && snapshot(result.window), window && snapshot(window))
          break
        }
        case "Status": {
          if (result._tag !== "Status") return
          assert.strictEqual(result.outcome, want.outcome)
          assert.deepStrictEqual(Option.map(result.fallback, (m) => m.id), want.fallback)
          assert.deepStrictEqual(Option.map(result.message, (m) => m.status), want.status)
          if (Option.isSome(result.message)) {
            const message = result.message.value
            assert.deepStrictEqual(message.history.map((e) => e.status), want.history)
            assert.deepStrictEqual(message.fallbackMessageId, want.fallbackMessageId)
            const before = Option.getOrThrow(want.before)
            if (want.outcome === "applied" || Option.isSome(before.providerMessageId)) {
              assert.deepStrictEqual(message.providerMessageId, want.providerMessageId)
            }
            // forward only: the status is the highest-ranked one reached, and never moves back
            assert.isFalse(Outbound.advances(message.status, before.status))
            for (const e of message.history) assert.isFalse(Outbound.advances(message.status, e.status))
          }
          break
        }
        case "Quarantined": {
          assert.deepStrictEqual(result, want)
          break
        }
        case "Window":
          break
      }
    })

    // new inbound messages, in order; each with exactly one message.received
    assert.deepStrictEqual(
      plan.inbound.map((m) => `${m.message.business}|${m.message.messageId}`),
      expected.newInbound.map((m) => `${m.message.business}|${m.message.messageId}`)
    )
    const byType = (type: Event.EventType) => plan.events.filter((d) => d.event.type === type).map((d) => d.event.id)
    assert.deepStrictEqual(
      byType("message.received"),
      expected.newInbound.map((m) => Event.idOf(`message.received|${m.message.business}|${m.message.messageId}`))
    )

    // windows: every changed pair once, as folding record / closeByProvider gives it, announced in line with it
    const planned = new Map(plan.windows.map((w) => [Ingest.pairKey(w.window), w]))
    assert.strictEqual(planned.size, plan.windows.length)
    for (const key of expected.changed) assert.isTrue(planned.has(key), `window of ${key} not written`)
    for (const [key, { announced, window }] of planned) {
      assert.isTrue(expected.touchedPairs.has(key))
      assert.deepStrictEqual(snapshot(window), snapshot(expected.windows.get(key)!))
      assert.strictEqual(announced.open, SessionWindow.isOpenAt(window, NOW, policy))
    }
    for (const { event } of plan.events) {
      if (event.type.startsWith("window.")) {
        assert.isTrue(expected.touchedPairs.has(`${event.business}|${event.customer}`))
      }
    }

    // statuses and fallbacks
    assert.deepStrictEqual(
      plan.statuses.map((s) => ({ id: s.message.id, status: s.event.status })),
      expected.applied
    )
    assert.deepStrictEqual(
      plan.fallbacks.map((f) => ({ originalId: f.originalId, fallbackId: f.fallback.id })),
      expected.fallbacks
    )
    const originals = plan.fallbacks.map((f) => f.originalId)
    assert.strictEqual(new Set(originals).size, originals.length, "two fallbacks for one message")
    for (const { fallback, originalId } of plan.fallbacks) {
      const original = built.store.find((m) => m.id === originalId)!
      assert.isTrue(original.decision === "session" && !original.dryRun)
      assert.strictEqual(fallback.decision, "template")
      assert.deepStrictEqual(Option.some(fallback.content), original.fallback)
      assert.strictEqual(fallback.status, "queued")
      assert.deepStrictEqual(fallback.createdAt, NOW)
    }
    assert.deepStrictEqual(
      byType("message.status"),
      expected.applied.filter((a) => !["queued", "pending", "accepted"].includes(a.status)).map((a) =>
        Event.idOf(`message.status|${a.id}|${a.status}`)
      )
    )

    // quarantine: new entries once each, unknown reports as unknown_message, each with its event
    assert.deepStrictEqual(
      plan.quarantine.map((q) => ({ id: q.id, kind: q.kind, reason: q.reason })),
      expected.newQuarantine
    )
    assert.deepStrictEqual(
      byType("webhook.quarantined"),
      expected.newQuarantine.map((q) => Event.idOf(`webhook.quarantined|${q.id}`))
    )
    assert.deepStrictEqual(plan.resolved, expected.resolved)

    // every event once
    const ids = plan.events.map((d) => d.event.id)
    assert.strictEqual(new Set(ids).size, ids.length)

    // counts add up
    const counts = Ingest.counts(plan.results)
    const counted = plan.results.filter((r) => r._tag !== "Window").length
    assert.strictEqual(counts.accepted + counts.duplicates + counts.rejected, counted)
    assert.strictEqual(counts.rejected, plan.results.filter((r) => r._tag === "Quarantined").length)
    assert.strictEqual(
      counts.duplicates,
      expected.results.filter((r) =>
        r._tag === "Inbound" ? r.duplicate : r._tag === "Status" && r.outcome === "duplicate"
      )
        .length
    )
  }, { fastCheck: { numRuns: 300 } })

  it.prop(
    "a batch twice: the second time everything is a duplicate and nothing is written",
    [scenarioArb],
    ([scenario]) => {
      const built = build(scenario)
      const first = Ingest.plan(built.state, built.batch)
      // the store after the first plan
      const pairs = new Map(built.state.pairs)
      for (const { announced, window } of first.windows) {
        pairs.set(Ingest.pairKey(window), { window: Option.some(window), announced })
      }
      const inbound = new Map(built.state.inbound)
      for (const m of first.inbound) {
        inbound.set(`${m.message.business}|${m.message.messageId}`, Ingest.pairKey(m.message))
      }
      const outbound = new Map(built.state.outbound)
      for (const { message } of first.statuses) {
        for (const [key, m] of outbound) if (m.id === message.id) outbound.set(key, message)
      }
      for (const { fallback, originalId } of first.fallbacks) {
        for (const [key, m] of outbound) {
          if (m.id === originalId) {
            outbound.set(key, new Outbound.OutboundMessage({ ...m, fallbackMessageId: Option.some(fallback.id) }))
          }
        }
      }
      const quarantine = new Set([...built.state.quarantine, ...first.quarantine.map((q) => q.id)])
      const second = Ingest.plan({ pairs, inbound, outbound, quarantine }, built.batch)
      assert.deepStrictEqual(second.inbound, [])
      assert.deepStrictEqual(second.statuses, [])
      assert.deepStrictEqual(second.fallbacks, [])
      assert.deepStrictEqual(second.quarantine, [])
      assert.isTrue(second.events.every((d) => d.event.type.startsWith("window.")))
      assert.strictEqual(
        Ingest.counts(second.results).accepted,
        second.results.filter((r) => r._tag === "Status" && r.outcome === "unknown").length
      )
    },
    { fastCheck: { numRuns: 200 } }
  )
})

describe("Ingest.plan examples", () => {
  const pair = pairAt(0)
  const message = (id: string, h: number) =>
    Ingest.prepare([inboundItem(pair, id, Option.some(hours(h)))], NOW, TOLERANCE)[0]!

  it("a customer's message opens the window: window.closed of the lapsed one, message.received, window.opened, in that order", () => {
    const old = SessionWindow.record(
      SessionWindow.empty(pair),
      new SessionWindow.InboundMessage({ ...pair, messageId: "old", sentAt: hours(-30), receivedAt: hours(-30) })
    )
    const plan = Ingest.plan(
      {
        ...emptyState,
        pairs: new Map([[Ingest.pairKey(pair), {
          window: Option.some(old),
          announced: { open: true, expiringFor: Option.none() }
        }]])
      },
      { now: NOW, policy, items: [message("new", 0)], resolves: [] }
    )
    assert.deepStrictEqual(plan.events.map((d) => d.event.type), [
      "window.expiring",
      "window.closed",
      "message.received",
      "window.opened"
    ])
    const received = plan.events[2]?.event
    assert.isTrue(received?.type === "message.received" && received.data.window.state === "open")
    assert.isTrue(received?.type === "message.received" && received.data.profileName === "Asha")
  })

  it("30018 closes the window once and queues the fallback once; a second report is a duplicate", () => {
    const window = SessionWindow.record(
      SessionWindow.empty(pair),
      new SessionWindow.InboundMessage({ ...pair, messageId: "m1", sentAt: hours(-2), receivedAt: hours(-2) })
    )
    const original = outbound("o1", pair, { fallback: followUp, providerMessageId: "p1" })
    const refused = (ref: SessionStore.OutboundRef) =>
      Ingest.prepare(
        [statusItem(ref, "failed", { reengagement: true, at: Option.some(hours(-1)) })],
        NOW,
        TOLERANCE
      )[0]!
    const plan = Ingest.plan(
      {
        ...emptyState,
        pairs: new Map([[Ingest.pairKey(pair), {
          window: Option.some(window),
          announced: { open: true, expiringFor: Option.none() }
        }]]),
        outbound: new Map([["id:o1", original], ["provider:p1", original]])
      },
      {
        now: NOW,
        policy,
        items: [refused({ _tag: "ById", id: "o1" }), refused({ _tag: "ByProviderId", providerMessageId: "p1" })],
        resolves: []
      }
    )
    assert.deepStrictEqual(plan.results.map((r) => r._tag === "Status" && r.outcome), ["applied", "duplicate"])
    assert.deepStrictEqual(plan.fallbacks.map((f) => f.fallback.id), ["o1-fallback"])
    assert.deepStrictEqual(plan.events.map((d) => d.event.type), ["window.closed", "message.status"])
    const closed = plan.events[0]?.event
    assert.isTrue(closed?.type === "window.closed" && closed.data.reason === "provider")
    assert.deepStrictEqual(closed?.type === "window.closed" && closed.data.closedAt, hours(-1))
    const [written] = plan.windows
    assert.isTrue(written !== undefined && SessionWindow.isClosedByProvider(written.window) && !written.announced.open)
  })

  it("a 30018 whose failure is already recorded but was never acted on (the sender died) still closes and queues, once", () => {
    const window = SessionWindow.record(
      SessionWindow.empty(pair),
      new SessionWindow.InboundMessage({ ...pair, messageId: "m1", sentAt: hours(-2), receivedAt: hours(-2) })
    )
    const failedAtOnce = new Outbound.StatusEvent({
      status: "failed",
      at: hours(-1),
      code: Option.some("30018"),
      detail: Option.none()
    })
    const original = new Outbound.OutboundMessage({
      ...outbound("o1", pair, { fallback: followUp, providerMessageId: "p1" }),
      status: "failed",
      history: [failedAtOnce]
    })
    const refused = Ingest.prepare(
      [statusItem({ _tag: "ByProviderId", providerMessageId: "p1" }, "failed", {
        reengagement: true,
        at: Option.some(hours(-1))
      })],
      NOW,
      TOLERANCE
    )[0]!
    const state = {
      ...emptyState,
      pairs: new Map([[Ingest.pairKey(pair), {
        window: Option.some(window),
        announced: { open: true, expiringFor: Option.none() }
      }]]),
      outbound: new Map([["id:o1", original], ["provider:p1", original]])
    }
    const plan = Ingest.plan(state, { now: NOW, policy, items: [refused, refused], resolves: [] })
    assert.deepStrictEqual(plan.results.map((r) => r._tag === "Status" && r.outcome), ["duplicate", "duplicate"])
    assert.deepStrictEqual(plan.results.map((r) => r._tag === "Status" && Option.map(r.fallback, (m) => m.id)), [
      Option.some("o1-fallback"),
      Option.none()
    ])
    assert.deepStrictEqual(plan.fallbacks.map((f) => f.fallback.id), ["o1-fallback"])
    assert.deepStrictEqual(plan.statuses, [])
    assert.deepStrictEqual(plan.events.map((d) => d.event.type), ["window.closed"])
    // with the fallback recorded, the same report changes nothing
    const claimed = new Outbound.OutboundMessage({ ...original, fallbackMessageId: Option.some("o1-fallback") })
    const again = Ingest.plan(
      { ...state, outbound: new Map([["id:o1", claimed], ["provider:p1", claimed]]) },
      { now: NOW, policy, items: [refused], resolves: [] }
    )
    assert.deepStrictEqual([again.fallbacks, again.statuses], [[], []])
  })

  it("a retry settles the entries it names unless the batch quarantined them again; a Close of a pair without a window changes nothing", () => {
    const raw = { x: 1 }
    const id = Ingest.quarantineIdOf("item", Ingest.rawText(raw))
    const again = Ingest.prepare([{ _tag: "Undecodable", kind: "item", reason: "still bad", raw }], NOW, TOLERANCE)
    const plan = Ingest.plan(
      { ...emptyState, quarantine: new Set([id, "q_other"]) },
      {
        now: NOW,
        policy,
        items: [...again, { _tag: "Close", pair: pairAt(3), at: NOW }, { _tag: "Tick", pair: pairAt(3) }],
        resolves: [id, "q_other"]
      }
    )
    assert.deepStrictEqual(plan.resolved, ["q_other"])
    assert.deepStrictEqual(plan.results, [{ _tag: "Quarantined", id, duplicate: true }, { _tag: "Window" }, {
      _tag: "Window"
    }])
    assert.deepStrictEqual(plan.quarantine, [])
    assert.deepStrictEqual(plan.windows, [])
    assert.deepStrictEqual(plan.events, [])
  })
})

describe("Ingest.plan: the provider's id a report carries", () => {
  const pair = pairAt(0)
  const unknownHistory = [
    { status: "queued", at: DateTime.formatIso(hours(-4)), code: null, detail: null },
    { status: "unknown", at: DateTime.formatIso(hours(-3)), code: null, detail: "no answer" }
  ]
  const lost = outbound("o1", pair, { status: "unknown", history: unknownHistory })
  const known = outbound("o2", pair, { status: "accepted", providerMessageId: "p2" })
  const state: Ingest.State = {
    ...emptyState,
    outbound: new Map([["id:o1", lost], ["id:o2", known], ["provider:p2", known]])
  }
  const planOf = (items: ReadonlyArray<Ingest.StatusItem>) =>
    Ingest.plan(state, { now: NOW, policy, items: Ingest.prepare(items, NOW, TOLERANCE), resolves: [] })
  const providerIdOfEvent = (plan: Ingest.Plan) =>
    plan.events.flatMap((d) => d.event.type === "message.status" ? [d.event.data.providerMessageId] : [])

  it("prepare keeps it", () => {
    const [prepared, absent] = Ingest.prepare(
      [
        statusItem({ _tag: "ById", id: "o1" }, "delivered", { providerMessageId: Option.some("sid-9") }),
        statusItem({ _tag: "ById", id: "o1" }, "delivered")
      ],
      NOW,
      TOLERANCE
    )
    assert.deepStrictEqual(prepared?._tag === "Status" && prepared.providerMessageId, Option.some("sid-9"))
    assert.isTrue(absent?._tag === "Status" && absent.providerMessageId === undefined)
  })

  it("fills in the id of a message that has none (its send's answer was lost), with the event", () => {
    const plan = planOf([
      statusItem({ _tag: "ById", id: "o1" }, "delivered", { providerMessageId: Option.some("sid-9") })
    ])
    assert.strictEqual(plan.statuses.length, 1)
    assert.deepStrictEqual(plan.statuses[0]!.message.providerMessageId, Option.some("sid-9"))
    assert.strictEqual(plan.statuses[0]!.message.status, "delivered")
    const result = plan.results[0]
    assert.isTrue(result?._tag === "Status")
    if (result?._tag !== "Status") return
    assert.deepStrictEqual(Option.map(result.message, (m) => m.providerMessageId), Option.some(Option.some("sid-9")))
    assert.deepStrictEqual(providerIdOfEvent(plan), ["sid-9"])
  })

  it("never replaces an id the message has, nor one an earlier report of the batch filled in", () => {
    const plan = planOf([
      statusItem({ _tag: "ById", id: "o2" }, "delivered", { providerMessageId: Option.some("sid-other") }),
      statusItem({ _tag: "ById", id: "o1" }, "sent", { providerMessageId: Option.some("sid-9") }),
      statusItem({ _tag: "ById", id: "o1" }, "delivered", { providerMessageId: Option.some("sid-10") })
    ])
    assert.deepStrictEqual(
      plan.statuses.map((s) => [s.message.id, s.event.status, Option.getOrNull(s.message.providerMessageId)]),
      [["o2", "delivered", "p2"], ["o1", "sent", "sid-9"], ["o1", "delivered", "sid-9"]]
    )
    assert.deepStrictEqual(providerIdOfEvent(plan), ["p2", "sid-9", "sid-9"])
  })

  it("a report without one (absent or None) leaves the message without one", () => {
    for (const providerMessageId of [undefined, Option.none<string>()]) {
      const plan = planOf([statusItem({ _tag: "ById", id: "o1" }, "delivered", { providerMessageId })])
      assert.deepStrictEqual(plan.statuses[0]!.message.providerMessageId, Option.none())
      assert.deepStrictEqual(providerIdOfEvent(plan), [null])
    }
  })
})
