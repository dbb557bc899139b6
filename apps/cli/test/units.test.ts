import * as Terminal from "@effect/platform/Terminal"
import { assert, describe, it } from "@effect/vitest"
import { Durations, PhoneNumber } from "@wa-session/session-core"
import { ConfigProvider, DateTime, Duration, Effect, Either, Layer, ParseResult, Schema } from "effect"
import { forOption, parseInstant } from "../src/Input.js"
import * as Output from "../src/Output.js"
import * as Simulate from "../src/Simulate.js"
import * as Views from "../src/Views.js"

const terminal = (isTTY: boolean) =>
  Layer.succeed(Terminal.Terminal, { isTTY: Effect.succeed(isTTY) } as unknown as Terminal.Terminal)

const env = (vars: Record<string, string>) =>
  Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(vars))))

describe("Output.hidePassword", () => {
  it("hides a URL's password up to the host, an @ in it included; leaves URLs without one alone", () => {
    assert.strictEqual(
      Output.hidePassword("cannot reach http://u:p@ss@127.0.0.1:8080/x"),
      "cannot reach http://u:***@127.0.0.1:8080/x"
    )
    assert.strictEqual(
      Output.hidePassword("\"ftp://user:pw@h\" and https://h/p"),
      "\"ftp://user:***@h\" and https://h/p"
    )
    assert.strictEqual(Output.hidePassword("mailto:a@b http://host/a@b"), "mailto:a@b http://host/a@b")
  })
})

describe("Output", () => {
  it.effect("colour only on a terminal, never with NO_COLOR, never with --json", () =>
    Effect.gen(function*() {
      assert.isTrue((yield* Output.make(false).pipe(Effect.provide([terminal(true), env({})]))).color)
      assert.isFalse((yield* Output.make(false).pipe(Effect.provide([terminal(false), env({})]))).color)
      assert.isFalse((yield* Output.make(false).pipe(Effect.provide([terminal(true), env({ NO_COLOR: "1" })]))).color)
      assert.isFalse((yield* Output.make(true).pipe(Effect.provide([terminal(true), env({})]))).color)
    }))

  it("paints only when colour is on", () => {
    assert.strictEqual(Output.paint({ json: false, color: false }, "green", "open"), "open")
    assert.strictEqual(Output.paint({ json: false, color: true }, "green", "open"), "\u001b[32mopen\u001b[0m")
  })

  it("aligns table columns on the visible width (colour codes do not count)", () => {
    const out = { json: false, color: true }
    const text = Output.table(out, ["A", "B"], [[Output.paint(out, "red", "xx"), "1"], ["y", "2"]])
    const plain = text.replace(/\u001b\[[0-9;]*m/g, "")
    assert.deepStrictEqual(plain.split("\n"), ["A   B", "xx  1", "y   2"])
  })

  it("relative times: the two largest units", () => {
    const now = DateTime.unsafeMake("2026-01-20T04:30:00Z")
    const at = (iso: string) => Output.relative(DateTime.unsafeMake(iso), now)
    assert.strictEqual(at("2026-01-20T07:42:00Z"), "in 3h 12m")
    assert.strictEqual(at("2026-01-20T02:30:00Z"), "2h ago")
    assert.strictEqual(at("2026-01-20T04:30:45Z"), "in 45s")
    assert.strictEqual(at("2026-01-22T05:30:00Z"), "in 2d 1h")
    assert.strictEqual(at("2026-01-20T04:30:00Z"), "now")
    assert.strictEqual(Output.span(Duration.hours(24)), "1d")
  })

  it("local time carries its offset", () => {
    const text = Output.localTime(DateTime.unsafeMake("2026-01-20T04:30:00Z"))
    assert.match(text, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2} [+-]\d{2}:\d{2}$/)
  })
})

const messages = (error: ParseResult.ParseError) =>
  ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => issue.message)

describe("Input", () => {
  it("instants need an offset", () => {
    assert.deepStrictEqual(
      Either.map(parseInstant("2026-01-20T10:00:00+05:30"), DateTime.formatIso),
      Either.right("2026-01-20T04:30:00.000Z")
    )
    assert.isTrue(Either.isLeft(parseInstant("2026-01-20T10:00:00")))
    assert.isTrue(Either.isLeft(parseInstant("tomorrow")))
    // an impossible date is refused, not rolled over into March
    assert.deepStrictEqual(
      parseInstant("2026-02-30T10:00:00+05:30"),
      Either.left("\"2026-02-30T10:00:00+05:30\" is not a valid date and time")
    )
  })

  it("durations: compact and long forms; a bad one names the option", () => {
    const within = Schema.decodeUnknownEither(forOption("--within", Durations.FromString))
    const millis = (input: string) => Either.map(within(input), Duration.toMillis)
    assert.deepStrictEqual(millis("2h"), Either.right(7_200_000))
    assert.deepStrictEqual(millis("1h30m"), Either.right(5_400_000))
    assert.deepStrictEqual(millis("90s"), Either.right(90_000))
    assert.deepStrictEqual(millis("2 hours"), Either.right(7_200_000))
    assert.deepStrictEqual(millis("0 seconds"), Either.right(0))
    assert.deepStrictEqual(
      Either.mapLeft(within("soon"), messages),
      Either.left(["--within: expected seconds (300) or a duration like 2h, 90m, 1h30m or \"2 hours\", got \"soon\""])
    )
  })

  it("phone numbers: every written form; a bad one names the option and why", () => {
    const to = Schema.decodeUnknownEither(forOption("--to", PhoneNumber.FromString))
    assert.deepStrictEqual(to("+91 (98765) 43210"), Either.right(PhoneNumber.unsafeMake("+919876543210")))
    assert.deepStrictEqual(
      Either.mapLeft(to("12"), messages),
      Either.left(["--to: \"12\" is not a phone number in E.164 form (2 digits, at least 8 needed)"])
    )
    const number = PhoneNumber.unsafeMake("+919876543210")
    assert.strictEqual(Schema.encodeSync(forOption("--to", PhoneNumber.FromString))(number), "+919876543210")
  })
})

