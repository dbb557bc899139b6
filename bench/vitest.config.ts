import { defineConfig } from "vitest/config"

// The reliability suite: real server processes on loopback, so long timeouts and one file at a time (2 cores).
export default defineConfig({
  test: {
    include: ["reliability/**/*.test.ts"],
    globalSetup: ["reliability/global-setup.ts"],
    testTimeout: 240_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    reporters: ["default"]
  }
})
