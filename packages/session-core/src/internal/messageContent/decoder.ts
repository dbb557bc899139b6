/**
 * The decoder kit behind `MessageContent.validate`: small decoders that walk unknown input, report every violation
 * with its path (and the limit and actual value where one applies), and build the value (known keys only) when there
 * is none. Schema's parse errors cannot report limits and actual values per violation, hence this kit. The Schemas
 * stay the single description of each shape: `decoderOf(TextContent)(struct({ ... }))` compiles only when the
 * decoder builds exactly the Schema's type (same keys, optional ones included), and `oneOf(FlowMode)` takes its values
 * from the Schema.
 *
 * @internal
 */
import type * as Schema from "effect/Schema"
import { Violation } from "../../Errors.js"

/**
 * The length of a string in Unicode code points, the unit of WhatsApp's limits: an emoji outside the Basic
 * Multilingual Plane counts 1, not the 2 UTF-16 units of `String.prototype.length`.
 */
export const codePointLength = (s: string): number => {
  let length = 0
  for (const _ of s) length++
  return length
}

/**
 * The failure of a decoder: the violations of the run, at least one by construction. A run makes one, at its first
 * report, and every later report adds to it, so the failure the outermost decoder returns holds every violation.
 * No decoded value is an instance of this class (decoders build plain objects and arrays, and `jsonObject` keeps
 * only objects with a plain prototype), so `instanceof` tells the two apart.
 */
export class Invalid {
  readonly #violations: [Violation, ...Array<Violation>]

  constructor(first: Violation) {
    this.#violations = [first]
  }

  get violations(): readonly [Violation, ...Array<Violation>] {
    return this.#violations
  }

  add(violation: Violation): this {
    this.#violations.push(violation)
    return this
  }
}

export type Decoded<A> = A | Invalid

export const isInvalid = <A>(decoded: Decoded<A>): decoded is Invalid => decoded instanceof Invalid

/** The violations of one run as the decoders report them: none yet, or the run's `Invalid`. */
export class Issues {
  #invalid: Invalid | undefined = undefined

  /** How many violations were reported so far: a decoder takes it before its checks, and asks `since` after. */
  get count(): number {
    return this.#invalid === undefined ? 0 : this.#invalid.violations.length
  }

