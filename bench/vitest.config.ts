import { defineConfig } from "vitest/config"

// The reliability suite: real server processes on loopback, so long timeouts and one file at a time (2 cores).
const full = process.env["RELIABILITY_SIZE"] === "full"

export default defineConfig({
  test: {
    include: ["reliability/**/*.test.ts"],
    globalSetup: ["reliability/global-setup.ts"],
    testTimeout: full ? 900_000 : 240_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    reporters: ["default"]
  }
})
