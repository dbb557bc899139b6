// The baseline of the webhook bench: a bare node:http server with better-sqlite3 doing the same durable work per
// request as wa-session's webhook (parse the Exotel batch, dedup each inbound message on (business, sid), extend the
// pair's window to the maximum timestamp, commit with synchronous=FULL in WAL mode, answer the counts). No
// validation beyond what the upsert needs, no logging, no metrics: the floor the project is measured against.
//   node baseline-server.mjs <port> <sqlite file> <secret> [full|normal]   prints "ready <port>"
import Database from "better-sqlite3";
import * as Http from "node:http";

const [portArg = "0", file = "baseline.db", secret = "secret", sync = "full"] = process.argv.slice(2);
const db = new Database(file);
db.pragma("journal_mode = WAL");
db.pragma(`synchronous = ${sync === "normal" ? "NORMAL" : "FULL"}`);
db.pragma("busy_timeout = 10000");
db.exec(`CREATE TABLE IF NOT EXISTS inbound (business TEXT NOT NULL, message_id TEXT NOT NULL, customer TEXT NOT NULL,
  sent_at INTEGER NOT NULL, received_at INTEGER NOT NULL, PRIMARY KEY (business, message_id)) WITHOUT ROWID`);
db.exec(`CREATE TABLE IF NOT EXISTS windows (business TEXT NOT NULL, customer TEXT NOT NULL,
  last_inbound_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (business, customer)) WITHOUT ROWID`);
const insertInbound = db.prepare(
  "INSERT INTO inbound (business, message_id, customer, sent_at, received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
);
const upsertWindow = db.prepare(
  `INSERT INTO windows (business, customer, last_inbound_at, expires_at) VALUES (?, ?, ?, ?)
  ON CONFLICT (business, customer) DO UPDATE SET last_inbound_at = MAX(last_inbound_at, excluded.last_inbound_at),
  expires_at = MAX(expires_at, excluded.expires_at)`,
);
const digits = (value) => (typeof value === "string" ? "+" + value.replace(/[^0-9]/g, "") : undefined);
const record = db.transaction((items, now) => {
  const counts = { accepted: 0, duplicates: 0, rejected: 0 };
  for (const item of items) {
    const business = digits(item?.to);
    const customer = digits(item?.from);
    const sentAt = Date.parse(item?.timestamp);
    if (
      item?.callback_type !== "incoming_message" || typeof item.sid !== "string" || !business || !customer
      || Number.isNaN(sentAt)
    ) {
      counts.rejected++;
      continue;
    }
    if (insertInbound.run(business, item.sid, customer, sentAt, now).changes === 0) {
      counts.duplicates++;
      continue;
    }
    upsertWindow.run(business, customer, sentAt, sentAt + 86_400_000);
    counts.accepted++;
  }
  return counts;
});
const prefix = `/webhooks/exotel/${secret}`;
const answer = (response, status, body) => {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
};
const server = Http.createServer((request, response) => {
  if (request.method !== "POST" || request.url !== prefix) return answer(response, 404, { code: "NOT_FOUND" });
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return answer(response, 400, { code: "INVALID_WEBHOOK" });
    }
    const items = body?.whatsapp?.messages;
    if (!Array.isArray(items)) return answer(response, 400, { code: "INVALID_WEBHOOK" });
    answer(response, 200, record(items, Date.now()));
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(portArg), "127.0.0.1", () => console.log(`ready ${server.address().port}`));
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => (db.close(), process.exit(0))));
