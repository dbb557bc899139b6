// Minimal concurrent HTTP load generator (keep-alive), prints req/s and latency percentiles as JSON.
import * as http from "node:http";

const [url, concurrencyArg = "32", secondsArg = "5", kind = "inbound"] = process.argv.slice(2);
const target = new URL(url);
const concurrency = Number(concurrencyArg);
const seconds = Number(secondsArg);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
let counter = 0;
const body = () => {
  const n = counter++;
  const item = kind === "inbound"
    ? {
      callback_type: "incoming_message",
      sid: `load-${process.pid}-${n}`,
      from: `+9198765${String(n % 100000).padStart(5, "0")}`,
      to: "+919876500001",
      profile_name: "Load",
      timestamp: new Date().toISOString(),
      content: { type: "text", text: { body: "hello" } },
    }
    : {};
  return JSON.stringify({ whatsapp: { messages: [item] } });
};
const post = () =>
  new Promise((resolve, reject) => {
    const payload = body();
    const started = process.hrtime.bigint();
    const req = http.request({
      agent,
      method: "POST",
      host: target.hostname,
      port: target.port,
      path: target.pathname,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
    }, (res) => {
      res.resume();
      res.on("end", () => resolve([res.statusCode, Number(process.hrtime.bigint() - started) / 1e6]));
    });
    req.on("error", reject);
    req.end(payload);
  });
const latencies = [];
const statuses = {};
const deadline = Date.now() + seconds * 1000;
const warmupUntil = Date.now() + 500;
let total = 0;
const worker = async () => {
  while (Date.now() < deadline) {
    const [status, ms] = await post();
    total++;
    if (Date.now() > warmupUntil) {
      latencies.push(ms);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  }
};
const t0 = Date.now();
await Promise.all(Array.from({ length: concurrency }, worker));
const elapsed = (Date.now() - Math.max(t0, warmupUntil)) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]?.toFixed(2);
console.log(JSON.stringify({
  requests: latencies.length,
  total,
  rps: Math.round(latencies.length / ((deadline - Math.max(t0, warmupUntil)) / 1000)),
  p50: pct(0.5),
  p99: pct(0.99),
  statuses,
  elapsed,
}));
agent.destroy();
