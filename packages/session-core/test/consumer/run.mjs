#!/usr/bin/env node
// The consumer test of @wa-session/session-core: the package as someone installs it from a registry.
//
//  1. `pnpm pack` the package (prepack builds dist/) and check the packed package.json and file list;
//  2. install the tarball and effect (the version the workspace uses) with npm into a fresh project in the
//     system's temporary directory, outside the workspace;
//  3. run consumer.mjs with plain Node: the seed's scenario 3 must give SESSION_EXPIRED;
//  4. type-check consumer.ts and the README's example with the workspace's tsc (--strict, nodenext; consumer.ts
//     also with bundler resolution), then run the emitted JavaScript: the README example's output must match the
//     `// expected output` comments of its console.log lines.
//
// Run: pnpm --filter @wa-session/session-core test:consumer (or node test/consumer/run.mjs). Needs the npm
// registry (or a warm npm cache: --prefer-offline). WA_SESSION_KEEP_CONSUMER=1 keeps the temporary project.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.resolve(here, "..", "..");
const repoRoot = path.resolve(packageDir, "..", "..");
const PNPM = "pnpm@10.34.9";
const started = Date.now();

const log = (message) => console.log(`[consumer ${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);

class Failure extends Error {}

const run = (command, args, options = {}) => {
  const result = spawnSync(command, args, {
    encoding: "utf8",
    shell: process.platform === "win32",
    maxBuffer: 64 * 1024 * 1024,
    ...options,
    env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1", ...options.env },
  });
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0) {
    throw new Failure(
      `${[command, ...args].join(" ")} (in ${options.cwd ?? process.cwd()}) exited with ${result.status}\n`
        + `${result.stdout}${result.stderr}`,
    );
  }
  return result.stdout;
};

const check = (condition, message) => {
  if (!condition) throw new Failure(message);
};

const requireFromPackage = createRequire(path.join(packageDir, "package.json"));
const effectVersion = JSON.parse(fs.readFileSync(requireFromPackage.resolve("effect/package.json"), "utf8")).version;
const requireFromRoot = createRequire(path.join(repoRoot, "package.json"));
const tsc = path.join(path.dirname(requireFromRoot.resolve("typescript/package.json")), "bin", "tsc");

/** The ```ts block under "## Example" of the package README, and the output its comments promise. */
export const readmeExample = (readme) => {
  const section = readme.split(/^## Example\s*$/m)[1];
  check(section !== undefined, "README.md has no \"## Example\" section");
  const block = /```ts\n([\s\S]*?)```/.exec(section);
  check(block !== null, "README.md's Example section has no ```ts block");
  const code = block[1];
  const expected = code.split("\n").flatMap((line) => {
    const m = /console\.log\(.*\)\s*\/\/ (.+)$/.exec(line);
    return m === null ? [] : [m[1].trim()];
  });
  check(expected.length > 0, "README.md's example has no `console.log(...) // expected output` line");
  return { code, expected };
};

const inspectPackage = (installed) => {
  const manifest = JSON.parse(fs.readFileSync(path.join(installed, "package.json"), "utf8"));
  const text = JSON.stringify(manifest);
  check(manifest.private !== true, "the packed package.json is private");
  check(!/"(workspace|catalog):/.test(text), "the packed package.json still has workspace: or catalog: specifiers");
  const root = manifest.exports?.["."];
  check(
    root?.types === "./dist/index.d.ts" && root?.default === "./dist/index.js",
    `the packed exports must point at dist/, got ${JSON.stringify(manifest.exports)}`,
  );
  const modules = manifest.exports?.["./*"];
  check(
    modules?.types === "./dist/*.d.ts" && modules?.default === "./dist/*.js",
    `the packed exports must map each module to dist/, got ${JSON.stringify(manifest.exports)}`,
  );
  check(
    manifest.types === "./dist/index.d.ts" && manifest.main === "./dist/index.js",
    "main/types must point at dist/",
  );
  check(manifest.sideEffects === false, "sideEffects must be false");
  check(Object.keys(manifest.dependencies ?? {}).length === 0, "the package must have no dependencies");
  check(/^\^3\./.test(manifest.peerDependencies?.effect ?? ""), "effect must be a ^3.x peer dependency");
  for (const field of ["license", "repository", "engines"]) check(manifest[field] !== undefined, `no ${field}`);
  for (const file of ["README.md", "CHANGELOG.md", "LICENSE", "dist/index.js", "dist/index.d.ts"]) {
    check(fs.existsSync(path.join(installed, file)), `the tarball has no ${file}`);
  }
  for (const unwanted of ["test", "scripts", "tsconfig.json", "vitest.config.ts", "typedoc.json"]) {
    check(!fs.existsSync(path.join(installed, unwanted)), `the tarball should not contain ${unwanted}`);
  }
  // every source map must point at files that are in the tarball
  const dist = path.join(installed, "dist");
  const maps = fs.readdirSync(dist).filter((file) => file.endsWith(".map"));
  check(maps.length > 0, "dist/ has no source maps");
  for (const map of maps) {
    const { sources, sourceRoot = "" } = JSON.parse(fs.readFileSync(path.join(dist, map), "utf8"));
    for (const source of sources) {
      check(fs.existsSync(path.resolve(dist, sourceRoot, source)), `dist/${map} points at a missing ${source}`);
    }
  }
  return manifest;
};

const main = () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "wa-session-consumer-"));
  const keep = process.env.WA_SESSION_KEEP_CONSUMER === "1";
  try {
    log(`pnpm pack (prepack builds dist/) into ${tmp}`);
    run("npx", ["-y", PNPM, "pack", "--pack-destination", tmp], { cwd: packageDir });
    const tarball = fs.readdirSync(tmp).find((file) => file.endsWith(".tgz"));
    check(tarball !== undefined, "pnpm pack produced no tarball");

    const project = path.join(tmp, "project");
    fs.mkdirSync(project);
    fs.writeFileSync(
      path.join(project, "package.json"),
      JSON.stringify({ name: "wa-session-consumer", private: true, type: "module" }, null, 2),
    );
    log(`npm install ${tarball} effect@${effectVersion}`);
    const npmInstall = ["install", "--no-audit", "--no-fund", "--prefer-offline", "--no-package-lock"];
    run("npm", [...npmInstall, path.join(tmp, tarball), `effect@${effectVersion}`], { cwd: project });
    const installed = path.join(project, "node_modules", "@wa-session", "session-core");
    const manifest = inspectPackage(installed);
    log(`installed ${manifest.name}@${manifest.version}: package.json, files and source maps are right`);

    fs.copyFileSync(path.join(here, "consumer.mjs"), path.join(project, "consumer.mjs"));
    fs.copyFileSync(path.join(here, "consumer.ts"), path.join(project, "consumer.ts"));
    const { code, expected } = readmeExample(fs.readFileSync(path.join(packageDir, "README.md"), "utf8"));
    fs.writeFileSync(path.join(project, "example.ts"), code);

    const mjs = run(process.execPath, ["consumer.mjs"], { cwd: project });
    check(mjs.includes("scenario 3: SESSION_EXPIRED"), `consumer.mjs printed:\n${mjs}`);
    log(mjs.trim());

    // `--lib dom` only for `console` (no @types/node in the consumer project): the declarations must not need Node's
    const common = ["--strict", "--target", "es2022", "--lib", "es2022,dom"];
    log("tsc --strict --module nodenext: consumer.ts and the README example");
    run(
      process.execPath,
      [tsc, ...common, "--skipLibCheck", "false", "--module", "nodenext", "--moduleResolution", "nodenext"]
        .concat(["--outDir", "out", "consumer.ts", "example.ts"]),
      { cwd: project },
    );
    log("tsc --strict --module preserve --moduleResolution bundler --noEmit --skipLibCheck: consumer.ts");
    run(
      process.execPath,
      [tsc, ...common, "--skipLibCheck", "true", "--module", "preserve", "--moduleResolution", "bundler"]
        .concat(["--noEmit", "consumer.ts"]),
      { cwd: project },
    );

    const ts = run(process.execPath, [path.join("out", "consumer.js")], { cwd: project });
    check(ts.includes("consumer.ts: SESSION_EXPIRED"), `consumer.ts printed:\n${ts}`);
    log(ts.trim());

    const printed = run(process.execPath, [path.join("out", "example.js")], { cwd: project }).trimEnd().split("\n");
    check(
      JSON.stringify(printed) === JSON.stringify(expected),
      `the README example printed\n  ${printed.join("\n  ")}\nbut its comments say\n  ${expected.join("\n  ")}`,
    );
    log(`the README example runs as written (${expected.length} lines of output as commented)`);
    log("passed");
  } finally {
    if (keep) log(`kept ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  }
};

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (error) {
    console.error(error instanceof Failure ? `consumer test FAILED: ${error.message}` : error);
    process.exitCode = 1;
  }
}
