/**
 * The use cases: record what customers send, answer what the window is, decide and send with a template
 * fallback, and apply delivery reports. Effects over the ports (`SessionStore`, `MessageSender`, `Ids`) and
 * Effect's `Clock`; adapters provide them, apps wire them.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ClockSkew from "./ClockSkew.js"
import * as Decision from "./Decision.js"
import type { DecisionError } from "./Errors.js"
import { Ids } from "./Ids.js"
import type { TemplateContent } from "./MessageContent.js"
import { MessageSender, ProviderError } from "./MessageSender.js"
import { type FallbackReason, OutboundMessage, type OutboundStatus, StatusEvent } from "./Outbound.js"
import type { Pair, PhoneNumber } from "./PhoneNumber.js"
import { type InvalidCursor, type OutboundRef, SessionStore, type StorageError } from "./SessionStore.js"
import * as SessionWindow from "./SessionWindow.js"

/**
 * Settings of the use cases.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionSettings {
  /** Close windows this long before their true expiry. */
  readonly safetyMargin: Duration.Duration
  /** How far a provider timestamp may be ahead of the receive time (clock-skew guard). */
  readonly skewTolerance: Duration.Duration
  /** Decide and store, send nothing. */
  readonly dryRun: boolean
}

/**
 * @since 0.1.0
 * @category tags
 */
export class SessionConfig extends Context.Tag("@wa-session/session-core/SessionConfig")<
  SessionConfig,
  SessionSettings
>() {}

/**
 * The defaults: no safety margin, 5 minutes of skew tolerance, real sends.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultSettings: SessionSettings = {
  safetyMargin: Duration.zero,
  skewTolerance: ClockSkew.DEFAULT_TOLERANCE,
  dryRun: false
}

/**
 * @example
 * ```ts
 * import { SessionService } from "@wa-session/session-core"
 * import { Duration, Effect, Option } from "effect"
 * declare const pair: { business: PhoneNumber; customer: PhoneNumber }
 * // provide SessionStore, MessageSender and Ids from the adapters, and the settings:
 * const program = SessionService.windowStatus(pair).pipe(
 *   Effect.provide(SessionService.layerConfig({ safetyMargin: Duration.minutes(5) }))
 * )
 * ```
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (settings: Partial<SessionSettings> = {}): Layer.Layer<SessionConfig> =>
  Layer.succeed(SessionConfig, { ...defaultSettings, ...settings })

/**
 * A customer's message as a webhook (or an operator) reports it.
 *
 * @since 0.1.0
 * @category models
 */
