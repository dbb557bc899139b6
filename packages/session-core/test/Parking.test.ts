import { assert, describe, it } from "@effect/vitest"
import { DateTime, Duration, Either, Option } from "effect"
import * as fc from "effect/FastCheck"
import { Parking, PhoneNumber, SessionWindow } from "../src/index.js"

const business = PhoneNumber.unsafeMake("+919876500001")
const customer = PhoneNumber.unsafeMake("+919876543210")
const T0 = Date.UTC(2026, 0, 1)
const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const at = (millis: number) => DateTime.unsafeMake(T0 + millis)
const message = (id: string, millis: number) =>
  new SessionWindow.InboundMessage({ business, customer, messageId: id, sentAt: at(millis), receivedAt: at(millis) })
const inbound = (id: string, millis: number): Parking.Command => ({ _tag: "Inbound", message: message(id, millis) })
const send = (id: string, millis: number, options: { ttl?: number; reengage?: boolean } = {}): Parking.Command => ({
  _tag: "Send",
  id,
  at: at(millis),
  ttl: Duration.millis(options.ttl ?? 7 * DAY),
  reengage: options.reengage ?? true
})

/** Runs commands from a pair with nothing, keeping each step's outcomes and the state after it. */
const run = (commands: ReadonlyArray<Parking.Command>, policy = Parking.defaultPolicy) => {
  let state = Parking.initial({ business, customer })
  const steps: Array<{ readonly outcomes: ReadonlyArray<Parking.Outcome>; readonly after: Parking.PairState }> = []
  for (const command of commands) {
    const [next, outcomes] = Parking.step(state, command, policy)
    state = next
    steps.push({ outcomes, after: next })
  }
  return { state, steps, outcomes: steps.flatMap((step) => step.outcomes) }
}

/** A pair's life: sends (some asking to park with a template), customer messages, time passing, cancellations. */
const scenarioArb = fc.array(
  fc.record({
    gap: fc.oneof(
      fc.integer({ min: 0, max: 10 * MINUTE }),
      fc.integer({ min: 0, max: 30 * HOUR }),
      fc.integer({ min: 0, max: 10 * DAY })
    ),
    kind: fc.constantFrom("send", "send", "send", "inbound", "tick", "cancel"),
    ttl: fc.oneof(fc.constant(7 * DAY), fc.integer({ min: 1, max: 30 * DAY })),
    reengage: fc.boolean(),
    target: fc.nat()
  }),
  { maxLength: 40 }
).map((events) => {
  let now = 0
  const commands: Array<Parking.Command> = []
  events.forEach((event, index) => {
    now += event.gap
    switch (event.kind) {
      case "send":
        commands.push(send(`m${index}`, now, { ttl: event.ttl, reengage: event.reengage }))
        break
      case "inbound":
        commands.push(inbound(`in${index}`, now))
        break
      case "tick":
        commands.push({ _tag: "Tick", at: at(now) })
        break
      case "cancel":
        commands.push({ _tag: "Cancel", id: `m${event.target % (index + 1)}`, at: at(now) })
    }
  })
  // afterwards, long enough for every time to live to run out
  commands.push({ _tag: "Tick", at: at(now + 31 * DAY) })
  return commands
})

const ids = (outcomes: ReadonlyArray<Parking.Outcome>, tag: Parking.Outcome["_tag"]) =>
  outcomes.filter((outcome) => outcome._tag === tag).map((outcome) => outcome.id)

