/**
 * The bodies of the HTTP contract: what clients send and what the server answers, one module per group.
 *
 * @since 0.1.0
 */
import type * as DateTime from "effect/DateTime"
import * as Schema from "effect/Schema"
import * as internal from "./internal/schemas.js"

/**
 * @since 0.2.0
 */
export * from "./EventModels.js"
/**
 * @since 0.2.0
 */
export * from "./IngestModels.js"
/**
 * @since 0.2.0
 */
export * from "./MessageModels.js"
/**
 * @since 0.2.0
 */
export * from "./SessionModels.js"

/**
 * The page size of every list endpoint when a request gives no `limit` (the OpenAPI document says it too), but a
 * pair's message history's.
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_PAGE_SIZE: number = internal.DEFAULT_PAGE_SIZE

/**
 * The page size of `GET /v1/sessions/{business}/{customer}/messages` when a request gives no `limit`.
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_HISTORY_PAGE_SIZE: number = internal.DEFAULT_HISTORY_PAGE_SIZE

/**
 * An instant written as ISO-8601 with an explicit offset (`Z` or `+05:30`), e.g. `2026-01-21T09:00:00+05:30`,
 * decoded to a `DateTime.Utc` and encoded as ISO-8601 UTC: session-core's `Instant`, which refuses a time without
 * an offset (ambiguous) or an impossible date (30 February), after the `+` a query string lost is restored.
 *
 * @since 0.2.0
 * @category models
 */
export const Instant: Schema.Schema<DateTime.Utc, string> = internal.Instant

/**
 * `GET /healthz`: the process is up.
 *
 * @since 0.1.0
 * @category models
 */
export const Health = Schema.Struct({ status: Schema.Literal("ok") }).annotations({ identifier: "Health" })

/**
 * `GET /readyz`: the store answers.
 *
 * @since 0.1.0
 * @category models
 */
export const Readiness = Schema.Struct({ status: Schema.Literal("ready") }).annotations({ identifier: "Readiness" })
