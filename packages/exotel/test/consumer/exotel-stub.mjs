// A stand-in for Exotel's messages endpoint on 127.0.0.1 (plain node:http, no dependencies), used by consumer.mjs
// and by run.mjs for the README example. It records every request and answers like Exotel: 202 with the result
// of the message under response.whatsapp.messages, or 401 with error_data when the Basic credentials are wrong.
import * as http from "node:http";

/** The sid every accepted message gets (the README example's expected output shows it). */
export const SID = "2f7c1e9a4b5d4c3e8a6f0b1d2c3e4f5a";

const answer = (response, status, body) => {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify({ request_id: "req_1", method: "POST", http_code: status, response: body }));
};

/**
 * Starts the stub on a free port. Resolves to its base URL, the requests it received (method, url, authorization
 * header and parsed JSON body) and `close`.
 */
export const start = ({ apiKey, apiToken }) =>
  new Promise((resolve, reject) => {
    const expected = `Basic ${Buffer.from(`${apiKey}:${apiToken}`).toString("base64")}`;
    const requests = [];
    const server = http.createServer((request, response) => {
      const chunks = [];
      request.on("data", (chunk) => chunks.push(chunk));
      request.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const { method, url, headers: { authorization } } = request;
        requests.push({ method, url, authorization, body: text === "" ? null : JSON.parse(text) });
        if (authorization !== expected) {
          return answer(response, 401, {
            code: 401,
            status: "failure",
            error_data: { code: 1010, message: "Authentication failed", description: "wrong API key or token" },
          });
        }
        answer(response, 202, {
          code: 202,
          status: "success",
          whatsapp: { messages: [{ code: 202, status: "success", data: { sid: SID } }] },
        });
      });
    });
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        requests,
        close: () =>
          new Promise((done) => {
            server.close(done);
            server.closeAllConnections();
          }),
      }));
  });
