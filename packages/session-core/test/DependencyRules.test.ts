import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

/**
 * The architecture's dependency rules, checked on the real tree:
 * - session-core's source imports nothing but `effect` (and itself);
 * - live adapters (storage, Exotel, clock, Node platform, database drivers) are imported only by apps,
 *   by their own package, and by tests.
 */
const LIVE = [
  "@wa-session/storage",
  "@wa-session/exotel",
  "@wa-session/exotel-fake",
  "@wa-session/clock",
  "@effect/platform-node",
  "@effect/sql-sqlite-node",
  "@effect/sql-pg",
  "better-sqlite3",
  "pg"
]

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^import\s+["']([^"']+)["']/gm

const sourceFiles = (dir: string): Array<string> =>
  fs.existsSync(dir)
    ? fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = path.join(dir, entry.name)
      return entry.isDirectory() ? sourceFiles(full) : /\.(ts|mts|js|mjs)$/.test(entry.name) ? [full] : []
    })
    : []

const withoutComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "")

const importsOf = (file: string): Array<string> =>
  [...withoutComments(fs.readFileSync(file, "utf8")).matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3] ?? "")

const packageOf = (specifier: string) =>
  specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!

const violations = (root: string): Array<string> => {
  const found: Array<string> = []
  const core = path.join(root, "packages", "session-core", "src")
  for (const file of sourceFiles(core)) {
    for (const spec of importsOf(file)) {
      if (!spec.startsWith(".") && packageOf(spec) !== "effect") {
        found.push(`${path.relative(root, file)} imports "${spec}": session-core may import only effect`)
      }
    }
  }
  for (const group of ["packages", "apps"]) {
    const base = path.join(root, group)
    for (const name of fs.existsSync(base) ? fs.readdirSync(base) : []) {
      const manifest = path.join(base, name, "package.json")
      if (!fs.existsSync(manifest)) continue
      const own = JSON.parse(fs.readFileSync(manifest, "utf8")).name as string
      const ownDeps = Object.keys(JSON.parse(fs.readFileSync(manifest, "utf8")).dependencies ?? {})
      for (const file of sourceFiles(path.join(base, name, "src"))) {
        for (const spec of importsOf(file)) {
          const pkg = packageOf(spec)
          if (group === "apps" || !LIVE.includes(pkg) || pkg === own) continue
          // a storage adapter may use its own drivers; nothing else in packages/ may reach a live adapter
          if (own === "@wa-session/storage" && ownDeps.includes(pkg) && !pkg.startsWith("@wa-session/")) continue
          found.push(`${path.relative(root, file)} imports "${spec}": only apps may import live layers`)
        }
      }
    }
  }
  return found
}

const repoRoot = path.resolve(import.meta.dirname, "..", "..", "..")

describe("dependency rules", () => {
  it("hold on this repository", () => {
    assert.deepStrictEqual(violations(repoRoot), [])
    const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, "packages/session-core/package.json"), "utf8"))
    assert.deepStrictEqual(Object.keys(manifest.dependencies ?? {}), [])
    assert.deepStrictEqual(Object.keys(manifest.peerDependencies ?? {}), ["effect"])
  })

  it("catch a core import of anything but effect and a package importing a live adapter", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "wa-rules-"))
    const write = (file: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true })
      fs.writeFileSync(path.join(root, file), text)
    }
    write("packages/session-core/package.json", JSON.stringify({ name: "@wa-session/session-core" }))
    write(
      "packages/session-core/src/A.ts",
      `/** import { x } from "pg" */\nimport * as fs from "node:fs"\nimport * as Effect from "effect/Effect"\n`
    )
    write("packages/http-api/package.json", JSON.stringify({ name: "@wa-session/http-api" }))
    write("packages/http-api/src/B.ts", `export { SqliteStore } from "@wa-session/storage"\n`)
    write("apps/server/package.json", JSON.stringify({ name: "@wa-session/server" }))
    write("apps/server/src/main.ts", `import { NodeRuntime } from "@effect/platform-node"\nconst x = await import("@wa-session/storage")\n`)
    try {
      const found = violations(root)
      assert.strictEqual(found.length, 2)
      assert.include(found[0], "node:fs")
      assert.include(found[1], "@wa-session/storage")
    } finally {
      fs.rmSync(root, { recursive: true, force: true })
    }
  })
})