export interface InboundInput {
  readonly business: PhoneNumber
  readonly customer: PhoneNumber
  readonly messageId: string
  readonly providerTimestamp: Option.Option<DateTime.Utc>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface InboundResult {
  readonly duplicate: boolean
  readonly window: SessionWindow.SessionWindow
  readonly adjustment: ClockSkew.Adjustment
}

/**
 * An inbound message ready for the store, and what the clock-skew guard did to its timestamp.
 *
 * @since 0.2.0
 * @category models
 */
export interface PreparedInbound {
  readonly message: SessionWindow.InboundMessage
  readonly adjustment: ClockSkew.Adjustment
}

/**
 * An inbound message received at `receivedAt` as the store records it: its provider timestamp through the
 * clock-skew guard. Pure; `recordInbound` calls it with the clock's now, and a webhook that stores many messages
 * in one write calls it for each. `validated: true` skips the constructor's checks, for fields a decoder has
 * already validated.
 *
 * @example
 * ```ts
 * import { PhoneNumber, SessionService } from "@wa-session/session-core"
 * import { DateTime, Option } from "effect"
 * const prepared = SessionService.prepareInbound(
 *   {
 *     business: PhoneNumber.unsafeMake("+919876500001"),
 *     customer: PhoneNumber.unsafeMake("+919876543210"),
 *     messageId: "wamid.1",
 *     providerTimestamp: Option.some(DateTime.unsafeMake("2026-01-20T11:00:00Z"))
 *   },
 *   DateTime.unsafeMake("2026-01-20T10:00:00Z")
 * )
 * prepared.adjustment // "future": an hour ahead of the receive time, so the window counts from 10:00
 * ```
 * @since 0.2.0
 * @category constructors
 */
export const prepareInbound = (
  input: InboundInput,
  receivedAt: DateTime.Utc,
  settings: Pick<SessionSettings, "skewTolerance"> = defaultSettings,
  options: { readonly validated?: boolean } = {}
): PreparedInbound => {
  const guarded = ClockSkew.guard(input.providerTimestamp, receivedAt, settings.skewTolerance)
  return {
    message: new SessionWindow.InboundMessage({
      business: input.business,
      customer: input.customer,
      messageId: input.messageId,
      sentAt: guarded.sentAt,
      receivedAt
    }, options.validated === true),
    adjustment: guarded.adjustment
  }
}

/**
 * Records an inbound message received now: the clock-skew guard fixes its timestamp, the store dedups it and
 * extends the window.
 *
 * @example
 * ```ts
 * import { PhoneNumber, SessionService } from "@wa-session/session-core"
 * import { DateTime, Option } from "effect"
 * const recorded = SessionService.recordInbound({
 *   business: PhoneNumber.unsafeMake("+919876500001"),
 *   customer: PhoneNumber.unsafeMake("+919876543210"),
 *   messageId: "wamid.1",
 *   providerTimestamp: Option.some(DateTime.unsafeMake("2026-01-20T10:00:00+05:30"))
 * }) // Effect<InboundResult, StorageError, SessionStore | SessionConfig>
 * ```
 * @since 0.1.0
 * @category use cases
 */
export const recordInbound = (
  input: InboundInput
): Effect.Effect<InboundResult, StorageError, SessionStore | SessionConfig> =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const settings = yield* SessionConfig
    const prepared = prepareInbound(input, yield* DateTime.now, settings)
    const recorded = yield* store.recordInbound(prepared.message)
    return { ...recorded, adjustment: prepared.adjustment }
  })

const loadWindow = (pair: Pair) =>
  Effect.flatMap(SessionStore, (store) => store.getWindow(pair)).pipe(
    Effect.map((window) => SessionWindow.fromOption(pair, window))
  )

/**
 * The window of a pair now.
 *
 * @example
 * ```ts
 * import { PhoneNumber, SessionService } from "@wa-session/session-core"
 * import { Effect } from "effect"
 * const state = SessionService.windowStatus(new PhoneNumber.Pair({
 *   business: PhoneNumber.unsafeMake("+919876500001"),
 *   customer: PhoneNumber.unsafeMake("+919876543210")
 * })).pipe(Effect.map((status) => status.state)) // "none" | "open" | "expired"
 * ```
 * @since 0.1.0
 * @category use cases
 */
export const windowStatus = (
  pair: Pair
): Effect.Effect<SessionWindow.WindowStatus, StorageError, SessionStore | SessionConfig> =>
  Effect.gen(function*() {
    const settings = yield* SessionConfig
    const window = yield* loadWindow(pair)
    return SessionWindow.statusAt(window, yield* DateTime.now, settings)
  })

/**
 * Why the window of a pair is what it is now.
 *
 * @example
 * ```ts
 * import { SessionService } from "@wa-session/session-core"
 * import { Effect } from "effect"
 * declare const pair: PhoneNumber.Pair
 * const why = SessionService.explainWindow(pair).pipe(Effect.map((e) => e.summary))
 * ```
 * @since 0.1.0
 * @category use cases
 */
export const explainWindow = (
  pair: Pair
): Effect.Effect<SessionWindow.Explanation, StorageError, SessionStore | SessionConfig> =>
  Effect.gen(function*() {
    const settings = yield* SessionConfig
    const window = yield* loadWindow(pair)
    return SessionWindow.explain(window, yield* DateTime.now, settings)
  })

