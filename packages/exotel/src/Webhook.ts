/**
 * What Exotel POSTs to our webhook: `{ whatsapp: { messages: [...] } }`, a batch mixing customers' messages
 * (`callback_type` `incoming_message`, or `icm` in the docs) and delivery reports (`dlr`). Each item is decoded on
 * its own: a bad item is reported with its reason and does not spoil the others.
 *
 * @since 0.1.0
 */
import { type Ingest, PhoneNumber, type SessionStore, StorableText } from "@wa-session/session-core"
import * as Data from "effect/Data"
import type * as DateTime from "effect/DateTime"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import * as ExoStatus from "./ExoStatus.js"
import { parseTimestamp } from "./internal/timestamp.js"

const OptionalString = Schema.optional(Schema.NullOr(Schema.String))

/**
 * ISO-8601 with an offset (`2022-10-19T21:48:31+05:30`, or with a space for the `T`), or Unix seconds as a number or
 * a numeric string. A date and time without an offset names no instant: it is read as no timestamp (the receive time
 * counts, and the message records that it was missing).
 *
 * @since 0.1.0
 * @category schemas
 */
export const WireTimestamp = Schema.Union(Schema.String, Schema.Number)

/**
 * A message's `content`: a `type` and, under the key named by it, the Meta-shaped object (`text`, `image`,
 * `interactive` with `button_reply`/`list_reply`/`nfm_reply`, `button` for a template quick reply, …). Kept whole.
 *
 * @since 0.1.0
 * @category schemas
 */
export const WireContent = Schema.Struct(
  { type: Schema.NonEmptyString },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)

/**
 * A customer's message. `from` is the customer, `to` the business number; its id is `sid`, or `message_sid` in
 * some integrations' traffic; `group_id` is set when it was sent in a group.
 *
 * @since 0.1.0
 * @category schemas
 */
export const WireInbound = Schema.Struct({
  callback_type: OptionalString,
  sid: OptionalString,
  message_sid: OptionalString,
  group_id: Schema.optional(Schema.NullOr(Schema.Union(Schema.String, Schema.Number))),
  from: Schema.String,
  to: Schema.String,
  profile_name: OptionalString,
  timestamp: Schema.optional(Schema.NullOr(WireTimestamp)),
  content: WireContent
})

/**
 * @since 0.1.0
 * @category models
 */
export type WireInbound = typeof WireInbound.Type

/**
 * A delivery report. Its message is `sid`, or `message_sid` in some integrations' traffic (one of them is
 * required); `exo_status_code` arrives as a number or a numeric string; there is no plain `status` field; `to` is
 * not always a phone number (then it is read as absent).
 *
 * @since 0.1.0
 * @category schemas
 */
export const WireDeliveryReport = Schema.Struct({
  callback_type: OptionalString,
  sid: OptionalString,
  message_sid: OptionalString,
  to: OptionalString,
  exo_status_code: Schema.optional(Schema.NullOr(Schema.Union(Schema.Number, Schema.String))),
  exo_detailed_status: OptionalString,
  description: OptionalString,
  timestamp: Schema.optional(Schema.NullOr(WireTimestamp)),
  custom_data: OptionalString
})

/**
 * @since 0.1.0
 * @category models
 */
export type WireDeliveryReport = typeof WireDeliveryReport.Type

/**
 * The envelope; items are decoded one by one.
 *
 * @since 0.1.0
 * @category schemas
 */
export const WireEnvelope = Schema.Struct({
  whatsapp: Schema.Struct({ messages: Schema.Array(Schema.Unknown) })
})

/**
 * A customer's message, normalized. `messageId` is Exotel's `sid` (or `message_sid`); `providerTimestamp` is when
 * the customer sent it (`None` when Exotel gave none, or a time without an offset); `content` is the raw content
 * object and `contentType` its `type`; `groupId` the group it was sent in (`group_id`, on the item or its content).
 *
 * @since 0.1.0
 * @category models
 */
