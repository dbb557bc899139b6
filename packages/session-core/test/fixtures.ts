import { DateTime, Option, Schema } from "effect"
import { MessageSender, PhoneNumber, SessionWindow } from "../src/index.js"

export const business = PhoneNumber.unsafeMake("+919876500001")
export const customer = PhoneNumber.unsafeMake("+919876543210")
export const pair = { business, customer }

/** An instant written with its offset, as the seed document's clock times are local (IST). */
export const at = (iso: string): DateTime.Utc => DateTime.unsafeMake(iso)

/** Exotel refusing a session message because the window is closed (30018, `EX_REENGAGEMENT_ERROR`). */
export const reengagementRefusal = new MessageSender.ProviderError({
  reason: "Rejected",
  providerCode: Option.some("30018"),
  httpStatus: Option.some(202),
  detail: "EX_REENGAGEMENT_ERROR",
  reengagement: true
})

export const inbound = (messageId: string, sentAt: DateTime.Utc, receivedAt: DateTime.Utc = sentAt) =>
  new SessionWindow.InboundMessage({ business, customer, messageId, sentAt, receivedAt })

export const text = (body: string) => ({ type: "text", text: { body } })

export const followUpTemplate = { type: "template", template: { name: "follow_up", language: { code: "en" } } }

const encodeWindow = Schema.encodeSync(Schema.Union(SessionWindow.SessionWindow, SessionWindow.EmptyWindow))

/** A comparable form of a window (encoded JSON). */
export const snapshot = (window: SessionWindow.Window) => encodeWindow(window)

// -------------------------------------------------------------------------------------------------------------------
// interactive messages, as the plain JSON a client posts and Exotel receives: shared by session-core's, the fake
// Exotel's, the adapter's and the server's tests (by relative path), so they need nothing from session-core
// -------------------------------------------------------------------------------------------------------------------

/** A JSON object. */
export type Json = Record<string, unknown>

export const interactive = (value: Json): Json => ({ type: "interactive", interactive: value })

/** A Flow message (navigate to `WELCOME`, with data); `parameters` and `extra` replace or add parameters and parts. */
export const flow = (parameters: Json = {}, extra: Json = {}): Json =>
  interactive({
    type: "flow",
    body: { text: "Book your test drive" },
    action: {
      name: "flow",
      parameters: {
        flow_message_version: "3",
        flow_token: "token-1",
        flow_id: "1234567890",
        flow_cta: "Book now",
        flow_action: "navigate",
        flow_action_payload: { screen: "WELCOME", data: { city: "Pune" } },
        ...parameters
      }
    },
    ...extra
  })

/** A single-product message: `SKU-1` of catalog `cat_1`; `action` and `extra` replace or add. */
export const product = (action: Json = {}, extra: Json = {}): Json =>
  interactive({ type: "product", action: { catalog_id: "cat_1", product_retailer_id: "SKU-1", ...action }, ...extra })

/** `n` products of a catalog, `SKU-<from>` and on. */
export const items = (from: number, n: number): Array<Json> =>
  Array.from({ length: n }, (_, i) => ({ product_retailer_id: `SKU-${from + i}` }))

/** A multi-product message of catalog `cat_1` under a text header; `extra` replaces or adds parts. */
export const productList = (sections: ReadonlyArray<unknown>, extra: Json = {}): Json =>
  interactive({
    type: "product_list",
    header: { type: "text", text: "Our picks" },
    body: { text: "Have a look" },
    action: { catalog_id: "cat_1", sections },
    ...extra
  })

/** A Flow with every optional part: header, footer, mode, and screen data of several kinds. */
export const fullFlow = flow({
  mode: "published",
  flow_action_payload: { screen: "WELCOME", data: { city: "Pune", slots: [10, 11], vip: true } }
}, { header: { type: "text", text: "Test drive" }, footer: { text: "Takes a minute" } })

/** A product_list of two titled sections, 30 products in all (the most WhatsApp takes), with a footer. */
export const fullProductList = productList([
  { title: "Running", product_items: items(1, 20) },
  { title: "Walking", product_items: items(21, 10) }
], { footer: { text: "Prices incl. GST" } })
