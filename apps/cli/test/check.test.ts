import { afterAll, assert, describe, it } from "@effect/vitest"
import { json, run, tempDir, writeJson } from "./support.js"

const temp = tempDir("check")
afterAll(temp.remove)

describe.concurrent("check", () => {
  it("accepts a valid text message (human)", async () => {
    const result = await run(["check", "--text", "Your order #12345 is out for delivery"])
    assert.strictEqual(result.code, 0)
    assert.include(result.stdout, "valid: a text message")
  })

  it("says \"an\" before a vowel: an image message", async () => {
    const file = writeJson(temp.dir, "image.json", { type: "image", image: { link: "https://example.com/a.png" } })
    const result = await run(["check", "--content-file", file])
    assert.strictEqual(result.code, 0)
    assert.strictEqual(
      result.stdout,
      "valid: an image message: allowed inside the 24-hour window, else only a template\n"
    )
  })

  it("accepts a valid text message (--json)", async () => {
    const result = await run(["check", "--text", "Hi", "--json"])
    assert.strictEqual(result.code, 0)
    assert.deepStrictEqual(json(result), { valid: true, type: "text", violations: [] })
  })

  it("lists every violation with path, limit and actual value (human, exit 2)", async () => {
    const file = writeJson(temp.dir, "buttons.json", {
      type: "interactive",
      interactive: {
        type: "button",
        body: { text: "x".repeat(1100) },
        action: {
          buttons: [
            { type: "reply", reply: { id: "a", title: "A title that is far too long" } },
            { type: "reply", reply: { id: "b", title: "B" } },
            { type: "reply", reply: { id: "c", title: "C" } },
            { type: "reply", reply: { id: "d", title: "D" } }
          ]
        }
      }
    })
    const result = await run(["check", "--content-file", file])
    assert.strictEqual(result.code, 2)
    assert.match(result.stdout, /PATH\s+PROBLEM\s+LIMIT\s+ACTUAL/)
    assert.include(result.stdout, "interactive.body.text")
    assert.include(result.stdout, "interactive.action.buttons[0].reply.title")
    assert.match(result.stderr, /^wa-session: INVALID_MESSAGE: \d+ violations of WhatsApp's rules\n$/)
  })

  it("lists every violation (--json, exit 2)", async () => {
    const result = await run(["check", "--text", "x".repeat(4097), "--json"])
    assert.strictEqual(result.code, 2)
    const { violations, ...verdict } = json(result)
    assert.deepStrictEqual(verdict, { valid: false, code: "INVALID_MESSAGE" })
    assert.lengthOf(violations, 1)
    assert.containsSubset(violations[0], { path: "text.body", limit: 4096, actual: 4097 })
  })

  it("reads YAML content files", async () => {
    const file = writeJson(
      temp.dir,
      "template.yaml",
      "type: template\ntemplate:\n  name: follow_up\n  language: { code: en }\n"
    )
    const result = await run(["check", "--content-file", file, "--json"])
    assert.strictEqual(result.code, 0)
    assert.containsSubset(json(result), { valid: true, type: "template" })
  })

  it("an unsupported type is bad input (exit 2)", async () => {
    const file = writeJson(temp.dir, "bogus.json", { type: "carousel" })
    const result = await run(["check", "--content-file", file, "--json"])
    assert.strictEqual(result.code, 2)
    const verdict = json(result)
    assert.containsSubset(verdict, { valid: false, code: "MESSAGE_TYPE_NOT_SUPPORTED" })
    assert.lengthOf(verdict.violations, 1)
    assert.containsSubset(verdict.violations[0], { path: "type", actual: "carousel" })
  })

  it("a file that is not JSON is bad input naming the option (exit 2)", async () => {
    const file = writeJson(temp.dir, "broken.json", "{ nope")
    const result = await run(["check", "--content-file", file])
    assert.strictEqual(result.code, 2)
    assert.include(result.stderr, "broken.json is not valid JSON")
  })

  it("needs --text or --content-file (exit 2)", async () => {
    const result = await run(["check"])
    assert.strictEqual(result.code, 2)
  })
})