export class Inbound extends Data.TaggedClass("Inbound")<{
  readonly index: number
  readonly messageId: string
  readonly business: PhoneNumber.PhoneNumber
  readonly customer: PhoneNumber.PhoneNumber
  readonly profileName: Option.Option<string>
  readonly providerTimestamp: Option.Option<DateTime.Utc>
  readonly contentType: string
  readonly content: Readonly<Record<string, unknown>>
  /** the item as received (since 0.2.0) */
  readonly raw: unknown
  /** the group it was sent in (since 0.2.0) */
  readonly groupId?: Option.Option<string> | undefined
}> {}

/**
 * A delivery report, normalized. `outboundId` and `idempotencyKey` are read back from the `custom_data` this
 * adapter sends (`None` when it is absent or someone else's); `outcome` is the status classified
 * (`reengagement`: the provider closed the 24-hour window).
 *
 * @since 0.1.0
 * @category models
 */
export class DeliveryReport extends Data.TaggedClass("DeliveryReport")<{
  readonly index: number
  readonly providerMessageId: string
  readonly outboundId: Option.Option<string>
  readonly idempotencyKey: Option.Option<string>
  readonly customData: Option.Option<string>
  readonly to: Option.Option<PhoneNumber.PhoneNumber>
  readonly code: Option.Option<number>
  readonly detailedStatus: Option.Option<string>
  readonly description: Option.Option<string>
  readonly at: Option.Option<DateTime.Utc>
  readonly outcome: ExoStatus.Outcome
  /** the item as received (since 0.2.0) */
  readonly raw: unknown
}> {}

/**
 * An item that could not be decoded: its position in the batch, why, and the item as received.
 *
 * @since 0.1.0
 * @category models
 */
export class Malformed extends Data.TaggedClass("Malformed")<{
  readonly index: number
  readonly reason: string
  readonly item: unknown
}> {}

/**
 * @since 0.1.0
 * @category models
 */
export type WebhookItem = Inbound | DeliveryReport | Malformed

/**
 * The body is not a webhook batch at all (not an object, or no `whatsapp.messages` array).
 *
 * @since 0.1.0
 * @category errors
 */
export class WebhookEnvelopeError
  extends Schema.TaggedError<WebhookEnvelopeError>("@wa-session/exotel/WebhookEnvelopeError")(
    "WebhookEnvelopeError",
    { reason: Schema.String }
  )
{
  /** @since 0.1.0 */
  override get message(): string {
    return `not an Exotel webhook batch: ${this.reason}`
  }
}

const formatIssues = (error: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => (issue.path.length === 0 ? issue.message : `${issue.path.join(".")}: ${issue.message}`))
    .join("; ")

const decodeWith = <A, I>(schema: Schema.Schema<A, I>) => {
  const decode = Schema.decodeUnknownEither(schema, { errors: "all" })
  return (input: unknown): Either.Either<A, string> => Either.mapLeft(decode(input), formatIssues)
}

const decodeInbound = decodeWith(WireInbound)
const decodeReport = decodeWith(WireDeliveryReport)

const phone = (value: string, field: string) =>
  Either.mapLeft(PhoneNumber.parse(value, field), (error) => error.message)

/** A date, or a date and time, without an offset: it names no instant. */
const WITHOUT_OFFSET = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$/i

const optionalTimestamp = (
  value: string | number | null | undefined
): Either.Either<Option.Option<DateTime.Utc>, string> =>
  value === undefined || value === null || value === "" ||
    (typeof value === "string" && WITHOUT_OFFSET.test(value.trim()))
    ? Either.right(Option.none())
    : Either.map(Either.mapLeft(parseTimestamp(value), (reason) => `timestamp: ${reason}`), Option.some)

const nonEmpty = (value: string | null | undefined): Option.Option<string> =>
  Option.filter(Option.fromNullable(value), (s) => s.trim() !== "")

