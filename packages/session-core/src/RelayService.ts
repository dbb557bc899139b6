/**
 * The relay's use cases: the business's endpoints (added, listed, deleted; the configured one set from settings),
 * delivery rounds (claim what is due, post it, record the verdict), the event log and replays. Effects over the
 * ports (`EventLog`, `EventTransport`, `Tokens`) and Effect's `Clock`.
 *
 * @since 0.2.0
 */
import * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Delivery from "./Delivery.js"
import * as Event from "./Event.js"
import { EventLog } from "./EventLog.js"
import type { Attempt, Claimed, DeliveryPage, DeliveryQuery, EventPage, EventQuery } from "./EventLog.js"
import { EventTransport } from "./EventTransport.js"
import type { InvalidCursor, StorageError } from "./SessionStore.js"
import { Tokens } from "./Tokens.js"

/**
 * Settings of the relay: the retry policy, how long a claimed delivery is leased (longer than an attempt's
 * timeout), and how many deliveries a worker posts at once (`concurrency`; it claims no more than that).
 *
 * @since 0.2.0
 * @category models
 */
export interface RelaySettings {
  readonly retry: Delivery.RetryPolicy
  readonly leaseFor: Duration.Duration
  readonly concurrency: number
}

/**
 * @since 0.2.0
 * @category tags
 */
export class RelayConfig extends Context.Tag("@wa-session/session-core/RelayConfig")<RelayConfig, RelaySettings>() {}

/**
 * The default retry policy, a one-minute lease, 32 deliveries posted at once.
 *
 * @since 0.2.0
 * @category constants
 */
export const defaultSettings: RelaySettings = {
  retry: Delivery.defaultRetryPolicy,
  leaseFor: Duration.minutes(1),
  concurrency: 32
}

/**
 * @since 0.2.0
 * @category layers
 */
export const layerConfig = (settings: Partial<RelaySettings> = {}): Layer.Layer<RelayConfig> =>
  Layer.succeed(RelayConfig, { ...defaultSettings, ...settings })

/**
 * An endpoint the HTTP API or the CLI was asked to add is not acceptable: `field` says which part, `reason` why.
 *
 * @since 0.2.0
 * @category errors
 */
export class InvalidEndpoint extends Schema.TaggedError<InvalidEndpoint>("@wa-session/session-core/InvalidEndpoint")(
  "InvalidEndpoint",
  { field: Schema.Literal("url", "events", "secret"), reason: Schema.String }
) {
  /** @since 0.2.0 */
  readonly code = "INVALID_ENDPOINT" as const
  /** @since 0.2.0 */
  override get message(): string {
    return `${this.field}: ${this.reason}`
  }
}

/**
 * No endpoint has this id.
 *
 * @since 0.2.0
 * @category errors
 */
export class EndpointNotFound extends Schema.TaggedError<EndpointNotFound>("@wa-session/session-core/EndpointNotFound")(
  "EndpointNotFound",
  { id: Schema.String }
) {
  /** @since 0.2.0 */
  readonly code = "ENDPOINT_NOT_FOUND" as const
  /** @since 0.2.0 */
  override get message(): string {
    return `no endpoint ${this.id}`
  }
}

/**
 * The endpoint comes from the settings (`WA_SESSION_EVENTS_URL`): change the setting, or set it to `none` to remove
 * the endpoint (a server started without it keeps the stored one).
 *
 * @since 0.2.0
 * @category errors
 */
export class EndpointConfigured
  extends Schema.TaggedError<EndpointConfigured>("@wa-session/session-core/EndpointConfigured")(
    "EndpointConfigured",
    { id: Schema.String }
  )
{
  /** @since 0.2.0 */
  readonly code = "ENDPOINT_CONFIGURED" as const
  /** @since 0.2.0 */
  override get message(): string {
    return `endpoint ${this.id} comes from WA_SESSION_EVENTS_URL; change that setting, or set it to none to remove it`
  }
}

