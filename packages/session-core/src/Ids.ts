/**
 * The id port: where new outbound-message ids come from (randomness stays outside the core).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"

/**
 * @since 0.1.0
 * @category models
 */
export interface IdsShape {
  /** A new unique id for an outbound message. */
  readonly next: Effect.Effect<string>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Ids extends Context.Tag("@wa-session/session-core/Ids")<Ids, IdsShape>() {}