/**
 * Reads back the `custom_data` this adapter sends (`{"id":…,"idempotencyKey":…}`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const parseCustomData = (
  customData: Option.Option<string>
): { readonly outboundId: Option.Option<string>; readonly idempotencyKey: Option.Option<string> } => {
  const parsed = Option.flatMap(customData, (text) => {
    try {
      const value: unknown = JSON.parse(text)
      return Predicate.isRecord(value) ? Option.some(value) : Option.none()
    } catch {
      return Option.none()
    }
  })
  const field = (name: string) =>
    Option.flatMap(parsed, (record) => {
      const value = record[name]
      // not storable: not an id this adapter sent
      return typeof value === "string" && value !== "" && StorableText.isStorable(value)
        ? Option.some(value)
        : Option.none()
    })
  return { outboundId: field("id"), idempotencyKey: field("idempotencyKey") }
}

/** Display text (a profile name, a status description) as the stores can keep it; the raw item keeps it exact. */
const displayText = (value: string | null | undefined): Option.Option<string> =>
  Option.map(nonEmpty(value), StorableText.toStorable)

/** An id as sent, or why it is refused: changed on its way into a store, it would no longer deduplicate. */
const storableId = (field: string, value: string): Either.Either<string, string> =>
  StorableText.isStorable(value) ? Either.right(value) : Either.left(`${field}: ${StorableText.PROBLEM}`)

/** `sid`, else `message_sid`. */
const messageSid = (
  wire: { readonly sid?: string | null | undefined; readonly message_sid?: string | null | undefined }
): Either.Either<string, string> =>
  Option.match(nonEmpty(wire.sid), {
    onSome: (sid) => storableId("sid", sid),
    onNone: () =>
      Option.match(nonEmpty(wire.message_sid), {
        onNone: () => Either.left("sid: is missing (and so is message_sid)"),
        onSome: (sid) => storableId("message_sid", sid)
      })
  })

const groupIdOf = (value: unknown): Option.Option<string> =>
  typeof value === "number" && Number.isFinite(value)
    ? Option.some(String(value))
    : typeof value === "string" && value.trim() !== ""
    ? Option.some(value.trim())
    : Option.none()

const toInbound = (item: unknown, index: number): Either.Either<Inbound, string> =>
  Either.gen(function*() {
    const wire = yield* decodeInbound(item)
    const sid = yield* messageSid(wire)
    const groupId = Option.orElse(groupIdOf(wire.group_id), () => groupIdOf(wire.content.group_id))
    return new Inbound({
      index,
      messageId: sid,
      customer: yield* phone(wire.from, "from"),
      business: yield* phone(wire.to, "to"),
      profileName: displayText(wire.profile_name),
      providerTimestamp: yield* optionalTimestamp(wire.timestamp),
      contentType: yield* storableId("content.type", wire.content.type),
      content: wire.content,
      raw: item,
      ...(Option.isSome(groupId) ? { groupId } : {})
    })
  })

const statusCode = (value: number | string | null | undefined): Either.Either<Option.Option<number>, string> => {
  if (value === undefined || value === null || value === "") return Either.right(Option.none())
  const code = typeof value === "number" ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN
  return Number.isInteger(code)
    ? Either.right(Option.some(code))
    : Either.left(`exo_status_code: expected an integer, got ${JSON.stringify(value)}`)
}

const toDeliveryReport = (item: unknown, index: number): Either.Either<DeliveryReport, string> =>
  Either.gen(function*() {
    const wire = yield* decodeReport(item)
    const sid = yield* messageSid(wire)
    const code = yield* statusCode(wire.exo_status_code)
    const detailedStatus = displayText(wire.exo_detailed_status)
    if (Option.isNone(code) && Option.isNone(detailedStatus)) {
      return yield* Either.left("exo_status_code and exo_detailed_status are both missing")
    }
    const to = nonEmpty(wire.to)
    const customData = nonEmpty(wire.custom_data)
    return new DeliveryReport({
      index,
      providerMessageId: sid,
      ...parseCustomData(customData),
      customData,
      // not always a phone number in the wild (and nothing depends on it): kept in the raw item, read as absent
      to: Option.flatMap(to, (value) => Either.getRight(PhoneNumber.parse(value, "to"))),
      code,
      detailedStatus,
      description: displayText(wire.description),
      at: yield* optionalTimestamp(wire.timestamp),
      outcome: ExoStatus.classify(code, detailedStatus),
      raw: item
    })
  })

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * Decodes one item of a batch: by `callback_type` (`dlr`; `incoming_message` or `icm`), or, when it is absent, by
 * shape (a status code means a report, a `content` a message).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeItem = (item: unknown, index: number): WebhookItem => {
  const malformed = (reason: string) => new Malformed({ index, reason, item })
  if (!isRecord(item)) return malformed("expected an object")
  const callbackType = item.callback_type
  const kind = typeof callbackType === "string" && callbackType.trim() !== ""
    ? callbackType.trim().toLowerCase()
    : callbackType === undefined || callbackType === null
    ? ("exo_status_code" in item || "exo_detailed_status" in item)
      ? "dlr"
      : "content" in item
      ? "incoming_message"
      : undefined
    : undefined
  const decoded: Either.Either<WebhookItem, string> = kind === "dlr"
    ? toDeliveryReport(item, index)
    : kind === "incoming_message" || kind === "icm"
    ? toInbound(item, index)
    : Either.left(
      kind === undefined && (callbackType === undefined || callbackType === null)
        ? "callback_type is missing and the item is neither a delivery report nor a message"
        : `unsupported callback_type ${JSON.stringify(callbackType)}`
    )
  return Either.getOrElse(decoded, malformed)
}

