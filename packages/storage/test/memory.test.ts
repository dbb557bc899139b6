import { MemoryStore } from "../src/index.js"
import { parkingSuite } from "./ParkingContract.js"
import { relaySuite } from "./RelayContract.js"
import { suite } from "./StoreContract.js"

suite("MemoryStore", MemoryStore.layer)
relaySuite("MemoryStore", MemoryStore.layer)
parkingSuite("MemoryStore", MemoryStore.layer)
