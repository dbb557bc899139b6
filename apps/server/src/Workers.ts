/**
 * The server's background work, each a loop in a fiber of the server's scope: delivering events to the business's
 * endpoints (a delivery worker fed every half second), sending queued messages (what send requests left to it, fallback
 * templates), settling the send jobs of a server that died, recording due
 * window events (the expiry scheduler), and pruning what the retention period has passed. Every loop survives store
 * failures (logged, tried again next round) and stops with the server; what is in progress is finished first (each
 * piece is bounded in time).
 */
import {
  Delivery,
  type EventLog,
  type EventTransport,
  type MessageSender,
  RelayService,
  SessionService,
  type SessionStore
} from "@wa-session/session-core"
import { Duration, Effect, Fiber, Layer, Metric, Option, Runtime } from "effect"
import * as NodePerf from "node:perf_hooks"
import { ServerConfig, type ServerSettings } from "./Config.js"
import { Ingest } from "./Ingest.js"
import * as Metrics from "./Metrics.js"

/** How often each loop looks for work (a full round looks again at once). */
export interface WorkerIntervals {
  readonly deliveries: Duration.Duration
  readonly sends: Duration.Duration
  readonly scheduler: Duration.Duration
  readonly retention: Duration.Duration
}

export const DEFAULT_INTERVALS: WorkerIntervals = {
  deliveries: Duration.millis(500),
  sends: Duration.seconds(1),
  scheduler: Duration.seconds(5),
  retention: Duration.hours(1)
}

/**
 * Windows the scheduler handles per transaction; rows of each kind retention removes per transaction. The send worker
 * runs `SEND_WORKERS` loops, each claiming one job at a time just before its pacing slot (a claim that dies with its
 * server goes back to the queue after `SessionService.SEND_LEASE`); the pacing keeps them all under the account
 * limit, the loops only keep slow answers from holding the line.
 */
export const SCHEDULER_BATCH = 500
export const PRUNE_BATCH = 1000
export const SEND_BATCH = 1
export const SEND_WORKERS = 4
/** Stopping the server: sends in flight get this long to finish, then they are interrupted (see `Sends`). */
export const SEND_SHUTDOWN_GRACE = Duration.seconds(5)

/**
 * Webhooks first: while webhooks come in and the event loop is this busy or more, the delivery worker starts at most
 * `DELIVERIES_WHEN_SATURATED` attempts per look and looks again after `LOOK_AGAIN_WHEN_SATURATED` (100 a second), so
 * that Exotel's webhooks are answered in bounded time; what waits is stored, and goes out as soon as the burst eases
 * (below the threshold deliveries run at full speed). Each look is a claim transaction: 8 every 80 ms instead of 2
 * every 20 ms spends a quarter of the claims on the same deliveries, and the webhooks got about 15 % more requests
 * a second with an endpoint configured (`pnpm bench`, 32 connections).
 */
export const SATURATED_LOOP = 0.9
export const DELIVERIES_WHEN_SATURATED = 8
const LOOK_AGAIN_WHEN_SATURATED = Duration.millis(80)
const LOOK_AGAIN_AFTER_START = Duration.millis(20)
const LOOK_AGAIN_IN_FLIGHT = Duration.millis(100)

/** The event loop's utilization since the last call (0 to 1): the share of time it was busy running callbacks. */
const makeLoopMeter = () => {
  let last = NodePerf.performance.eventLoopUtilization()
  return Effect.sync(() => {
    const now = NodePerf.performance.eventLoopUtilization()
    const utilization = NodePerf.performance.eventLoopUtilization(now, last).utilization
    last = now
    return utilization
  })
}

/**
 * Runs a round to its end even when the loop is stopped meanwhile (the server shuts down), for at most `grace` after
 * that (default: however long it takes): the round runs in a fiber of its own, which the loop waits for when
 * interrupted, then interrupts (a send waiting for its slot gives its claim back; one in flight becomes `unknown`).
 * The round itself stays interruptible, so that its own timeouts (10 s per delivery attempt, Exotel's per request)
 * still cut what hangs.
 */