/**
 * @since 0.1.0
 * @category models
 */
export interface ExpiringInput {
  readonly within: Duration.Duration
  readonly business: Option.Option<PhoneNumber>
  readonly limit: number
  readonly cursor: Option.Option<string>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ExpiringResult {
  readonly items: ReadonlyArray<SessionWindow.WindowStatus>
  readonly nextCursor: Option.Option<string>
}

/**
 * Open windows that close within `within`, soonest first: the follow-ups to plan.
 *
 * @example
 * ```ts
 * import { SessionService } from "@wa-session/session-core"
 * import { Duration, Option } from "effect"
 * const soon = SessionService.listExpiring({
 *   within: Duration.hours(2),
 *   business: Option.none(),
 *   limit: 50,
 *   cursor: Option.none()
 * })
 * ```
 * @since 0.1.0
 * @category use cases
 */
export const listExpiring = (
  input: ExpiringInput
): Effect.Effect<ExpiringResult, StorageError | InvalidCursor, SessionStore | SessionConfig> =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const settings = yield* SessionConfig
    const now = yield* DateTime.now
    const page = yield* store.listExpiring({
      now,
      horizon: input.within,
      safetyMargin: settings.safetyMargin,
      business: input.business,
      limit: input.limit,
      cursor: input.cursor
    })
    return {
      items: page.items.map((window) => SessionWindow.statusAt(window, now, settings)),
      nextCursor: page.nextCursor
    }
  })

/**
 * A request to send `content` from a business number to a customer.
 *
 * @since 0.1.0
 * @category models
 */
export interface SendInput {
  readonly from: PhoneNumber
  readonly to: PhoneNumber
  readonly content: unknown
  readonly fallback?: unknown
  readonly idempotencyKey: Option.Option<string>
  /** Decide and store but send nothing (also forced by the `dryRun` setting). */
  readonly dryRun?: boolean
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SendResult {
  readonly message: OutboundMessage
  /** true when the idempotency key was seen before: the first result, nothing sent again */
  readonly replayed: boolean
}

const createOutbound = (fields: {
  readonly id: string
  readonly pair: Pair
  readonly decision: Decision.Decision
  readonly idempotencyKey: Option.Option<string>
  readonly now: DateTime.Utc
  readonly dryRun: boolean
}) =>
  new OutboundMessage({
    id: fields.id,
    business: fields.pair.business,
    customer: fields.pair.customer,
    idempotencyKey: fields.idempotencyKey,
    decision: fields.decision.kind,
    reason: fields.decision.reason,
    windowState: fields.decision.window.state,
    windowExpiresAt: fields.decision.window.expiresAt,
    content: fields.decision.content,
    fallback: fields.decision.fallback,
    providerMessageId: Option.none(),
    status: "pending",
    history: [statusEvent("pending", fields.now)],
    createdAt: fields.now,
    dryRun: fields.dryRun,
    fallbackMessageId: Option.none()
  })

const statusEvent = (
  status: OutboundStatus,
  at: DateTime.Utc,
  code: Option.Option<string> = Option.none(),
  detail: Option.Option<string> = Option.none()
) => new StatusEvent({ status, at, code, detail })

const reload = (id: string) =>
  Effect.flatMap(SessionStore, (store) => store.findOutbound(id)).pipe(
    Effect.flatMap(Option.match({
      onNone: () => Effect.dieMessage(`outbound message ${id} vanished from the store`),
      onSome: Effect.succeed
    }))
  )

/** The provider error, naming the outbound message the caller's send stored (callers report it with the error). */
const naming = (error: ProviderError, outboundId: string): ProviderError =>
  new ProviderError({
    reason: error.reason,
    providerCode: error.providerCode,
    httpStatus: error.httpStatus,
    detail: error.detail,
    reengagement: error.reengagement,
    outboundId: Option.some(outboundId)
  })

const deliver = (message: OutboundMessage) =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const sender = yield* MessageSender
    const receipt = yield* sender.send({
      outboundId: message.id,
      idempotencyKey: message.idempotencyKey,
      from: message.business,
      to: message.customer,
      content: message.content
    }).pipe(
      Effect.tapError((error) =>
        Effect.flatMap(DateTime.now, (at) =>
          store.recordStatus(
            { _tag: "ById", id: message.id },
            statusEvent("failed", at, error.providerCode, Option.some(error.detail))
          ))
      )
    )
    yield* store.setProviderMessageId(message.id, receipt.providerMessageId)
    yield* store.recordStatus({ _tag: "ById", id: message.id }, statusEvent("accepted", yield* DateTime.now))
    return yield* reload(message.id)
  })

