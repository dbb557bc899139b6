import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { run, startServer, tempDir } from "./support.js"

const SECRET = "serve-test-secret-0123456789"

describe("wa-session serve: the server program, as pnpm start runs it", () => {
  it("prints the server's banner, webhook URL included, and stops with exit 0 on SIGTERM", async () => {
    const temp = tempDir("serve")
    try {
      const server = await startServer({
        WA_SESSION_DATABASE_URL: `sqlite:${join(temp.dir, "serve.db")}`,
        WA_SESSION_API_TOKEN: "serve-test-token-0123456789",
        WA_SESSION_WEBHOOK_SECRET: SECRET
      })
      const health = await fetch(`${server.url}/healthz`)
      expect(health.status).toBe(200)
      expect(await server.stop()).toBe(0)
      const output = server.output()
      expect(output).toContain(`webhook URL  ${server.url}/webhooks/exotel/${SECRET}`)
      expect(output).toContain("API token    from WA_SESSION_API_TOKEN")
    } finally {
      temp.remove()
    }
  })

  it("a setting to fix: one line naming it, exit 2", async () => {
    const result = await run(["serve"], { env: { PORT: "eighty" } })
    expect(result.code).toBe(2)
    expect(result.stderr.trim().split("\n")).toHaveLength(1)
    expect(result.stderr).toMatch(/^wa-session: invalid configuration: .*PORT/)
    expect(result.stdout).toBe("")
  })
})
