import { assert, describe, it } from "@effect/vitest"
import { Cause, DateTime, Effect, Exit, Layer, Option } from "effect"
import * as fc from "effect/FastCheck"
import { MemoryStore, SessionStore } from "../src/index.js"
import * as ContractAssert from "../src/testing/ContractAssert.js"
import { ContractViolation } from "../src/testing/ContractAssert.js"
import * as ContractCase from "../src/testing/ContractCase.js"
import * as ParkingContract from "../src/testing/ParkingContract.js"
import * as StoreContract from "../src/testing/StoreContract.js"

/** The violation `check` throws (fails the test when it throws none, or something else). */
const violationOf = (check: () => void): ContractViolation => {
  try {
    check()
  } catch (error) {
    assert.instanceOf(error, ContractViolation)
    return error as ContractViolation
  }
  return assert.fail("expected a ContractViolation")
}

describe("ContractAssert", () => {
  it("deepEqual compares like chai's deep equality", () => {
    const { deepEqual } = ContractAssert
    assert.isTrue(deepEqual(1, 1))
    assert.isTrue(deepEqual(Number.NaN, Number.NaN))
    assert.isFalse(deepEqual(0, -0))
    assert.isFalse(deepEqual(1, "1"))
    assert.isFalse(deepEqual({}, 1))
    assert.isFalse(deepEqual(null, {}))
    assert.isFalse(deepEqual({}, null))
    assert.isFalse(deepEqual([], {}))
    assert.isTrue(deepEqual(new Date(5), new Date(5)))
    assert.isFalse(deepEqual(new Date(5), new Date(6)))
    assert.isTrue(deepEqual([1, [2, { a: 3 }]], [1, [2, { a: 3 }]]))
    assert.isFalse(deepEqual([1, 2], [1]))
    assert.isFalse(deepEqual([1, 2], [1, 3]))
    assert.isTrue(deepEqual({ a: 1, b: [2] }, { b: [2], a: 1 }))
    assert.isFalse(deepEqual({ a: 1 }, { a: 1, b: 2 }))
    assert.isFalse(deepEqual({ a: 1, c: 2 }, { a: 1, b: 2 }))
    assert.isFalse(deepEqual({ a: 1 }, { a: 2 }))
    assert.isTrue(deepEqual({}, {}))
    // own enumerable symbols count, other symbols do not
    const key = Symbol("key")
    assert.isFalse(deepEqual({ [key]: 1 }, { [key]: 2 }))
    const hidden = (value: number) => Object.defineProperty({}, key, { value, enumerable: false })
    assert.isTrue(deepEqual(hidden(1), hidden(2)))
    // inherited enumerable keys count: Options and other Effect data compare by their fields
    assert.isTrue(deepEqual(Option.some({ a: 1 }), Option.some({ a: 1 })))
    assert.isFalse(deepEqual(Option.some(1), Option.none()))
    // iterables without keys compare by what they iterate, in order
    assert.isTrue(deepEqual(new Set([1, 2]), new Set([1, 2])))
    assert.isFalse(deepEqual(new Set([1, 2]), new Set([2, 1])))
    assert.isTrue(deepEqual(new Map([[1, { a: 1 }]]), new Map([[1, { a: 1 }]])))
    assert.isFalse(deepEqual(new Map([[1, { a: 1 }]]), new Map([[1, { a: 2 }]])))
    const iterable = Object.create({
      *[Symbol.iterator]() {
        yield 1
      }
    })
    assert.isTrue(deepEqual(iterable, Object.create(Object.getPrototypeOf(iterable))))
    assert.isTrue(deepEqual(iterable, {}))
    assert.isFalse(deepEqual(new Set([1]), new Set([1]).add(2)))
  })

  it("each assertion returns when it holds and throws a ContractViolation naming both values when not", () => {
    ContractAssert.isTrue(true)
    ContractAssert.isFalse(false)
    ContractAssert.strictEqual("a", "a")
    ContractAssert.deepStrictEqual({ a: [1] }, { a: [1] })
    ContractAssert.isAtMost(1, 1)
    ContractAssert.isAtLeast(1, 1)
    ContractAssert.include([1, 2], 2)
    ContractAssert.includeMembers([1, 2, 3], [3, 1])
    ContractAssert.sameMembers([1, 2, 2], [2, 1, 2])

    const isTrue = violationOf(() => ContractAssert.isTrue(1))
    assert.deepStrictEqual([isTrue._tag, isTrue.message, isTrue.actual, isTrue.expected], [
      "@wa-session/session-core/ContractViolation",
      "expected 1 to be true",
      1,
      true
    ])
    assert.strictEqual(violationOf(() => ContractAssert.isTrue(false, "why")).message, "why: expected false to be true")
    assert.strictEqual(violationOf(() => ContractAssert.isFalse(0)).message, "expected 0 to be false")
    const tagged = ((): { readonly _tag: "A" } | { readonly _tag: "B" } => ({ _tag: "B" }))()
    const wrongTag = violationOf(() => ContractAssert.hasTag(tagged, "A", "which"))
    assert.deepStrictEqual([wrongTag.message, wrongTag.expected], ["which: expected _tag \"A\", got \"B\"", "A"])
    ContractAssert.hasTag(tagged, "B")
    assert.strictEqual(violationOf(() => ContractAssert.strictEqual(1, 2, "n")).message, "n: expected 1 to equal 2")
    const deep = violationOf(() => ContractAssert.deepStrictEqual({ a: 1 }, { a: 2 }))
    assert.include(deep.message, "to deeply equal")
    assert.deepStrictEqual([deep.actual, deep.expected], [{ a: 1 }, { a: 2 }])
    assert.strictEqual(violationOf(() => ContractAssert.isAtMost(2, 1)).message, "expected 2 to be at most 1")
    assert.strictEqual(violationOf(() => ContractAssert.isAtLeast(1, 2)).message, "expected 1 to be at least 2")
    assert.include(violationOf(() => ContractAssert.include([1], 2)).message, "to include 2")
    assert.include(violationOf(() => ContractAssert.includeMembers([1], [1, 2])).message, "to be a superset of")
    assert.include(violationOf(() => ContractAssert.sameMembers([1, 3], [1, 2])).message, "the same members")
    assert.include(violationOf(() => ContractAssert.sameMembers([1], [1, 1])).message, "the same members")
    assert.include(violationOf(() => ContractAssert.sameMembers([1, 1], [1])).message, "the same members")
    const failed = violationOf(() => ContractAssert.fail("stop"))
    assert.deepStrictEqual([failed.message, failed.actual, failed.expected], ["stop", undefined, undefined])
  })
})