const decodePath = (path: string): string => {
  try {
    return decodeURIComponent(path)
  } catch {
    // a malformed escape: the raw path is judged
    return path
  }
}

// at any depth: a server may be mounted under a path prefix
const EXOTEL_WEBHOOK_PATH = /(?:^|\/)webhooks\/+exotel(?:\/|$)/i

/**
 * Whether `url` (absolute) is a wa-session Exotel webhook: its path holds `webhooks/exotel` as whole segments, in
 * any case, percent-encoded or not. Events sent there would come back as quarantined items, each a new event: a loop.
 *
 * @since 0.3.0
 * @category predicates
 */
export const isExotelWebhookUrl = (url: string): boolean =>
  URL.canParse(url) && EXOTEL_WEBHOOK_PATH.test(decodePath(new URL(url).pathname))

/**
 * Checks an endpoint URL: absolute `http` or `https` (which always have a host), no fragment, not a wa-session
 * Exotel webhook (`/webhooks/exotel/…`, on any host: this server's own names are not all known).
 *
 * @since 0.2.0
 * @category constructors
 */
export const parseUrl = (input: string): Effect.Effect<string, InvalidEndpoint> => {
  let url: URL
  try {
    url = new URL(input.trim())
  } catch {
    return Effect.fail(
      new InvalidEndpoint({ field: "url", reason: `"${Delivery.redactUrl(input)}" is not an absolute URL` })
    )
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return Effect.fail(new InvalidEndpoint({ field: "url", reason: `only http and https, got ${url.protocol}` }))
  }
  if (url.hash !== "") return Effect.fail(new InvalidEndpoint({ field: "url", reason: "no #fragment, please" }))
  if (isExotelWebhookUrl(url.href)) {
    return Effect.fail(
      new InvalidEndpoint({
        field: "url",
        reason: "it is a wa-session Exotel webhook (/webhooks/exotel/…): events sent there would come back as " +
          "quarantined items, each one a new event, in a loop; give your application's own URL"
      })
    )
  }
  return Effect.succeed(url.toString())
}

const parseEvents = (
  events: Option.Option<ReadonlyArray<string>>
): Effect.Effect<Option.Option<ReadonlyArray<Event.EventType>>, InvalidEndpoint> =>
  Option.match(events, {
    onNone: () => Effect.succeed(Option.none()),
    onSome: (types) => {
      if (types.length === 0) {
        return Effect.fail(new InvalidEndpoint({ field: "events", reason: "empty: leave it out for every type" }))
      }
      const [unknown, known] = Arr.partition(types, Event.isEventType)
      return unknown.length > 0
        ? Effect.fail(
          new InvalidEndpoint({
            field: "events",
            reason: `unknown type ${unknown.map((t) => JSON.stringify(t)).join(", ")}; the types are ${
              Event.EVENT_TYPES.join(", ")
            }`
          })
        )
        : Effect.succeed(Option.some([...new Set(known)]))
    }
  })

/**
 * A request to add an endpoint: its URL, the event types it wants (all when `None`) and its signing secret (a new
 * one when `None`).
 *
 * @since 0.2.0
 * @category models
 */
export interface NewEndpoint {
  readonly url: string
  readonly events: Option.Option<ReadonlyArray<string>>
  readonly secret: Option.Option<Redacted.Redacted<string>>
}

/**
 * Adds an endpoint: it gets every event (of its types) recorded from now on, signed with its secret, which is
 * returned here once.
 *
 * @example
 * ```ts
 * import { RelayService } from "@wa-session/session-core"
 * import { Option } from "effect"
 * const added = RelayService.addEndpoint({
 *   url: "https://example.com/wa-events",
 *   events: Option.some(["message.received", "window.expiring"]),
 *   secret: Option.none() // generated: Redacted, shown to the caller once
 * })
 * ```
 * @since 0.2.0
 * @category use cases
 */
