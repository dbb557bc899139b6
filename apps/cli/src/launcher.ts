#!/usr/bin/env node
// The entry of the bundled CLI (dist/wa-session.mjs). It runs the CommonJS bundle next to it (wa-session.cjs)
// through V8's code cache: compiling its megabyte of JavaScript is most of a cold start, and Node 20 has no
// compile cache of its own (module.enableCompileCache came in Node 22). The first run writes the cache, later runs
// reuse it.
// Imports node builtins (and one small module of them) only: everything else is in the bundle.
import { makeDirectory } from "@wa-session/storage/Directory"
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { homedir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { Script } from "node:vm"

/** Replaced by the build with a hash of the bundle, so a cache never outlives the code it was made from. */
declare const __BUNDLE_HASH__: string

const here = dirname(fileURLToPath(import.meta.url))
const bundlePath = join(here, "wa-session.cjs")
const current = `wa-session-${__BUNDLE_HASH__}-`
const cacheName = `${current}${process.version}-${process.arch}.v8cache`

const besideBundle = join(here, ".cache")
const userCache = join(process.env["XDG_CACHE_HOME"] ?? join(homedir(), ".cache"), "wa-session")

interface Cache {
  readonly data: Buffer
  readonly directory: string
}

/**
 * The user's cache first: there is one only when the bundle's directory was not writable (a system-wide install),
 * and then the cache beside the bundle, if any, is one this Node cannot use (else it would not have been replaced).
 */
const readCache = (): Cache | undefined => {
  for (const directory of [userCache, besideBundle]) {
    try {
      return { data: readFileSync(join(directory, cacheName)), directory }
    } catch {
      // not there: try the next place
    }
  }
  return undefined
}

/**
 * Where the rejected cache was when there was one, else beside the bundle (a checkout, a user install), else in the
 * user's cache directory. Written whole under a temporary name and renamed, so a concurrent run never reads half a
 * cache; caches of other builds in that directory are removed.
 */
const writeCache = (data: Buffer, rejectedIn: string | undefined): void => {
  const directories = rejectedIn === userCache ? [userCache, besideBundle] : [besideBundle, userCache]
  for (const directory of directories) {
    try {
      makeDirectory(directory)
      const temporary = join(directory, `${cacheName}.${process.pid}.tmp`)
      writeFileSync(temporary, data)
      renameSync(temporary, join(directory, cacheName))
      for (const stale of readdirSync(directory)) {
        if (stale.startsWith("wa-session-") && stale.endsWith(".v8cache") && !stale.startsWith(current)) {
          rmSync(join(directory, stale), { force: true })
        }
      }
      return
    } catch {
      // not writable: try the next place; without any, every run compiles from source
    }
  }
}

const useCache = process.env["WA_SESSION_NO_CODE_CACHE"] === undefined
// esbuild writes the bundle in ASCII (charset "ascii"), so latin1 is an exact and faster decoding
const source = readFileSync(bundlePath, "latin1")
const cache = useCache ? readCache() : undefined
const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
  filename: bundlePath,
  ...(cache === undefined ? {} : { cachedData: cache.data })
})
if (useCache && (cache === undefined || script.cachedDataRejected === true)) {
  // after the run, so the functions it compiled lazily are in the cache too
  process.once("exit", () => writeCache(script.createCachedData(), cache?.directory))
}
const module = { exports: {} }
// runInThisContext answers `any`: the wrapper function written above, with its five parameters
const run: (
  exports: unknown,
  require: NodeJS.Require,
  module: unknown,
  filename: string,
  dirname: string
) => void = script.runInThisContext()
run(module.exports, createRequire(bundlePath), module, bundlePath, here)
