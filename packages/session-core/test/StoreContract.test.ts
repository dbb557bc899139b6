import { layer } from "@effect/vitest"
import type { Layer } from "effect"
import { MemoryStore } from "../src/index.js"
import type { ContractCase } from "../src/testing/ContractCase.js"
import * as ParkingContract from "../src/testing/ParkingContract.js"
import * as RelayContract from "../src/testing/RelayContract.js"
import * as StoreContract from "../src/testing/StoreContract.js"

// The contract suites as any adapter runs them, here against the core's own MemoryStore: one store per suite, each
// case one test. @wa-session/storage runs the same cases against its stores (memory, SQLite, PostgreSQL).

const contract = <R>(name: string, storeLayer: Layer.Layer<R>, cases: ReadonlyArray<ContractCase<R>>) =>
  layer(storeLayer, { excludeTestServices: true })(name, (it) => {
    for (const contractCase of cases) it.effect(contractCase.name, () => contractCase.run, contractCase.timeout)
  })

contract("MemoryStore keeps the store contract", MemoryStore.layer, StoreContract.cases())
contract("MemoryStore keeps the relay contract", MemoryStore.layer, RelayContract.cases())
contract("MemoryStore keeps the parking contract", MemoryStore.layer, ParkingContract.cases())
