import type { DeliveryReportInput, InboundInput } from "../Callbacks.js"
import { STATUS_NAMES } from "./statuses.js"
import { isObject, type Json } from "./validate.js"
import { hex, istTimestamp } from "./wire.js"

/**
 * The fields of an input as they may arrive in the JSON body of a control request: the required ones checked, the
 * optional ones passed into the item as they are (a typed {@link InboundInput} or {@link DeliveryReportInput} is one).
 */
type Fields<Input, Checked extends keyof Input> =
  & { readonly [K in Checked]: Input[K] }
  & { readonly [K in Exclude<keyof Input, Checked>]?: unknown }

export type InboundFields = Fields<InboundInput, "from" | "to">
export type DeliveryReportFields = Fields<DeliveryReportInput, "sid" | "code">

/** What the fake knows of the message a report is about. */
export interface Known {
  readonly to: string
  readonly customData: string | undefined
}

/** The batch item of a delivery report, as Exotel would post it. */
export const deliveryReportItem = (report: DeliveryReportFields, known: Known | undefined): Json => {
  const entry = STATUS_NAMES[report.code]
  const item: Json = {
    callback_type: "dlr",
    sid: report.sid,
    to: report.to ?? known?.to,
    exo_status_code: report.codeAsString === true ? String(report.code) : report.code,
    exo_detailed_status: report.detailedStatus ?? entry?.[0] ?? "EX_UNKNOWN_ERROR",
    description: report.description ?? entry?.[1] ?? "Unknown status",
    timestamp: report.timestamp ?? istTimestamp(new Date()),
    custom_data: report.customData ?? known?.customData
  }
  for (const key of Object.keys(item)) if (item[key] === undefined) delete item[key]
  return item
}

/** The batch item of an inbound message, as Exotel would post it. */
export const inboundItem = (inbound: InboundFields): Json => ({
  callback_type: inbound.callbackType ?? "incoming_message",
  sid: inbound.sid ?? hex(),
  from: inbound.from,
  to: inbound.to,
  profile_name: inbound.profileName ?? "Customer",
  timestamp: inbound.timestamp ?? istTimestamp(new Date()),
  content: inbound.content ?? { type: "text", text: { body: inbound.text ?? "Hello" } }
})

/** The body of `POST /__fake/inbound`: where to post, and the inbound message. */
export const isInboundRequest = (input: Json): input is Json & InboundFields & { readonly callbackUrl: string } =>
  typeof input.callbackUrl === "string" && typeof input.from === "string" && typeof input.to === "string"

/** The body of `POST /__fake/delivery-report`: the report, and where to post it unless the sid is known. */
export const isDeliveryReportRequest = (input: Json): input is Json & DeliveryReportFields =>
  typeof input.sid === "string" && typeof input.code === "number"

/** A control request's JSON body; `{}` when it is not an object. */
export const controlInput = (body: unknown): Json => (isObject(body) ? body : {})
