import { RandomIds, Settings, VirtualClock } from "@wa-session/clock"
import {
  type DecisionError,
  Durations,
  Outbound,
  PhoneNumber,
  SessionService,
  SessionStore,
  type SessionWindow
} from "@wa-session/session-core"
import { MemoryStore } from "@wa-session/storage"
import { DateTime, Duration, Effect, Either, Layer, Option, type ParseResult, Predicate, Schema } from "effect"
import { UsageError } from "./Errors.js"
import { formatIssues, Instant } from "./Input.js"

// ---------------------------------------------------------------------------------------------------------------
// the file

const Required = Schema.Unknown.pipe(
  Schema.filter((value) => value !== undefined, { message: () => "is missing" })
)

/** The kinds of event, in the order the error for an unknown kind lists them. */
const Kind = Schema.Literal("inbound", "send", "check")
type Kind = typeof Kind.Type

const InboundEvent = Schema.Struct({
  at: Instant,
  kind: Schema.Literal("inbound"),
  customer: PhoneNumber.FromString,
  messageId: Schema.optional(Schema.NonEmptyTrimmedString),
  sentAt: Schema.optional(Instant)
})

const SendEvent = Schema.Struct({
  at: Instant,
  kind: Schema.Literal("send"),
  customer: PhoneNumber.FromString,
  content: Required,
  fallback: Schema.optional(Schema.Unknown),
  // since 0.2.0: park the message while the window is not open, released by the customer's next message
  whenClosed: Schema.optional(Schema.Literal("fallback", "park")),
  ttl: Schema.optional(Durations.FromString)
})

const CheckEvent = Schema.Struct({
  at: Instant,
  kind: Schema.Literal("check"),
  customer: PhoneNumber.FromString
})

export const Event = Schema.Union(InboundEvent, SendEvent, CheckEvent)
export type Event = typeof Event.Type

/** As `WA_SESSION_SAFETY_MARGIN`: a margin of 24 hours or more would leave no window ever open. */
const SafetyMargin = Durations.FromString.pipe(
  Schema.filter((margin) => Duration.lessThan(margin, Duration.hours(24)) || "must be shorter than 24 hours")
)

/** A timeline: one business number, the safety margin, and events processed in file order. */
export const Timeline = Schema.Struct({
  business: PhoneNumber.FromString,
  safetyMargin: Schema.optional(SafetyMargin),
  events: Schema.Array(Event)
})
export type Timeline = typeof Timeline.Type

const Envelope = Schema.Struct({
  business: PhoneNumber.FromString,
  safetyMargin: Schema.optional(SafetyMargin),
  events: Schema.Array(Schema.Unknown)
})

const options = { errors: "all", onExcessProperty: "error" } as const

/** The decoder of each kind: the compiler checks there is one a kind, and that each one decodes an Event. */
const decoders = {
  inbound: Schema.decodeUnknownEither(InboundEvent, options),
  send: Schema.decodeUnknownEither(SendEvent, options),
  check: Schema.decodeUnknownEither(CheckEvent, options)
} satisfies {
  readonly [K in Kind]: (input: unknown) => Either.Either<Extract<Event, { readonly kind: K }>, ParseResult.ParseError>
}
const isKind = Schema.is(Kind)

/** Decodes one event with the schema of its kind, so every problem is named by its own path. */
const decodeEvent = (event: unknown, index: number): Either.Either<Event, ReadonlyArray<string>> => {
  const at = `events[${index}]`
  if (typeof event !== "object" || event === null || Array.isArray(event)) {
    return Either.left([`${at}: must be an object with at, kind and customer`])
  }
  const kind = "kind" in event ? event.kind : undefined
  if (!isKind(kind)) {
    const got = kind === undefined ? "it is missing" : `got ${JSON.stringify(kind)}`
    return Either.left([`${at}.kind: must be one of ${Kind.literals.join(", ")}; ${got}`])
  }
  const decoded: Either.Either<Event, ParseResult.ParseError> = decoders[kind](event)
  return Either.mapLeft(decoded, (error) => formatIssues(error, ["events", index]))
}