export const addEndpoint = (
  input: NewEndpoint
): Effect.Effect<Delivery.Endpoint, InvalidEndpoint | StorageError, EventLog | Tokens> =>
  Effect.gen(function*() {
    const url = yield* parseUrl(input.url)
    const events = yield* parseEvents(input.events)
    const tokens = yield* Tokens
    const secret = yield* Option.match(input.secret, {
      onNone: () => tokens.secret,
      onSome: (secret) =>
        Delivery.isValidSecret(Redacted.value(secret))
          ? Effect.succeed(secret)
          : Effect.fail(
            new InvalidEndpoint({ field: "secret", reason: "expected whsec_ and the base64 of 24 to 64 random bytes" })
          )
    })
    const endpoint = new Delivery.Endpoint({
      id: yield* tokens.id("ep_"),
      url,
      events,
      secret,
      state: "enabled",
      disabledReason: Option.none(),
      createdAt: yield* DateTime.now
    })
    yield* Effect.flatMap(EventLog, (log) => log.addEndpoint(endpoint))
    return endpoint
  })

/**
 * @since 0.2.0
 * @category use cases
 */
export const listEndpoints: Effect.Effect<ReadonlyArray<Delivery.Endpoint>, StorageError, EventLog> = Effect.flatMap(
  EventLog,
  (log) => log.listEndpoints
)

/**
 * Deletes an endpoint; its pending deliveries fail ("endpoint deleted"). The configured endpoint cannot be deleted
 * this way (`EndpointConfigured`, or `EndpointNotFound` when there is none).
 *
 * @since 0.2.0
 * @category use cases
 */
export const deleteEndpoint = (
  id: string
): Effect.Effect<void, EndpointNotFound | EndpointConfigured | StorageError, EventLog> =>
  Effect.gen(function*() {
    const log = yield* EventLog
    if (id === Delivery.CONFIGURED_ENDPOINT_ID) {
      return yield* Option.isSome(yield* log.findEndpoint(id))
        ? new EndpointConfigured({ id })
        : new EndpointNotFound({ id })
    }
    if (!(yield* log.deleteEndpoint(id, yield* DateTime.now))) return yield* new EndpointNotFound({ id })
  })

/**
 * What the settings say about the configured endpoint (`WA_SESSION_EVENTS_URL`): not set (leave it as it is: another
 * server sharing the database may have set it), `none` (remove it), or a URL with the secret that signs deliveries to
 * it, given explicitly or not (a secret generated on this machine does not replace the one already stored).
 *
 * @since 0.2.0
 * @category models
 */
export type ConfiguredEndpointSetting =
  | { readonly _tag: "Unset" }
  | { readonly _tag: "Off" }
  | {
    readonly _tag: "Url"
    readonly url: string
    readonly secret: Redacted.Redacted<string>
    readonly secretGiven: boolean
  }

/**
 * What `configureEndpoint` did: nothing (and the endpoint that stays, if any), removed it, or set it (keeping the
 * stored secret when the one of the settings was not given explicitly and differs).
 *
 * @since 0.2.0
 * @category models
 */
export type ConfiguredEndpointOutcome =
  | { readonly _tag: "Unchanged"; readonly existing: Option.Option<Delivery.Endpoint> }
  | { readonly _tag: "Removed" }
  | { readonly _tag: "Set"; readonly keptStoredSecret: boolean }

/**
 * Applies the settings to the configured endpoint, which gets every event type.
 *
 * @since 0.2.0
 * @category use cases
 */
