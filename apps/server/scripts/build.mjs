// Bundles the server into one ESM file that plain `node` runs: `node scripts/build.mjs [outfile]`
// (default dist/server.mjs, with a source map).
import * as esbuild from "esbuild";
import * as Path from "node:path";
import { fileURLToPath } from "node:url";

const root = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "..");

/**
 * The server as one ESM file. Native or optional drivers stay outside the bundle and load from node_modules at run
 * time (better-sqlite3 is a direct dependency of this package; scripts/deployable.mjs puts it beside the bundle).
 */
export const bundle = (outfile, { sourcemap = false } = {}) =>
  esbuild.build({
    entryPoints: [Path.join(root, "src/main.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap,
    // CommonJS dependencies (ws, undici, …) call require(); an ESM bundle has none of its own.
    banner: {
      js: "import { createRequire as __waRequire } from \"node:module\"; const require = __waRequire(import.meta.url);",
    },
    external: ["better-sqlite3", "pg-native"],
    logLevel: "warning",
  });

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outfile = Path.resolve(root, process.argv[2] ?? "dist/server.mjs");
  await bundle(outfile, { sourcemap: process.argv[2] === undefined });
  console.log(`built ${Path.relative(process.cwd(), outfile)}`);
}