/** Decodes a parsed file; every problem is named by its path (`events[3].at: …`), all of them at once. */
export const decode = (input: unknown, file: string): Either.Either<Timeline, UsageError> => {
  const issues: Array<string> = []
  const envelope = Schema.decodeUnknownEither(Envelope, options)(input)
  if (Either.isLeft(envelope)) issues.push(...formatIssues(envelope.left))
  const rawEvents: ReadonlyArray<unknown> = Predicate.hasProperty(input, "events") && Array.isArray(input.events)
    ? input.events
    : []
  const events: Array<Event> = []
  rawEvents.forEach((raw, index) =>
    Either.match(decodeEvent(raw, index), {
      onLeft: (problems) => issues.push(...problems),
      onRight: (event) => events.push(event)
    })
  )
  if (Either.isLeft(envelope) || issues.length > 0) {
    return Either.left(
      new UsageError({ field: file, message: issues.map((issue) => `${file}: ${issue}`).join("\n"), issues })
    )
  }
  return Either.right({ ...envelope.right, events })
}

// ---------------------------------------------------------------------------------------------------------------
// the run

export type Reason = "SESSION_EXPIRED" | "NO_ACTIVE_SESSION" | "MESSAGE_TYPE_NOT_SUPPORTED" | "INVALID_MESSAGE"

/** One line of the output: the contract of `simulate --json`. */
export interface Step {
  readonly index: number
  readonly at: string
  readonly kind: Event["kind"]
  readonly customer: string
  readonly state: SessionWindow.WindowState
  readonly expiresAt: string | null
  readonly decision: "session" | "template" | "parked" | "rejected" | null
  readonly reason: Reason | null
  /** A parked send: whether its fallback template went as the re-engagement template (JSON only then). */
  readonly reengagement: boolean | null
  /** An inbound event: the indexes of the send events whose parked messages it released, in release order. */
  readonly released: ReadonlyArray<number>
  /** For people, not in the JSON: the rejection message, the duplicate flag. */
  readonly note: string | null
}

const iso = (at: DateTime.Utc) => DateTime.formatIso(at)

const refusalCode = (error: DecisionError): Reason => error.code

/**
 * Replays the timeline on a virtual clock (set to each event's `at`) and an in-memory store, through the same use
 * cases as the server; every send is a dry run.
 */
