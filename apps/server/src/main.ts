import { NodeRuntime } from "@effect/platform-node"
import { Effect, Exit } from "effect"
import { exitCode, main } from "./Program.js"

NodeRuntime.runMain(Effect.map(Effect.exit(main), exitCode), {
  disableErrorReporting: true,
  disablePrettyLogger: true,
  // main's own value is its exit code; a signal interrupts it (0)
  teardown: (exit, onExit) => onExit(Exit.isSuccess(exit) && typeof exit.value === "number" ? exit.value : 0)
})