/**
 * Decides how to send (session message, fallback template, or refusal) from the window now, stores the outbound
 * message, then hands it to the provider unless in dry-run. The same idempotency key again returns the first
 * result and sends nothing. A provider failure is recorded on the message (status `failed`) and returned.
 *
 * @example
 * ```ts
 * import { PhoneNumber, SessionService } from "@wa-session/session-core"
 * import { Option } from "effect"
 * const result = SessionService.send({
 *   from: PhoneNumber.unsafeMake("+919876500001"),
 *   to: PhoneNumber.unsafeMake("+919876543210"),
 *   content: { type: "text", text: { body: "Your order is arriving tomorrow!" } },
 *   fallback: { type: "template", template: { name: "follow_up", language: { code: "en" } } },
 *   idempotencyKey: Option.some("order-12345-update")
 * }) // fails with SessionExpired / NoActiveSession only when there is no fallback
 * ```
 * @since 0.1.0
 * @category use cases
 */
export const send = (
  input: SendInput
): Effect.Effect<
  SendResult,
  DecisionError | ProviderError | StorageError,
  SessionStore | SessionConfig | MessageSender | Ids
> =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const settings = yield* SessionConfig
    const pair = { business: input.from, customer: input.to } as Pair
    if (Option.isSome(input.idempotencyKey)) {
      const previous = yield* store.findOutboundByIdempotencyKey(input.from, input.idempotencyKey.value)
      if (Option.isSome(previous)) return { message: previous.value, replayed: true }
    }
    const now = yield* DateTime.now
    const window = yield* loadWindow(pair)
    const decision = yield* Decision.decide(window, input.content, now, {
      safetyMargin: settings.safetyMargin,
      fallback: input.fallback
    })
    const dryRun = settings.dryRun || input.dryRun === true
    const id = yield* Effect.flatMap(Ids, (ids) => ids.next)
    const outbound = createOutbound({ id, pair, decision, idempotencyKey: input.idempotencyKey, now, dryRun })
    const inserted = yield* store.insertOutbound(outbound)
    if (!inserted.inserted) return { message: inserted.message, replayed: true }
    if (dryRun) return { message: inserted.message, replayed: false }
    const delivered = yield* deliver(inserted.message).pipe(
      Effect.catchIf((error) => error._tag === "ProviderError" && error.reengagement, (error) =>
        DateTime.now.pipe(
          Effect.flatMap((at) => afterReengagement(inserted.message, at)),
          Effect.flatMap(Option.match({
            onNone: () => Effect.fail(error),
            onSome: (outcome) => Either.match(outcome, { onLeft: Effect.fail, onRight: Effect.succeed })
          }))
        )),
      Effect.catchTag("ProviderError", (error) => Effect.fail(naming(error, inserted.message.id)))
    )
    return { message: delivered, replayed: false }
  })

/**
 * The provider said the window is over: close it (provider truth) and, for a session message with a fallback
 * template, send that template once. `None` when there is nothing to send (or it was already sent).
 */
const afterReengagement = (message: OutboundMessage, at: DateTime.Utc) =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    yield* store.closeByProvider({ business: message.business, customer: message.customer } as Pair, at)
    if (message.decision !== "session" || Option.isNone(message.fallback) || message.dryRun) return Option.none()
    return yield* sendFallback(message, message.fallback.value as TemplateContent, "SESSION_EXPIRED")
  })

