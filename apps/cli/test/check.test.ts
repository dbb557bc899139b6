import { afterAll, describe, expect, it } from "vitest"
import { json, run, tempDir, writeJson } from "./support.js"

const temp = tempDir("check")
afterAll(temp.remove)

describe.concurrent("check", () => {
  it("accepts a valid text message (human)", async () => {
    const result = await run(["check", "--text", "Your order #12345 is out for delivery"])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain("valid: a text message")
  })

  it("accepts a valid text message (--json)", async () => {
    const result = await run(["check", "--text", "Hi", "--json"])
    expect(result.code).toBe(0)
    expect(json(result)).toEqual({ valid: true, type: "text", violations: [] })
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
    expect(result.code).toBe(2)
    expect(result.stdout).toMatch(/PATH\s+PROBLEM\s+LIMIT\s+ACTUAL/)
    expect(result.stdout).toContain("interactive.body.text")
    expect(result.stdout).toContain("interactive.action.buttons[0].reply.title")
    expect(result.stderr).toMatch(/^wa-session: INVALID_MESSAGE: \d+ violations of WhatsApp's rules\n$/)
  })

  it("lists every violation (--json, exit 2)", async () => {
    const result = await run(["check", "--text", "x".repeat(4097), "--json"])
    expect(result.code).toBe(2)
    expect(json(result)).toEqual({
      valid: false,
      code: "INVALID_MESSAGE",
      violations: [expect.objectContaining({ path: "text.body", limit: 4096, actual: 4097 })]
    })
  })

  it("reads YAML content files", async () => {
    const file = writeJson(
      temp.dir,
      "template.yaml",
      "type: template\ntemplate:\n  name: follow_up\n  language: { code: en }\n"
    )
    const result = await run(["check", "--content-file", file, "--json"])
    expect(result.code).toBe(0)
    expect(json(result)).toMatchObject({ valid: true, type: "template" })
  })

  it("an unsupported type is bad input (exit 2)", async () => {
    const file = writeJson(temp.dir, "bogus.json", { type: "carousel" })
    const result = await run(["check", "--content-file", file, "--json"])
    expect(result.code).toBe(2)
    expect(json(result)).toMatchObject({
      valid: false,
      code: "MESSAGE_TYPE_NOT_SUPPORTED",
      violations: [{ path: "type", actual: "carousel" }]
    })
  })

  it("a file that is not JSON is bad input naming the option (exit 2)", async () => {
    const file = writeJson(temp.dir, "broken.json", "{ nope")
    const result = await run(["check", "--content-file", file])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("broken.json is not valid JSON")
  })

  it("needs --text or --content-file (exit 2)", async () => {
    const result = await run(["check"])
    expect(result.code).toBe(2)
  })
})