describe("Parking", () => {
  describe("ttl", () => {
    it("defaults to 7 days and takes anything over zero up to 30 days", () => {
      assert.deepStrictEqual(Parking.ttl(Option.none()), Either.right(Parking.DEFAULT_TTL))
      assert.deepStrictEqual(Parking.ttl(Option.some(Duration.days(30))), Either.right(Duration.days(30)))
      assert.deepStrictEqual(Parking.ttl(Option.some(Duration.millis(1))), Either.right(Duration.millis(1)))
    })

    it("refuses zero and more than 30 days with a code, the field and the limit", () => {
      for (const duration of [Duration.zero, Duration.sum(Duration.days(30), Duration.millis(1))]) {
        const refused = Parking.ttl(Option.some(duration), "ttlSeconds")
        assert.isTrue(Either.isLeft(refused))
        if (Either.isLeft(refused)) {
          assert.strictEqual(refused.left.code, "INVALID_TTL")
          assert.strictEqual(refused.left.field, "ttlSeconds")
          assert.strictEqual(refused.left.limit, 30 * 24 * 3600)
          assert.match(refused.left.message, /^ttlSeconds: .* at most 2592000 seconds \(30 days\)$/)
        }
      }
    })
  })

  describe("the rules", () => {
    it("a parked message expires at its expiry instant, not before", () => {
      const parked = { id: "m", parkedAt: at(0), expiresAt: at(HOUR) }
      assert.isFalse(Parking.isExpiredAt(parked, at(HOUR - 1)))
      assert.isTrue(Parking.isExpiredAt(parked, at(HOUR)))
    })

    it("a re-engagement template at most once per interval", () => {
      const policy = { reengageInterval: Duration.hours(24) }
      assert.isTrue(Parking.mayReengage(Option.none(), at(0), policy))
      assert.isFalse(Parking.mayReengage(Option.some(at(0)), at(DAY - 1), policy))
      assert.isTrue(Parking.mayReengage(Option.some(at(0)), at(DAY), policy))
    })

    it("due: released in parking order only into an open window; expired ones leave either way", () => {
      const parked = [
        { id: "b", parkedAt: at(2 * MINUTE), expiresAt: at(DAY) },
        { id: "c", parkedAt: at(MINUTE), expiresAt: at(DAY) },
        { id: "a", parkedAt: at(2 * MINUTE), expiresAt: at(DAY) },
        { id: "old", parkedAt: at(0), expiresAt: at(HOUR) }
      ]
      const closed = SessionWindow.empty({ business, customer })
      const open = SessionWindow.record(closed, message("in", 2 * HOUR))
      assert.deepStrictEqual(Parking.due(parked, closed, at(2 * HOUR)), { release: [], expire: [parked[3]!] })
      assert.deepStrictEqual(Parking.due(parked, open, at(2 * HOUR)).release.map((p) => p.id), ["c", "a", "b"])
      // the safety margin counts: 10 minutes before the end the window is closed for sending
      const late = at(2 * HOUR + DAY - 5 * MINUTE)
      assert.deepStrictEqual(Parking.due(parked, open, late, { safetyMargin: "10 minutes" }).release, [])
    })
  })

  describe("step", () => {
    it("three parked messages cost one template; the customer's message releases them in order", () => {
      const { outcomes, state } = run([
        send("m1", 0),
        send("m2", MINUTE),
        send("m3", 2 * MINUTE),
        inbound("in", HOUR),
        send("m4", HOUR + MINUTE)
      ])
      assert.deepStrictEqual(outcomes.map((o) => `${o._tag} ${o.id}`), [
        "Parked m1",
        "Reengaged m1",
        "Parked m2",
        "Parked m3",
        "Released m1",
        "Released m2",
        "Released m3",
        "Sent m4"
      ])
      assert.deepStrictEqual(state.parked, [])
    })

    it("a cancelled message is not released; cancelling one that left is refused", () => {
      const { outcomes } = run([
        send("m1", 0),
        send("m2", MINUTE),
        { _tag: "Cancel", id: "m1", at: at(2 * MINUTE) },
        inbound("in", HOUR),
        { _tag: "Cancel", id: "m2", at: at(2 * HOUR) }
      ])
      assert.deepStrictEqual(ids(outcomes, "Cancelled"), ["m1"])
      assert.deepStrictEqual(ids(outcomes, "Released"), ["m2"])
      assert.deepStrictEqual(ids(outcomes, "NotParked"), ["m2"])
    })

    it("a message past its time to live expires instead of being released", () => {
      const { outcomes } = run([send("m1", 0, { ttl: HOUR }), send("m2", MINUTE), inbound("in", 2 * HOUR)])
      assert.deepStrictEqual(ids(outcomes, "Expired"), ["m1"])
      assert.deepStrictEqual(ids(outcomes, "Released"), ["m2"])
    })

    it("without a template there is no re-engagement", () => {
      assert.deepStrictEqual(ids(run([send("m1", 0, { reengage: false })]).outcomes, "Reengaged"), [])
    })

    it.prop("every parked message ends exactly once: released, expired or cancelled", [scenarioArb], ([commands]) => {
      const { outcomes, state } = run(commands)
      assert.deepStrictEqual(state.parked, [])
      const ended = [...ids(outcomes, "Released"), ...ids(outcomes, "Expired"), ...ids(outcomes, "Cancelled")]
      assert.deepStrictEqual([...ended].sort(), [...ids(outcomes, "Parked")].sort())
      for (const id of ids(outcomes, "Sent")) assert.notInclude(ids(outcomes, "Parked"), id)
    })

    it.prop("released in the order they were parked", [scenarioArb], ([commands]) => {
      const { outcomes } = run(commands)
      const parkedAt = new Map(outcomes.filter((o) => o._tag === "Parked").map((o) => [o.id, o.at.epochMillis]))
      const released = ids(outcomes, "Released").map((id) => parkedAt.get(id)!)
      assert.deepStrictEqual(released, [...released].sort((a, b) => a - b))
    })

    it.prop("nothing is released into a closed window, nor sent at once", [scenarioArb], ([commands]) => {
      for (const { after, outcomes } of run(commands).steps) {
        for (const outcome of outcomes) {
          if (outcome._tag === "Released" || outcome._tag === "Sent") {
            assert.isTrue(SessionWindow.isOpenAt(after.window, outcome.at), `${outcome._tag} ${outcome.id}`)
          }
          if (outcome._tag === "Parked") assert.isFalse(SessionWindow.isOpenAt(after.window, outcome.at))
        }
      }
    })

    it.prop("at most one re-engagement template per interval", [scenarioArb, fc.integer({ min: 1, max: 3 * DAY })], (
      [commands, interval]
    ) => {
      const policy = { reengageInterval: Duration.millis(interval) }
      const times = run(commands, policy).outcomes.filter((o) => o._tag === "Reengaged").map((o) => o.at.epochMillis)
      for (let i = 1; i < times.length; i++) assert.isAtLeast(times[i]! - times[i - 1]!, interval)
    })
  })
})
