/**
 * Send requests' own sends: `POST /v1/messages` stores its message as a send job, then sends it here, in a fiber of
 * the server's scope, and waits for the provider's answer up to `WA_SESSION_SEND_WAIT`; past that it answers
 * `queued` and the send goes on without it. A job that is not next in its pair's line is tried again every
 * `RETRY_CLAIM_EVERY` while the request waits, and left to the send worker after that. Stopping the server lets
 * sends in flight finish for `SHUTDOWN_GRACE`, then interrupts them: one still waiting for its pacing slot goes back
 * to the queue, one whose request is out becomes `unknown` (never sent again; its delivery report settles it).
 */
import { type MessageSender, Outbound, SessionService, SessionStore } from "@wa-session/session-core"
import { Context, DateTime, Duration, Effect, Fiber, FiberSet, Layer, Metric, Option } from "effect"
import { Metrics, type SendJobOutcome } from "./Metrics.js"

export const RETRY_CLAIM_EVERY = Duration.millis(100)
export const SHUTDOWN_GRACE = Duration.seconds(5)

/** What a send request's wait ended with: the dispatch's outcome when it ended in time, else `None`. */
export interface Waited {
  readonly dispatched: Option.Option<SessionService.Dispatched>
}

export interface SendsShape {
  /** Sends the queued message `id` in the background and waits for the outcome up to `wait`. */
  readonly sendAndWait: (id: string, wait: Duration.Duration) => Effect.Effect<Waited>
}

export class Sends extends Context.Tag("@wa-session/server/Sends")<Sends, SendsShape>() {}

type Services = SessionStore.SessionStore | SessionService.SessionConfig | MessageSender.MessageSender

/**
 * Dispatches `id`, trying the claim again while it is not next in its pair's line, until `until`; `NotClaimed` when
 * the job left the queue without us or the time ran out (the worker sends it).
 */
const dispatchUntil = (
  id: string,
  until: number
): Effect.Effect<SessionService.Dispatched, SessionStore.StorageError, Services> =>
  Effect.gen(function*() {
    const store = yield* SessionStore.SessionStore
    while (true) {
      const dispatched = yield* SessionService.dispatch(id)
      if (dispatched._tag !== "NotClaimed") return dispatched
      const stored = yield* store.findOutbound(id)
      const queued = Option.exists(stored, (message) => Outbound.rank(message.status) === Outbound.rank("queued"))
      if (!queued || (yield* DateTime.now).epochMillis + Duration.toMillis(RETRY_CLAIM_EVERY) >= until) {
        return dispatched
      }
      yield* Effect.sleep(RETRY_CLAIM_EVERY)
    }
  })

const jobOutcome = (dispatched: SessionService.Dispatched): Option.Option<SendJobOutcome> => {
  switch (dispatched._tag) {
    case "Failed":
      return Option.some("failed")
    case "Deferred":
      return Option.some("deferred")
    case "Sent":
      return Option.some(dispatched.message.status === "unknown" ? "unknown" : "accepted")
    case "NotClaimed":
      return Option.none()
  }
}

const countOutcome = (dispatched: SessionService.Dispatched) =>
  Effect.flatMap(Metrics, (metrics) =>
    Option.match(jobOutcome(dispatched), {
      onNone: () => Effect.void,
      onSome: (outcome) => Metric.increment(metrics.sendJobs(outcome))
    }))

export const make = Effect.gen(function*() {
  const context = yield* Effect.context<Services | Metrics>()
  const fibers = yield* FiberSet.make<SessionService.Dispatched | undefined>()
  // finalizers run last-added first: the grace before the set's own interruption of what is left
  yield* Effect.addFinalizer(() => Effect.ignore(Effect.timeout(FiberSet.awaitEmpty(fibers), SHUTDOWN_GRACE)))

  const sendAndWait = (id: string, wait: Duration.Duration) =>
    Effect.gen(function*() {
      const until = (yield* DateTime.now).epochMillis + Duration.toMillis(wait)
      const fiber = yield* FiberSet.run(
        fibers,
        dispatchUntil(id, until).pipe(
          Effect.tap(countOutcome),
          Effect.tapErrorCause((cause) => Effect.logWarning("send: storing its outcome failed", cause)),
          Effect.orElseSucceed(() => undefined),
          Effect.annotateLogs({ id }),
          Effect.provide(context)
        )
      )
      const outcome = yield* Fiber.join(fiber).pipe(Effect.timeout(wait), Effect.option)
      return { dispatched: Option.flatMap(outcome, Option.fromNullable) }
    })
  return { sendAndWait } satisfies SendsShape
})

export const layer: Layer.Layer<Sends, never, Services | Metrics> = Layer.scoped(Sends, make)
