import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"

/**
 * The import rules (session-core's source imports only `effect`, no package imports an app or a live adapter, no
 * cycles) are dependency-cruiser's, in .dependency-cruiser.cjs at the repository root (`pnpm deps`). What it does not
 * see is the published manifest: an installed session-core must pull in nothing but its `effect` peer.
 */
const Dependencies = Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.String }), {
  default: () => ({})
})
const Manifest = Schema.parseJson(Schema.Struct({
  dependencies: Dependencies,
  optionalDependencies: Dependencies,
  peerDependencies: Dependencies
}))

const manifest = Schema.decodeUnknownSync(Manifest)(
  fs.readFileSync(path.resolve(import.meta.dirname, "..", "package.json"), "utf8")
)

describe("dependency rules", () => {
  it("session-core's manifest depends on nothing but its effect peer", () => {
    assert.deepStrictEqual(Object.keys(manifest.dependencies), [])
    assert.deepStrictEqual(Object.keys(manifest.optionalDependencies), [])
    assert.deepStrictEqual(Object.keys(manifest.peerDependencies), ["effect"])
  })
})
