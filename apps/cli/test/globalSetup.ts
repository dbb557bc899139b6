import { execFileSync } from "node:child_process"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

/** The tests run the real binary: build the bundle once, as `pnpm build` does. */
export default function setup() {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..")
  execFileSync(process.execPath, [join(root, "scripts", "build.mjs")], { stdio: "inherit" })
}
