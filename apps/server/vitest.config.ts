import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Every test starts a real server: one fork runs the files in sequence and loads the modules once.
    pool: "forks",
    poolOptions: { forks: { singleFork: true, isolate: false } }
  }
})
