// Plain Node ESM, no TypeScript: the packed @wa-session/exotel against the stand-in Exotel of exotel-stub.mjs (run by
// run.mjs in a fresh project). It sends a text through ExotelSender.layerWith over NodeHttpClient, checks what
// reached "Exotel" and the receipt, maps a 401 to the core's ProviderError, and decodes a webhook batch.
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient";
import { ExotelSender, Webhook } from "@wa-session/exotel";
import { MessageSender, PhoneNumber } from "@wa-session/session-core";
import { Effect, Either, Layer, Option, Redacted } from "effect";
import * as assert from "node:assert/strict";
import * as Stub from "./exotel-stub.mjs";

const credentials = { apiKey: "exo_key_5f2a", apiToken: "tok_9d81c0ffee" };
const CALLBACK = "https://bot.example.com/webhooks/exotel?token=cb-secret";
const exotel = await Stub.start(credentials);

const sender = (apiToken) =>
  ExotelSender.layerWith({
    apiKey: Redacted.make(credentials.apiKey),
    apiToken: Redacted.make(apiToken),
    accountSid: "acme1",
    baseUrl: exotel.url,
    statusCallbackUrl: CALLBACK,
    requestTimeout: "5 seconds",
    retry: { maxRetries: 0 },
  }).pipe(Layer.provide(NodeHttpClient.layerUndici));

const request = {
  outboundId: "msg_1",
  idempotencyKey: Option.some("order-42"),
  from: PhoneNumber.unsafeMake("+91 92115 14326"),
  to: PhoneNumber.unsafeMake("+91 91584 55686"),
  content: { type: "text", text: { body: "Your order has shipped" } },
};
const send = (apiToken) =>
  Effect.runPromise(
    Effect.flatMap(MessageSender.MessageSender, (port) => port.send(request)).pipe(
      Effect.either,
      Effect.provide(sender(apiToken)),
    ),
  );

try {
  // 1. a send: one POST with Basic auth, the message wrapped in whatsapp.messages; the receipt is Exotel's sid
  const sent = await send(credentials.apiToken);
  assert.ok(Either.isRight(sent), `the send failed: ${Either.isLeft(sent) ? sent.left.message : ""}`);
  assert.equal(sent.right.providerMessageId, Stub.SID);
  assert.equal(exotel.requests.length, 1);
  const [received] = exotel.requests;
  assert.equal(received.method, "POST");
  assert.equal(received.url, "/v2/accounts/acme1/messages");
  assert.deepEqual(received.body, {
    whatsapp: {
      messages: [{
        from: "+919211514326",
        to: "+919158455686",
        content: { type: "text", text: { body: "Your order has shipped" } },
        custom_data: JSON.stringify({ id: "msg_1", idempotencyKey: "order-42" }),
        status_callback: CALLBACK,
      }],
    },
  });

  // 2. wrong credentials: a 401 becomes the core's ProviderError (one copy of session-core: instanceof holds)
  const refused = await send("wrong-token");
  assert.ok(Either.isLeft(refused), "a send with a wrong token succeeded");
  assert.ok(refused.left instanceof MessageSender.ProviderError, "not the core's ProviderError");
  assert.equal(refused.left.code, "PROVIDER_ERROR");
  assert.equal(refused.left.reason, "Configuration");
  assert.deepEqual(refused.left.httpStatus, Option.some(401));

  // 3. a webhook batch: the delivery report of that message, a customer's reply, and an item that is neither
  const batch = Webhook.decodeBatch({
    whatsapp: {
      messages: [
        {
          callback_type: "dlr",
          sid: Stub.SID,
          exo_status_code: 30018,
          timestamp: "2026-01-21T11:30:02+05:30",
          custom_data: received.body.whatsapp.messages[0].custom_data,
        },
        {
          callback_type: "incoming_message",
          sid: "wamid.HBgMOTE5MTU4NDU1Njg2",
          from: "919158455686",
          to: "919211514326",
          timestamp: 1768883460,
          content: { type: "text", text: { body: "Thanks!" } },
        },
        { callback_type: "dlr", sid: "s1" },
      ],
    },
  });
  assert.ok(Either.isRight(batch), "the batch was refused");
  const [report, reply, bad] = batch.right;
  assert.equal(report._tag, "DeliveryReport");
  assert.deepEqual([report.outcome.status, report.outcome.reengagement], ["failed", true]);
  assert.deepEqual(Webhook.outboundRef(report), { _tag: "ById", id: "msg_1" });
  assert.deepEqual(report.idempotencyKey, Option.some("order-42"));
  assert.equal(reply._tag, "Inbound");
  assert.deepEqual([reply.customer, reply.business, reply.contentType], ["+919158455686", "+919211514326", "text"]);
  assert.deepEqual([bad._tag, bad.index], ["Malformed", 2]);
  const notABatch = Webhook.decodeBatch({ messages: [] });
  assert.ok(Either.isLeft(notABatch) && notABatch.left instanceof Webhook.WebhookEnvelopeError);

  // only the package root (and package.json) are exported
  await assert.rejects(import("@wa-session/exotel/dist/Webhook.js"), { code: "ERR_PACKAGE_PATH_NOT_EXPORTED" });
} finally {
  await exotel.close();
}

console.log(
  `consumer.mjs: sent msg_1 as ${Stub.SID}; 401 gave Configuration; webhook: DeliveryReport, Inbound, Malformed`,
);
