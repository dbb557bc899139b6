/**
 * Creating a directory and its missing parents, one level at a time.
 *
 * @since 0.2.0
 */
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"

/**
 * Creates `directory` and whichever of its parents are missing, from the nearest existing ancestor down, and
 * throws the first error (a directory created meanwhile by another process is fine).
 *
 * Not `mkdirSync(directory, { recursive: true })`: on Node 20 that call loops forever, ignoring signals, where
 * creating a level answers ENOENT although its parent exists (any path under `/proc`).
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeDirectory = (directory: string): void => {
  const missing: Array<string> = []
  let current = NodePath.resolve(directory)
  while (!NodeFs.existsSync(current)) {
    missing.push(current)
    const parent = NodePath.dirname(current)
    if (parent === current) break
    current = parent
  }
  for (const level of missing.reverse()) {
    try {
      NodeFs.mkdirSync(level)
    } catch (error) {
      if (!(isCode(error, "EEXIST") && NodeFs.statSync(level).isDirectory())) throw error
    }
  }
}

const isCode = (error: unknown, code: string): boolean =>
  typeof error === "object" && error !== null && "code" in error && error.code === code
