import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"

/** Starts the figures file, and prints the figures of every suite at the end of the run. */
export default function setup() {
  const file = Path.join(Os.tmpdir(), `wa-reliability-figures-${process.pid}.jsonl`)
  Fs.writeFileSync(file, "")
  process.env["RELIABILITY_FIGURES_FILE"] = file
  return () => {
    const rows = Fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line))
    const total = (key: string) => rows.reduce((sum, row) => sum + (typeof row[key] === "number" ? row[key] : 0), 0)
    const lines = [
      "",
      `=== wa-session reliability figures (RELIABILITY_SIZE=${process.env["RELIABILITY_SIZE"] ?? "ci"}) ===`,
      ...rows.map((row) => {
        const { suite, ...rest } = row
        return `  ${String(suite).padEnd(14)} ${Object.entries(rest).map(([k, v]) => `${k}=${v}`).join(" ")}`
      }),
      `  TOTAL          events=${total("events")} faults=${total("faults")} malformed=${total("malformed")} ` +
      `lost=${total("lost")} duplicateSends=${total("duplicateSends")} http5xx=${total("http5xx")}`,
      ""
    ]
    console.log(lines.join("\n"))
    Fs.rmSync(file, { force: true })
  }
}
