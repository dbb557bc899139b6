/**
 * The storage port: windows, inbound-message dedup and outbound messages. Implemented by `@wa-session/storage`
 * (memory, SQLite, PostgreSQL); every implementation passes the same contract suite.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as DateTime from "effect/DateTime"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { OutboundMessage, StatusEvent } from "./Outbound.js"
import type { Pair, PhoneNumber } from "./PhoneNumber.js"
import type { InboundMessage, SessionWindow } from "./SessionWindow.js"

/**
 * The store could not be read or written. Callers may retry; nothing was half-written.
 *
 * @since 0.1.0
 * @category errors
 */
export class StorageError extends Schema.TaggedError<StorageError>("@wa-session/session-core/StorageError")(
  "StorageError",
  { operation: Schema.String, detail: Schema.String }
) {
  /** @since 0.1.0 */
  readonly code = "STORAGE_ERROR" as const
  /** @since 0.1.0 */
  override get message(): string {
    return `storage failed during ${this.operation}: ${this.detail}`
  }
}

/**
 * A `cursor` that is not the `nextCursor` of an earlier page (altered, truncated, or from another API): bad input,
 * not a storage failure.
 *
 * @since 0.2.0
 * @category errors
 */
export class InvalidCursor extends Schema.TaggedError<InvalidCursor>("@wa-session/session-core/InvalidCursor")(
  "InvalidCursor",
  { cursor: Schema.String }
) {
  /** @since 0.2.0 */
  readonly code = "INVALID_CURSOR" as const
  /** @since 0.2.0 */
  readonly field = "cursor" as const
  /** @since 0.2.0 */
  override get message(): string {
    return `cursor "${this.cursor}" is not the nextCursor of an earlier page`
  }
}

/**
 * The result of recording an inbound message: whether its id was already known, and the window afterwards.
 *
 * @since 0.1.0
 * @category models
 */
export interface RecordedInbound {
  readonly duplicate: boolean
  readonly window: SessionWindow
}

/**
 * Windows that are open at `now` (with `safetyMargin`) and expire before `now + horizon`, soonest first.
 * `cursor` is the opaque `nextCursor` of the previous page.
 *
 * @since 0.1.0
 * @category models
 */
export interface ExpiringQuery {
  readonly now: DateTime.Utc
  readonly horizon: Duration.Duration
  readonly safetyMargin: Duration.Duration
  readonly business: Option.Option<PhoneNumber>
  readonly limit: number
  readonly cursor: Option.Option<string>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ExpiringPage {
  readonly items: ReadonlyArray<SessionWindow>
  readonly nextCursor: Option.Option<string>
}

/**
 * Which outbound message a status report is about: our id (echoed back by the provider in `custom_data`) or the
 * provider's message id.
 *
 * @since 0.1.0
 * @category models
 */
export type OutboundRef =
  | { readonly _tag: "ById"; readonly id: string }
  | { readonly _tag: "ByProviderId"; readonly providerMessageId: string }

/**
 * @since 0.1.0
 * @category models
 */
export interface RecordedStatus {
  /** false when the same status was already recorded for the message */
  readonly applied: boolean
  readonly message: OutboundMessage
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SessionStoreShape {
  /**
   * Records an inbound message in one atomic step: dedup on (business, message id) and keep the maximum
   * timestamp, so concurrent writers cannot lose an extension.
   */
  readonly recordInbound: (message: InboundMessage) => Effect.Effect<RecordedInbound, StorageError>
  readonly getWindow: (pair: Pair) => Effect.Effect<Option.Option<SessionWindow>, StorageError>
  /** Marks the pair's window closed by the provider at `at` (keeps the latest closure). No window: no effect. */
  readonly closeByProvider: (pair: Pair, at: DateTime.Utc) => Effect.Effect<void, StorageError>
  readonly listExpiring: (query: ExpiringQuery) => Effect.Effect<ExpiringPage, StorageError | InvalidCursor>
  /** How many windows are open at `now` (for the open-windows gauge). */
  readonly countOpen: (now: DateTime.Utc, safetyMargin: Duration.Duration) => Effect.Effect<number, StorageError>
  /**
   * Inserts an outbound message. When another message of the same business already has its idempotency key,
   * nothing is written and that message is returned with `inserted: false`.
   */
  readonly insertOutbound: (
    message: OutboundMessage
  ) => Effect.Effect<{ readonly inserted: boolean; readonly message: OutboundMessage }, StorageError>
  readonly findOutbound: (id: string) => Effect.Effect<Option.Option<OutboundMessage>, StorageError>
  readonly findOutboundByIdempotencyKey: (
    business: PhoneNumber,
    key: string
  ) => Effect.Effect<Option.Option<OutboundMessage>, StorageError>
  readonly setProviderMessageId: (id: string, providerMessageId: string) => Effect.Effect<void, StorageError>
  /**
   * Adds a status to a message's history (a status already there is ignored) and moves its status forward when the
   * new one ranks higher (see `Outbound.rank`). `None` when no such message exists.
   */
  readonly recordStatus: (
    ref: OutboundRef,
    event: StatusEvent
  ) => Effect.Effect<Option.Option<RecordedStatus>, StorageError>
  /** Atomically sets the fallback message id if none is set yet; true when this call set it. */
  readonly claimFallback: (id: string, fallbackMessageId: string) => Effect.Effect<boolean, StorageError>
  /** Succeeds when the store answers (readiness). */
  readonly ping: Effect.Effect<void, StorageError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class SessionStore extends Context.Tag("@wa-session/session-core/SessionStore")<
  SessionStore,
  SessionStoreShape
>() {}
