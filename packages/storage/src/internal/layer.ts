import { EventLog, SessionStore } from "@wa-session/session-core"
import type { StorageError } from "@wa-session/session-core/SessionStore"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import { Storage, type StorageShape } from "../Storage.js"

/** The three tags, one implementation. */
export const context = (
  store: StorageShape
): Context.Context<Storage | SessionStore.SessionStore | EventLog.EventLog> =>
  Context.make(Storage, store).pipe(
    Context.add(SessionStore.SessionStore, store),
    Context.add(EventLog.EventLog, store)
  )

/** Wraps one named operation of a store. */
type Around = <A, E, R>(name: string, operation: Effect.Effect<A, E, R>) => Effect.Effect<A, E | StorageError, R>

/**
 * The store with `around` applied to every operation, named; `backend` as it is. Every operation is listed: a new
 * one does not compile until it is wrapped here.
 */
export const mapOperations = (store: StorageShape, around: Around): StorageShape => {
  const op = <Args extends ReadonlyArray<unknown>, A, E, R>(
    name: string,
    operation: (...args: Args) => Effect.Effect<A, E, R>
  ) =>
  (...args: Args) => around(name, operation(...args))
  return {
    backend: store.backend,
    ingest: op("ingest", store.ingest),
    getWindow: op("getWindow", store.getWindow),
    closeByProvider: op("closeByProvider", store.closeByProvider),
    listExpiring: op("listExpiring", store.listExpiring),
    countOpen: op("countOpen", store.countOpen),
    insertOutbound: op("insertOutbound", store.insertOutbound),
    findOutbound: op("findOutbound", store.findOutbound),
    findOutboundByIdempotencyKey: op("findOutboundByIdempotencyKey", store.findOutboundByIdempotencyKey),
    setProviderMessageId: op("setProviderMessageId", store.setProviderMessageId),
    recordStatus: op("recordStatus", store.recordStatus),
    claimFallback: op("claimFallback", store.claimFallback),
    claimSends: op("claimSends", store.claimSends),
    startSend: op("startSend", store.startSend),
    releaseSend: op("releaseSend", store.releaseSend),
    retrySend: op("retrySend", store.retrySend),
    finishSend: op("finishSend", store.finishSend),
    recoverSends: op("recoverSends", store.recoverSends),
    reserveSendSlot: op("reserveSendSlot", store.reserveSendSlot),
    emitDueWindowEvents: op("emitDueWindowEvents", store.emitDueWindowEvents),
    listMessages: op("listMessages", store.listMessages),
    listQuarantine: op("listQuarantine", store.listQuarantine),
    findQuarantine: op("findQuarantine", store.findQuarantine),
    requarantine: op("requarantine", store.requarantine),
    prune: op("prune", store.prune),
    park: op("park", store.park),
    cancelParked: op("cancelParked", store.cancelParked),
    expireParked: op("expireParked", store.expireParked),
    listParked: op("listParked", store.listParked),
    ping: around("ping", store.ping),
    listEvents: op("listEvents", store.listEvents),
    addEndpoint: op("addEndpoint", store.addEndpoint),
    configureEndpoint: op("configureEndpoint", store.configureEndpoint),
    listEndpoints: around("listEndpoints", store.listEndpoints),
    findEndpoint: op("findEndpoint", store.findEndpoint),
    deleteEndpoint: op("deleteEndpoint", store.deleteEndpoint),
    listDeliveries: op("listDeliveries", store.listDeliveries),
    claimDeliveries: op("claimDeliveries", store.claimDeliveries),
    completeDeliveries: op("completeDeliveries", store.completeDeliveries),
    replay: op("replay", store.replay)
  }
}
