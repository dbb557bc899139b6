import { assert, describe, it } from "@effect/vitest"
import { Either, ParseResult, Schema } from "effect"
import * as fc from "effect/FastCheck"
import { PhoneNumber } from "../src/index.js"

describe("PhoneNumber", () => {
  it("normalizes the ways people and providers write numbers", () => {
    for (
      const input of [
        "+919876543210",
        "919876543210",
        "+91 98765 43210",
        "+91-98765-43210",
        "(91) 98765.43210",
        " +91 (987) 654-3210 "
      ]
    ) {
      assert.deepStrictEqual(PhoneNumber.parse(input), Either.right(PhoneNumber.unsafeMake("+919876543210")))
    }
  })

  it("rejects what is not E.164, naming the field and why", () => {
    const cases: Array<[string, string]> = [
      ["", "no digits"],
      ["+0919876543210", "cannot start with 0"],
      ["+1234567", "7 digits, at least 8 needed"],
      ["+1234567890123456", "16 digits, at most 15 allowed"],
      ["+91abc", "only digits"],
      ["++919876543210", "only digits"]
    ]
    for (const [input, reason] of cases) {
      const result = PhoneNumber.parse(input, "to")
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) {
        assert.strictEqual(result.left.code, "INVALID_PHONE_NUMBER")
        assert.strictEqual(result.left.field, "to")
        assert.include(result.left.reason, reason)
        assert.include(result.left.message, "to:")
      }
    }
    assert.throws(() => PhoneNumber.unsafeMake("12"))
  })

  it.prop("parsing is idempotent and accepts every formatting of a valid number", [
    fc.integer({ min: 1, max: 9 }),
    fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 7, maxLength: 14 }),
    fc.array(fc.constantFrom(" ", "-", "", "."), { minLength: 15, maxLength: 15 }),
    fc.boolean()
  ], ([first, rest, seps, plus]) => {
    const digits = [first, ...rest].join("")
    const written = (plus ? "+" : "") + [...digits].map((d, i) => d + (seps[i] ?? "")).join("")
    const parsed = Either.getOrThrow(PhoneNumber.parse(written))
    assert.strictEqual(parsed, `+${digits}`)
    assert.deepStrictEqual(PhoneNumber.parse(parsed), Either.right(parsed))
  })

  it("isPhoneNumber: a normalized number only, as stores read them back", () => {
    assert.isTrue(PhoneNumber.isPhoneNumber("+919876543210"))
    for (const value of ["919876543210", "+91 98765 43210", "+0123456789", "+1234567", "", 919876543210, null]) {
      assert.isFalse(PhoneNumber.isPhoneNumber(value), String(value))
    }
  })

  it("FromString: decodes every written form to the normalized number, names the input and why otherwise", () => {
    const decode = Schema.decodeUnknownEither(PhoneNumber.FromString)
    assert.deepStrictEqual(Either.getOrThrow(decode("91 98765 43210")), "+919876543210")
    assert.deepStrictEqual(Either.getOrThrow(decode(" +91 (987) 654-3210 ")), "+919876543210")
    const bad = decode("12")
    assert.isTrue(Either.isLeft(bad))
    if (Either.isLeft(bad)) {
      assert.deepStrictEqual(ParseResult.ArrayFormatter.formatErrorSync(bad.left).map((issue) => issue.message), [
        "\"12\" is not a phone number in E.164 form (2 digits, at least 8 needed)"
      ])
    }
    assert.isTrue(Either.isLeft(decode(12)))
    const number = PhoneNumber.unsafeMake("+919876543210")
    assert.deepStrictEqual(Schema.encodeSync(PhoneNumber.FromString)(number), "+919876543210")
  })

  it("FromString names the field by its path in a struct", () => {
    const decode = Schema.decodeUnknownEither(Schema.Struct({ customer: PhoneNumber.FromString }))
    const bad = decode({ customer: "hello" })
    assert.isTrue(Either.isLeft(bad))
    if (Either.isLeft(bad)) {
      const [issue] = ParseResult.ArrayFormatter.formatErrorSync(bad.left)
      assert.deepStrictEqual(issue?.path, ["customer"])
      assert.strictEqual(
        issue?.message,
        "\"hello\" is not a phone number in E.164 form " +
          "(only digits, spaces, dashes, dots, parentheses and a leading + are allowed)"
      )
    }
  })

  it("PhoneNumberFromString is FromString", () => {
    assert.strictEqual(PhoneNumber.PhoneNumberFromString, PhoneNumber.FromString)
  })
})
