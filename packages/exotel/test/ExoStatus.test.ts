import { assert, describe, it } from "@effect/vitest"
import { Option } from "effect"
import { ExoStatus } from "../src/index.js"

describe("ExoStatus", () => {
  it("has every code from 30001 to 30041 once, with unique names, plus EX_RESTRICTED_BY_META", () => {
    const codes = ExoStatus.table.flatMap((entry) => Option.toArray(entry.code))
    assert.deepStrictEqual(codes, Array.from({ length: 41 }, (_, i) => 30001 + i))
    const names = ExoStatus.table.map((entry) => entry.name)
    assert.strictEqual(new Set(names).size, names.length)
    assert.isTrue(Option.isSome(ExoStatus.byName("ex_restricted_by_meta")))
    assert.isTrue(Option.isNone(Option.flatMap(ExoStatus.byName("EX_RESTRICTED_BY_META"), (entry) => entry.code)))
  })

  it("maps 30001 sent, 30002 delivered, 30003 read", () => {
    const status = (code: number) => ExoStatus.classify(Option.some(code), Option.none())
    assert.deepStrictEqual(status(30001), { status: "sent", reengagement: false, failureName: Option.none() })
    assert.deepStrictEqual(status(30002), { status: "delivered", reengagement: false, failureName: Option.none() })
    assert.deepStrictEqual(status(30003), { status: "read", reengagement: false, failureName: Option.none() })
  })

  it("maps 30018 to a failure that closes the window (re-engagement)", () => {
    const expected = { status: "failed", reengagement: true, failureName: Option.some("EX_REENGAGEMENT_ERROR") }
    assert.deepStrictEqual(ExoStatus.classify(Option.some(30018), Option.none()), expected)
    assert.deepStrictEqual(ExoStatus.classify(Option.none(), Option.some("EX_REENGAGEMENT_ERROR")), expected)
  })

  it("maps the other codes to failures with their name", () => {
    for (const entry of ExoStatus.table) {
      const code = Option.getOrUndefined(entry.code)
      if (code !== undefined && code <= 30003) continue
      const outcome = ExoStatus.classify(entry.code, Option.none())
      const byName = ExoStatus.classify(Option.none(), Option.some(entry.name))
      assert.strictEqual(byName.status, "failed", entry.name)
      assert.deepStrictEqual(byName.failureName, Option.some(entry.name))
      if (code !== undefined) {
        assert.strictEqual(outcome.status, "failed", entry.name)
        assert.deepStrictEqual(outcome.failureName, Option.some(entry.name))
        assert.strictEqual(outcome.reengagement, code === 30018)
      }
    }
  })

  it("trusts the name over the code", () => {
    const outcome = ExoStatus.classify(Option.some(30004), Option.some("EX_MESSAGE_DELIVERED"))
    assert.strictEqual(outcome.status, "delivered")
  })

  it("classifies an unknown status as a failure named by its detailed status or code", () => {
    assert.deepStrictEqual(ExoStatus.classify(Option.some(30049), Option.some("EX_PAYMENT_PENDING")), {
      status: "failed",
      reengagement: false,
      failureName: Option.some("EX_PAYMENT_PENDING")
    })
    assert.deepStrictEqual(
      ExoStatus.classify(Option.some(30050), Option.none()).failureName,
      Option.some("EX_UNKNOWN_30050")
    )
  })
})
