/**
 * The few assertions the store contract suites make, free of any test framework: each returns when the check holds
 * and throws a `ContractViolation` when it does not (a case turns that defect back into its typed failure, see
 * `ContractCase.make`). The names and the meaning follow chai's `assert`, which the suites were first written with:
 * `deepStrictEqual` compares like chai's deep equality (the same kind of value, the same enumerable keys, own and
 * inherited, with deeply equal values; arrays element by element; dates by their time).
 *
 * @since 0.2.0
 */
import * as Data from "effect/Data"
import * as Inspectable from "effect/Inspectable"
import * as Predicate from "effect/Predicate"

/**
 * A check of the contract that did not hold: what was found and what the contract wanted.
 *
 * @since 0.2.0
 * @category errors
 */
export class ContractViolation extends Data.TaggedError("@wa-session/session-core/ContractViolation")<{
  readonly message: string
  readonly actual: unknown
  readonly expected: unknown
}> {}

const violation = (
  message: string | undefined,
  what: string,
  actual: unknown,
  expected: unknown
): ContractViolation =>
  new ContractViolation({ message: message === undefined ? what : `${message}: ${what}`, actual, expected })

const show = (value: unknown): string => Inspectable.format(value)

const enumerableKeys = (value: object): Array<PropertyKey> => {
  const keys: Array<PropertyKey> = []
  for (const key in value) keys.push(key)
  for (const symbol of Object.getOwnPropertySymbols(value)) {
    if (Object.prototype.propertyIsEnumerable.call(value, symbol)) keys.push(symbol)
  }
  return keys
}

const sameKeys = (a: ReadonlyArray<PropertyKey>, b: ReadonlyArray<PropertyKey>): boolean =>
  a.length === b.length && a.every((key) => b.includes(key))

/**
 * Deep equality as chai's `deepStrictEqual` sees it: primitives by `Object.is`, then the same kind of value
 * (`Object.prototype.toString`), dates by their time, arrays by length and element, and any other object by its
 * enumerable keys (own and inherited, plus own enumerable symbols) and their values; an object without keys that is
 * iterable (a `Set`, a `Map`) by what it iterates, in order.
 *
 * @since 0.2.0
 * @category predicates
 */
export const deepEqual = (actual: unknown, expected: unknown): boolean => {
  if (Object.is(actual, expected)) return true
  if (typeof actual !== "object" || typeof expected !== "object" || actual === null || expected === null) return false
  if (Object.prototype.toString.call(actual) !== Object.prototype.toString.call(expected)) return false
  if (actual instanceof Date && expected instanceof Date) return Object.is(actual.getTime(), expected.getTime())
  if (Array.isArray(actual) && Array.isArray(expected)) {
    return actual.length === expected.length && actual.every((item, i) => deepEqual(item, expected[i]))
  }
  const keys = enumerableKeys(actual)
  const otherKeys = enumerableKeys(expected)
  if (keys.length === 0 && otherKeys.length === 0 && Predicate.isIterable(actual) && Predicate.isIterable(expected)) {
    return deepEqual(Array.from(actual), Array.from(expected))
  }
  return sameKeys(keys, otherKeys) &&
    keys.every((key) => deepEqual(Reflect.get(actual, key), Reflect.get(expected, key)))
}

/**
 * Fails the contract here.
 *
 * @since 0.2.0
 * @category assertions
 */
export const fail = (message: string): never => {
  throw new ContractViolation({ message, actual: undefined, expected: undefined })
}

/**
 * `actual` is `true` (not merely truthy).
 *
 * @since 0.2.0
 * @category assertions
 */
export const isTrue: (actual: unknown, message?: string) => asserts actual = (actual, message) => {
  if (actual !== true) throw violation(message, `expected ${show(actual)} to be true`, actual, true)
}

/**
 * `actual` is the member of its tagged union with `_tag` `tag` (and the type says so after the call).
 *
 * @since 0.2.0
 * @category assertions
 */
export const hasTag: <A extends { readonly _tag: string }, T extends A["_tag"]>(
  actual: A,
  tag: T,
  message?: string
) => asserts actual is Extract<A, { readonly _tag: T }> = (actual, tag, message) => {
  if (actual._tag !== tag) throw violation(message, `expected _tag ${show(tag)}, got ${show(actual._tag)}`, actual, tag)
}

/**
 * `actual` is `false` (not merely falsy).
 *
 * @since 0.2.0
 * @category assertions
 */
export const isFalse = (actual: unknown, message?: string): void => {
  if (actual !== false) throw violation(message, `expected ${show(actual)} to be false`, actual, false)
}

/**
 * `actual === expected`.
 *
 * @since 0.2.0
 * @category assertions
 */
export const strictEqual = <A>(actual: A, expected: A, message?: string): void => {
  if (actual !== expected) {
    throw violation(message, `expected ${show(actual)} to equal ${show(expected)}`, actual, expected)
  }
}

/**
 * `actual` and `expected` are deeply equal (see `deepEqual`).
 *
 * @since 0.2.0
 * @category assertions
 */
export const deepStrictEqual = <A>(actual: A, expected: A, message?: string): void => {
  if (!deepEqual(actual, expected)) {
    throw violation(message, `expected ${show(actual)} to deeply equal ${show(expected)}`, actual, expected)
  }
}

/**
 * `actual <= limit`.
 *
 * @since 0.2.0
 * @category assertions
 */
export const isAtMost = (actual: number, limit: number, message?: string): void => {
  if (!(actual <= limit)) throw violation(message, `expected ${actual} to be at most ${limit}`, actual, limit)
}

/**
 * `actual >= limit`.
 *
 * @since 0.2.0
 * @category assertions
 */
export const isAtLeast = (actual: number, limit: number, message?: string): void => {
  if (!(actual >= limit)) throw violation(message, `expected ${actual} to be at least ${limit}`, actual, limit)
}

/**
 * The list holds `item` (compared with `===`).
 *
 * @since 0.2.0
 * @category assertions
 */
export const include = <A>(list: ReadonlyArray<A>, item: A, message?: string): void => {
  if (!list.includes(item)) throw violation(message, `expected ${show(list)} to include ${show(item)}`, list, item)
}

/**
 * The list holds every one of `items` (compared with `===`).
 *
 * @since 0.2.0
 * @category assertions
 */
export const includeMembers = <A>(list: ReadonlyArray<A>, items: ReadonlyArray<A>, message?: string): void => {
  if (!items.every((item) => list.includes(item))) {
    throw violation(message, `expected ${show(list)} to be a superset of ${show(items)}`, list, items)
  }
}

/**
 * Both lists hold the same members, each as many times, in any order (compared with `===`).
 *
 * @since 0.2.0
 * @category assertions
 */
export const sameMembers = <A>(actual: ReadonlyArray<A>, expected: ReadonlyArray<A>, message?: string): void => {
  const left = [...expected]
  const matched = actual.every((item) => {
    const index = left.indexOf(item)
    if (index >= 0) left.splice(index, 1)
    return index >= 0
  })
  if (!matched || left.length > 0) {
    throw violation(message, `expected ${show(actual)} to have the same members as ${show(expected)}`, actual, expected)
  }
}
