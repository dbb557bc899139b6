import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/globalSetup.ts"],
    // the suite spawns the built binary many times per test: on a loaded 2-core machine a test took over 60 s
    testTimeout: 120_000,
    hookTimeout: 120_000
  }
})
