import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck as fc, Schema } from "effect"
import { StorableText } from "../src/index.js"

describe("StorableText", () => {
  it("refuses NUL characters and unpaired surrogates, anywhere", () => {
    for (const text of ["\u0000", "a\u0000b", "\uD800", "x\uD83D", "\uDE00y", "\uDE00\uD83D"]) {
      assert.isFalse(StorableText.isStorable(text), JSON.stringify(text))
    }
    for (const text of ["", "wamid.HBgM", "😀", "₹ नमस्ते", "\uD83D\uDE00"]) {
      assert.isTrue(StorableText.isStorable(text), text)
    }
  })

  it.prop(
    "any well-formed text without NUL is storable and kept as it is",
    [fc.string({ unit: "grapheme" })],
    ([text]) => {
      const clean = text.replaceAll("\u0000", "")
      assert.isTrue(StorableText.isStorable(clean))
      assert.strictEqual(StorableText.toStorable(clean), clean)
    }
  )

  it.prop("toStorable gives storable text of the same length", [fc.string({ unit: "binary" })], ([text]) => {
    const storable = StorableText.toStorable(text)
    assert.isTrue(StorableText.isStorable(storable))
    assert.strictEqual(storable.length, text.length)
  })

  it("toStorable replaces each offending character by U+FFFD and keeps pairs", () => {
    assert.strictEqual(StorableText.toStorable("a\u0000\uD800b\uD83D\uDE00"), "a\uFFFD\uFFFDb😀")
  })

  it("StorableString names the problem", () => {
    const decode = Schema.decodeUnknownEither(StorableText.StorableString)
    assert.isTrue(Either.isRight(decode("ok")))
    const refused = decode("k\u0000")
    assert.isTrue(Either.isLeft(refused) && refused.left.message.includes(StorableText.PROBLEM))
  })
})
