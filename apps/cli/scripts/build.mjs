// Bundles the CLI for plain `node`: dist/wa-session.mjs, plus chunks it loads only when a command needs them
// (the store and its drivers, the HTTP client, the server), so `--help` stays fast.
import * as esbuild from "esbuild"
import { chmod, rm } from "node:fs/promises"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const outdir = join(root, "dist")

await rm(outdir, { recursive: true, force: true })
await esbuild.build({
  entryPoints: { "wa-session": join(root, "src", "bin.ts") },
  outdir,
  outExtension: { ".js": ".mjs" },
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  minifySyntax: true,
  legalComments: "none",
  // CJS dependencies call require(); native modules stay outside the bundle
  banner: {
    js: [
      "import { createRequire as __createRequire } from \"node:module\"",
      "const require = __createRequire(import.meta.url)"
    ].join("\n")
  },
  external: ["better-sqlite3", "pg-native"],
  logLevel: "warning"
})
await chmod(join(outdir, "wa-session.mjs"), 0o755)