/**
 * A delivery report from the provider, already mapped to our statuses. `reengagement` marks the provider's
 * "24-hour window is over" failure (Exotel 30018).
 *
 * @since 0.1.0
 * @category models
 */
export interface DeliveryReportInput {
  readonly ref: OutboundRef
  readonly status: OutboundStatus
  readonly reengagement: boolean
  readonly code: Option.Option<string>
  readonly detail: Option.Option<string>
  readonly at: DateTime.Utc
}

/**
 * @since 0.1.0
 * @category models
 */
export interface DeliveryReportResult {
  /** false when the report names no message we sent */
  readonly known: boolean
  /** false when the same status was already recorded */
  readonly applied: boolean
  /** the fallback template message sent because of this report, if any */
  readonly fallback: Option.Option<OutboundMessage>
  /** why the fallback could not be sent, if it failed */
  readonly fallbackError: Option.Option<ProviderError>
}

const sendFallback = (original: OutboundMessage, template: TemplateContent, reason: FallbackReason) =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const id = yield* Effect.flatMap(Ids, (ids) => ids.next)
    if (!(yield* store.claimFallback(original.id, id))) return Option.none()
    const now = yield* DateTime.now
    const outbound = new OutboundMessage({
      ...original,
      id,
      idempotencyKey: Option.none(),
      decision: "template",
      reason: Option.some(reason),
      windowState: "expired",
      content: template,
      fallback: Option.none(),
      providerMessageId: Option.none(),
      status: "pending",
      history: [statusEvent("pending", now)],
      createdAt: now,
      fallbackMessageId: Option.none()
    })
    yield* store.insertOutbound(outbound)
    return Option.some(
      yield* deliver(outbound).pipe(
        Effect.map(Either.right),
        Effect.catchTag("ProviderError", (error) => Effect.succeed(Either.left(error)))
      )
    )
  })

/**
 * Applies a delivery report: the status moves forward (never back, duplicates ignored). A re-engagement failure
 * closes the pair's window (provider truth) and, when the failed message was a session message with a fallback
 * template, sends that template once.
 *
 * @example
 * ```ts
 * import { SessionService } from "@wa-session/session-core"
 * import { DateTime, Option } from "effect"
 * const applied = SessionService.applyDeliveryReport({
 *   ref: { _tag: "ByProviderId", providerMessageId: "2FdiiEQUosckPhpZfuVwfjxiSlc16a4" },
 *   status: "failed",
 *   reengagement: true, // Exotel 30018: closes the window, sends the fallback template once
 *   code: Option.some("30018"),
 *   detail: Option.some("EX_REENGAGEMENT_ERROR"),
 *   at: DateTime.unsafeMake("2026-01-21T11:30:05+05:30")
 * })
 * ```
 * @since 0.1.0
 * @category use cases
 */
export const applyDeliveryReport = (
  report: DeliveryReportInput
): Effect.Effect<DeliveryReportResult, StorageError, SessionStore | MessageSender | Ids> =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const recorded = yield* store.recordStatus(report.ref, statusEvent(report.status, report.at, report.code, report.detail))
    if (Option.isNone(recorded)) {
      return { known: false, applied: false, fallback: Option.none(), fallbackError: Option.none() }
    }
    const { applied, message } = recorded.value
    if (!report.reengagement) return { known: true, applied, fallback: Option.none(), fallbackError: Option.none() }
    const sent = yield* afterReengagement(message, report.at)
    return Option.match(sent, {
      onNone: () => ({ known: true, applied, fallback: Option.none(), fallbackError: Option.none() }),
      onSome: (outcome) =>
        outcome._tag === "Right"
          ? { known: true, applied, fallback: Option.some(outcome.right), fallbackError: Option.none() }
          : { known: true, applied, fallback: Option.none(), fallbackError: Option.some(outcome.left) }
    })
  })