const toTheEnd =
  (grace: Duration.Duration = Duration.infinity) => <A, E, R>(round: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.flatMap(
      Effect.forkDaemon(round),
      (fiber) =>
        Effect.onInterrupt(
          Fiber.join(fiber),
          () => Effect.timeout(Fiber.await(fiber), grace).pipe(Effect.ignore, Effect.zipRight(Fiber.interrupt(fiber)))
        )
    )

/**
 * Runs `round` forever: again at once while it reports there may be more to do, else after `every`. A failure is
 * logged and waits `every` too.
 */
const loop = <E, R>(
  name: string,
  every: Duration.Duration,
  round: Effect.Effect<boolean, E, R>,
  finish: <A, E, R>(round: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R> = toTheEnd()
) =>
  finish(round).pipe(
    Effect.catchAllCause((cause) => Effect.as(Effect.logWarning(`${name}: round failed; trying again`, cause), false)),
    Effect.flatMap((again) => again ? Effect.yieldNow() : Effect.sleep(every)),
    Effect.forever,
    Effect.annotateLogs({ worker: name })
  )

/** Applies `WA_SESSION_EVENTS_URL` to the configured endpoint, and says what that did when it is not obvious. */
const configureEventsEndpoint = (settings: ServerSettings) =>
  RelayService.configureEndpoint(
    settings.eventsUrl._tag === "Url"
      ? {
        _tag: "Url",
        url: settings.eventsUrl.url,
        secret: settings.eventsSecret,
        secretGiven: settings.eventsSecretSource._tag === "Env"
      }
      : settings.eventsUrl
  ).pipe(
    Effect.flatMap((outcome) => {
      if (outcome._tag === "Unchanged" && Option.isSome(outcome.existing)) {
        return Effect.logWarning(
          "WA_SESSION_EVENTS_URL is not set, but the configured endpoint stored (by an earlier start, or another server " +
            "on this database) keeps receiving events; WA_SESSION_EVENTS_URL=none removes it"
        ).pipe(Effect.annotateLogs({ url: Delivery.redactUrl(outcome.existing.value.url) }))
      }
      if (outcome._tag === "Set" && outcome.keptStoredSecret) {
        return Effect.logWarning(
          "the configured endpoint keeps the signing secret already stored (set by an earlier start, or another " +
            "server on this database), not the one generated here; set WA_SESSION_EVENTS_SECRET to change it"
        )
      }
      return Effect.void
    }),
    Effect.catchAll((error) => Effect.logError("the configured events endpoint could not be set", error))
  )

export const make = (intervals: WorkerIntervals = DEFAULT_INTERVALS) =>
  Effect.gen(function*() {
    const settings = yield* ServerConfig
    const metrics = yield* Metrics.Metrics
    const ingest = yield* Ingest
    const runSync = Runtime.runSync(yield* Effect.runtime<never>())

    yield* configureEventsEndpoint(settings)

    const outcomes = { Delivered: "delivered", Retry: "retry", GiveUp: "failed", Gone: "gone" } as const
    // the worker tells each attempt's outcome through a plain callback
    const worker = yield* RelayService.makeDeliveryWorker((outcome) =>
      runSync(Metric.increment(metrics.deliveries(outcomes[outcome])))
    )
    // stopping the server: the attempts in flight end (each bounded by its timeout) and are recorded first
    yield* Effect.addFinalizer(() => worker.drain)
    const loopMeter = makeLoopMeter()
    const deliveries = Effect.gen(function*() {
      const utilization = yield* loopMeter
      const saturated = (yield* ingest.busy) && utilization >= SATURATED_LOOP
      const started = yield* worker.pump(saturated ? DELIVERIES_WHEN_SATURATED : undefined)
      // a pair's next event is in line once its previous one went out: after starting some, look again soon (not at
      // once: they need the event loop too); while only slow attempts are in flight, less often
      if (started > 0) yield* Effect.sleep(saturated ? LOOK_AGAIN_WHEN_SATURATED : LOOK_AGAIN_AFTER_START)
      else if ((yield* worker.inFlight) > 0) yield* Effect.sleep(LOOK_AGAIN_IN_FLIGHT)
      else return false
      return true
    })
    const countJobs = (counts: ReadonlyArray<readonly [Metrics.SendJobOutcome, number]>) =>
      Effect.forEach(counts, ([outcome, count]) => Metrics.incrementBy(metrics.sendJobs(outcome), count), {
        discard: true
      })
    const sends = Effect.flatMap(SessionService.sendQueued(SEND_BATCH), (round) =>
      Effect.as(
        countJobs([
          ["accepted", round.sent],
          ["failed", round.failed],
          ["unknown", round.unknown],
          ["deferred", round.deferred]
        ]),
        round.sent + round.failed + round.unknown + round.deferred >= SEND_BATCH
      ))
    const recovery = Effect.flatMap(SessionService.recoverSends(settings.sendLease), (recovered) =>
      Effect.as(countJobs([["requeued", recovered.requeued], ["abandoned", recovered.unknown]]), false))
    const scheduler = Effect.gen(function*() {
      const events = yield* SessionService.emitDueWindowEvents(SCHEDULER_BATCH)
      yield* Metrics.incrementBy(metrics.scheduledEvents, events)
      const expired = yield* SessionService.expireParked(SCHEDULER_BATCH)
      yield* Metrics.incrementBy(metrics.parking("expired"), expired)
      return events >= SCHEDULER_BATCH || expired >= SCHEDULER_BATCH
    })
    const retention = Effect.map(SessionService.prune(settings.retention, PRUNE_BATCH), (pruned) => {
      const again = SessionService.isPartial(pruned, PRUNE_BATCH)
      const removed = pruned.inbound + pruned.outbound + pruned.deliveries + pruned.events + pruned.quarantine
      return Effect.as(
        removed > 0 ? Effect.logInfo("retention: pruned").pipe(Effect.annotateLogs({ ...pruned })) : Effect.void,
        again
      )
    }).pipe(Effect.flatten)

    yield* Effect.forkScoped(loop("deliveries", intervals.deliveries, deliveries))
    for (let i = 0; i < SEND_WORKERS; i++) {
      yield* Effect.forkScoped(loop("sends", intervals.sends, sends, toTheEnd(SEND_SHUTDOWN_GRACE)))
    }
    yield* Effect.forkScoped(loop("send-recovery", intervals.scheduler, recovery))
    yield* Effect.forkScoped(loop("scheduler", intervals.scheduler, scheduler))
    yield* Effect.forkScoped(loop("retention", intervals.retention, retention))
  })

export type WorkerServices =
  | Ingest
  | ServerConfig
  | Metrics.Metrics
  | RelayService.RelayConfig
  | EventLog.EventLog
  | EventTransport.EventTransport
  | SessionStore.SessionStore
  | SessionService.SessionConfig
  | MessageSender.MessageSender

export const layer = (intervals?: WorkerIntervals): Layer.Layer<never, never, WorkerServices> =>
  Layer.scopedDiscard(make(intervals))
