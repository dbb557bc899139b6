import { MemoryStore } from "../src/index.js"
import { suite } from "./StoreContract.js"

suite("MemoryStore", MemoryStore.layer)