describe("ContractCase", () => {
  it.effect("a violation thrown in a case is its typed failure; other defects stay defects", () =>
    Effect.gen(function*() {
      const passing = ContractCase.make("passes", Effect.succeed(1), { timeout: 5 })
      assert.deepStrictEqual([passing.name, passing.timeout], ["passes", 5])
      yield* passing.run
      assert.isUndefined(ContractCase.make("no timeout", Effect.void).timeout)

      const violated = yield* Effect.exit(
        ContractCase.make("fails", Effect.sync(() => ContractAssert.isTrue(false))).run
      )
      assert.isTrue(
        Exit.isFailure(violated) && Option.getOrThrow(Cause.failureOption(violated.cause)) instanceof ContractViolation
      )

      const boom = new Error("boom")
      const died = yield* Effect.exit(
        ContractCase.make(
          "dies",
          Effect.sync(() => {
            throw boom
          })
        ).run
      )
      assert.isTrue(Exit.isFailure(died) && Option.getOrThrow(Cause.dieOption(died.cause)) === boom)
    }))

  it.effect("a property case runs its check for numRuns values, with the context of the case", () =>
    Effect.gen(function*() {
      const seen: Array<number> = []
      const property = ContractCase.property(
        "holds",
        fc.tuple(fc.nat({ max: 9 }), fc.constant("x")),
        ([n, x]) =>
          Effect.map(SessionStore.SessionStore, (store) => {
            assert.isFunction(store.ping.pipe)
            assert.strictEqual(x, "x")
            seen.push(n)
          }),
        { numRuns: 7 }
      )
      yield* property.run.pipe(Effect.provide(MemoryStore.layer))
      assert.strictEqual(seen.length, 7)

      const failing = ContractCase.property(
        "fails",
        fc.tuple(fc.nat()),
        ([n]) => Effect.sync(() => ContractAssert.isAtMost(n, 5, "small")),
        { numRuns: 100, timeout: 10 }
      )
      assert.strictEqual(failing.timeout, 10)
      const error = yield* Effect.flip(failing.run)
      assert.instanceOf(error, ContractViolation)
      assert.include((error as ContractViolation).message, "Counterexample: [[6]]")
      assert.include((error as ContractViolation).message, "small: expected 6 to be at most 5")
    }))
})

describe("the contract suites catch a broken store", () => {
  const broken = (change: (store: SessionStore.SessionStoreShape) => Partial<SessionStore.SessionStoreShape>) =>
    Layer.effect(
      SessionStore.SessionStore,
      Effect.map(SessionStore.SessionStore, (store) => ({ ...store, ...change(store) }))
    )
      .pipe(Layer.provideMerge(MemoryStore.layer))

  const failureOf = <R>(cases: ReadonlyArray<ContractCase.ContractCase<R>>, name: string, layer: Layer.Layer<R>) =>
    Effect.flip(cases.find((contractCase) => contractCase.name === name)!.run.pipe(Effect.provide(layer)))

  it.effect(
    "a store that forgets windows, never ends a listing of expiring windows, or parks while open",
    () =>
      Effect.gen(function*() {
        const forgets = yield* failureOf(
          StoreContract.cases(),
          "records the first message of a pair",
          broken(() => ({ getWindow: () => Effect.succeed(Option.none()) }))
        )
        assert.instanceOf(forgets, ContractViolation)

        const endless = yield* failureOf(
          StoreContract.cases(),
          "expiring windows: horizon, margin, closures, business filter, order and cursor pagination",
          broken((store) => ({
            listExpiring: (query) =>
              Effect.map(store.listExpiring({ ...query, cursor: Option.none() }), (page) => ({
                ...page,
                items: page.items.slice(0, 1),
                nextCursor: Option.some("again")
              }))
          }))
        )
        assert.strictEqual((endless as ContractViolation).message, "pagination does not end: expected false to be true")

        // parks as if the window had closed already: a message the customer could have received is held back
        const parksAnyway = yield* failureOf(
          ParkingContract.cases(),
          "writes nothing when the window is open at the instant of parking",
          broken((store) => ({
            park: (request) => store.park({ ...request, now: DateTime.add(request.now, { days: 2 }) })
          }))
        )
        assert.include((parksAnyway as ContractViolation).message, "expected \"Parked\" to equal \"WindowOpen\"")
      }),
    60_000
  )
})