export const configureEndpoint = (
  setting: ConfiguredEndpointSetting
): Effect.Effect<ConfiguredEndpointOutcome, InvalidEndpoint | StorageError, EventLog> =>
  Effect.gen(function*() {
    const log = yield* EventLog
    const now = yield* DateTime.now
    switch (setting._tag) {
      case "Unset":
        return { _tag: "Unchanged", existing: yield* log.findEndpoint(Delivery.CONFIGURED_ENDPOINT_ID) } as const
      case "Off":
        yield* log.configureEndpoint(Option.none(), now)
        return { _tag: "Removed" } as const
      case "Url": {
        const url = yield* parseUrl(setting.url)
        const stored = setting.secretGiven ? Option.none() : yield* log.findEndpoint(Delivery.CONFIGURED_ENDPOINT_ID)
        const secret = Option.match(stored, { onNone: () => setting.secret, onSome: (endpoint) => endpoint.secret })
        yield* log.configureEndpoint(
          Option.some(
            new Delivery.Endpoint({
              id: Delivery.CONFIGURED_ENDPOINT_ID,
              url,
              events: Option.none(),
              secret,
              state: "enabled",
              disabledReason: Option.none(),
              createdAt: now
            })
          ),
          now
        )
        return { _tag: "Set", keptStoredSecret: Redacted.value(secret) !== Redacted.value(setting.secret) } as const
      }
    }
  })

/**
 * How an attempt ended, for metrics.
 *
 * @since 0.2.0
 * @category models
 */
export type AttemptOutcome = Delivery.Verdict["_tag"]

/**
 * A delivery worker: attempts run side by side (`concurrency` at once), each started as soon as a slot is free, so
 * that a slow or hung endpoint only holds its own slot (its attempt ends at the timeout);
 * their results are recorded together as they finish (one store write for all that finished meanwhile).
 *
 * @since 0.2.0
 * @category models
 */
export interface DeliveryWorker {
  /**
   * Claims what is due now, up to the free capacity (at most `limit` when given), and starts posting it; the number
   * started. A scheduler calls it every few hundred milliseconds, and again at once while it starts something.
   */
  readonly pump: (limit?: number) => Effect.Effect<number, StorageError>
  /** The attempts in flight. */
  readonly inFlight: Effect.Effect<number>
  /** Waits for the attempts in flight to end and records them (a server stopping). */
  readonly drain: Effect.Effect<void>
}

/** How often a delivery worker records the attempts that finished, and how many make it record at once. */
const RECORD_EVERY = Duration.millis(25)
const RECORD_EVERY_ATTEMPTS = 50

/**
 * Makes a delivery worker, for the life of the scope; `onAttempt` is told each attempt's outcome (metrics). What it started and recorded is
 * finished by `drain`; an attempt it could not record (the store failed) is delivered again after its lease.
 *
 * @example
 * ```ts
 * import { RelayService } from "@wa-session/session-core"
 * import { Effect } from "effect"
 * const program = Effect.gen(function*() {
 *   const worker = yield* RelayService.makeDeliveryWorker()
 *   yield* worker.pump() // every 500 ms, in a background fiber; worker.drain when stopping
 * })
 * ```
 * @since 0.2.0
 * @category use cases
 */
