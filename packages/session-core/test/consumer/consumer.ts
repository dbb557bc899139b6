// A TypeScript consumer of the packed package: run.mjs type-checks it with tsc --strict (nodenext and bundler
// resolution, library declarations checked too), then runs it. In the workspace it is also checked by tsc -b
// (through the package's self-reference). It uses the public types the way a consumer's service would.
import {
  Decision,
  type DecisionError,
  ErrorCode,
  type Ids,
  type InvalidMessage,
  MessageContent,
  type MessageSender,
  type MessageTypeNotSupported,
  PhoneNumber,
  SessionExpired,
  SessionService,
  type SessionStore,
  SessionWindow
} from "@wa-session/session-core"
import { DateTime, Effect, Either, Option } from "effect"

const business: PhoneNumber.PhoneNumber = PhoneNumber.unsafeMake("+91 98765 00001")
const customer: PhoneNumber.PhoneNumber = PhoneNumber.unsafeMake("+91 98765 43210")
const at = (iso: string): DateTime.Utc => DateTime.unsafeMake(iso)

// @ts-expect-error a plain string is not a PhoneNumber: the brand must survive packing
const unbranded: PhoneNumber.PhoneNumber = "+919876543210"

const parsed: Either.Either<PhoneNumber.PhoneNumber, { readonly code: "INVALID_PHONE_NUMBER" }> = PhoneNumber.parse(
  "+91 98765 43210"
)

// scenario 3 of the seed document: the customer wrote at 10:00 on day 1 (IST), the business follows up at 11:30 on
// day 2
const window: SessionWindow.Window = SessionWindow.record(
  SessionWindow.empty({ business, customer }),
  new SessionWindow.InboundMessage({
    business,
    customer,
    messageId: "wamid.customer.1",
    sentAt: at("2026-01-20T10:00:00+05:30"),
    receivedAt: at("2026-01-20T10:00:01+05:30")
  })
)
const status: SessionWindow.WindowStatus = SessionWindow.statusAt(window, at("2026-01-21T11:00:00+05:30"))
const state: SessionWindow.WindowState = status.state

const decision: Either.Either<Decision.Decision, DecisionError> = Decision.decide(
  window,
  { type: "text", text: { body: "Following up" } },
  at("2026-01-21T11:30:00+05:30")
)

/** Exhaustive over the decision errors: a missing case would not compile (the function must return). */
const describe = (error: DecisionError): string => {
  switch (error._tag) {
    case "SessionExpired":
      return `${error.code}: expired at ${DateTime.formatIso(error.expiredAt)}`
    case "NoActiveSession":
      return `${error.code}: ${error.customer} never wrote`
    case "InvalidMessage":
      return `${error.code}: ${error.violations.map((v) => v.path).join(", ")}`
    case "MessageTypeNotSupported":
      return `${error.code}: use one of ${error.supported.join(", ")}`
  }
}

const expiredCode: "SESSION_EXPIRED" = new SessionExpired({
  business,
  customer,
  expiredAt: at("2026-01-21T10:00:00+05:30"),
  closedByProvider: false
}).code
const codes: ReadonlyArray<ErrorCode> = ErrorCode.literals

const validated: Either.Either<MessageContent.MessageContent, InvalidMessage | MessageTypeNotSupported> = MessageContent
  .validate({ type: "text", text: { body: "Hello" } })

// the ports can be implemented and the use cases keep their precise types
const sender: MessageSender.MessageSenderShape = {
  send: (request) => Effect.succeed({ providerMessageId: `provider-${request.outboundId}` })
}
const send: Effect.Effect<
  SessionService.SendResult,
  DecisionError | SessionService.IdempotencyKeyReused | MessageSender.ProviderError | SessionStore.StorageError,
  SessionStore.SessionStore | SessionService.SessionConfig | MessageSender.MessageSender | Ids.Ids
> = SessionService.send({
  from: business,
  to: customer,
  content: { type: "text", text: { body: "Hello" } },
  idempotencyKey: Option.none()
})

const result = {
  state,
  decision: Either.match(decision, { onLeft: describe, onRight: (d) => d.kind }),
  code: Either.isLeft(decision) ? decision.left.code : null,
  expiredCode,
  codes: codes.length,
  parsed: Either.isRight(parsed),
  valid: Either.isRight(validated),
  ports: typeof sender.send === "function" && Effect.isEffect(send),
  unbranded
}

if (result.state !== "expired" || result.code !== "SESSION_EXPIRED" || !result.parsed || !result.valid) {
  throw new Error(`consumer.ts: unexpected result ${JSON.stringify(result)}`)
}
console.log(`consumer.ts: ${result.decision}`)
