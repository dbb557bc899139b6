// The business's endpoint for the webhook bench: a bare node:http server on 127.0.0.1 that answers every POST with
// 204 at once (no signature check: the bench measures the sender, not the receiver) and counts them. In a process of
// its own, so that it neither slows nor is slowed by the load generator.
//   node fast-receiver.mjs <port>     prints "ready <port>"; GET /count answers {"received": n}
import * as Http from "node:http";

const [portArg = "0"] = process.argv.slice(2);
let received = 0;
const server = Http.createServer((request, response) => {
  if (request.method === "GET" && request.url === "/count") {
    const text = JSON.stringify({ received });
    response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    return response.end(text);
  }
  request.resume();
  request.on("end", () => {
    received++;
    response.writeHead(204);
    response.end();
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(portArg), "127.0.0.1", () => console.log(`ready ${server.address().port}`));
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
