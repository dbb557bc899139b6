/**
 * Implementations of the core `Ids` port: random ids for production, sequential ids for simulations and tests.
 *
 * @since 0.1.0
 */
import { Ids } from "@wa-session/session-core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { randomBytes } from "node:crypto"

/**
 * The prefix of outbound-message ids.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_PREFIX = "msg_"

/**
 * Random ids that sort in the order they were made: `prefix` followed by a UUID v7 (RFC 9562) without dashes (32
 * hex digits), e.g. `msg_0193a1c2e6a07d4c8f3a5b6c7d8e9f01`. The first 12 digits are the time in milliseconds, the
 * next 3 a counter within the millisecond (RFC 9562's "fixed-length dedicated counter"), the rest random.
 *
 * Stores order outbound messages made in the same millisecond by id, so ids that grow within a process keep two
 * messages submitted in one millisecond (parked, or queued for one customer) in the order they came.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (prefix: string = DEFAULT_PREFIX, now: () => number = Date.now): Ids.IdsShape => {
  let lastMillis = -1
  let counter = 0
  return {
    next: Effect.sync(() => {
      const millis = now()
      if (millis > lastMillis) {
        lastMillis = millis
        counter = 0
      } else if (++counter > MAX_COUNTER) {
        // the counter ran out (or the clock went back): borrow the next millisecond, as RFC 9562 allows
        lastMillis++
        counter = 0
      }
      return `${prefix}${uuidV7(lastMillis, counter)}`
    })
  }
}

const MAX_COUNTER = 0xfff

const uuidV7 = (millis: number, counter: number): string => {
  const random = randomBytes(8)
  random[0] = (random[0]! & 0x3f) | 0x80 // the variant, 0b10
  return millis.toString(16).padStart(12, "0").slice(-12) + "7" + counter.toString(16).padStart(3, "0") +
    random.toString("hex")
}

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