export const run = (timeline: Timeline): Effect.Effect<ReadonlyArray<Step>> =>
  Effect.gen(function*() {
    const clock = yield* VirtualClock.VirtualClock
    const business = timeline.business
    const store = yield* SessionStore.SessionStore
    const steps: Array<Step> = []
    // the event index of each parked message, to name what an inbound event releases
    const parkedBy = new Map<string, number>()
    for (const [index, event] of timeline.events.entries()) {
      yield* clock.set(event.at)
      const pair = { business, customer: event.customer }
      const base = {
        index,
        at: iso(event.at),
        kind: event.kind,
        customer: event.customer,
        reengagement: null,
        released: []
      }
      const window = Effect.map(SessionService.windowStatus(pair), (status) => ({
        state: status.state,
        expiresAt: Option.getOrNull(Option.map(status.expiresAt, iso))
      }))
      switch (event.kind) {
        case "inbound": {
          // the pair's parked messages, in release order: those that left the parking as session messages were released
          const waiting = parkedBy.size === 0
            ? []
            : yield* store.listParked({
              business: Option.some(business),
              customer: Option.some(event.customer),
              limit: parkedBy.size
            })
          const recorded = yield* SessionService.recordInbound({
            business,
            customer: event.customer,
            messageId: event.messageId ?? `sim_${index}`,
            providerTimestamp: Option.some(event.sentAt ?? event.at)
          })
          const notes = [
            recorded.duplicate ? "duplicate message id: nothing changed" : null,
            recorded.adjustment === "future" ? "sentAt is in the future: counted from at" : null
          ].filter((note) => note !== null)
          const released: Array<number> = []
          for (const parked of waiting) {
            const current = yield* store.findOutbound(parked.id)
            const sendIndex = parkedBy.get(parked.id)
            if (Option.isSome(current) && !Outbound.isParked(current.value) && sendIndex !== undefined) {
              parkedBy.delete(parked.id)
              if (current.value.status !== "expired" && current.value.status !== "cancelled") released.push(sendIndex)
            }
          }
          if (released.length > 0) notes.push(`released ${released.map((i) => `#${i}`).join(", ")}`)
          steps.push({
            ...base,
            ...(yield* window),
            decision: null,
            reason: null,
            released,
            note: notes.length === 0 ? null : notes.join("; ")
          })
          break
        }
        case "send": {
          const outcome = yield* SessionService.send({
            from: business,
            to: event.customer,
            content: event.content,
            fallback: event.fallback,
            idempotencyKey: Option.none(),
            dryRun: true,
            whenClosed: event.whenClosed,
            ttl: event.ttl
          }).pipe(Effect.either)
          if (Either.isRight(outcome)) {
            const message = outcome.right.message
            const parked = Outbound.isParked(message)
            const reengaged = Option.isSome(outcome.right.reengagement ?? Option.none())
            if (parked) parkedBy.set(message.id, index)
            steps.push({
              ...base,
              state: message.windowState,
              expiresAt: Option.getOrNull(Option.map(message.windowExpiresAt, iso)),
              decision: parked ? "parked" : message.decision,
              reason: Option.getOrNull(message.reason),
              reengagement: parked ? reengaged : null,
              note: parked
                ? reengaged
                  ? "parked; the fallback template went to re-engage"
                  : event.fallback === undefined
                  ? "parked; no fallback template to re-engage with"
                  : "parked; no template: the customer was re-engaged within the interval"
                : null
            })
          } else if (
            outcome.left._tag === "ProviderError" || outcome.left._tag === "StorageError" ||
            outcome.left._tag === "IdempotencyKeyReused" // no key is given: impossible
          ) {
            return yield* Effect.die(outcome.left)
          } else {
            steps.push({
              ...base,
              ...(yield* window),
              decision: "rejected",
              reason: refusalCode(outcome.left),
              note: outcome.left._tag === "InvalidMessage" || outcome.left._tag === "MessageTypeNotSupported"
                ? outcome.left.message
                : "no fallback template given"
            })
          }
          break
        }
        case "check": {
          steps.push({ ...base, ...(yield* window), decision: null, reason: null, note: null })
          break
        }
      }
    }
    return steps
  }).pipe(
    Effect.provide(
      Layer.mergeAll(
        MemoryStore.layer,
        RandomIds.layerSequential("sim_msg_"),
        // every simulated send is a dry run: the sender is never called
        Settings.DryRunSender,
        SessionService.layerConfig({
          safetyMargin: timeline.safetyMargin ?? Duration.zero,
          dryRun: true
        }),
        VirtualClock.layer(timeline.events[0]?.at ?? DateTime.unsafeMake(0))
      )
    ),
    Effect.orDie
  )

/** The `--json` form: exactly the contract's fields, in order. */
export const toJson = (steps: ReadonlyArray<Step>) =>
  steps.map((step) => ({
    index: step.index,
    at: step.at,
    kind: step.kind,
    customer: step.customer,
    state: step.state,
    expiresAt: step.expiresAt,
    decision: step.decision,
    reason: step.reason,
    // since 0.2.0, only where they say something: a parked send, an inbound event that released parked messages
    ...(step.reengagement === null ? {} : { reengagement: step.reengagement }),
    ...(step.released.length === 0 ? {} : { released: step.released })
  }))
