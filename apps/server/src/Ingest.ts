import { Webhook } from "@wa-session/exotel"
import type { WebhookAck } from "@wa-session/http-api"
import { ClockSkew, SessionService, SessionStore, SessionWindow } from "@wa-session/session-core"
import type { Ids, MessageSender } from "@wa-session/session-core"
import { Storage } from "@wa-session/storage"
import { Cause, Context, Data, DateTime, Effect, Either, Exit, Layer, Option, Runtime, type Scope } from "effect"
import { Metrics } from "./Metrics.js"

/** The body is not a webhook batch at all (not JSON, no `whatsapp.messages` array). */
export class InvalidWebhook extends Data.TaggedError("InvalidWebhook")<{ readonly reason: string }> {}

export type IngestExit = Exit.Exit<WebhookAck, InvalidWebhook | SessionStore.StorageError>

export interface IngestShape {
  /** Records every item of a batch; succeeds once every accepted item is durably stored. */
  readonly ingest: (body: unknown) => Effect.Effect<WebhookAck, InvalidWebhook | SessionStore.StorageError>
  /**
   * The same for the node:http hot path, without a fiber per request: `done` is called once, when the batch is
   * stored (or failed). A batch of inbound messages only costs a decode and a place in the next grouped commit.
   */
  readonly ingestNow: (body: unknown, done: (exit: IngestExit) => void) => void
}

export class Ingest extends Context.Tag("@wa-session/server/Ingest")<Ingest, IngestShape>() {}

/** At most this many inbound messages share one transaction. */
export const MAX_GROUP_MESSAGES = 1000

type Recorded = ReadonlyArray<SessionStore.RecordedInbound>
type RecordedExit = Exit.Exit<Recorded, SessionStore.StorageError>

interface Job {
  readonly messages: ReadonlyArray<SessionWindow.InboundMessage>
  readonly done: (exit: RecordedExit) => void
}

/**
 * Group commit: requests queue their inbound messages; whatever is queued when the store is free goes into one
 * transaction (one commit, one fsync), then every request of the group is released with its own results. The
 * flush waits one `setImmediate` turn first: SQLite commits block the event loop, so the requests that arrived
 * meanwhile are still unread, and this lets node read them into the same group. A failing group is retried
 * request by request, so one bad request cannot fail the others.
 */
const makeGroupCommit = Effect.gen(function*() {
  const storage = yield* Effect.serviceOption(Storage.Storage)
  const store = yield* SessionStore.SessionStore
  const runtime = yield* Effect.runtime<never>()
  const write = (messages: ReadonlyArray<SessionWindow.InboundMessage>): Effect.Effect<
    Recorded,
    SessionStore.StorageError
  > =>
    Option.match(storage, {
      onNone: () => Effect.forEach(messages, store.recordInbound),
      onSome: (storage) => storage.recordInboundBatch(messages)
    })
  const release = (job: Job, exit: RecordedExit) => {
    try {
      job.done(exit)
    } catch (error) {
      Runtime.runFork(runtime)(Effect.logError("webhook reply failed", Cause.die(error)))
    }
  }
  const runGroup = (jobs: ReadonlyArray<Job>) =>
    Effect.gen(function*() {
      const messages = jobs.length === 1 ? jobs[0]!.messages : jobs.flatMap((job) => job.messages)
      const exit = yield* Effect.exit(write(messages))
      if (Exit.isSuccess(exit)) {
        let offset = 0
        for (const job of jobs) {
          release(job, Exit.succeed(exit.value.slice(offset, offset + job.messages.length)))
          offset += job.messages.length
        }
      } else if (jobs.length === 1) {
        release(jobs[0]!, exit)
      } else {
        for (const job of jobs) release(job, yield* Effect.exit(write(job.messages)))
      }
    })

  let pending: Array<Job> = []
  let running = false
  let scheduled = false
  let onIdle: Array<() => void> = []
  const schedule = () => {
    if (running || scheduled || pending.length === 0) return
    scheduled = true
    setImmediate(flush)
  }
  const flush = () => {
    scheduled = false
    let count = 0
    let take = 0
    while (take < pending.length && (take === 0 || count + pending[take]!.messages.length <= MAX_GROUP_MESSAGES)) {
      count += pending[take]!.messages.length
      take++
    }
    const jobs = pending.slice(0, take)
    pending = pending.slice(take)
    running = true
    Runtime.runCallback(runtime)(Effect.uninterruptible(runGroup(jobs)), {
      onExit: () => {
        running = false
        if (pending.length > 0) schedule()
        else {
          const waiting = onIdle
          onIdle = []
          for (const resolve of waiting) resolve()
        }
      }
    })
  }
  // The server closes before this: no request is left waiting when the store goes away.
  yield* Effect.addFinalizer(() =>
    Effect.promise(() =>
      running || pending.length > 0 ? new Promise<void>((resolve) => onIdle.push(resolve)) : Promise.resolve()
    )
  )
  return (messages: ReadonlyArray<SessionWindow.InboundMessage>, done: (exit: RecordedExit) => void) => {
    if (messages.length === 0) return done(Exit.succeed([]))
    pending.push({ messages, done })
    schedule()
  }
})