export const makeDeliveryWorker = (
  onAttempt: (outcome: AttemptOutcome) => void = () => {}
): Effect.Effect<DeliveryWorker, never, EventLog | EventTransport | RelayConfig | Scope.Scope> =>
  Effect.gen(function*() {
    const log = yield* EventLog
    const transport = yield* EventTransport
    const settings = yield* RelayConfig
    const recording = yield* Effect.makeSemaphore(1)
    const finished: Array<{ readonly claimed: Claimed; readonly attempt: Attempt }> = []
    const running = new Set<Fiber.RuntimeFiber<void>>()

    const record = recording.withPermits(1)(
      Effect.suspend(() => {
        const batch = finished.splice(0)
        return batch.length === 0
          ? Effect.void
          : log.completeDeliveries(batch).pipe(
            Effect.catchAll((error) =>
              Effect.logWarning("delivery attempts not recorded; they are retried after their lease", error)
            )
          )
      })
    )

    const attempt = (claim: Claimed) =>
      Effect.gen(function*() {
        const attemptAt = yield* DateTime.now
        // a defect in the transport is an attempt without an answer, retried like one: never a delivery left claimed
        const result = yield* transport.post(claim.endpoint, claim.event, attemptAt).pipe(
          Effect.catchAllDefect((defect) =>
            Effect.as(
              Effect.logError("delivery attempt failed unexpectedly", Cause.die(defect)),
              { _tag: "NoAnswer", detail: "internal error" } as const
            )
          )
        )
        const verdict = Delivery.judge(
          settings.retry,
          result,
          claim.delivery.attempts + 1,
          claim.delivery.createdAt,
          yield* DateTime.now,
          `${claim.delivery.endpointId}|${claim.delivery.eventId}`
        )
        finished.push({
          claimed: claim,
          attempt: {
            at: attemptAt,
            status: result._tag === "Answered" ? Option.some(result.status) : Option.none(),
            error: result._tag === "NoAnswer" ? Option.some(result.detail) : Option.none(),
            verdict
          }
        })
        onAttempt(verdict._tag)
        if (finished.length >= RECORD_EVERY_ATTEMPTS) yield* record
      })

    // what finished is recorded together: every RECORD_EVERY, or at once when RECORD_EVERY_ATTEMPTS are waiting
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(RECORD_EVERY), record)))

    const pump = (limit?: number) =>
      Effect.gen(function*() {
        // no more claimed than can run at once: a claim waiting for a slot would hold its lease for nothing
        const free = Math.min(Math.max(1, settings.concurrency) - running.size, limit ?? Number.POSITIVE_INFINITY)
        if (free <= 0) return 0
        const claimed = yield* log.claimDeliveries({
          now: yield* DateTime.now,
          limit: free,
          leaseFor: settings.leaseFor
        })
        for (const claim of claimed) {
          // its own fiber: not interrupted with the caller's (drain waits for it instead)
          const fiber = yield* Effect.forkDaemon(attempt(claim))
          running.add(fiber)
          fiber.addObserver(() => running.delete(fiber))
        }
        return claimed.length
      })

    return {
      pump,
      inFlight: Effect.sync(() => running.size),
      drain: Effect.zipRight(Effect.suspend(() => Fiber.awaitAll([...running])), record)
    }
  })

/**
 * The event log after an event, of some types.
 *
 * @since 0.2.0
 * @category use cases
 */
export const listEvents = (query: EventQuery): Effect.Effect<EventPage, StorageError | InvalidCursor, EventLog> =>
  Effect.flatMap(EventLog, (log) => log.listEvents(query))

/**
 * @since 0.2.0
 * @category use cases
 */
export const listDeliveries = (
  query: DeliveryQuery
): Effect.Effect<DeliveryPage, StorageError | InvalidCursor, EventLog> =>
  Effect.flatMap(EventLog, (log) => log.listDeliveries(query))

/**
 * What to replay: deliveries of one endpoint or all, of events since an instant and/or the given event ids.
 *
 * @since 0.2.0
 * @category models
 */
export interface ReplayInput {
  readonly endpointId: Option.Option<string>
  readonly since: Option.Option<DateTime.Utc>
  readonly eventIds: Option.Option<ReadonlyArray<string>>
}

/**
 * Sends events again (same `webhook-id`): delivered and failed deliveries become pending, and an endpoint gets the
 * events it never had a delivery for. The number of deliveries made pending.
 *
 * @since 0.2.0
 * @category use cases
 */
export const replay = (
  input: ReplayInput
): Effect.Effect<number, EndpointNotFound | StorageError, EventLog> =>
  Effect.gen(function*() {
    const log = yield* EventLog
    if (Option.isSome(input.endpointId) && Option.isNone(yield* log.findEndpoint(input.endpointId.value))) {
      return yield* new EndpointNotFound({ id: input.endpointId.value })
    }
    return yield* log.replay({ ...input, now: yield* DateTime.now })
  })