  add(violation: Violation): Invalid {
    if (this.#invalid === undefined) this.#invalid = new Invalid(violation)
    else this.#invalid.add(violation)
    return this.#invalid
  }

  /** The run's failure if anything was reported since `count` was `before`. */
  since(before: number): Invalid | undefined {
    return this.#invalid !== undefined && this.#invalid.violations.length > before ? this.#invalid : undefined
  }
}

export type Decoder<A> = (input: unknown, path: string, issues: Issues) => Decoded<A>

/** The type a decoder builds. */
export type DecodedOf<D> = D extends Decoder<infer A> ? A : never

/**
 * A type with every optional key made required, all the way down: two types with the same `Keys` have the same
 * keys everywhere.
 */
type Keys<A> = A extends ReadonlyArray<infer I> ? ReadonlyArray<Keys<I>>
  : A extends object ? { readonly [K in keyof A]-?: Keys<Exclude<A[K], undefined>> }
  : A

/** Whether `A` and `B` have the same keys and the same value types everywhere, optional keys included. */
export type SameShape<A, B> = [Keys<A>] extends [Keys<B>] ? [Keys<B>] extends [Keys<A>] ? true : false : false

/**
 * The decoder of a Schema: it must build exactly the Schema's type, so that a key added to, or removed from, either
 * one and not the other fails to compile (assignability alone lets an optional key go missing). The Schema is the
 * single description of the shape; the decoder adds WhatsApp's rules to it.
 */
export const decoderOf = <S extends Schema.Schema.Any>(_schema: S) =>
<D extends Decoder<Schema.Schema.Type<S>>>(
  decoder: D & (SameShape<DecodedOf<D>, Schema.Schema.Type<S>> extends true ? unknown : "differs from the Schema")
): Decoder<Schema.Schema.Type<S>> => decoder

/** A rule on a value that already has the right type; it reports its own violations. */
export type Check<A> = (value: A, path: string, issues: Issues) => void

export interface UnknownRecord {
  readonly [key: string]: unknown
}

export const isRecord = (u: unknown): u is UnknownRecord => typeof u === "object" && u !== null && !Array.isArray(u)

export const own = (record: UnknownRecord, key: string): unknown => Object.hasOwn(record, key) ? record[key] : undefined

export const dig = (value: unknown, ...keys: ReadonlyArray<string>): unknown => {
  let current = value
  for (const key of keys) current = isRecord(current) ? own(current, key) : undefined
  return current
}

export const field = (path: string, key: string): string => path === "" ? key : `${path}.${key}`

const typeName = (u: unknown): string =>
  u === null ? "null" : Array.isArray(u) ? "array" : typeof u === "number" && !Number.isFinite(u) ? `${u}` : typeof u

// The props are well-typed by construction, so the constructors skip re-validating them: with thousands of
// violations (a huge array of bad items) validation would dominate the cost.
export const report = (
  issues: Issues,
  path: string,
  message: string,
  limit?: number,
  actual?: unknown
): Invalid => {
  const props = {
    path,
    message,
    ...(limit === undefined ? {} : { limit }),
    ...(typeof actual === "string" || typeof actual === "number" ? { actual } : {})
  }
  return issues.add(new Violation(props, true))
}

/** A value of the wrong type; a number is echoed as `actual`, other values are only named. */
export const wrongType = (issues: Issues, path: string, expected: string, input: unknown): Invalid => {
  const actual = typeof input === "number" ? input : undefined
  return report(issues, path, `must be ${expected} (got ${typeName(input)})`, undefined, actual)
}

export const mustBeOneOf = (values: ReadonlyArray<string>): string =>
  values.length === 1 ? `must be "${values[0]}"` : `must be one of ${values.map((v) => `"${v}"`).join(", ")}`

export interface StringRules {
  readonly min?: 1
  readonly max?: number
  readonly checks?: ReadonlyArray<Check<string>>
}

export const string = (rules: StringRules = {}): Decoder<string> => (input, path, issues) => {
  if (typeof input !== "string") return wrongType(issues, path, "a string", input)
  const before = issues.count
  if (rules.min !== undefined || rules.max !== undefined) {
    const length = codePointLength(input)
    if (rules.min !== undefined && length < rules.min) report(issues, path, "must not be empty", rules.min, length)
    if (rules.max !== undefined && length > rules.max) {
      report(issues, path, `must be at most ${rules.max} characters`, rules.max, length)
    }
  }
  for (const check of rules.checks ?? []) check(input, path, issues)
  return issues.since(before) ?? input
}

export const boolean: Decoder<boolean> = (input, path, issues) =>
  typeof input === "boolean" ? input : wrongType(issues, path, "a boolean", input)

export const number = (min: number, max: number): Decoder<number> => (input, path, issues) => {
  if (typeof input !== "number" || !Number.isFinite(input)) return wrongType(issues, path, "a finite number", input)
  if (input < min) return report(issues, path, `must be at least ${min}`, min, input)
  if (input > max) return report(issues, path, `must be at most ${max}`, max, input)
  // -0 does not survive JSON; + 0 turns it into 0 and leaves every other number as it is
  return input + 0
}

export const integer: Decoder<number> = (input, path, issues) =>
  typeof input === "number" && Number.isSafeInteger(input) ? input + 0 : wrongType(issues, path, "an integer", input)

export const literal = <const L extends string>(value: L): Decoder<L> => (input, path, issues) =>
  input === value ? value : report(issues, path, mustBeOneOf([value]), undefined, input)

/** One of the values of a Schema literal, so that the values are written once, in the Schema. */
export const oneOf = <const L extends readonly [string, ...Array<string>]>(
  schema: Schema.Literal<L>
): Decoder<L[number]> => {
  const values: ReadonlyArray<string> = schema.literals
  return (input, path, issues) =>
    typeof input === "string" && values.includes(input)
      ? input as L[number]
      : report(issues, path, mustBeOneOf(values), undefined, input)
}

/**
 * Plain JSON data (flow `action_data`): kept as given, so it must survive a JSON round trip. A key named `__proto__`
 * cannot: copying the object into another (as decoders do) sets a prototype instead of keeping the key.
 */
const isJson = (root: unknown): boolean => {
  const pending: Array<unknown> = [root]
  const seen = new Set<object>()
  while (pending.length > 0) {
    const value = pending.pop()
    if (value === null || typeof value === "string" || typeof value === "boolean") continue
    if (typeof value === "number") {
      if (Number.isFinite(value) && !Object.is(value, -0)) continue
      return false
    }
    if (typeof value !== "object" || seen.has(value)) return false
    seen.add(value)
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) pending.push(value[i])
      continue
    }
    const proto: unknown = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) return false
    for (const key of Object.keys(value)) {
      if (key === "__proto__") return false
      pending.push((value as UnknownRecord)[key])
    }
  }
  return true
}