/** A delivery report in the core's terms; its time goes through the clock-skew guard like an inbound's. */
export const toReportInput = (
  report: Webhook.DeliveryReport,
  receivedAt: DateTime.Utc,
  skewTolerance: SessionService.SessionSettings["skewTolerance"]
): SessionService.DeliveryReportInput => ({
  ref: Webhook.outboundRef(report),
  status: report.outcome.status,
  reengagement: report.outcome.reengagement,
  code: Option.map(report.code, String),
  detail: Option.orElse(report.description, () => report.detailedStatus),
  at: ClockSkew.guard(report.at, receivedAt, skewTolerance).sentAt
})

/**
 * Deeper items are rejected unread: Exotel's are a few levels deep, and formatting a decode error of a very deep
 * value overflows the stack.
 */
export const MAX_ITEM_DEPTH = 64

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const deeperThan = (value: unknown, max: number): boolean => {
  const stack: Array<readonly [unknown, number]> = [[value, 1]]
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!
    if (typeof current !== "object" || current === null) continue
    if (depth > max) return true
    for (const child of Array.isArray(current) ? current : Object.values(current)) stack.push([child, depth + 1])
  }
  return false
}

/**
 * The items of a webhook body, each decoded on its own by the Exotel adapter; an item that is too deep, or whose
 * decoding throws, is malformed like any other bad item.
 */
export const decodeItems = (body: unknown): Either.Either<ReadonlyArray<Webhook.WebhookItem>, InvalidWebhook> => {
  if (!isRecord(body) || !isRecord(body.whatsapp) || !Array.isArray(body.whatsapp.messages)) {
    return Either.left(new InvalidWebhook({ reason: "expected { \"whatsapp\": { \"messages\": [...] } }" }))
  }
  return Either.right(body.whatsapp.messages.map((item: unknown, index: number) => {
    if (deeperThan(item, MAX_ITEM_DEPTH)) {
      return new Webhook.Malformed({ index, reason: `nested more than ${MAX_ITEM_DEPTH} levels deep`, item: null })
    }
    try {
      return Webhook.decodeItem(item, index)
    } catch {
      return new Webhook.Malformed({ index, reason: "could not be decoded", item: null })
    }
  }))
}

/**
 * A decoding failure as it may be logged: the reasons of the Exotel decoder quote the values they saw (numbers,
 * ids, even text), so quoted strings and long digit runs are masked.
 */
export const redactReason = (reason: string): string => {
  const masked = reason.replace(/"(?:[^"\\]|\\.)*"/g, "\"…\"").replace(/\d{4,}/g, "…")
  return masked.length > 200 ? `${masked.slice(0, 200)}…` : masked
}

export const make: Effect.Effect<
  IngestShape,
  never,
  | SessionStore.SessionStore
  | SessionService.SessionConfig
  | MessageSender.MessageSender
  | Ids.Ids
  | Metrics
  | Scope.Scope
