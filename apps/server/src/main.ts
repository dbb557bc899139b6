import { NodeRuntime } from "@effect/platform-node"
import { exitCode, main } from "./Program.js"

NodeRuntime.runMain(main, {
  disableErrorReporting: true,
  disablePrettyLogger: true,
  teardown: (exit, onExit) => onExit(exitCode(exit))
})
