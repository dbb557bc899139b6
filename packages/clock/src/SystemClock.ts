/**
 * The system clock: Effect's default `Clock`, reading the wall time and sleeping in real time.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Layer from "effect/Layer"

/**
 * Effect's default clock, set explicitly, so a composition root states which clock it runs on (and a virtual
 * clock set further out is replaced).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<never> = Layer.setClock(Clock.make())
