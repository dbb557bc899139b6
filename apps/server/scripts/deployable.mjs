// A self-contained folder that runs the server anywhere with the same Node major version, OS and CPU as this build
// (the SQLite driver is native): `node scripts/deployable.mjs [dir]` (default dist/deploy), then `node <dir>/server.mjs`.
// It holds the bundle and the few files of better-sqlite3 it loads at run time (the driver, its compiled addon and
// `bindings`), copied, never linked, so the folder can be moved, archived or copied into an image.
import * as Fs from "node:fs";
import { createRequire } from "node:module";
import * as Path from "node:path";
import { fileURLToPath } from "node:url";
import { bundle } from "./build.mjs";

const root = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "..");
const out = Path.resolve(process.cwd(), process.argv[2] ?? Path.join(root, "dist/deploy"));

/** The folder of an installed package, as resolved from `from` (pnpm links them: the real path is copied). */
const packageDir = (name, from) =>
  Fs.realpathSync(Path.dirname(createRequire(Path.join(from, "package.json")).resolve(`${name}/package.json`)));

const copy = (from, to, entries) => {
  for (const entry of entries) {
    const source = Path.join(from, entry);
    if (Fs.existsSync(source)) Fs.cpSync(source, Path.join(to, entry), { recursive: true, dereference: true });
  }
};

Fs.rmSync(out, { recursive: true, force: true });
Fs.mkdirSync(Path.join(out, "node_modules"), { recursive: true });
await bundle(Path.join(out, "server.mjs"));

const sqlite = packageDir("better-sqlite3", root);
const bindings = packageDir("bindings", sqlite);
const fileUri = packageDir("file-uri-to-path", bindings);
copy(sqlite, Path.join(out, "node_modules/better-sqlite3"), [
  "package.json",
  "LICENSE",
  "lib",
  "build/Release/better_sqlite3.node",
]);
copy(bindings, Path.join(out, "node_modules/bindings"), ["package.json", "LICENSE.md", "bindings.js"]);
copy(fileUri, Path.join(out, "node_modules/file-uri-to-path"), ["package.json", "LICENSE", "index.js"]);

const server = JSON.parse(Fs.readFileSync(Path.join(root, "package.json"), "utf8"));
const sqliteVersion = JSON.parse(Fs.readFileSync(Path.join(sqlite, "package.json"), "utf8")).version;
Fs.writeFileSync(
  Path.join(out, "package.json"),
  JSON.stringify(
    {
      name: "wa-session-server",
      version: server.version,
      private: true,
      type: "module",
      description: server.description,
      license: server.license,
      engines: { node: `${process.versions.node.split(".")[0]}.x` },
      builtWith: { node: process.versions.node, platform: process.platform, arch: process.arch },
      scripts: { start: "node server.mjs" },
      dependencies: { "better-sqlite3": sqliteVersion },
    },
    null,
    2,
  ) + "\n",
);
console.log(`deployable folder: ${Path.relative(process.cwd(), out) || "."} (start it with: node server.mjs)`);