export const jsonObject: Decoder<UnknownRecord> = (input, path, issues) =>
  isRecord(input) && isJson(input) ? input : report(issues, path, "must be an object of plain JSON values")

export interface Optional<A> {
  readonly _tag: "Optional"
  readonly decoder: Decoder<A>
}

export interface Forbidden {
  readonly _tag: "Forbidden"
  readonly message: string
}

export type Field = Decoder<unknown> | Optional<unknown> | Forbidden

export type Fields = { readonly [key: string]: Field }

export type StructType<F extends Fields> =
  & { readonly [K in keyof F as F[K] extends Decoder<unknown> ? K : never]: F[K] extends Decoder<infer A> ? A : never }
  & {
    readonly [K in keyof F as F[K] extends Optional<unknown> ? K : never]?: F[K] extends Optional<infer A> ? A : never
  }

/** A key that may be absent; `undefined` counts as absent, `null` does not. */
export const optional = <A>(decoder: Decoder<A>): Optional<A> => ({ _tag: "Optional", decoder })

/** A key WhatsApp rejects in this object. */
export const forbidden = (message: string): Forbidden => ({ _tag: "Forbidden", message })

/** Unknown keys are dropped; `checks` see the raw object, so they run even when a field is invalid. */
export const struct = <F extends Fields>(
  fields: F,
  ...checks: ReadonlyArray<Check<UnknownRecord>>
): Decoder<StructType<F>> => {
  const specs = Object.entries(fields)
  return (input, path, issues) => {
    if (!isRecord(input)) return wrongType(issues, path, "an object", input)
    const before = issues.count
    const out: Record<string, unknown> = {}
    for (const [key, spec] of specs) {
      const at = field(path, key)
      const value = own(input, key)
      if (typeof spec === "function") {
        if (value === undefined) report(issues, at, "is required")
        else out[key] = spec(value, at, issues)
      } else if (value !== undefined) {
        if (spec._tag === "Forbidden") report(issues, at, spec.message)
        else out[key] = spec.decoder(value, at, issues)
      }
    }
    for (const check of checks) check(input, path, issues)
    return issues.since(before) ?? out as StructType<F>
  }
}

export interface Count {
  readonly min?: 1
  readonly max?: number
}

/** Every item is checked even when the count is wrong; `checks` see the raw items. */
export const array = <A>(
  item: Decoder<A>,
  count: Count,
  ...checks: ReadonlyArray<Check<ReadonlyArray<unknown>>>
): Decoder<ReadonlyArray<A>> =>
(input, path, issues) => {
  if (!Array.isArray(input)) return wrongType(issues, path, "an array", input)
  const items: ReadonlyArray<unknown> = input
  const before = issues.count
  if (count.min !== undefined && items.length < count.min) {
    report(issues, path, "must not be empty", count.min, items.length)
  }
  if (count.max !== undefined && items.length > count.max) {
    report(issues, path, `must have at most ${count.max} items`, count.max, items.length)
  }
  const out: Array<Decoded<A>> = []
  for (let i = 0; i < items.length; i++) out.push(item(items[i], `${path}[${i}]`, issues))
  for (const check of checks) check(items, path, issues)
  return issues.since(before) ?? out as Array<A>
}

/** Picks the decoder by the object's `type`; an unknown `type` stops there, since nothing else can be checked. */
export const tagged = <M extends { readonly [type: string]: Decoder<unknown> }>(
  members: M
): Decoder<DecodedOf<M[keyof M]>> =>
(input, path, issues) => {
  if (!isRecord(input)) return wrongType(issues, path, "an object", input)
  const type = own(input, "type")
  const member = typeof type === "string" && Object.hasOwn(members, type) ? members[type] : undefined
  if (member !== undefined) return member(input, path, issues) as Decoded<DecodedOf<M[keyof M]>>
  const types = Object.keys(members)
  return type === undefined
    ? report(issues, field(path, "type"), `is required: ${mustBeOneOf(types)}`)
    : report(issues, field(path, "type"), mustBeOneOf(types), undefined, type)
}

/** Reports the second and later items whose value at `keys` repeats an earlier one. */
export const unique = (...keys: ReadonlyArray<string>): Check<ReadonlyArray<unknown>> => (items, path, issues) => {
  const seen = new Map<string, string>()
  items.forEach((item, index) => {
    const value = dig(item, ...keys)
    if (typeof value !== "string") return
    const at = [`${path}[${index}]`, ...keys].join(".")
    const first = seen.get(value)
    if (first === undefined) seen.set(value, at)
    else report(issues, at, `must be unique (the same as ${first})`, undefined, value)
  })
}
