/**
 * Exotel's message statuses (`exo_status_code` / `exo_detailed_status`) and how they map to ours. Success and
 * failure share the 30xxx range, so a status is classified by its value, never by "30xxx means error".
 *
 * @since 0.1.0
 */
import type { Outbound } from "@wa-session/session-core"
import * as Option from "effect/Option"

/**
 * One status of Exotel's table.
 *
 * @since 0.1.0
 * @category models
 */
export interface Entry {
  /** `None` for statuses seen only by name (`EX_RESTRICTED_BY_META`). */
  readonly code: Option.Option<number>
  readonly name: string
  readonly status: Outbound.OutboundStatus
  readonly meaning: string
}

/**
 * The code for "the 24-hour customer-service window is over" (Meta 131047): the provider closed the window.
 *
 * @since 0.1.0
 * @category constants
 */
export const REENGAGEMENT_CODE = 30018

/**
 * @since 0.1.0
 * @category constants
 */
export const REENGAGEMENT_NAME = "EX_REENGAGEMENT_ERROR"

/**
 * The failures Exotel documents as temporary ("retry later"): its rate-limit failures 30007 `EX_RATE_LIMIT_HIT` and
 * 30009 `EX_TOO_MANY_REQUEST` (Exotel's error-code page, https://developer.exotel.com/api/error-code). A send whose
 * message fails with one of them was not taken, so it is sent again after a backoff. Every other failure is final:
 * 30008 `EX_SPAM_RATE_LIMIT_HIT` (a spam limit: retrying makes it worse), 30018 (the window is over: a template is
 * needed), 30015 (unsupported type), and `EX_RESTRICTED_BY_META` (Meta's per-user marketing cap, which lasts far longer
 * than a send's retries).
 *
 * @since 0.2.0
 * @category constants
 */
export const RETRY_LATER: ReadonlyArray<{ readonly code: number; readonly name: string }> = [
  { code: 30007, name: "EX_RATE_LIMIT_HIT" },
  { code: 30009, name: "EX_TOO_MANY_REQUEST" }
]

/**
 * Whether a failure (by code or status name) is one Exotel documents as temporary (see `RETRY_LATER`).
 *
 * @example
 * ```ts
 * import { ExoStatus } from "@wa-session/exotel"
 * ExoStatus.isRetryLater("30007", []) // true
 * ExoStatus.isRetryLater(undefined, ["EX_TOO_MANY_REQUEST"]) // true
 * ExoStatus.isRetryLater("30018", []) // false
 * ```
 * @since 0.2.0
 * @category predicates
 */
export const isRetryLater = (code: string | undefined, names: ReadonlyArray<string>): boolean =>
  RETRY_LATER.some((entry) =>
    code === String(entry.code) || names.some((name) => name.trim().toUpperCase() === entry.name)
  )

/**
 * Whether a failure (by code or status name) says the 24-hour window is over (30018 `EX_REENGAGEMENT_ERROR`).
 *
 * @since 0.2.0
 * @category predicates
 */
export const isReengagement = (code: string | undefined, names: ReadonlyArray<string>): boolean =>
  code === String(REENGAGEMENT_CODE) || names.some((name) => name.trim().toUpperCase() === REENGAGEMENT_NAME)

const row = (code: number | undefined, name: string, status: Outbound.OutboundStatus, meaning: string): Entry => ({
  code: Option.fromNullable(code),
  name,
  status,
  meaning
})

/**
 * Exotel's status table: 30001–30020 from Exotel's error-code page, 30021–30041 from its newer docs' source,
 * and `EX_RESTRICTED_BY_META`, seen in production reports but in no table.
 *
 * @since 0.1.0
 * @category constants
 */
