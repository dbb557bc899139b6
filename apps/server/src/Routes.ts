import { HttpApi } from "@effect/platform"
import { WaSessionApi } from "@wa-session/http-api"

/** Routes served beside the contract's endpoints. */
const EXTRA_ROUTES: ReadonlyArray<readonly [method: string, path: string]> = [
  ["GET", "/docs"],
  ["GET", "/openapi.json"]
]

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** `/v1/messages/:id` as a pattern matching one path segment per parameter. */
const patternOf = (path: string): RegExp =>
  new RegExp(`^${path.split("/").map((segment) => (segment.startsWith(":") ? "[^/]+" : escape(segment))).join("/")}$`)

/**
 * The methods a path is served with, from the contract itself: a request whose path exists with other methods is
 * answered 405 with `Allow`, one whose path does not exist 404.
 */
export const makeAllowedMethods = (): (path: string) => ReadonlyArray<string> => {
  const routes: Array<{ readonly pattern: RegExp; readonly method: string }> = EXTRA_ROUTES.map(([method, path]) => ({
    pattern: patternOf(path),
    method
  }))
  HttpApi.reflect(WaSessionApi, {
    onGroup: () => {},
    onEndpoint: ({ endpoint }) => {
      routes.push({ pattern: patternOf(endpoint.path), method: endpoint.method })
    }
  })
  return (path) => {
    const methods = new Set<string>()
    for (const route of routes) if (route.pattern.test(path)) methods.add(route.method)
    return [...methods].sort()
  }
}
