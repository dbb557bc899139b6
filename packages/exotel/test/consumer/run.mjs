#!/usr/bin/env node
// The consumer test of @wa-session/exotel: the package as someone installs it from a registry.
//
//  1. `pnpm pack` session-core and exotel (prepack builds dist/); check the packed package.json and file list;
//  2. install both tarballs, effect, @effect/platform, @effect/platform-node and @types/node (the versions the
//     workspace uses) with npm into a fresh project in the system's temporary directory, outside the workspace;
//  3. run consumer.mjs with plain Node: it sends through the adapter to a stand-in Exotel (exotel-stub.mjs) and
//     decodes a webhook batch;
//  4. type-check consumer.ts and the README's example with the workspace's tsc (--strict, nodenext, library
//     declarations checked too), then run the README example against the stub, configured by EXOTEL_*
//     environment variables: its output must match the `// expected output` comments of its console.log lines.
//
// Run: pnpm --filter @wa-session/exotel test:consumer (or node test/consumer/run.mjs). Needs the npm registry (or a
// warm npm cache: --prefer-offline). WA_SESSION_KEEP_CONSUMER=1 keeps the temporary project. Under turbo it runs
// after session-core's consumer test (turbo.json here), which packs, and so rebuilds, session-core too.
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { readmeExample } from "../../../session-core/test/consumer/run.mjs";
import * as Stub from "./exotel-stub.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.resolve(here, "..", "..");
const coreDir = path.resolve(packageDir, "..", "session-core");
const started = Date.now();
const log = (message) => console.log(`[consumer ${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);

const exec = promisify(execFile);
/** Runs a command to completion without blocking the event loop (the stub answers meanwhile); resolves to stdout. */
const run = (command, args, cwd, env = {}) =>
  exec(command, args, {
    cwd,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    shell: process.platform === "win32",
    env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1", ...env },
  }).then(({ stdout }) => stdout, (error) => {
    throw new Error(
      `${[command, ...args].join(" ")} (in ${cwd}) failed\n${error.stdout ?? ""}${error.stderr ?? error}`,
    );
  });

const require = createRequire(path.join(packageDir, "package.json"));
const versionOf = (name) => JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), "utf8")).version;
const tsc = path.join(path.dirname(require.resolve("typescript/package.json")), "bin", "tsc");

/** Packs a workspace package into its own directory under `tmp`; resolves to the tarball's path. */
const pack = async (dir, tmp) => {
  const destination = fs.mkdtempSync(path.join(tmp, "pack-"));
  await run("npx", ["-y", "pnpm@10.34.9", "pack", "--pack-destination", destination], dir);
  const [tarball] = fs.readdirSync(destination).filter((file) => file.endsWith(".tgz"));
  assert.ok(tarball !== undefined, `pnpm pack produced no tarball in ${dir}`);
  return path.join(destination, tarball);
};

const inspectPackage = (installed, coreVersion) => {
  const manifest = JSON.parse(fs.readFileSync(path.join(installed, "package.json"), "utf8"));
  assert.notEqual(manifest.private, true, "the packed package.json is private");
  assert.doesNotMatch(JSON.stringify(manifest), /"(workspace|catalog):/, "workspace: or catalog: specifiers left");
  assert.deepEqual(manifest.exports, {
    ".": { types: "./dist/index.d.ts", default: "./dist/index.js" },
    "./package.json": "./package.json",
  });
  assert.deepEqual([manifest.main, manifest.types, manifest.sideEffects], [
    "./dist/index.js",
    "./dist/index.d.ts",
    false,
  ]);
  assert.deepEqual(manifest.dependencies, { "@wa-session/session-core": `^${coreVersion}` });
  assert.match(manifest.peerDependencies?.effect ?? "", /^\^3\./, "effect must be a ^3.x peer dependency");
  assert.match(manifest.peerDependencies?.["@effect/platform"] ?? "", /^\^0\.97\./, "@effect/platform: ^0.97 peer");
  for (const field of ["license", "repository", "engines"]) assert.ok(manifest[field] !== undefined, `no ${field}`);
  const has = (file) => fs.existsSync(path.join(installed, file));
  for (const file of ["README.md", "CHANGELOG.md", "LICENSE", "dist/index.js", "dist/index.d.ts"]) {
    assert.ok(has(file), `the tarball has no ${file}`);
  }
  for (const file of ["test", "turbo.json", "tsconfig.json", "tsconfig.build.json", "vitest.config.ts"]) {
    assert.ok(!has(file), `the tarball should not contain ${file}`);
  }
  // session-core resolves to the consumer's own copy, not a second one under exotel
  assert.ok(!has("node_modules/@wa-session/session-core"), "a second copy of session-core was installed");
  // every source map (dist/internal/ included) points at files that are in the tarball
  const maps = fs.readdirSync(path.join(installed, "dist"), { recursive: true }).filter((f) => f.endsWith(".map"));
  assert.ok(maps.length > 0, "dist/ has no source maps");
  const missing = maps.flatMap((map) => {
    const dir = path.dirname(path.join(installed, "dist", map));
    const { sources } = JSON.parse(fs.readFileSync(path.join(installed, "dist", map), "utf8"));
    return sources.filter((source) => !fs.existsSync(path.resolve(dir, source))).map((s) => `${map} → ${s}`);
  });
  assert.deepEqual(missing, [], "source maps point at files missing from the tarball");
  return manifest;
};

const main = async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "wa-session-exotel-consumer-"));
  try {
    log(`pnpm pack session-core and exotel (prepack builds dist/) into ${tmp}`);
    const tarballs = await Promise.all([pack(coreDir, tmp), pack(packageDir, tmp)]);

    const project = path.join(tmp, "project");
    fs.mkdirSync(project);
    fs.writeFileSync(
      path.join(project, "package.json"),
      JSON.stringify({ name: "wa-session-exotel-consumer", private: true, type: "module" }, null, 2),
    );
    const others = ["effect", "@effect/platform", "@effect/platform-node", "@types/node"]
      .map((name) => `${name}@${versionOf(name)}`);
    log(`npm install ${tarballs.map((file) => path.basename(file)).join(" ")} ${others.join(" ")}`);
    const npmInstall = ["install", "--no-audit", "--no-fund", "--prefer-offline", "--no-package-lock"];
    await run("npm", [...npmInstall, ...tarballs, ...others], project);
    const coreVersion = JSON.parse(fs.readFileSync(path.join(coreDir, "package.json"), "utf8")).version;
    const manifest = inspectPackage(path.join(project, "node_modules", "@wa-session", "exotel"), coreVersion);
    log(`installed ${manifest.name}@${manifest.version}: package.json, files and source maps are right`);

    for (const file of ["consumer.mjs", "consumer.ts", "exotel-stub.mjs"]) {
      fs.copyFileSync(path.join(here, file), path.join(project, file));
    }
    const { code, expected } = readmeExample(fs.readFileSync(path.join(packageDir, "README.md"), "utf8"));
    fs.writeFileSync(path.join(project, "example.ts"), code);

    const mjs = await run(process.execPath, ["consumer.mjs"], project);
    log(mjs.trim());

    log("tsc --strict --module nodenext --skipLibCheck false: consumer.ts and the README example");
    const strict = ["--strict", "--target", "es2022", "--lib", "es2022", "--types", "node", "--skipLibCheck", "false"];
    const nodenext = ["--module", "nodenext", "--moduleResolution", "nodenext"];
    await run(process.execPath, [tsc, ...strict, ...nodenext, "--outDir", "out", "consumer.ts", "example.ts"], project);

    const credentials = { apiKey: "exo_key_readme", apiToken: "tok_readme" };
    const exotel = await Stub.start(credentials);
    const printed = await run(process.execPath, [path.join("out", "example.js")], project, {
      EXOTEL_API_KEY: credentials.apiKey,
      EXOTEL_API_TOKEN: credentials.apiToken,
      EXOTEL_ACCOUNT_SID: "acme1",
      EXOTEL_BASE_URL: exotel.url,
      EXOTEL_STATUS_CALLBACK_URL: "https://bot.example.com/webhooks/exotel",
    }).finally(exotel.close);
    assert.deepEqual(printed.trimEnd().split("\n"), expected, "the README example's output differs from its comments");
    assert.equal(exotel.requests.length, 1, "the README example should send exactly one request");
    log(`the README example runs as written (${expected.length} lines of output as commented)`);
    log("passed");
  } finally {
    if (process.env.WA_SESSION_KEEP_CONSUMER === "1") log(`kept ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  }
};

main().catch((error) => {
  console.error(`consumer test FAILED: ${error.message}`);
  process.exitCode = 1;
});
