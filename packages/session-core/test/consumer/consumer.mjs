// Plain Node ESM, no TypeScript: the seed document's scenario 3 against the packed package (run by run.mjs).
// The customer writes at 10:00 on day 1 (IST); at 11:30 on day 2 the business wants to send a text: the window
// closed at 10:00 on day 2, so the decision must be a refusal with SESSION_EXPIRED.
import { Decision, ErrorCode, PhoneNumber, SessionExpired, SessionWindow } from "@wa-session/session-core";
import { DateTime, Either } from "effect";

const fail = (message) => {
  console.error(`consumer.mjs: ${message}`);
  process.exit(1);
};

const business = PhoneNumber.unsafeMake("+91 98765 00001");
const customer = PhoneNumber.unsafeMake("+91 98765 43210");
const at = (iso) => DateTime.unsafeMake(iso);

const window = SessionWindow.record(
  SessionWindow.empty({ business, customer }),
  new SessionWindow.InboundMessage({
    business,
    customer,
    messageId: "wamid.customer.1",
    sentAt: at("2026-01-20T10:00:00+05:30"),
    receivedAt: at("2026-01-20T10:00:01+05:30"),
  }),
);

const state = SessionWindow.statusAt(window, at("2026-01-21T11:00:00+05:30")).state;
if (state !== "expired") fail(`at 11:00 on day 2 the window should be expired, got ${state}`);

const text = { type: "text", text: { body: "Following up" } };
const decision = Decision.decide(window, text, at("2026-01-21T11:30:00+05:30"));
if (!Either.isLeft(decision)) fail(`expected a refusal, got a ${decision.right.kind} decision`);
if (decision.left.code !== "SESSION_EXPIRED") fail(`expected SESSION_EXPIRED, got ${decision.left.code}`);
if (!(decision.left instanceof SessionExpired)) fail("the error is not an instance of the exported SessionExpired");
if (!ErrorCode.literals.includes(decision.left.code)) fail("SESSION_EXPIRED is not among ErrorCode's literals");

// each module is exported on its own (for consumers that load only what they use), as the same module object
const PhoneNumberModule = await import("@wa-session/session-core/PhoneNumber");
if (PhoneNumberModule.parse !== PhoneNumber.parse) fail("the PhoneNumber subpath is not the root's PhoneNumber");

// the exports map names modules, not files: a deep import into dist/ must not resolve
try {
  await import("@wa-session/session-core/dist/Decision.js");
  fail("a deep import into dist/ resolved; the exports map should block it");
} catch (error) {
  if (error.code !== "ERR_PACKAGE_PATH_NOT_EXPORTED" && error.code !== "ERR_MODULE_NOT_FOUND") throw error;
}

console.log(`scenario 3: ${decision.left.code} (${decision.left.message})`);
