// Cold-start time of the bundled CLI against a bare `node -e 0`, in interleaved rounds so all see the same machine
// load (builds the bundle when it is missing). `--help` and `check` (a real command, offline) run through the
// launcher's V8 code cache as users get it after the first run; the "no code cache" line is what a first run, or
// WA_SESSION_NO_CODE_CACHE=1, costs. Usage: node bench/help.mjs [rounds]
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bundle = join(root, "dist", "wa-session.mjs");
if (!existsSync(bundle)) {
  process.stderr.write("dist/wa-session.mjs is missing: building it first\n");
  spawnSync(process.execPath, [join(root, "scripts", "build.mjs")], { stdio: "inherit" });
}
const rounds = Number(process.argv[2] ?? 15);

const cases = [
  { label: "node -e 0", args: ["-e", "0"] },
  { label: "wa-session --help", args: [bundle, "--help"] },
  { label: "wa-session check --text hi", args: [bundle, "check", "--text", "hi"] },
  { label: "--help, no code cache", args: [bundle, "--help"], env: { WA_SESSION_NO_CODE_CACHE: "1" } },
];

const time = ({ args, env }) => {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, ...env },
  });
  const millis = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`node ${args.join(" ")} exited with ${result.status}`);
  return millis;
};

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

for (const each of cases) time(each);
const samples = cases.map(() => []);
for (let round = 0; round < rounds; round++) cases.forEach((each, i) => samples[i].push(time(each)));
const medians = samples.map(median);
const fmt = (ms) => `${(ms / 1000).toFixed(3)} s`;
process.stdout.write(
  [
    `rounds: ${rounds} (interleaved), medians:`,
    ...cases.map((each, i) =>
      `  ${each.label.padEnd(28)} ${fmt(medians[i])}` + (i === 0 ? "" : `  ${(medians[i] / medians[0]).toFixed(2)}x`)
    ),
    "",
  ].join("\n"),
);
