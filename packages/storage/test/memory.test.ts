import { MemoryStore } from "../src/index.js"
import { relaySuite } from "./RelayContract.js"
import { suite } from "./StoreContract.js"

suite("MemoryStore", MemoryStore.layer)
relaySuite("MemoryStore", MemoryStore.layer)
