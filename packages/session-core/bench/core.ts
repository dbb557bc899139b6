// session-core throughput: decisions over a realistic mix and validation of each content type, each beside a
// baseline doing the least possible work on the same inputs, in interleaved rounds. Usage: pnpm bench [rounds]
import { DateTime, Duration } from "effect"
import { Decision, MessageContent, PhoneNumber, SessionWindow } from "../src/index.js"

const rounds = Number(process.argv[2] ?? 3)
const business = PhoneNumber.unsafeMake("+919876500001")
const HOUR = 3_600_000
const T0 = Date.parse("2026-01-20T04:30:00Z")

const contents: Record<string, unknown> = {
  text: { type: "text", text: { body: "Your order #ORD-12345 is out for delivery." } },
  image: { type: "image", image: { link: "https://example.com/images/order-status.png", caption: "Tracking" } },
  video: { type: "video", video: { id: "1234567890", caption: "How to install" } },
  audio: { type: "audio", audio: { link: "https://example.com/a.ogg" } },
  document: { type: "document", document: { link: "https://example.com/i.pdf", filename: "invoice.pdf" } },
  sticker: { type: "sticker", sticker: { id: "sticker-1" } },
  location: { type: "location", location: { latitude: 12.97, longitude: 77.59, name: "Store", address: "MG Road" } },
  contacts: {
    type: "contacts",
    contacts: [{ name: { formatted_name: "Asha Rao", first_name: "Asha" }, phones: [{ phone: "+919876543210" }] }]
  },
  button: {
    type: "interactive",
    interactive: {
      type: "button",
      body: { text: "Is someone available to receive it?" },
      action: {
        buttons: [{ type: "reply", reply: { id: "yes", title: "Yes" } }, {
          type: "reply",
          reply: { id: "later", title: "Reschedule" }
        }]
      }
    }
  },
  list: {
    type: "interactive",
    interactive: {
      type: "list",
      body: { text: "Pick a slot" },
      action: {
        button: "Slots",
        sections: [{
          title: "Today",
          rows: [{ id: "t1", title: "2-4 pm" }, { id: "t2", title: "4-6 pm", description: "Evening" }]
        }]
      }
    }
  },
  cta_url: {
    type: "interactive",
    interactive: {
      type: "cta_url",
      body: { text: "Track it" },
      action: { name: "cta_url", parameters: { display_text: "Track", url: "https://example.com/t" } }
    }
  },
  reaction: { type: "reaction", reaction: { message_id: "wamid.1", emoji: "👍" } },
  template: {
    type: "template",
    template: {
      name: "order_update",
      language: { code: "en" },
      components: [{ type: "body", parameters: [{ type: "text", text: "Rahul" }] }]
    }
  }
}

// A realistic mix: 1,000 customers, windows open, expired, closed by the provider or absent; mostly text replies.
const windows: Array<SessionWindow.Window> = Array.from({ length: 1000 }, (_, i) => {
  const customer = PhoneNumber.unsafeMake(`+9198765${String(10000 + i).padStart(5, "0")}`)
  if (i % 10 === 0) return SessionWindow.empty({ business, customer })
  const sentAt = DateTime.unsafeMake(T0 - (i % 30) * HOUR)
  const window = SessionWindow.record(
    SessionWindow.empty({ business, customer }),
    new SessionWindow.InboundMessage({ business, customer, messageId: `m${i}`, sentAt, receivedAt: sentAt })
  )
  return i % 17 === 0 ? SessionWindow.closeByProvider(window, DateTime.unsafeMake(T0 - HOUR / 2)) : window
})
const mix = ["text", "text", "text", "image", "button", "list", "template", "text"].map((k) => contents[k])
const fallback = contents.template
const now = DateTime.unsafeMake(T0)
const options = { fallback, safetyMargin: Duration.minutes(5) }

const measure = (run: (n: number) => number, minMillis = 200) => {
  let n = 1000
  for (;;) {
    const start = performance.now()
    const sink = run(n)
    const elapsed = performance.now() - start
    if (sink === -1) throw new Error("unreachable")
    if (elapsed >= minMillis) return (n / elapsed) * 1000
    n *= 2
  }
}

const project = {
  decide: (n: number) => {
    let sessions = 0
    for (let i = 0; i < n; i++) {
      const d = Decision.decide(windows[i % 1000]!, mix[i % mix.length], now, options)
      if (d._tag === "Right" && d.right.kind === "session") sessions++
    }
    return sessions
  },
  statusAt: (n: number) => {
    let open = 0
    for (let i = 0; i < n; i++) if (SessionWindow.statusAt(windows[i % 1000]!, now, options).state === "open") open++
    return open
  }
}

// The least a hand-rolled check does: compare now with the last inbound time plus 24 hours.
const lastInbound = windows.map((w) => (SessionWindow.hasWindow(w) ? w.lastInboundAt.epochMillis : Number.NaN))
const baselineDecide = (n: number) => {
  let sessions = 0
  const t = now.epochMillis
  for (let i = 0; i < n; i++) if (t < lastInbound[i % 1000]! + 24 * HOUR) sessions++
  return sessions
}
// The least a validator does: a structural copy of the input.
const baselineValidate = (input: unknown) => (n: number) => {
  let total = 0
  for (let i = 0; i < n; i++) total += JSON.stringify(input).length
  return total
}
const validate = (input: unknown) => (n: number) => {
  let ok = 0
  for (let i = 0; i < n; i++) if (MessageContent.validate(input)._tag === "Right") ok++
  return ok
}

const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const cases: Array<[string, (n: number) => number, (n: number) => number]> = [
  ["decide (realistic mix, with validation)", project.decide, baselineDecide],
  ["statusAt (window state only)", project.statusAt, baselineDecide],
  ...Object.entries(contents).map(([k, v]): [string, (n: number) => number, (n: number) => number] => [
    `validate ${k}`,
    validate(v),
    baselineValidate(v)
  ])
]

const results = cases.map(([name]) => ({ name, project: [] as Array<number>, baseline: [] as Array<number> }))
for (let round = 0; round < rounds; round++) {
  cases.forEach(([, run, base], i) => {
    results[i]!.project.push(measure(run))
    results[i]!.baseline.push(measure(base))
  })
}
const fmt = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : `${(x / 1e3).toFixed(1)}k`)
console.log(`session-core, ${rounds} interleaved rounds, operations per second: median (min-max); baseline; ratio`)
for (const r of results) {
  const p = median(r.project)
  const b = median(r.baseline)
  console.log(
    `${r.name.padEnd(42)} ${fmt(p).padStart(8)}/s (${fmt(Math.min(...r.project))}-${fmt(Math.max(...r.project))})` +
      `   baseline ${fmt(b).padStart(8)}/s   ratio ${(p / b).toFixed(3)}x`
  )
}
