/**
 * The lossless-relay half of the store contract, for a `SessionStore` and its `EventLog`: what arrives is kept
 * (content, quarantine), every change records its events in the same transaction, window events follow
 * `WindowEvents.reconcile` exactly once, and deliveries are claimed first-in-line per (endpoint, pair), leased,
 * completed, replayed and pruned alike on every store. The store is shared across cases: each case uses its own
 * numbers, stretch of time and endpoints, and deletes its endpoints at the end so that claims see only its own.
 *
 * @since 0.2.0
 */
import type * as EventLog from "../EventLog.js"
import type * as SessionStore from "../SessionStore.js"
import type * as ContractCase from "./ContractCase.js"
import { deliveryCases } from "./internal/relayDeliveryCases.js"
import { ingestCases } from "./internal/relayIngestCases.js"

/**
 * The cases of the relay contract, in order, for one store (`SessionStore` and `EventLog` over the same state)
 * shared by them all.
 *
 * @since 0.2.0
 * @category constructors
 */
export const cases = (): ReadonlyArray<
  ContractCase.ContractCase<SessionStore.SessionStore | EventLog.EventLog>
> => [...ingestCases(), ...deliveryCases()]
