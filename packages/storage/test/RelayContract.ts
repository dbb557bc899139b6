/**
 * The lossless-relay half of the store contract (`@wa-session/session-core/testing/RelayContract`, beside the
 * `SessionStore` and `EventLog` ports) run against a storage layer.
 */
import type { EventLog, SessionStore } from "@wa-session/session-core"
import * as RelayContract from "@wa-session/session-core/testing/RelayContract"
import type { Layer } from "effect"
import type { Storage } from "../src/index.js"
import { runContract } from "./support/contract.js"

export const relaySuite = (
  name: string,
  storeLayer: Layer.Layer<Storage.Storage | SessionStore.SessionStore | EventLog.EventLog, unknown>
) => runContract(`${name} (relay)`, storeLayer, RelayContract.cases())