export const table: ReadonlyArray<Entry> = [
  row(30001, "EX_MESSAGE_SENT", "sent", "sent to the user"),
  row(30002, "EX_MESSAGE_DELIVERED", "delivered", "delivered"),
  row(30003, "EX_MESSAGE_SEEN", "read", "read by the user"),
  row(30004, "EX_SYSTEM_ERROR", "failed", "system, authentication, token, permission or service issue"),
  row(30005, "EX_NUMBER_ERROR", "failed", "phone number issue"),
  row(30006, "EX_SETUP_ERROR", "failed", "set-up error"),
  row(30007, "EX_RATE_LIMIT_HIT", "failed", "rate limit breached"),
  row(30008, "EX_SPAM_RATE_LIMIT_HIT", "failed", "spam rate limit breached"),
  row(30009, "EX_TOO_MANY_REQUEST", "failed", "too many requests in a short span"),
  row(30010, "EX_INVALID_REQUEST", "failed", "invalid request"),
  row(30011, "EX_UNKNOWN_ERROR", "failed", "unknown error"),
  row(30012, "EX_INVALID_RECIPIENT", "failed", "invalid recipient"),
  row(30013, "EX_INCAPABLE_RECIPIENT", "failed", "the recipient cannot receive this message"),
  row(30014, "EX_RECIPIENT_BLOCKED", "failed", "the recipient is not in the allowed list"),
  row(30015, "EX_UNSUPPORTED_MESSAGE", "failed", "unsupported message type"),
  row(30016, "EX_MEDIA_DOWNLOAD_ERROR", "failed", "WhatsApp could not download the media"),
  row(30017, "EX_MEDIA_UPLOAD_ERROR", "failed", "unsupported media type"),
  row(30018, "EX_REENGAGEMENT_ERROR", "failed", "the 24-hour customer-service window is over; send a template"),
  row(30019, "EX_INVALID_PARAM", "failed", "invalid parameter"),
  row(30020, "EX_MISSING_PARAM", "failed", "mandatory parameter missing"),
  row(30021, "EX_INVALID_PARAM_VALUE", "failed", "invalid parameter value"),
  row(30022, "EX_TEMPLATE_ERROR", "failed", "template format or character policy"),
  row(30023, "EX_TEMPLATE_PARAM_ERROR", "failed", "template parameter count or format mismatch"),
  row(30024, "EX_TEMPLATE_NOT_FOUND", "failed", "template does not exist"),
  row(30025, "EX_TEMPLATE_TEXT_TOO_LONG", "failed", "translated template text too long"),
  row(30026, "EX_INVALID_TEMPLATE_NAMESPACE", "failed", "invalid template namespace"),
  row(30027, "EX_MESSAGE_PENDING_TOO_LONG", "failed", "pending too long"),
  row(30028, "EX_MESSAGE_EXPIRED", "failed", "expired"),
  row(30029, "EX_MESSAGE_TOO_LONG", "failed", "body longer than 4096 characters"),
  row(30030, "EX_WEBHOOK_ERROR", "failed", "webhook not configured"),
  row(30031, "EX_SECTION_COUNT_ERROR", "failed", "bad number of sections"),
  row(30032, "EX_ROWS_COUNT_ERROR", "failed", "bad number of rows"),
  row(30033, "EX_PRODUCT_COUNT_ERROR", "failed", "bad number of products"),
  row(30034, "EX_CATALOGUE_NOT_FOUND", "failed", "catalogue not found"),
  row(30035, "EX_CATALOGUE_NOT_LINKED", "failed", "catalogue not linked"),
  row(30036, "EX_MISSING_PRODUCT", "failed", "missing product"),
  row(30037, "EX_PRODUCT_NOT_FOUND", "failed", "product not found"),
  row(30038, "EX_PRODUCT_COMPLIANCE_ERROR", "failed", "product compliance error"),
  row(30039, "EX_INVALID_HEADER", "failed", "invalid header"),
  row(30040, "EX_MISSING_COMPLIANCE", "failed", "compliance information missing"),
  row(30041, "EX_CHAR_POLICY_VIOLATION", "failed", "character policy violated"),
  row(undefined, "EX_RESTRICTED_BY_META", "failed", "restricted by Meta (per-user marketing limit)")
]

const BY_CODE: ReadonlyMap<number, Entry> = new Map(
  table.flatMap((entry) => Option.toArray(Option.map(entry.code, (code) => [code, entry] as const)))
)
const BY_NAME: ReadonlyMap<string, Entry> = new Map(table.map((entry) => [entry.name, entry] as const))

/**
 * @since 0.1.0
 * @category getters
 */
export const byCode = (code: number): Option.Option<Entry> => Option.fromNullable(BY_CODE.get(code))

/**
 * Case-insensitive.
 *
 * @since 0.1.0
 * @category getters
 */
export const byName = (name: string): Option.Option<Entry> =>
  Option.fromNullable(BY_NAME.get(name.trim().toUpperCase()))

/**
 * What a status means for an outbound message. `reengagement`: the provider says the 24-hour window is over (the
 * pair's window is closed by the provider). `failureName`: the status name of a failure.
 *
 * @since 0.1.0
 * @category models
 */
export interface Outcome {
  readonly status: Outbound.OutboundStatus
  readonly reengagement: boolean
  readonly failureName: Option.Option<string>
}

/**
 * Classifies a reported status. The name is trusted over the code (Exotel's two code tables disagree, their
 * names do not); a status known by neither is a failure named by its detailed status, or `EX_UNKNOWN_<code>`.
 *
 * @example
 * ```ts
 * import { ExoStatus } from "@wa-session/exotel"
 * import { Option } from "effect"
 * ExoStatus.classify(Option.some(30018), Option.none())
 * // { status: "failed", reengagement: true, failureName: Option.some("EX_REENGAGEMENT_ERROR") }
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const classify = (code: Option.Option<number>, detailedStatus: Option.Option<string>): Outcome => {
  const entry = Option.flatMap(detailedStatus, byName).pipe(Option.orElse(() => Option.flatMap(code, byCode)))
  if (Option.isSome(entry)) {
    const { name, status } = entry.value
    return {
      status,
      reengagement: name === REENGAGEMENT_NAME,
      failureName: status === "failed" ? Option.some(name) : Option.none()
    }
  }
  const name = detailedStatus.pipe(
    Option.map((value) => value.trim()),
    Option.filter((value) => value.length > 0),
    Option.getOrElse(() => `EX_UNKNOWN_${Option.getOrElse(Option.map(code, String), () => "STATUS")}`)
  )
  return { status: "failed", reengagement: false, failureName: Option.some(name) }
}