/**
 * Items nested deeper than this are malformed, unread: Exotel's are a few levels deep, and formatting a decode
 * error of a very deep value overflows the stack.
 *
 * @since 0.2.0
 * @category constants
 */
export const MAX_ITEM_DEPTH = 64

/**
 * Whether a body is a batch at all: `{ "whatsapp": { "messages": [...] } }`.
 *
 * @since 0.2.0
 * @category predicates
 */
export const isBatch = (body: unknown): body is { readonly whatsapp: { readonly messages: ReadonlyArray<unknown> } } =>
  isRecord(body) && isRecord(body.whatsapp) && Array.isArray(body.whatsapp.messages)

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

/** One item, never throwing: too deep, or a decoder that throws, is malformed like any bad item. */
const decodeGuarded = (item: unknown, index: number): WebhookItem => {
  if (deeperThan(item, MAX_ITEM_DEPTH)) {
    return new Malformed({ index, reason: `nested more than ${MAX_ITEM_DEPTH} levels deep`, item })
  }
  try {
    return decodeItem(item, index)
  } catch {
    return new Malformed({ index, reason: "could not be decoded", item })
  }
}

/**
 * Decodes a webhook body (the parsed JSON): an envelope error when it is not a batch, else one result per item,
 * in order. Never throws, whatever the body.
 *
 * @example
 * ```ts
 * import { Webhook } from "@wa-session/exotel"
 * import { Either } from "effect"
 * const items = Webhook.decodeBatch({
 *   whatsapp: { messages: [{ callback_type: "dlr", sid: "s1", exo_status_code: 30018 }] }
 * })
 * // Either.right([DeliveryReport { outcome: { status: "failed", reengagement: true, ... } }])
 * ```
 * @since 0.1.0
 * @category decoding
 */
export const decodeBatch = (body: unknown): Either.Either<ReadonlyArray<WebhookItem>, WebhookEnvelopeError> => {
  if (!isBatch(body)) {
    return Either.left(new WebhookEnvelopeError({ reason: "expected { \"whatsapp\": { \"messages\": [...] } }" }))
  }
  return Either.right(body.whatsapp.messages.map(decodeGuarded))
}

const representable = (value: unknown): boolean => {
  try {
    JSON.stringify(value)
    return true
  } catch {
    return false
  }
}

/**
 * What a webhook brought, in the core's terms (`Ingest.Item`), for `SessionService.ingest`: customers' messages
 * with their content as Exotel sent it, delivery reports mapped to our statuses, and what could not be decoded,
 * kept whole. A body that is not a batch is one undecodable `body`; an item too deep to be written back as JSON is
 * kept as the whole `bodyText` (the request body as received), so that nothing is lost.
 *
 * @example
 * ```ts
 * import { Webhook } from "@wa-session/exotel"
 * const items = Webhook.toIngestItems(JSON.parse(text), text) // then SessionService.ingest(items)
 * ```
 * @since 0.2.0
 * @category decoding
 */