describe("Simulate.decode", () => {
  it("names every problem by its path", () => {
    const result = Simulate.decode(
      {
        business: "+919876500001",
        events: [{ at: "2026-01-20T10:00:00Z", kind: "inbound" }, { kind: "check", at: "x", customer: "+919876543210" }]
      },
      "t.json"
    )
    assert.isTrue(Either.isLeft(result))
    if (Either.isLeft(result)) {
      assert.deepStrictEqual(result.left.issues, [
        "events[0].customer: is missing",
        "events[1].at: expected an ISO-8601 instant with an offset, like 2026-01-20T10:00:00+05:30, got \"x\""
      ])
    }
  })

  it("a missing events array is named", () => {
    const result = Simulate.decode({ business: "+919876500001" }, "t.json")
    assert.isTrue(Either.isLeft(result))
    if (Either.isLeft(result)) assert.deepStrictEqual(result.left.issues, ["events: is missing"])
  })
})

describe("Views", () => {
  it("a disabled endpoint's reason: whole, its instant in local time", () => {
    const at = "2026-12-05T19:04:01.123Z"
    const text = Views.endpointsText({ json: false, color: false }, [{
      id: "ep_0123456789abcdef0123456789abcdef",
      url: "https://example.com/wa-events",
      events: null,
      state: "disabled",
      disabledReason: `answered 410 Gone at ${at}`,
      configured: false,
      createdAt: DateTime.unsafeMake("2026-12-01T10:00:00Z")
    }])
    assert.include(text, `disabled (answered 410 Gone at ${Output.localTime(DateTime.unsafeMake(at))})`)
    assert.notInclude(text, "…")
    assert.strictEqual(Views.disabledReason("gone\nat 2026-13-45T99:00:00Z"), "gone at 2026-13-45T99:00:00Z")
  })

  it("clip: one line, controls and bidirectional overrides removed, at most N code points", () => {
    assert.strictEqual(Views.clip("a\u001b[31mb\r\n\tc\u202ed", 80), "a [31mb c d")
    assert.strictEqual(Views.clip("😀".repeat(10), 5), "😀😀😀😀…")
    assert.strictEqual(Views.clip("exactly five", 12), "exactly five")
    assert.strictEqual(Views.clip("  ", 5), "")
  })

  it("preview: what a message says, by type", () => {
    const cases: ReadonlyArray<readonly [unknown, string]> = [
      [{ type: "text", text: { body: "Hi there" } }, "Hi there"],
      [{ type: "image", image: { link: "https://x/a.png", caption: "the box" } }, "the box"],
      [{ type: "document", document: { id: "m1", filename: "invoice.pdf" } }, "invoice.pdf"],
      [{ type: "audio", audio: { id: "m2" } }, ""],
      [{ type: "location", location: { latitude: 19.07, longitude: 72.87 } }, "19.07, 72.87"],
      [
        { type: "location", location: { latitude: 1, longitude: 2, name: "Store", address: "MG Road" } },
        "Store, MG Road"
      ],
      [{ type: "contacts", contacts: [{ name: { formatted_name: "Ravi K" } }] }, "Ravi K"],
      [{ type: "interactive", interactive: { type: "button", body: { text: "Pick one" } } }, "Pick one"],
      [{ type: "interactive", interactive: { type: "button_reply", button_reply: { id: "y", title: "Yes" } } }, "Yes"],
      [
        { type: "interactive", interactive: { type: "list_reply", list_reply: { id: "2", title: "Tuesday" } } },
        "Tuesday"
      ],
      [{ type: "button", button: { text: "Track order", payload: "track" } }, "Track order"],
      [{ type: "reaction", reaction: { message_id: "m", emoji: "👍" } }, "👍"],
      [{ type: "template", template: { name: "order_update", language: { code: "en" } } }, "order_update (en)"],
      [{ type: "unknown" }, ""],
      [null, ""]
    ]
    for (const [content, expected] of cases) {
      assert.strictEqual(Views.preview(content), expected, JSON.stringify(content))
    }
    assert.strictEqual([...Views.preview({ type: "text", text: { body: "x".repeat(100) } })].length, 60)
  })
})
