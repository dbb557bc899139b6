/**
 * A virtual clock: the time Effect reads (`Clock.currentTimeMillis`, `DateTime.now`) is an instant we set,
 * for the CLI's `--at` and for simulations that move time between events.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/**
 * A settable clock. `clock` is the `Clock` to install; `set` and `adjust` move the time it reads.
 *
 * Only reading the time is virtual: `sleep` waits in real time, so timeouts and retry delays of real I/O (HTTP
 * calls made while the time is virtual) still end.
 *
 * @since 0.1.0
 * @category models
 */
export interface VirtualClockShape {
  readonly clock: Clock.Clock
  /** The instant the clock reads now. */
  readonly now: Effect.Effect<DateTime.Utc>
  /** Sets the time; it may go backwards. */
  readonly set: (instant: DateTime.DateTime) => Effect.Effect<void>
  /** Moves the time forward by a duration. */
  readonly adjust: (duration: Duration.DurationInput) => Effect.Effect<void>
}

/**
 * The control of the installed virtual clock, provided by {@link layer}.
 *
 * @since 0.1.0
 * @category tags
 */
export class VirtualClock extends Context.Tag("@wa-session/clock/VirtualClock")<VirtualClock, VirtualClockShape>() {}

/**
 * A virtual clock reading `instant` until it is set or adjusted.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeMake = (instant: DateTime.DateTime): VirtualClockShape => {
  let millis = DateTime.toEpochMillis(instant)
  const wall = Clock.make()
  const clock: Clock.Clock = {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: () => millis,
    currentTimeMillis: Effect.sync(() => millis),
    unsafeCurrentTimeNanos: () => BigInt(millis) * 1_000_000n,
    currentTimeNanos: Effect.sync(() => BigInt(millis) * 1_000_000n),
    sleep: (duration) => wall.sleep(duration)
  }
  return {
    clock,
    now: Effect.sync(() => DateTime.unsafeMake(millis)),
    set: (next) =>
      Effect.sync(() => {
        millis = DateTime.toEpochMillis(next)
      }),
    adjust: (duration) =>
      Effect.sync(() => {
        millis += Duration.toMillis(Duration.decode(duration))
      })
  }
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (instant: DateTime.DateTime): Effect.Effect<VirtualClockShape> =>
  Effect.sync(() => unsafeMake(instant))

/**
 * A clock fixed at `instant`: every read of the time in the program sees exactly that instant.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerAt = (instant: DateTime.DateTime): Layer.Layer<never> => Layer.setClock(unsafeMake(instant).clock)

/**
 * Installs a virtual clock starting at `instant` and provides its control ({@link VirtualClock}) to move the
 * time between events.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (instant: DateTime.DateTime): Layer.Layer<VirtualClock> =>
  Layer.unwrapEffect(
    Effect.map(
      make(instant),
      (virtual) => Layer.merge(Layer.setClock(virtual.clock), Layer.succeed(VirtualClock, virtual))
    )
  )
