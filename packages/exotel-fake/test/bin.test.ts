import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

const packageDir = fileURLToPath(new URL("..", import.meta.url))

describe("wa-session-fake-exotel", () => {
  it("starts on the given port, prints its URL and credentials, and accepts a send", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/bin.ts", "--", "--port", "0"], {
      cwd: packageDir,
      env: { ...process.env, FAKE_EXOTEL_API_KEY: "demo-key", FAKE_EXOTEL_API_TOKEN: "demo-token" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    try {
      const output = await new Promise<string>((resolve, reject) => {
        let text = ""
        child.stdout.on("data", (chunk: Buffer) => {
          text += chunk.toString("utf8")
          if (text.includes("inspect:")) resolve(text)
        })
        child.stderr.on("data", (chunk: Buffer) => reject(new Error(chunk.toString("utf8"))))
        child.on("exit", (code) => reject(new Error(`exited with ${code}: ${text}`)))
      })
      const url = /EXOTEL_BASE_URL=(\S+)/.exec(output)?.[1]
      assert.isString(url)
      assert.include(output, "EXOTEL_API_KEY=demo-key")
      assert.include(output, "EXOTEL_API_TOKEN=demo-token")
      assert.include(output, "EXOTEL_ACCOUNT_SID=fakeaccount1")
      const response = await fetch(`${url}/v2/accounts/fakeaccount1/messages`, {
        method: "POST",
        headers: { authorization: "Basic " + Buffer.from("demo-key:demo-token").toString("base64") },
        body: JSON.stringify({
          whatsapp: {
            messages: [{ from: "+919211514326", to: "+919158455686", content: { type: "text", text: { body: "x" } } }]
          }
        })
      })
      assert.strictEqual(response.status, 202)
    } finally {
      child.kill("SIGTERM")
    }
  }, 30_000)
})
