/**
 * Implementations of the core `Ids` port: random ids for production, sequential ids for simulations and tests.
 *
 * @since 0.1.0
 */
import { Ids } from "@wa-session/session-core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { randomUUID } from "node:crypto"

/**
 * The prefix of outbound-message ids.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_PREFIX = "msg_"

/**
 * Random ids: `prefix` followed by a UUID v4 without dashes (32 hex digits), e.g.
 * `msg_9f1c2e6a0b7d4c2e8f3a5b6c7d8e9f01`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (prefix: string = DEFAULT_PREFIX): Ids.IdsShape => ({
  next: Effect.sync(() => `${prefix}${randomUUID().replace(/-/g, "")}`)
})

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Ids.Ids> = Layer.succeed(Ids.Ids, make())

/**
 * @since 0.1.0
 * @category layers
 */
export const layerWithPrefix = (prefix: string): Layer.Layer<Ids.Ids> => Layer.succeed(Ids.Ids, make(prefix))

/**
 * Deterministic ids `prefix1`, `prefix2`, … (per layer build), for simulations whose output must be repeatable.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerSequential = (prefix: string = DEFAULT_PREFIX): Layer.Layer<Ids.Ids> =>
  Layer.sync(Ids.Ids, () => {
    let counter = 0
    return { next: Effect.sync(() => `${prefix}${++counter}`) }
  })
