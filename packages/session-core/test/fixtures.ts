import { DateTime, Schema } from "effect"
import { PhoneNumber, SessionWindow } from "../src/index.js"

export const business = PhoneNumber.unsafeMake("+919876500001")
export const customer = PhoneNumber.unsafeMake("+919876543210")
export const pair = { business, customer }

/** An instant written with its offset, as the seed document's clock times are local (IST). */
export const at = (iso: string): DateTime.Utc => DateTime.unsafeMake(iso)

export const inbound = (messageId: string, sentAt: DateTime.Utc, receivedAt: DateTime.Utc = sentAt) =>
  new SessionWindow.InboundMessage({ business, customer, messageId, sentAt, receivedAt })

export const text = (body: string) => ({ type: "text", text: { body } })

export const followUpTemplate = { type: "template", template: { name: "follow_up", language: { code: "en" } } }

const encodeWindow = Schema.encodeSync(Schema.Union(SessionWindow.SessionWindow, SessionWindow.EmptyWindow))

/** A comparable form of a window (encoded JSON). */
export const snapshot = (window: SessionWindow.Window) => encodeWindow(window)
