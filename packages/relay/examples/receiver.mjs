// A business endpoint that receives wa-session's events, verified per Standard Webhooks.
// Run: WA_SESSION_EVENTS_SECRET=whsec_... PORT=3000 node receiver.mjs   (needs `npm install standardwebhooks`)
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";

const webhook = new Webhook(process.env.WA_SESSION_EVENTS_SECRET); // the whsec_… secret of the endpoint
const seen = new Set(); // webhook-id of events already handled: a redelivery carries the same id

const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8"); // verify the raw body, before any JSON parsing
    let event;
    try {
      event = webhook.verify(body, req.headers); // checks the signature and that the timestamp is recent
    } catch {
      res.writeHead(401).end(); // not from wa-session (or replayed too late): refuse, it is retried
      return;
    }
    if (!seen.has(event.id)) {
      seen.add(event.id);
      handle(event);
    }
    res.writeHead(204).end(); // answer 2xx quickly (within 10 s); do slow work after answering
  });
});

function handle(event) {
  switch (event.type) {
    case "message.received":
      console.log(`${event.customer} wrote: ${JSON.stringify(event.data.content)}`);
      break;
    case "window.expiring":
      console.log(`window of ${event.customer} closes at ${event.data.sendableUntil}`);
      break;
    default:
      console.log(event.type, event.id);
  }
}

server.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  console.log(`listening on ${server.address().port}`);
});
