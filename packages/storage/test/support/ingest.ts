/**
 * Recording inbound messages through the store's one write path (`ingest`), for the contract suites, the bench and
 * the child-process fixtures (no vitest here: the fixtures run outside it). They live beside the port, in
 * session-core's contract fixtures.
 */
export {
  closeByProvider,
  preparedInbound,
  recordInbound,
  recordInboundBatch
} from "@wa-session/session-core/testing/ContractFixtures"
