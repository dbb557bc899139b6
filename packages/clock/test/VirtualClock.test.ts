import { assert, describe, it } from "@effect/vitest"
import { PhoneNumber, SessionWindow } from "@wa-session/session-core"
import { Clock, DateTime, Duration, Effect, Option } from "effect"
import { SystemClock, VirtualClock } from "../src/index.js"

const at = DateTime.unsafeMake("2026-01-20T04:30:00Z")
const business = PhoneNumber.unsafeMake("+919211514326")
const customer = PhoneNumber.unsafeMake("+919158455686")

const windowOpenedAt = (lastInboundAt: DateTime.Utc) =>
  new SessionWindow.SessionWindow({
    business,
    customer,
    lastInboundAt,
    basisMessageId: "wamid-1",
    basisReceivedAt: lastInboundAt,
    firstSeenAt: lastInboundAt,
    closedByProviderAt: Option.none()
  })

describe("VirtualClock.layerAt", () => {
  it.effect("DateTime.now and Clock read exactly the instant", () =>
    Effect.gen(function*() {
      assert.isTrue(DateTime.Equivalence(yield* DateTime.now, at))
      assert.strictEqual(yield* Clock.currentTimeMillis, DateTime.toEpochMillis(at))
      assert.strictEqual(yield* Clock.currentTimeNanos, BigInt(DateTime.toEpochMillis(at)) * 1_000_000n)
      assert.strictEqual((yield* DateTime.now).toJSON(), "2026-01-20T04:30:00.000Z")
    }).pipe(Effect.provide(VirtualClock.layerAt(at))))

  it.effect("the core's window rules see that time", () =>
    Effect.gen(function*() {
      const window = windowOpenedAt(DateTime.subtract(at, { hours: 23, minutes: 59 }))
      const status = SessionWindow.statusAt(window, yield* DateTime.now)
      assert.strictEqual(status.state, "open")
      assert.isTrue(Duration.equals(status.remaining, Duration.minutes(1)))
      const expired = SessionWindow.statusAt(windowOpenedAt(DateTime.subtract(at, { hours: 24 })), yield* DateTime.now)
      assert.strictEqual(expired.state, "expired")
    }).pipe(Effect.provide(VirtualClock.layerAt(at))))

  it.live("sleeping still ends, in real time", () =>
    Effect.gen(function*() {
      const started = Date.now()
      yield* Effect.sleep("20 millis")
      assert.isAtLeast(Date.now() - started, 15)
      assert.isTrue(DateTime.Equivalence(yield* DateTime.now, at))
      assert.strictEqual(yield* Clock.currentTimeMillis, DateTime.toEpochMillis(at))
    }).pipe(Effect.provide(VirtualClock.layerAt(at))))

  it.live("timeouts of real work still fire", () =>
    Effect.gen(function*() {
      const result = yield* Effect.never.pipe(Effect.timeout("20 millis"), Effect.option)
      assert.isTrue(Option.isNone(result))
    }).pipe(Effect.provide(VirtualClock.layerAt(at))))
})

describe("VirtualClock.layer", () => {
  it.effect("set and adjust move the time the core sees", () =>
    Effect.gen(function*() {
      const control = yield* VirtualClock.VirtualClock
      const window = windowOpenedAt(at)
      assert.strictEqual(SessionWindow.statusAt(window, yield* DateTime.now).state, "open")
      yield* control.adjust("24 hours")
      assert.isTrue(DateTime.Equivalence(yield* DateTime.now, DateTime.add(at, { hours: 24 })))
      assert.strictEqual(SessionWindow.statusAt(window, yield* DateTime.now).state, "expired")
      yield* control.set(DateTime.add(at, { hours: 1 }))
      assert.isTrue(DateTime.Equivalence(yield* control.now, DateTime.add(at, { hours: 1 })))
      assert.strictEqual(SessionWindow.statusAt(window, yield* DateTime.now).state, "open")
      yield* control.adjust(Duration.millis(1))
      assert.strictEqual(yield* Clock.currentTimeMillis, DateTime.toEpochMillis(at) + 3_600_001)
    }).pipe(Effect.provide(VirtualClock.layer(at))))

  it.effect("each build starts from its instant", () =>
    Effect.gen(function*() {
      const control = yield* VirtualClock.VirtualClock
      assert.isTrue(DateTime.Equivalence(yield* control.now, at))
      assert.isTrue(DateTime.Equivalence(yield* DateTime.now, at))
    }).pipe(Effect.provide(VirtualClock.layer(at))))
})

describe("SystemClock.layer", () => {
  it.effect("reads the wall time, not the test clock", () =>
    Effect.gen(function*() {
      const before = Date.now()
      const now = yield* Clock.currentTimeMillis
      assert.isAtLeast(now, before)
      assert.isAtMost(now, Date.now())
    }).pipe(Effect.provide(SystemClock.layer)))

  it.effect("replaces a virtual clock set further out", () =>
    Effect.gen(function*() {
      const now = yield* DateTime.now
      assert.isFalse(DateTime.Equivalence(now, at))
      assert.isAtLeast(DateTime.toEpochMillis(now), Date.now() - 1000)
    }).pipe(Effect.provide(SystemClock.layer), Effect.provide(VirtualClock.layerAt(at))))
})
