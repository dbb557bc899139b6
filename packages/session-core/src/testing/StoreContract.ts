/**
 * The one contract every `SessionStore` passes (memory, SQLite, PostgreSQL, and any other adapter): windows,
 * inbound dedup, expiring windows, outbound messages and their statuses, send jobs and send slots. Store results
 * are compared with folding the pure core functions (`SessionWindow.record` / `closeByProvider` / `statusAt`,
 * `Outbound.rank`) over the same events. The suite shares one store, so every case uses its own business numbers
 * and, where a query spans all businesses, its own stretch of time ("era").
 *
 * @example
 * ```ts
 * import { MemoryStore } from "@wa-session/session-core"
 * import * as StoreContract from "@wa-session/session-core/testing/StoreContract"
 * import { Effect } from "effect"
 *
 * // one store for all the cases, each case run as a test by the runner of your choice
 * const program = Effect.forEach(StoreContract.cases({ numRuns: 10 }), (contractCase) => contractCase.run).pipe(
 *   Effect.provide(MemoryStore.layer)
 * )
 * ```
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as SessionStore from "../SessionStore.js"
import * as ContractCase from "./ContractCase.js"
import { outboundCases } from "./internal/outboundCases.js"
import { windowCases } from "./internal/windowCases.js"

/**
 * The cases of the store contract, in order, for one store shared by them all. `numRuns` (default 40) scales the
 * property cases.
 *
 * @since 0.2.0
 * @category constructors
 */
export const cases = (
  options: { readonly numRuns?: number } = {}
): ReadonlyArray<ContractCase.ContractCase<SessionStore.SessionStore>> => {
  const numRuns = options.numRuns ?? 40
  return [
    ContractCase.make(
      "ping answers",
      Effect.gen(function*() {
        const store = yield* SessionStore.SessionStore
        yield* store.ping
      })
    ),

    ...windowCases(numRuns),
    ...outboundCases(numRuns)
  ]
}
