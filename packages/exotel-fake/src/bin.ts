#!/usr/bin/env tsx
/**
 * `wa-session-fake-exotel [--port N] [--host H] [--auto-reports[=30001,30002]]`: starts the fake Exotel for a
 * local demo and prints its URL and credentials. Environment: FAKE_EXOTEL_PORT, FAKE_EXOTEL_API_KEY,
 * FAKE_EXOTEL_API_TOKEN, FAKE_EXOTEL_ACCOUNT_SID.
 *
 * @since 0.1.0
 */
import { parseArgs } from "node:util"
import { startFakeExotel } from "./FakeExotel.js"

// `pnpm start -- --port 4010` passes the `--` through
const args = process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === "--"))

const { values } = parseArgs({
  args,
  options: {
    port: { type: "string" },
    host: { type: "string" },
    "auto-reports": { type: "string" },
    help: { type: "boolean", short: "h" }
  },
  allowPositionals: false,
  strict: true
})

if (values.help === true) {
  process.stdout.write(
    "usage: wa-session-fake-exotel [--port 4010] [--host 127.0.0.1] [--auto-reports 30001,30002]\n"
  )
  process.exit(0)
}

const port = Number(values.port ?? process.env.FAKE_EXOTEL_PORT ?? 4010)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`invalid port: ${values.port ?? process.env.FAKE_EXOTEL_PORT}\n`)
  process.exit(2)
}
const autoCodes = values["auto-reports"]?.split(",").map((code) => Number(code.trim()))
if (autoCodes?.some((code) => !Number.isInteger(code)) === true) {
  process.stderr.write(`invalid --auto-reports: ${values["auto-reports"]}\n`)
  process.exit(2)
}

const fake = await startFakeExotel({
  port,
  host: values.host ?? "127.0.0.1",
  apiKey: process.env.FAKE_EXOTEL_API_KEY ?? "fake-api-key",
  apiToken: process.env.FAKE_EXOTEL_API_TOKEN ?? "fake-api-token",
  accountSid: process.env.FAKE_EXOTEL_ACCOUNT_SID ?? "fakeaccount1",
  ...(autoCodes === undefined ? {} : { autoDeliveryReports: { codes: autoCodes } }),
  log: (line) => process.stdout.write(line + "\n")
})

process.stdout.write(
  [
    `fake Exotel listening on ${fake.url}`,
    "",
    `EXOTEL_BASE_URL=${fake.url}`,
    `EXOTEL_API_KEY=${fake.apiKey}`,
    `EXOTEL_API_TOKEN=${fake.apiToken}`,
    `EXOTEL_ACCOUNT_SID=${fake.accountSid}`,
    "",
    `send endpoint:  POST ${fake.messagesUrl}`,
    `customer says:  curl -X POST ${fake.url}/__fake/inbound -H 'content-type: application/json' \\`,
    `                  -d '{"callbackUrl":"http://127.0.0.1:3000/webhooks/exotel","from":"+919158455686",` +
    `"to":"+919211514326","text":"Hi"}'`,
    `report status:  curl -X POST ${fake.url}/__fake/delivery-report -H 'content-type: application/json' \\`,
    `                  -d '{"sid":"<sid>","code":30018}'`,
    `inspect:        curl ${fake.url}/__fake/requests   |   curl ${fake.url}/__fake/messages`,
    ""
  ].join("\n")
)

const shutdown = () => {
  fake.close().then(() => process.exit(0), () => process.exit(1))
}
process.on("SIGINT", shutdown)
process.on("SIGTERM", shutdown)
