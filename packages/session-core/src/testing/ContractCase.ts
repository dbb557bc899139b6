/**
 * One case of a contract suite, as data: a name and the Effect that checks it against the ports in its context. A
 * test runner (vitest, node:test, a script) turns each case into one of its tests; the case itself imports nothing
 * but `effect`. Property cases run their Effect under `effect/FastCheck` with the context of the case.
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as fc from "effect/FastCheck"
import * as Runtime from "effect/Runtime"
import { ContractViolation } from "./ContractAssert.js"

/**
 * A named check of a contract. `run` succeeds when the store under test keeps the contract and fails (with a
 * `ContractViolation` for a check that did not hold) when it does not; `timeout`, in milliseconds, when the case
 * needs more than a runner's default.
 *
 * @since 0.2.0
 * @category models
 */
export interface ContractCase<R> {
  readonly name: string
  readonly run: Effect.Effect<void, unknown, R>
  readonly timeout?: number | undefined
}

/**
 * A case from its check. A `ContractViolation` thrown by an assertion inside it (a defect) becomes the case's
 * typed failure; any other defect stays one.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = <E, R>(
  name: string,
  check: Effect.Effect<unknown, E, R>,
  options: { readonly timeout?: number } = {}
): ContractCase<R> => ({
  name,
  run: check.pipe(
    Effect.asVoid,
    Effect.catchAllDefect((defect) => defect instanceof ContractViolation ? Effect.fail(defect) : Effect.die(defect))
  ),
  timeout: options.timeout
})

/**
 * A property case: `check` runs for `numRuns` values drawn from `arbitrary` (`fc.tuple(…)` for several), each run
 * with the context of the case; fast-check shrinks a failing input, and the case fails with a `ContractViolation`
 * carrying fast-check's report (the counterexample and the check's own failure).
 *
 * @since 0.2.0
 * @category constructors
 */
export const property = <A, E, R>(
  name: string,
  arbitrary: fc.Arbitrary<A>,
  check: (value: A) => Effect.Effect<unknown, E, R>,
  options: { readonly numRuns: number; readonly timeout?: number }
): ContractCase<R> =>
  make(
    name,
    Effect.flatMap(Effect.runtime<R>(), (runtime) =>
      Effect.tryPromise({
        try: () =>
          fc.assert(
            fc.asyncProperty(arbitrary, (value) => Runtime.runPromise(runtime)(Effect.asVoid(check(value)))),
            { numRuns: options.numRuns }
          ),
        catch: (error) => new ContractViolation({ message: String(error), actual: error, expected: undefined })
      })),
    options
  )
