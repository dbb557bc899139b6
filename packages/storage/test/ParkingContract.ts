/**
 * The parking contract (`@wa-session/session-core/testing/ParkingContract`, beside the `SessionStore` and
 * `EventLog` ports) run against a storage layer.
 */
import type { EventLog, SessionStore } from "@wa-session/session-core"
import * as ParkingContract from "@wa-session/session-core/testing/ParkingContract"
import type { Layer } from "effect"
import type { Storage } from "../src/index.js"
import { runContract } from "./support/contract.js"

export const parkingSuite = (
  name: string,
  storeLayer: Layer.Layer<Storage.Storage | SessionStore.SessionStore | EventLog.EventLog, unknown>
) => runContract(`${name} parking`, storeLayer, ParkingContract.cases())
