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

/** The label of a request that matched no route. */
export const UNMATCHED = "unmatched"

/**
 * The route template of a request, as the docs write it (`/v1/messages/{id}`, `/webhooks/exotel/{secret}`), from the
 * contract itself; `unmatched` for a path no route has. For metrics: a template, never the raw path, so the number of
 * series stays bounded and no secret or phone number becomes a label.
 */
export const makeRouteTemplate = (): (method: string, url: string) => string => {
  const routes: Array<{ readonly pattern: RegExp; readonly method: string; readonly template: string }> = []
  const add = (method: string, path: string) =>
    routes.push({
      pattern: patternOf(path),
      method,
      template: path.split("/").map((segment) => (segment.startsWith(":") ? `{${segment.slice(1)}}` : segment)).join(
        "/"
      )
    })
  for (const [method, path] of EXTRA_ROUTES) add(method, path)
  HttpApi.reflect(WaSessionApi, {
    onGroup: () => {},
    onEndpoint: ({ endpoint }) => add(endpoint.method, endpoint.path)
  })
  const known = new Map<string, string>()
  return (method, url) => {
    const end = url.indexOf("?")
    const path = end === -1 ? url : url.slice(0, end)
    const key = `${method} ${path}`
    const found = known.get(key)
    if (found !== undefined) return found
    const route = routes.find((candidate) => candidate.method === method && candidate.pattern.test(path)) ??
      routes.find((candidate) => candidate.pattern.test(path))
    const template = route?.template ?? UNMATCHED
    // only paths without parameters are worth keeping (every phone number or message id would grow the map)
    if (route !== undefined && !route.template.includes("{")) known.set(key, template)
    return template
  }
}
