// Bundles the CLI for plain `node`: dist/wa-session.cjs holds the commands (the store, its drivers and the HTTP
// client are initialised only when a command needs them), dist/wa-session-server.cjs the server that `serve` runs,
// and dist/wa-session.mjs is the small launcher that runs the commands through V8's code cache (see
// src/launcher.ts). The build ends by running `--help` once, which writes the cache.
import * as esbuild from "esbuild";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmod, readFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist");

await rm(outdir, { recursive: true, force: true });
const common = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  // the launcher reads the bundle as latin1, which is exact for ASCII
  charset: "ascii",
  sourcemap: true,
  minifySyntax: true,
  minifyWhitespace: true,
  minifyIdentifiers: true,
  legalComments: "none",
  // native modules stay outside the bundle
  external: ["better-sqlite3", "pg-native"],
  logLevel: "warning",
};
// `serve` hands the process over to the server program: a bundle of its own, which the other commands never read
const serverBundle = "wa-session-server.cjs";
await esbuild.build({
  ...common,
  entryPoints: [join(root, "src", "bin.ts")],
  outfile: join(outdir, "wa-session.cjs"),
  define: { __SERVER_BUNDLE__: JSON.stringify(serverBundle) },
});
await esbuild.build({
  ...common,
  entryPoints: [join(root, "..", "server", "src", "main.ts")],
  outfile: join(outdir, serverBundle),
});

const bundleHash = createHash("sha256").update(await readFile(join(outdir, "wa-session.cjs"))).digest("hex");
await esbuild.build({
  entryPoints: [join(root, "src", "launcher.ts")],
  outfile: join(outdir, "wa-session.mjs"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  define: { __BUNDLE_HASH__: JSON.stringify(bundleHash.slice(0, 16)) },
  logLevel: "warning",
});
await chmod(join(outdir, "wa-session.mjs"), 0o755);

const warm = spawnSync(process.execPath, [join(outdir, "wa-session.mjs"), "--help"], { stdio: "ignore" });
if (warm.status !== 0) throw new Error(`dist/wa-session.mjs --help exited with ${warm.status}`);
