/**
 * The fake Exotel checks flows, catalog messages and reply contexts with its own code, apart from session-core's
 * validator. Both must take exactly the same contents, or a test through the fake could pass on a content the
 * server refuses (or the reverse) and the two would agree on a mistake. These properties feed both the same contents,
 * as JSON (what the fake receives): valid ones, and valid ones with one part replaced, removed or pushed past a limit.
 */
import { assert, describe, it } from "@effect/vitest"
import { judgeContent } from "@wa-session/exotel-fake"
import { MessageContent } from "@wa-session/session-core"
import { Either } from "effect"
import * as fc from "effect/FastCheck"
import * as Arb from "../../session-core/test/arbitraries/content.js"

type Json = Record<string, unknown>
type Keys = ReadonlyArray<string | number>

const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value))

const verdicts = (content: unknown) => {
  const json = wire(content)
  const validator = MessageContent.validate(json)
  const fake = judgeContent(json)
  return {
    validator: Either.isRight(validator) ? "accepts" : `refuses: ${validator.left.message}`,
    fake: fake === undefined ? "accepts" : `refuses: ${fake.code} ${fake.description}`
  }
}

const agree = (content: unknown): void => {
  const { fake, validator } = verdicts(content)
  const why = `validator ${validator}; fake ${fake}`
  assert.strictEqual(fake.startsWith("accepts"), validator.startsWith("accepts"), why)
}

/** The paths of every node under a JSON value, the root excluded. */
const nodesOf = (value: unknown, keys: Keys = []): Array<Keys> =>
  typeof value === "object" && value !== null
    ? Object.entries(value).flatMap(([k, v]) => {
      const key = Array.isArray(value) ? Number(k) : k
      return [[...keys, key], ...nodesOf(v, [...keys, key])]
    })
    : []

const set = (value: unknown, keys: Keys, leaf: unknown): Json => {
  const copy = structuredClone(value) as Json
  let node: Record<string | number, unknown> = copy
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string | number, unknown>
  node[keys[keys.length - 1]!] = leaf
  return copy
}

const STRICT = fc.oneof(Arb.flow, Arb.product, Arb.productList)

/** Any content with a reply context (the fake checks context on every type). */
const REPLYING = Arb.valid.map((content) => ({ ...content, context: { message_id: "wamid.1" } }))

/** Values that break a field in the ways the rules care about: type, emptiness, length, count, emoji. */
const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(undefined, null, "", 0, -1, 3, true, [], {}, "3", "flow", "navigate", "data_exchange", "draft"),
  fc.constantFrom("text", "image", "product", "product_list", "x".repeat(21), "x".repeat(25), "x".repeat(61)),
  fc.constantFrom("x".repeat(1025), "Go 👍", "🇮🇳", "javascript:alert(1)", "https://example.com/a.png"),
  fc.constantFrom({ id: "1" }, { link: "https://example.com/a.png" }, { id: "1", link: "https://example.com/a" }),
  fc.constantFrom({ text: "" }, { text: "ok" }, { type: "text", text: "ok" }),
  fc.constantFrom({ screen: "S" }, { screen: "S", data: {} }, { screen: "S", data: { a: 1 } }),
  fc.integer({ min: 0, max: 40 }).map((n) =>
    Array.from({ length: n }, (_, i) => ({ product_retailer_id: `SKU-${i}` }))
  ),
  fc.integer({ min: 0, max: 12 }).map((n) =>
    Array.from({ length: n }, (_, i) => ({ title: `S${i}`, product_items: [{ product_retailer_id: `SKU-${i}` }] }))
  ),
  fc.jsonValue({ maxDepth: 2 })
)

/**
 * One node under `roots` replaced by junk (`undefined` removes it). `interactive.type` is kept: the fake checks the
 * other interactive types (and the other content types) loosely.
 */
const mutated = (contents: fc.Arbitrary<Json>, roots: ReadonlyArray<string>) =>
  fc.tuple(contents, fc.nat(), junk).map(([content, seed, leaf]) => {
    const nodes = nodesOf(content).filter((keys) =>
      roots.includes(keys[0] as string) && !(keys.length === 2 && keys[0] === "interactive" && keys[1] === "type")
    )
    return set(content, nodes[seed % nodes.length]!, leaf)
  })

/** A content made to break one limit: the node at `keys` set to `leaf`. */
const PAST_LIMITS: ReadonlyArray<readonly [string, fc.Arbitrary<Json>, Keys, unknown]> = [
  ["a flow_cta of 21", Arb.flow, ["interactive", "action", "parameters", "flow_cta"], "x".repeat(21)],
  ["a flow body of 1025", Arb.flow, ["interactive", "body", "text"], "😀".repeat(1025)],
  ["a flow footer of 61", Arb.flow, ["interactive", "footer"], { text: "😀".repeat(61) }],
  ["a flow header of 61", Arb.flow, ["interactive", "header"], { type: "text", text: "😀".repeat(61) }],
  ["a product body of 1025", Arb.product, ["interactive", "body"], { text: "😀".repeat(1025) }],
  ["a product_list header of 61", Arb.productList, ["interactive", "header", "text"], "😀".repeat(61)],
  ["a product_list of 31 products", Arb.productList, ["interactive", "action", "sections"], [{
    product_items: Array.from({ length: 31 }, (_, i) => ({ product_retailer_id: `SKU-${i}` }))
  }]],
  ["a product_list section title of 25", Arb.productList, ["interactive", "action", "sections"], [{
    title: "😀".repeat(25),
    product_items: [{ product_retailer_id: "a" }]
  }]]
]

describe("the fake Exotel and the validator", () => {
  it.prop(
    "both take every valid flow, product, product_list, and any content replying with a context",
    [fc.oneof(STRICT, REPLYING)],
    ([content]) => agree(content),
    { fastCheck: { numRuns: 300 } }
  )

  it.prop(
    "take and refuse the same flows, catalog messages and contexts, with any one part changed",
    [fc.oneof({ arbitrary: mutated(STRICT, ["interactive", "context"]), weight: 3 }, mutated(REPLYING, ["context"]))],
    ([content]) => agree(content),
    { fastCheck: { numRuns: 3000 } }
  )

  for (const [name, contents, keys, leaf] of PAST_LIMITS) {
    it.prop(`agree on contents pushed just past each limit: ${name}`, [contents], ([content]) => {
      const changed = set(content, keys, leaf)
      assert.isTrue(verdicts(changed).validator.startsWith("refuses"), keys.join("."))
      agree(changed)
    }, { fastCheck: { numRuns: 20 } })
  }
})
