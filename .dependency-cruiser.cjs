// The architecture's import rules, checked by `pnpm deps` (part of `pnpm check`).
// Paths are relative to the repository root. A workspace package resolves to its folder (packages/storage/src/…),
// an npm one to node_modules/.pnpm/<name>@<version>/node_modules/<name>/…, and an import that does not resolve (the
// package is not even a dependency) keeps its bare name: each rule matches all three.

const SRC = "^(packages|apps)/[^/]+/src/";

/** The resolved and the unresolved forms of an npm package name pattern. */
const npm = (names) => [`node_modules/(${names})/`, `^(${names})(/|$)`];

const LIVE_ADAPTERS = [
  "^packages/(storage|exotel|exotel-fake|clock)/",
  "^@wa-session/(storage|exotel|exotel-fake|clock)(/|$)",
];
const DRIVERS = npm("@effect/platform-node|@effect/sql-sqlite-node|@effect/sql-pg|better-sqlite3|pg");
const APPS = ["^apps/", "^@wa-session/(server|cli)(/|$)", "node_modules/@wa-session/(server|cli)/"];

/** @type {import("dependency-cruiser").IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "core-imports-only-effect",
      comment: "session-core's source is pure rules: it imports effect and its own files, nothing else (no node:*).",
      severity: "error",
      from: { path: "^packages/session-core/src/" },
      to: { pathNot: ["^packages/session-core/src/", ...npm("effect")] },
    },
    {
      name: "no-package-imports-an-app",
      comment: "Libraries never depend on the apps that wire them.",
      severity: "error",
      from: { path: "^packages/" },
      to: { path: APPS },
    },
    {
      name: "live-adapters-only-in-apps",
      comment: "Storage, Exotel, clock and fake adapters are wired by the apps; another library never reaches one.",
      severity: "error",
      from: { path: "^packages/([^/]+)/src/" },
      to: { path: LIVE_ADAPTERS, pathNot: "^packages/$1/" },
    },
    {
      name: "drivers-only-in-storage",
      comment: "Node platform and database drivers belong to the storage adapter (and the apps).",
      severity: "error",
      from: { path: "^packages/[^/]+/src/", pathNot: "^packages/storage/" },
      to: { path: DRIVERS },
    },
    {
      name: "no-cycles",
      comment: "No import cycle in any package's or app's source (type-only imports count).",
      severity: "error",
      from: { path: SRC },
      to: { path: SRC, circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(packages|apps)/[^/]+/(dist|coverage|\\.tsc|\\.turbo)/" },
    // `import type` is an edge too: the CLI's Backend → Errors → Output → Backend cycle was type imports in part.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      mainFields: ["module", "main", "types", "typings"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
