import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { run, startServer, tempDir } from "./support.js"

const SECRET = "serve-test-secret-0123456789"

describe("wa-session serve: the server program, as pnpm start runs it", () => {
  it("prints the server's banner, the webhook URL masked, and stops with exit 0 on SIGTERM", async () => {
    const temp = tempDir("serve")
    try {
      const server = await startServer({
        WA_SESSION_DATABASE_URL: `sqlite:${join(temp.dir, "serve.db")}`,
        WA_SESSION_API_TOKEN: "serve-test-token-0123456789",
        WA_SESSION_WEBHOOK_SECRET: SECRET
      })
      const health = await fetch(`${server.url}/healthz`)
      assert.strictEqual(health.status, 200)
      assert.strictEqual(await server.stop(), 0)
      const output = server.output()
      assert.include(output, `webhook URL  ${server.url}/webhooks/exotel/${SECRET.slice(0, 4)}…`)
      assert.notInclude(output, SECRET)
      assert.include(output, "API token    from WA_SESSION_API_TOKEN")
    } finally {
      temp.remove()
    }
  })

  it("webhook-url prints the whole URL from the same settings: the public URL, else HOST and PORT", async () => {
    const temp = tempDir("webhook-url")
    try {
      const fromEnv = await run(["webhook-url"], {
        env: {
          WA_SESSION_WEBHOOK_SECRET: SECRET,
          PORT: "9090",
          WA_SESSION_DATABASE_URL: `sqlite:${join(temp.dir, "env.db")}`
        }
      })
      assert.strictEqual(fromEnv.code, 0)
      assert.strictEqual(fromEnv.stdout, `http://127.0.0.1:9090/webhooks/exotel/${SECRET}\n`)
      const generated = await run(["webhook-url"], {
        env: {
          WA_SESSION_DATABASE_URL: `sqlite:${join(temp.dir, "generated", "w.db")}`,
          WA_SESSION_PUBLIC_URL: "https://wa.example.com"
        }
      })
      assert.strictEqual(generated.code, 0)
      const secret = readFileSync(join(temp.dir, "generated", "webhook-secret"), "utf8").trim()
      assert.strictEqual(generated.stdout, `https://wa.example.com/webhooks/exotel/${encodeURIComponent(secret)}\n`)
    } finally {
      temp.remove()
    }
  })

  it("a setting to fix: one line naming it, exit 2", async () => {
    const result = await run(["serve"], { env: { PORT: "eighty" } })
    assert.strictEqual(result.code, 2)
    assert.lengthOf(result.stderr.trim().split("\n"), 1)
    assert.match(result.stderr, /^wa-session: invalid configuration: .*PORT/)
    assert.strictEqual(result.stdout, "")
  })
})
