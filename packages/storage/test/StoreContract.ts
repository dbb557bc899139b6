/**
 * The store contract (`@wa-session/session-core/testing/StoreContract`, beside the `SessionStore` port) run against
 * a storage layer, plus what only storage has: the `Storage` tag is the same store as the port. The helpers other
 * tests share (fresh numbers, messages, the oracle) are session-core's contract fixtures, re-exported here.
 */
import { assert } from "@effect/vitest"
import { SessionStore } from "@wa-session/session-core"
import * as ContractCase from "@wa-session/session-core/testing/ContractCase"
import * as StoreContract from "@wa-session/session-core/testing/StoreContract"
import { Effect, type Layer } from "effect"
import { Storage } from "../src/index.js"
import { runContract } from "./support/contract.js"

export {
  freshNumber,
  inbound,
  oracle,
  type OracleEvent,
  outbound,
  statusEvent
} from "@wa-session/session-core/testing/ContractFixtures"
export { closeByProvider, preparedInbound, recordInbound, recordInboundBatch } from "./support/ingest.js"

const sameStore = ContractCase.make(
  "ping answers and both tags are the same store",
  Effect.gen(function*() {
    const store = yield* Storage.Storage
    const port = yield* SessionStore.SessionStore
    yield* store.ping
    yield* port.ping
    assert.strictEqual(store, port as Storage.StorageShape)
  })
)

/**
 * Runs the contract against a store layer. `numRuns` scales the property tests.
 */
export const suite = (
  name: string,
  storeLayer: Layer.Layer<Storage.Storage | SessionStore.SessionStore, unknown>,
  options: { readonly numRuns?: number } = {}
) => runContract(name, storeLayer, [sameStore, ...StoreContract.cases(options)])