export const toIngestItems = (body: unknown, bodyText?: string): ReadonlyArray<Ingest.Item> =>
  Either.match(decodeBatch(body), {
    onLeft: (error): ReadonlyArray<Ingest.Item> => [
      { _tag: "Undecodable", kind: "body", reason: error.message, raw: bodyText ?? body }
    ],
    onRight: (items) =>
      items.map((item): Ingest.Item => {
        switch (item._tag) {
          case "Inbound":
            return {
              _tag: "Inbound",
              business: item.business,
              customer: item.customer,
              messageId: item.messageId,
              providerTimestamp: item.providerTimestamp,
              contentType: item.contentType,
              content: item.content,
              profileName: item.profileName,
              raw: item.raw,
              ...(item.groupId === undefined ? {} : { groupId: item.groupId })
            }
          case "DeliveryReport":
            return {
              _tag: "Status",
              ref: outboundRef(item),
              // fills in the sid of a message whose send answer was lost (it is `unknown`)
              providerMessageId: Option.some(item.providerMessageId),
              // Exotel's temporary failures (30007, 30009): the message is sent again while its retry period lasts
              retryLater: item.outcome.status === "failed" &&
                ExoStatus.isRetryLater(
                  Option.getOrUndefined(Option.map(item.code, String)),
                  Option.toArray(item.detailedStatus)
                ),
              status: item.outcome.status,
              reengagement: item.outcome.reengagement,
              code: Option.map(item.code, String),
              detail: Option.orElse(item.description, () => item.detailedStatus),
              at: item.at,
              raw: item.raw
            }
          case "Malformed":
            return bodyText !== undefined && !representable(item.item)
              ? { _tag: "Undecodable", kind: "body", reason: `item ${item.index}: ${item.reason}`, raw: bodyText }
              : { _tag: "Undecodable", kind: "item", reason: item.reason, raw: item.item }
        }
      })
  })

const parseJson = (text: string): Option.Option<unknown> => {
  try {
    return Option.some(JSON.parse(text))
  } catch {
    return Option.none()
  }
}

/**
 * A webhook body as received (text): its items (`toIngestItems`, or the whole text as one undecodable body when it
 * is not JSON) and, when it is not a batch at all, why.
 *
 * @since 0.2.0
 * @category decoding
 */
export const fromBodyText = (
  text: string
): { readonly items: ReadonlyArray<Ingest.Item>; readonly notABatch: Option.Option<string> } =>
  Option.match(parseJson(text), {
    onNone: () => ({
      items: [{ _tag: "Undecodable", kind: "body", reason: "the body is not JSON", raw: text }],
      notABatch: Option.some("the body is not JSON")
    }),
    onSome: (body) => ({
      items: toIngestItems(body, text),
      notABatch: isBatch(body) ? Option.none() : Option.some("expected { \"whatsapp\": { \"messages\": [...] } }")
    })
  })

/**
 * A quarantine entry decoded again with this decoder (a retry after an upgrade): a `body` is decoded as a whole
 * webhook body, an `item` or `unknown_message` as one item of a batch.
 *
 * @since 0.2.0
 * @category decoding
 */
export const fromQuarantine = (
  entry: { readonly kind: Ingest.QuarantineKind; readonly raw: string }
): ReadonlyArray<Ingest.Item> => {
  if (entry.kind === "body") return fromBodyText(entry.raw).items
  return Option.match(parseJson(entry.raw), {
    onNone: () => [{ _tag: "Undecodable", kind: "item", reason: "the item is not JSON", raw: entry.raw }],
    onSome: (item) => toIngestItems({ whatsapp: { messages: [item] } })
  })
}

/**
 * Which outbound message a report is about, in the form the core's store takes: our id when the report carries
 * our `custom_data`, else Exotel's sid.
 *
 * @since 0.1.0
 * @category getters
 */
export const outboundRef = (report: DeliveryReport): SessionStore.OutboundRef =>
  Option.match(report.outboundId, {
    onNone: () => ({ _tag: "ByProviderId", providerMessageId: report.providerMessageId }),
    onSome: (id) => ({ _tag: "ById", id })
  })
