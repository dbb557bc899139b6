// Cold-start time of the bundled CLI's `--help` against a bare `node -e 0`, in interleaved rounds so both see the
// same machine load (builds the bundle when it is missing). Usage: node bench/help.mjs [rounds]
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const bundle = join(root, "dist", "wa-session.mjs")
if (!existsSync(bundle)) {
  process.stderr.write("dist/wa-session.mjs is missing: building it first\n")
  spawnSync(process.execPath, [join(root, "scripts", "build.mjs")], { stdio: "inherit" })
}
const rounds = Number(process.argv[2] ?? 15)

const time = (args) => {
  const start = process.hrtime.bigint()
  const result = spawnSync(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"] })
  const millis = Number(process.hrtime.bigint() - start) / 1e6
  if (result.status !== 0) throw new Error(`node ${args.join(" ")} exited with ${result.status}`)
  return millis
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

time(["-e", "0"])
time([bundle, "--help"])
const baseline = []
const help = []
for (let round = 0; round < rounds; round++) {
  baseline.push(time(["-e", "0"]))
  help.push(time([bundle, "--help"]))
}
const base = median(baseline)
const cli = median(help)
const fmt = (ms) => `${(ms / 1000).toFixed(3)} s`
process.stdout.write(
  [
    `rounds: ${rounds} (interleaved), medians:`,
    `  node -e 0                      ${fmt(base)}`,
    `  node dist/wa-session.mjs --help ${fmt(cli)}`,
    `  --help minus node start-up     ${fmt(cli - base)}`,
    `  ratio                          ${(cli / base).toFixed(2)}x`,
    ""
  ].join("\n")
)