> = Effect.gen(function*() {
  const metrics = yield* Metrics
  const settings = yield* SessionService.SessionConfig
  const clock = yield* Effect.clock
  const record = yield* makeGroupCommit
  const runtime = yield* Effect.runtime<
    SessionStore.SessionStore | SessionService.SessionConfig | MessageSender.MessageSender | Ids.Ids
  >()
  const runFork = Runtime.runFork(runtime)

  const applyReport = (report: SessionService.DeliveryReportInput) =>
    SessionService.applyDeliveryReport(report).pipe(
      Effect.tap((result) =>
        Effect.all([
          Option.match(result.fallback, {
            onNone: () => Effect.void,
            onSome: (fallback) => {
              metrics.fallback("sent")
              return Effect.logInfo("fallback template sent after a re-engagement failure").pipe(
                Effect.annotateLogs({ id: fallback.id, status: fallback.status })
              )
            }
          }),
          Option.match(result.fallbackError, {
            onNone: () => Effect.void,
            onSome: (error) => {
              metrics.fallback("failed")
              return Effect.logWarning("fallback template failed at the provider").pipe(
                Effect.annotateLogs({ reason: error.reason, providerCode: Option.getOrNull(error.providerCode) })
              )
            }
          })
        ], { discard: true })
      )
    )

  /** Applies the reports one by one: how many moved a message forward (or named none of ours), how many repeated. */
  const applyReports = (reports: ReadonlyArray<SessionService.DeliveryReportInput>) =>
    Effect.gen(function*() {
      let accepted = 0
      let duplicates = 0
      for (const report of reports) {
        const result = yield* applyReport(report)
        if (!result.known) {
          accepted++
          metrics.webhookItems("report", "unknown")
          yield* Effect.logWarning("delivery report for a message we did not send").pipe(
            Effect.annotateLogs({ ref: report.ref._tag === "ById" ? report.ref.id : report.ref.providerMessageId })
          )
        } else if (result.applied) {
          accepted++
          metrics.webhookItems("report", "accepted")
        } else {
          duplicates++
          metrics.webhookItems("report", "duplicate")
        }
      }
      return { accepted, duplicates }
    })

  const ingestNow = (body: unknown, done: (exit: IngestExit) => void): void => {
    const decoded = decodeItems(body)
    if (Either.isLeft(decoded)) return done(Exit.fail(decoded.left))
    const receivedAt = DateTime.unsafeMake(clock.unsafeCurrentTimeMillis())
    const inbound: Array<SessionWindow.InboundMessage> = []
    const reports: Array<SessionService.DeliveryReportInput> = []
    const notes: Array<Effect.Effect<void>> = []
    let rejected = 0
    for (const item of decoded.right) {
      switch (item._tag) {
        case "Inbound": {
          // Fields already decoded by the webhook decoder: the constructor's validation is skipped (hot path).
          const prepared = SessionService.prepareInbound(item, receivedAt, settings, { validated: true })
          if (prepared.adjustment === "future") {
            notes.push(
              Effect.logWarning("inbound timestamp ahead of our clock; using the receive time").pipe(
                Effect.annotateLogs({ messageId: item.messageId })
              )
            )
          }
          inbound.push(prepared.message)
          break
        }
        case "DeliveryReport": {
          reports.push(toReportInput(item, receivedAt, settings.skewTolerance))
          break
        }
        case "Malformed": {
          rejected++
          notes.push(
            Effect.logWarning("webhook item rejected").pipe(
              Effect.annotateLogs({ index: item.index, reason: redactReason(item.reason) })
            )
          )
        }
      }
    }
    metrics.webhookItems("malformed", "rejected", rejected)
    if (notes.length > 0) runFork(Effect.all(notes, { discard: true }))
    record(inbound, (recorded) => {
      if (Exit.isFailure(recorded)) return done(Exit.failCause(recorded.cause))
      let inboundDuplicates = 0
      for (const result of recorded.value) if (result.duplicate) inboundDuplicates++
      const inboundAccepted = recorded.value.length - inboundDuplicates
      metrics.webhookItems("inbound", "accepted", inboundAccepted)
      metrics.webhookItems("inbound", "duplicate", inboundDuplicates)
      if (reports.length === 0) {
        return done(Exit.succeed({ accepted: inboundAccepted, duplicates: inboundDuplicates, rejected }))
      }
      runFork(applyReports(reports)).addObserver((applied) =>
        done(Exit.map(applied, (counts) => ({
          accepted: inboundAccepted + counts.accepted,
          duplicates: inboundDuplicates + counts.duplicates,
          rejected
        })))
      )
    })
  }

  const ingest = (body: unknown) =>
    Effect.async<WebhookAck, InvalidWebhook | SessionStore.StorageError>((resume) => {
      ingestNow(body, (exit) => resume(exit))
    })

  return { ingest, ingestNow }
})

export const layer = Layer.scoped(Ingest, make)
