import { assert, describe, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import * as fc from "effect/FastCheck"
import { vi } from "vitest"
import { InvalidMessage, MessageContent, MessageTypeNotSupported } from "../src/index.js"
import * as Arb from "./arbitraries/content.js"
import { flow, interactive, items, product, productList } from "./fixtures.js"

const { validate } = MessageContent

type Json = Record<string, unknown>

interface Seen {
  readonly path: string
  readonly limit?: number
  readonly actual?: number | string
}

const leftOf = (input: unknown, prefix?: string): InvalidMessage | MessageTypeNotSupported => {
  const result = validate(input, prefix)
  return Either.isLeft(result) ? result.left : assert.fail(`expected an error, got ${JSON.stringify(result.right)}`)
}

const invalidOf = (input: unknown, prefix?: string): InvalidMessage => {
  const error = leftOf(input, prefix)
  return error instanceof InvalidMessage ? error : assert.fail(`expected InvalidMessage, got ${error._tag}`)
}

const unsupportedOf = (input: unknown, prefix?: string): MessageTypeNotSupported => {
  const error = leftOf(input, prefix)
  return error instanceof MessageTypeNotSupported ? error : assert.fail(`expected an unknown type: ${error.message}`)
}

/** The violations as { path, limit?, actual? }, in the order reported. */
const violationsOf = (input: unknown, prefix?: string): Array<Seen> =>
  invalidOf(input, prefix).violations.map(({ actual, limit, path }) => ({
    path,
    ...(limit === undefined ? {} : { limit }),
    ...(actual === undefined ? {} : { actual })
  }))

const messagesOf = (input: unknown): Array<string> => invalidOf(input).violations.map((v) => `${v.path}: ${v.message}`)

/** Asserts exactly these violations of `input` (path, and limit and actual where reported), in order. */
const violates = (input: unknown, ...expected: Array<Seen>): void => same(violationsOf(input), expected)

/** Asserts exactly these violations of `input`, as "path: message". */
const says = (input: unknown, ...expected: Array<string>): void => same(messagesOf(input), expected)

const validOf = (input: unknown): MessageContent.MessageContent => {
  const result = validate(input)
  return Either.isRight(result) ? result.right : assert.fail(result.left.message)
}

const same = (actual: unknown, expected: unknown): void => assert.deepStrictEqual(actual, expected)

/** Asserts that `input` is valid. */
const accepts = (input: unknown): void => void validOf(input)

const roundTrip = (content: MessageContent.MessageContent): unknown =>
  Schema.decodeUnknownSync(MessageContent.MessageContent)(
    JSON.parse(JSON.stringify(Schema.encodeSync(MessageContent.MessageContent)(content)))
  )

const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

/** The paths of every node of a JSON-like value, the root (`[]`) included. */
const nodesOf = (value: unknown, keys: Array<string | number> = []): Array<Array<string | number>> =>
  typeof value === "object" && value !== null
    ? [
      keys,
      ...Object.entries(value).flatMap(([k, v]) => nodesOf(v, [...keys, Array.isArray(value) ? Number(k) : k]))
    ]
    : [keys]

const nodeAt = (value: unknown, keys: ReadonlyArray<string | number>): unknown =>
  keys.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], value)

/** A copy of `value` with the node at `keys` replaced by `leaf`. */
const set = (value: unknown, keys: ReadonlyArray<string | number>, leaf: unknown): Json => {
  const copy = structuredClone(value) as Json
  let node: Record<string | number, unknown> = copy
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string | number, unknown>
  node[keys[keys.length - 1]!] = leaf
  return copy
}

const pathOf = (keys: ReadonlyArray<string | number>): string =>
  keys.map((k) => typeof k === "number" ? `[${k}]` : `.${k}`).join("").slice(1)

const emojis = (n: number): string => "😀".repeat(n)
const letters = (n: number): string => "a".repeat(n)

const text = (body: unknown): Json => ({ type: "text", text: { body } })
const template = (value: Json): Json => ({
  type: "template",
  template: { name: "order_update", language: { code: "en" }, ...value }
})
const reply = (id: unknown, title: unknown): Json => ({ type: "reply", reply: { id, title } })
const buttons = (...replies: Array<unknown>): Json =>
  interactive({ type: "button", body: { text: "Is someone available?" }, action: { buttons: replies } })
const list = (sections: Array<unknown>, extra: Json = {}): Json =>
  interactive({ type: "list", body: { text: "Pick a slot" }, action: { button: "Slots", sections }, ...extra })
const row = (id: string, title = id): Json => ({ id, title })
const cta = (extra: Json = {}, parameters: Json = {}): Json =>
  interactive({
    type: "cta_url",
    body: { text: "Track your order" },
    action: { name: "cta_url", parameters: { display_text: "Track", url: "https://example.com/t/1", ...parameters } },
    ...extra
  })
const body = (...parameters: Array<unknown>): Json => template({ components: [{ type: "body", parameters }] })
const textParameter = (value: string): Json => ({ type: "text", text: value })
const contact = (value: Json): Json => ({
  type: "contacts",
  contacts: [{ name: { formatted_name: "Rahul S", first_name: "Rahul" }, ...value }]
})
const reaction = (emoji: unknown): Json => ({ type: "reaction", reaction: { message_id: "wamid.1", emoji } })
const flowParameters = ["interactive", "action", "parameters"]

describe("MessageContent", () => {
  describe("codePointLength", () => {
    it("counts code points, not UTF-16 units", () => {
      assert.strictEqual(MessageContent.codePointLength(""), 0)
      assert.strictEqual(MessageContent.codePointLength("abc"), 3)
      assert.strictEqual(MessageContent.codePointLength("😀"), 1)
      assert.strictEqual(MessageContent.codePointLength(emojis(4096)), 4096)
      assert.strictEqual(MessageContent.codePointLength("👍🏽"), 2)
      assert.strictEqual(MessageContent.codePointLength("\ud800"), 1)
      assert.strictEqual(MessageContent.codePointLength("\udc00\ud800a"), 3)
    })

    const utf16Unit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c))

    it.prop("agrees with [...s].length on any UTF-16 string, lone surrogates included", [
      fc.string({ unit: utf16Unit, maxLength: 200 })
    ], ([s]) => {
      assert.strictEqual(MessageContent.codePointLength(s), [...s].length)
    })
  })

  describe("types", () => {
    it("lists the session types, and every type with template last", () => {
      assert.deepStrictEqual(MessageContent.SESSION_TYPES, [
        "text",
        "image",
        "video",
        "audio",
        "document",
        "sticker",
        "location",
        "contacts",
        "interactive",
        "reaction"
      ])
      assert.deepStrictEqual(MessageContent.ALL_TYPES, [...MessageContent.SESSION_TYPES, "template"])
    })

    it("isTemplate tells a template from a session message", () => {
      assert.isTrue(MessageContent.isTemplate(validOf(template({}))))
      assert.isFalse(MessageContent.isTemplate(validOf(text("hi"))))
    })
  })

  describe("the envelope", () => {
    it("rejects what is not an object, at the root path", () => {
      for (const input of [null, undefined, 42, "text", true, [], [text("hi")], () => 1]) {
        const actual = typeof input === "number" ? { actual: input } : {}
        violates(input, { path: "", ...actual })
        same(violationsOf(input, "fallback"), [{ path: "fallback", ...actual }])
      }
      says(null, ": must be a message content object (got null)")
      says([], ": must be a message content object (got array)")
    })

    it("rejects a missing or non-string type with InvalidMessage on type", () => {
      violates({}, { path: "type" })
      violates({ type: undefined, text: { body: "hi" } }, { path: "type" })
      violates({ type: 5 }, { path: "type", actual: 5 })
      same(violationsOf({ type: null }, "fallback"), [{ path: "fallback.type" }])
      assert.match(messagesOf({})[0]!, /^type: is required: one of text, image, .*, template$/)
      assert.match(messagesOf({ type: ["text"] })[0]!, /^type: must be a string, one of text, .* \(got array\)$/)
    })

    it("answers MessageTypeNotSupported for a string type WhatsApp does not take", () => {
      for (const type of ["carousel", "", "TEXT", "constructor", "__proto__", "toString"]) {
        const error = unsupportedOf({ type, [type]: {} })
        same({ path: error.path, type: error.type, supported: error.supported }, {
          path: "type",
          type,
          supported: MessageContent.ALL_TYPES
        })
        assert.strictEqual(error.code, "MESSAGE_TYPE_NOT_SUPPORTED")
      }
      assert.strictEqual(unsupportedOf({ type: "carousel" }, "fallback").path, "fallback.type")
    })

    it("accepts recipient_type individual on any content, and nothing else there", () => {
      same(validOf({ ...text("hi"), recipient_type: "individual" }), {
        type: "text",
        recipient_type: "individual",
        text: { body: "hi" }
      })
      violates({ ...text("hi"), recipient_type: "group" }, { path: "recipient_type", actual: "group" })
      says({ ...text("hi"), recipient_type: 1 }, "recipient_type: must be \"individual\"")
      assert.strictEqual(validOf({ ...template({}), recipient_type: "individual" }).recipient_type, "individual")
    })

    it("keeps a reply's context on any content, with a non-empty message id", () => {
      const context = { message_id: "wamid.HBgMOTE5MTU4NDU1Njg2" }
      for (const content of [text("hi"), product(), flow(), reaction("👍"), template({})]) {
        same(validOf({ ...content, context }), { ...content, context })
      }
      same(validOf({ ...text("hi"), context: { ...context, from: "919158455686" } }), { ...text("hi"), context })
      violates({ ...text("hi"), context: { message_id: "" } }, { path: "context.message_id", limit: 1, actual: 0 })
      says({ ...text("hi"), context: {} }, "context.message_id: is required")
      says({ ...text("hi"), context: "wamid.1" }, "context: must be an object (got string)")
      same(violationsOf({ ...text("hi"), context: { message_id: 1 } }, "fallback"), [
        { path: "fallback.context.message_id", actual: 1 }
      ])
    })

    it("drops unknown keys, at every level", () => {
      const input = {
        type: "image",
        messaging_product: "whatsapp",
        image: { link: "https://example.com/a.png", caption: "hi", filename: "a.png", mime: "image/png" },
        text: { body: "not an image" }
      }
      same(validOf(input), { type: "image", image: { link: "https://example.com/a.png", caption: "hi" } })
    })

    it("treats undefined as absent and null as a wrong value", () => {
      same(validOf({ type: "text", text: { body: "hi", preview_url: undefined } }), text("hi"))
      says({ type: "text", text: { body: "hi", preview_url: null } }, "text.preview_url: must be a boolean (got null)")
    })

    it("reads own keys only", () => {
      const inherited = Object.create({ body: "from the prototype" }) as Json
      violates({ type: "text", text: inherited }, { path: "text.body" })
    })

    it("lists every violation, in document order, not just the first", () => {
      const input = {
        type: "interactive",
        recipient_type: "all",
        interactive: {
          type: "button",
          header: { type: "text", text: letters(61) },
          body: { text: "" },
          footer: { text: 7 },
          action: { buttons: [reply(" a", letters(21)), reply("b", "B"), reply("c", "B"), reply("d", "D")] }
        }
      }
      violates(
        input,
        { path: "recipient_type", actual: "all" },
        { path: "interactive.header.text", limit: 60, actual: 61 },
        { path: "interactive.body.text", limit: 1, actual: 0 },
        { path: "interactive.footer.text", actual: 7 },
        { path: "interactive.action.buttons", limit: 3, actual: 4 },
        { path: "interactive.action.buttons[0].reply.id", actual: " a" },
        { path: "interactive.action.buttons[0].reply.title", limit: 20, actual: 21 },
        { path: "interactive.action.buttons[2].reply.title", actual: "B" }
      )
      const error = invalidOf(input)
      assert.strictEqual(error.path, "recipient_type")
      assert.strictEqual(error.actual, "all")
      assert.strictEqual(error.limit, undefined)
    })

    it("prefixes every path with the given one", () => {
      same(violationsOf(text(""), "fallback"), [{ path: "fallback.text.body", limit: 1, actual: 0 }])
      same(violationsOf(buttons(reply("a", "A"), reply("b", "A")), "batch[2]"), [
        { path: "batch[2].interactive.action.buttons[1].reply.title", actual: "A" }
      ])
      same(violationsOf(list([{ rows: [] }]), "x"), [
        { path: "x.interactive.action.sections[0].rows", limit: 1, actual: 0 }
      ])
    })
  })

  describe("text", () => {
    it("accepts a body with an optional preview_url", () => {
      same(validOf(text("Hi Rahul!")), text("Hi Rahul!"))
      const withPreview = { type: "text", text: { body: "see https://example.com", preview_url: true } }
      same(validOf(withPreview), withPreview)
    })

    it("counts the body in code points: 4096 emoji fit, 4097 do not", () => {
      const surrogatePairs = emojis(4096)
      assert.strictEqual(surrogatePairs.length, 8192)
      same(validOf(text(surrogatePairs)), text(surrogatePairs))
      same(validOf(text(`${letters(2000)}${emojis(2096)}`)), text(`${letters(2000)}${emojis(2096)}`))
      violates(text(emojis(4097)), { path: "text.body", limit: 4096, actual: 4097 })
      violates(text(letters(4097)), { path: "text.body", limit: 4096, actual: 4097 })
      says(text(letters(5000)), "text.body: must be at most 4096 characters")
    })

    it("rejects a missing, empty or non-string body, and a non-boolean preview_url", () => {
      says({ type: "text" }, "text: is required")
      says({ type: "text", text: "hi" }, "text: must be an object (got string)")
      says({ type: "text", text: {} }, "text.body: is required")
      says(text(""), "text.body: must not be empty")
      violates(text(""), { path: "text.body", limit: 1, actual: 0 })
      says(text(42), "text.body: must be a string (got number)")
      says(
        { type: "text", text: { body: "hi", preview_url: "yes" } },
        "text.preview_url: must be a boolean (got string)"
      )
    })
  })

  describe("media", () => {
    it("accepts a link or an id, with a caption on image, video and document", () => {
      for (const type of ["image", "video", "document"]) {
        const byLink = { type, [type]: { link: "https://example.com/f?x=1#y", caption: emojis(1024) } }
        const byId = { type, [type]: { id: "1234567890", caption: "" } }
        same(validOf(byLink), byLink)
        same(validOf(byId), byId)
        violates(
          { type, [type]: { id: "1", caption: emojis(1025) } },
          { path: `${type}.caption`, limit: 1024, actual: 1025 }
        )
      }
      for (const type of ["audio", "sticker"]) {
        const byLink = { type, [type]: { link: "http://example.com/f" } }
        same(validOf(byLink), byLink)
      }
    })

    it("needs exactly one of link and id", () => {
      says({ type: "image", image: {} }, "image: must have a link (an http(s) URL) or an id")
      says(
        { type: "video", video: { id: "1", link: "https://example.com/v.mp4" } },
        "video: must have a link or an id, not both"
      )
      says(
        { type: "audio", audio: { caption: "x" } },
        "audio.caption: must be absent: audio messages have no caption",
        "audio: must have a link (an http(s) URL) or an id"
      )
    })

    it("wants an http(s) URL as link and a non-empty id", () => {
      for (const link of ["ftp://example.com/a.png", "https://", "example.com/a.png", "https://exa mple.com", ""]) {
        violates({ type: "image", image: { link } }, { path: "image.link", actual: link })
      }
      accepts({ type: "image", image: { link: "HTTPS://EXAMPLE.COM/A.PNG" } })
      violates({ type: "sticker", sticker: { id: "" } }, { path: "sticker.id", limit: 1, actual: 0 })
    })

    it("rejects a caption on audio and sticker", () => {
      says(
        { type: "sticker", sticker: { id: "s", caption: "" } },
        "sticker.caption: must be absent: sticker messages have no caption"
      )
      same(validOf({ type: "audio", audio: { id: "a", caption: undefined } }), { type: "audio", audio: { id: "a" } })
    })

    it("takes an optional non-empty filename on a document only", () => {
      const doc = { type: "document", document: { link: "https://example.com/a.pdf", filename: "invoice.pdf" } }
      same(validOf(doc), doc)
      violates(set(doc, ["document", "filename"], ""), { path: "document.filename", limit: 1, actual: 0 })
      same(validOf({ type: "image", image: { id: "1", filename: "a.png" } }), { type: "image", image: { id: "1" } })
    })
  })

  describe("location", () => {
    const at = (latitude: unknown, longitude: unknown): Json => ({
      type: "location",
      location: { latitude, longitude }
    })

    it("accepts coordinates in range, with an optional name and address", () => {
      const place = {
        type: "location",
        location: { latitude: 12.97, longitude: 77.59, name: "Office", address: "MG Road" }
      }
      same(validOf(place), place)
      for (const [lat, long] of [[90, 180], [-90, -180], [0, 0]] as const) same(validOf(at(lat, long)), at(lat, long))
    })

    it("reports a coordinate out of range with the bound it broke", () => {
      violates(at(90.5, 0), { path: "location.latitude", limit: 90, actual: 90.5 })
      violates(
        at(-91, 181),
        { path: "location.latitude", limit: -90, actual: -91 },
        { path: "location.longitude", limit: 180, actual: 181 }
      )
      violates(at(0, -180.5), { path: "location.longitude", limit: -180, actual: -180.5 })
      says(at(0, -180.5), "location.longitude: must be at least -180")
    })

    it("wants finite numbers", () => {
      violates(
        at("12.9", Number.NaN),
        { path: "location.latitude" },
        { path: "location.longitude", actual: Number.NaN }
      )
      says(at(Infinity, 0), "location.latitude: must be a finite number (got Infinity)")
      says({ type: "location", location: { latitude: 1 } }, "location.longitude: is required")
      violates({ ...at(1, 1), location: { latitude: 1, longitude: 1, name: 5 } }, { path: "location.name", actual: 5 })
    })

    it("turns -0 into 0, which JSON can carry", () => {
      const result = validOf(at(-0, -0))
      const { latitude, longitude } = result.type === "location" ? result.location : assert.fail(result.type)
      assert.isTrue(Object.is(latitude, 0) && Object.is(longitude, 0))
    })
  })

  describe("contacts", () => {
    it("accepts a full contact card", () => {
      const card = {
        type: "contacts",
        contacts: [{
          name: {
            formatted_name: "Rahul Sharma",
            first_name: "Rahul",
            last_name: "Sharma",
            middle_name: "",
            suffix: "Jr",
            prefix: "Mr"
          },
          phones: [{ phone: "+91 98765 43210", type: "CELL", wa_id: "919876543210" }],
          emails: [{ email: "rahul@example.com", type: "WORK" }],
          org: { company: "Acme", department: "Ops", title: "Lead" },
          addresses: [{
            street: "MG Road",
            city: "Bengaluru",
            state: "KA",
            zip: "560001",
            country: "India",
            country_code: "IN",
            type: "WORK"
          }],
          urls: [{ url: "https://example.com", type: "WORK" }],
          birthday: "1990-02-28"
        }]
      }
      same(validOf(card), card)
    })

    it("needs at least one contact, each with a formatted name and one more name part", () => {
      violates({ type: "contacts", contacts: [] }, { path: "contacts", limit: 1, actual: 0 })
      says({ type: "contacts", contacts: {} }, "contacts: must be an array (got object)")
      says({ type: "contacts", contacts: [{}] }, "contacts[0].name: is required")
      says(
        { type: "contacts", contacts: [{ name: { first_name: "R" } }] },
        "contacts[0].name.formatted_name: is required"
      )
      for (const name of [{ formatted_name: "R" }, { formatted_name: "R", first_name: "", suffix: "" }]) {
        says(
          { type: "contacts", contacts: [{ name }] },
          "contacts[0].name: must have at least one of first_name, last_name, middle_name, suffix, prefix"
        )
      }
      for (const part of ["first_name", "last_name", "middle_name", "suffix", "prefix"]) {
        accepts({ type: "contacts", contacts: [{ name: { formatted_name: "R", [part]: "x" } }] })
      }
    })

    it("checks phones, emails, org, addresses and urls", () => {
      assert.deepStrictEqual(
        violationsOf(contact({
          phones: [{ phone: "1" }, { phone: "" }],
          emails: "a@b.c",
          org: [],
          addresses: [{ city: 1 }],
          urls: [{ type: "HOME" }]
        })),
        [
          { path: "contacts[0].phones[1].phone", limit: 1, actual: 0 },
          { path: "contacts[0].emails" },
          { path: "contacts[0].org" },
          { path: "contacts[0].addresses[0].city", actual: 1 },
          { path: "contacts[0].urls[0].url" }
        ]
      )
    })

    it("wants the birthday as a real YYYY-MM-DD date", () => {
      for (const birthday of ["2000-02-29", "2024-02-29", "2023-04-30", "2023-12-31", "1999-01-01"]) {
        accepts(contact({ birthday }))
      }
      for (const birthday of ["1900-02-29", "2023-02-29", "2023-04-31", "2023-13-01", "2023-00-10", "2023-01-00"]) {
        violates(contact({ birthday }), { path: "contacts[0].birthday", actual: birthday })
      }
      for (const birthday of ["1990-1-1", "01-01-1990", "19900101", "1990-01-01T00:00:00Z"]) {
        violates(contact({ birthday }), { path: "contacts[0].birthday", actual: birthday })
      }
    })
  })

  describe("interactive", () => {
    it("wants a known interactive type", () => {
      const known = "\"button\", \"list\", \"cta_url\", \"flow\", \"product\", \"product_list\""
      violates(interactive({ type: "carousel" }), { path: "interactive.type", actual: "carousel" })
      says(interactive({ type: "location_request_message" }), `interactive.type: must be one of ${known}`)
      says(interactive({}), `interactive.type: is required: must be one of ${known}`)
      says(interactive({ type: "constructor" }), `interactive.type: must be one of ${known}`)
      says({ type: "interactive", interactive: [] }, "interactive: must be an object (got array)")
    })

    describe("button", () => {
      it("accepts the seed doc's reply buttons", () => {
        const message = buttons(reply("yes", "Yes, I am available"), reply("reschedule", "Reschedule"))
        same(validOf(message), message)
      })

      it("accepts a text or media header and a footer", () => {
        for (
          const header of [
            { type: "text", text: emojis(60) },
            { type: "image", image: { id: "1" } },
            { type: "video", video: { link: "https://example.com/v.mp4" } },
            { type: "document", document: { link: "https://example.com/a.pdf", filename: "a.pdf" } }
          ]
        ) {
          const message = interactive({
            type: "button",
            header,
            body: { text: "Hi" },
            footer: { text: emojis(60) },
            action: { buttons: [reply("a", "A")] }
          })
          same(validOf(message), message)
        }
      })

      it("checks header, body and footer", () => {
        const message = buttons(reply("a", "A"))
        violates(
          set(message, ["interactive", "header"], { type: "text", text: "" }),
          { path: "interactive.header.text", limit: 1, actual: 0 }
        )
        violates(
          set(message, ["interactive", "header"], { type: "sticker" }),
          { path: "interactive.header.type", actual: "sticker" }
        )
        says(
          set(message, ["interactive", "header"], { text: "hi" }),
          "interactive.header.type: is required: must be one of \"text\", \"image\", \"video\", \"document\""
        )
        says(
          set(message, ["interactive", "header"], { type: "image", image: {} }),
          "interactive.header.image: must have a link (an http(s) URL) or an id"
        )
        says(set(message, ["interactive", "header"], "Order"), "interactive.header: must be an object (got string)")
        violates(
          set(message, ["interactive", "body", "text"], emojis(1025)),
          { path: "interactive.body.text", limit: 1024, actual: 1025 }
        )
        says(set(message, ["interactive", "body"], undefined), "interactive.body: is required")
        violates(
          set(message, ["interactive", "footer"], { text: emojis(61) }),
          { path: "interactive.footer.text", limit: 60, actual: 61 }
        )
      })

      it("takes 1 to 3 reply buttons", () => {
        violates(buttons(), { path: "interactive.action.buttons", limit: 1, actual: 0 })
        violates(
          buttons(reply("a", "A"), reply("b", "B"), reply("c", "C"), reply("d", "D")),
          { path: "interactive.action.buttons", limit: 3, actual: 4 }
        )
        says(
          buttons(reply("a", "A"), reply("b", "B"), reply("c", "C"), reply("d", "D")),
          "interactive.action.buttons: must have at most 3 items"
        )
        assert.deepStrictEqual(
          messagesOf(set(buttons(), ["interactive", "action", "buttons"], { type: "reply" })),
          ["interactive.action.buttons: must be an array (got object)"]
        )
        violates(
          buttons({ type: "url", reply: { id: "a", title: "A" } }),
          { path: "interactive.action.buttons[0].type", actual: "url" }
        )
      })

      it("limits reply ids to 256 and titles to 20 code points", () => {
        accepts(buttons(reply(emojis(256), emojis(20))))
        violates(
          buttons(reply(emojis(257), emojis(21))),
          { path: "interactive.action.buttons[0].reply.id", limit: 256, actual: 257 },
          { path: "interactive.action.buttons[0].reply.title", limit: 20, actual: 21 }
        )
        violates(
          buttons(reply("", "")),
          { path: "interactive.action.buttons[0].reply.id", limit: 1, actual: 0 },
          { path: "interactive.action.buttons[0].reply.title", limit: 1, actual: 0 }
        )
      })

      it("rejects reply ids with leading or trailing spaces", () => {
        for (const id of [" a", "a ", "\ta", `${letters(256)} `]) {
          const seen = violationsOf(buttons(reply(id, "A")))
          assert.deepStrictEqual(seen.map((v) => v.path), seen.map(() => "interactive.action.buttons[0].reply.id"))
          assert.deepStrictEqual(seen.at(-1), { path: "interactive.action.buttons[0].reply.id", actual: id })
        }
        says(buttons(reply("a ", "A")), "interactive.action.buttons[0].reply.id: must not start or end with spaces")
        accepts(buttons(reply("a b", "A")))
      })

      it("wants unique titles and unique ids", () => {
        violates(
          buttons(reply("a", "Yes"), reply("b", "No"), reply("a", "Yes")),
          { path: "interactive.action.buttons[2].reply.title", actual: "Yes" },
          { path: "interactive.action.buttons[2].reply.id", actual: "a" }
        )
        says(
          buttons(reply("a", "Yes"), reply("b", "Yes")),
          "interactive.action.buttons[1].reply.title: must be unique " +
            "(the same as interactive.action.buttons[0].reply.title)"
        )
        violates(
          buttons(reply("a", "Yes"), 7, reply("b", 7)),
          { path: "interactive.action.buttons[1]", actual: 7 },
          { path: "interactive.action.buttons[2].reply.title", actual: 7 }
        )
      })
    })

    describe("list", () => {
      const sections = [
        { title: "Morning", rows: [row("m1", "9 AM"), { id: "m2", title: "10 AM", description: emojis(72) }] },
        { title: emojis(24), rows: [row("e1", emojis(24))] }
      ]

      it("accepts sections of rows", () => {
        const message = list(sections, { header: { type: "text", text: "Slots" }, footer: { text: "Pick one" } })
        same(validOf(message), message)
        same(validOf(list([{ rows: [row("a")] }])), list([{ rows: [row("a")] }]))
      })

      it("allows a 4096-character body", () => {
        const message = set(list(sections), ["interactive", "body", "text"], emojis(4096))
        accepts(message)
        violates(
          set(message, ["interactive", "body", "text"], emojis(4097)),
          { path: "interactive.body.text", limit: 4096, actual: 4097 }
        )
      })

      it("takes a text header only", () => {
        violates(
          list(sections, { header: { type: "image", image: { id: "1" } } }),
          { path: "interactive.header.type", actual: "image" }
        )
        says(list(sections, { header: { type: "video" } }), "interactive.header.type: must be \"text\"")
        violates(
          list(sections, { header: { type: "text", text: emojis(61) } }),
          { path: "interactive.header.text", limit: 60, actual: 61 }
        )
      })

      it("limits the button text to 20", () => {
        violates(
          set(list(sections), ["interactive", "action", "button"], emojis(21)),
          { path: "interactive.action.button", limit: 20, actual: 21 }
        )
        violates(
          set(list(sections), ["interactive", "action", "button"], ""),
          { path: "interactive.action.button", limit: 1, actual: 0 }
        )
      })

      it("takes 1 to 10 sections and 1 to 10 rows in all", () => {
        violates(list([]), { path: "interactive.action.sections", limit: 1, actual: 0 })
        const eleven = Array.from({ length: 11 }, (_, i) => ({ title: `S${i}`, rows: [row(`r${i}`)] }))
        violates(
          list(eleven),
          { path: "interactive.action.sections", limit: 10, actual: 11 },
          { path: "interactive.action.sections", limit: 10, actual: 11 }
        )
        says(
          list(eleven),
          "interactive.action.sections: must have at most 10 items",
          "interactive.action.sections: must have at most 10 rows in total across all sections"
        )
        const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => row(`r${from + i}`))
        accepts(list([{ title: "A", rows: rows(0, 4) }, { title: "B", rows: rows(4, 6) }]))
        violates(
          list([{ title: "A", rows: rows(0, 5) }, { title: "B", rows: rows(5, 7) }]),
          { path: "interactive.action.sections", limit: 10, actual: 12 }
        )
        violates(list([{ rows: [] }]), { path: "interactive.action.sections[0].rows", limit: 1, actual: 0 })
      })

      it("needs section titles when there are several sections, up to 24 each", () => {
        says(
          list([{ rows: [row("a")] }, { title: "B", rows: [row("b")] }]),
          "interactive.action.sections[0].title: is required when the list has more than one section"
        )
        violates(
          list([{ title: emojis(25), rows: [row("a")] }]),
          { path: "interactive.action.sections[0].title", limit: 24, actual: 25 }
        )
      })

      it("limits row ids to 200, titles to 24 and descriptions to 72", () => {
        assert.deepStrictEqual(
          violationsOf(list([{ rows: [{ id: emojis(201), title: emojis(25), description: emojis(73) }] }])),
          [
            { path: "interactive.action.sections[0].rows[0].id", limit: 200, actual: 201 },
            { path: "interactive.action.sections[0].rows[0].title", limit: 24, actual: 25 },
            { path: "interactive.action.sections[0].rows[0].description", limit: 72, actual: 73 }
          ]
        )
        accepts(list([{ rows: [{ id: emojis(200), title: "t", description: "" }] }]))
      })

      it("wants row ids unique across sections", () => {
        says(
          list([{ title: "A", rows: [row("x")] }, { title: "B", rows: [row("y"), row("x")] }]),
          "interactive.action.sections[1].rows[1].id: must be unique " +
            "(the same as interactive.action.sections[0].rows[0].id)"
        )
      })

      it("reports malformed sections and rows without tripping over them", () => {
        violates(
          list(["x", { title: "B", rows: "y" }, { title: "C", rows: [7, { title: "t" }] }]),
          { path: "interactive.action.sections[0]" },
          { path: "interactive.action.sections[1].rows" },
          { path: "interactive.action.sections[2].rows[0]", actual: 7 },
          { path: "interactive.action.sections[2].rows[1].id" }
        )
      })
    })

    describe("cta_url", () => {
      it("accepts a call-to-action URL button, with header and footer", () => {
        same(validOf(cta()), cta())
        const full = cta({ header: { type: "video", video: { id: "v" } }, footer: { text: "Thanks" } })
        same(validOf(full), full)
      })

      it("checks the action", () => {
        violates(
          set(cta(), ["interactive", "action", "name"], "cta"),
          { path: "interactive.action.name", actual: "cta" }
        )
        violates(
          cta({}, { display_text: emojis(21) }),
          { path: "interactive.action.parameters.display_text", limit: 20, actual: 21 }
        )
        violates(
          cta({}, { url: "javascript:alert(1)" }),
          { path: "interactive.action.parameters.url", actual: "javascript:alert(1)" }
        )
        says(cta({}, { url: undefined }), "interactive.action.parameters.url: is required")
      })

      it("checks body, header and footer like reply buttons", () => {
        assert.deepStrictEqual(
          violationsOf(
            cta({ body: { text: emojis(1025) }, header: { type: "text", text: emojis(61) }, footer: { text: "" } })
          ),
          [
            { path: "interactive.header.text", limit: 60, actual: 61 },
            { path: "interactive.body.text", limit: 1024, actual: 1025 },
            { path: "interactive.footer.text", limit: 1, actual: 0 }
          ]
        )
      })
    })

    describe("flow", () => {
      it("accepts a navigate Flow with its first screen and data, and a data_exchange Flow by name", () => {
        same(validOf(flow()), flow())
        const exchange = flow({
          flow_id: undefined,
          flow_name: "test_drive",
          flow_token: undefined,
          flow_action: "data_exchange",
          flow_action_payload: undefined,
          mode: "draft"
        }, { header: { type: "image", image: { id: "7" } }, footer: { text: "Takes a minute" } })
        same(validOf(exchange), {
          type: "interactive",
          interactive: {
            type: "flow",
            header: { type: "image", image: { id: "7" } },
            body: { text: "Book your test drive" },
            footer: { text: "Takes a minute" },
            action: {
              name: "flow",
              parameters: {
                flow_message_version: "3",
                flow_name: "test_drive",
                flow_cta: "Book now",
                mode: "draft",
                flow_action: "data_exchange"
              }
            }
          }
        })
        // navigate is the default action
        accepts(flow({ flow_action: undefined }))
        accepts(flow({ flow_action_payload: { screen: "WELCOME" } }))
      })

      it("limits flow_cta to 20 characters, without emoji", () => {
        accepts(flow({ flow_cta: letters(20) }))
        accepts(flow({ flow_cta: "Réserver 1 essai" }))
        violates(
          flow({ flow_cta: letters(21) }),
          { path: "interactive.action.parameters.flow_cta", limit: 20, actual: 21 }
        )
        violates(flow({ flow_cta: "" }), { path: "interactive.action.parameters.flow_cta", limit: 1, actual: 0 })
        for (const cta of ["Book 👍", "🇮🇳 Go", "Press 1️⃣"]) {
          says(flow({ flow_cta: cta }), "interactive.action.parameters.flow_cta: must not contain emoji")
        }
      })

      it("wants flow_message_version 3 and the action named flow", () => {
        violates(
          flow({ flow_message_version: 3 }),
          { path: "interactive.action.parameters.flow_message_version", actual: 3 }
        )
        says(
          flow({ flow_message_version: undefined }),
          "interactive.action.parameters.flow_message_version: is required"
        )
        violates(set(flow(), ["interactive", "action", "name"], "cta_url"), {
          path: "interactive.action.name",
          actual: "cta_url"
        })
      })

      it("needs exactly one of flow_id and flow_name", () => {
        says(
          flow({ flow_id: undefined }),
          "interactive.action.parameters: must have a flow_id or a flow_name"
        )
        says(
          flow({ flow_name: "test_drive" }),
          "interactive.action.parameters: must have a flow_id or a flow_name, not both"
        )
        violates(flow({ flow_id: "" }), { path: "interactive.action.parameters.flow_id", limit: 1, actual: 0 })
        violates(flow({ flow_token: "" }), { path: "interactive.action.parameters.flow_token", limit: 1, actual: 0 })
      })

      it("wants the payload with navigate and none with data_exchange", () => {
        says(
          flow({ flow_action_payload: undefined }),
          "interactive.action.parameters.flow_action_payload: is required when flow_action is navigate (the default)"
        )
        says(
          flow({ flow_action: undefined, flow_action_payload: undefined }),
          "interactive.action.parameters.flow_action_payload: is required when flow_action is navigate (the default)"
        )
        says(
          flow({ flow_action: "data_exchange" }),
          "interactive.action.parameters.flow_action_payload: must be absent when flow_action is data_exchange"
        )
        violates(flow({ flow_action: "open" }), { path: "interactive.action.parameters.flow_action", actual: "open" })
        says(
          flow({ mode: "live" }),
          "interactive.action.parameters.mode: must be one of \"draft\", \"published\""
        )
      })

      it("checks the first screen and its data: plain JSON, not empty", () => {
        const payload = [...flowParameters, "flow_action_payload"]
        violates(set(flow(), [...payload, "screen"], ""), {
          path: "interactive.action.parameters.flow_action_payload.screen",
          limit: 1,
          actual: 0
        })
        violates(set(flow(), [...payload, "data"], {}), {
          path: "interactive.action.parameters.flow_action_payload.data",
          limit: 1,
          actual: 0
        })
        says(
          set(flow(), [...payload, "data"], { at: new Date(0) }),
          "interactive.action.parameters.flow_action_payload.data: must be an object of plain JSON values"
        )
        says(
          set(flow(), [...payload, "data"], []),
          "interactive.action.parameters.flow_action_payload.data: must be an object of plain JSON values"
        )
        const data = { nested: { list: [1, "two", null, true] }, extra: "kept" }
        same(nodeAt(validOf(set(flow(), [...payload, "data"], data)), [...payload, "data"]), data)
      })

      it("checks header, body and footer like reply buttons", () => {
        assert.deepStrictEqual(
          violationsOf(
            flow({}, { body: { text: emojis(1025) }, header: { type: "text", text: emojis(61) }, footer: { text: "" } })
          ),
          [
            { path: "interactive.header.text", limit: 60, actual: 61 },
            { path: "interactive.body.text", limit: 1024, actual: 1025 },
            { path: "interactive.footer.text", limit: 1, actual: 0 }
          ]
        )
        says(set(flow(), ["interactive", "body"], undefined), "interactive.body: is required")
      })
    })

    describe("product", () => {
      it("accepts one product of a catalog, with an optional body and footer", () => {
        same(validOf(product()), product())
        const full = product({}, { body: { text: emojis(1024) }, footer: { text: emojis(60) } })
        same(validOf(full), full)
      })

      it("has no header", () => {
        says(
          product({}, { header: { type: "text", text: "Shoes" } }),
          "interactive.header: must be absent: a single-product message has no header"
        )
      })

      it("needs the catalog and the product, and bounds body and footer", () => {
        assert.deepStrictEqual(
          violationsOf(
            product({ catalog_id: "", product_retailer_id: undefined }, {
              body: { text: emojis(1025) },
              footer: { text: emojis(61) }
            })
          ),
          [
            { path: "interactive.body.text", limit: 1024, actual: 1025 },
            { path: "interactive.footer.text", limit: 60, actual: 61 },
            { path: "interactive.action.catalog_id", limit: 1, actual: 0 },
            { path: "interactive.action.product_retailer_id" }
          ]
        )
      })
    })

    describe("product_list", () => {
      it("accepts sections of products under a text header", () => {
        const message = productList([{ title: "Shoes", product_items: items(0, 2) }, {
          title: emojis(24),
          product_items: items(2, 1)
        }], { footer: { text: "Prices incl. GST" } })
        same(validOf(message), message)
        same(validOf(productList([{ product_items: items(0, 1) }])), productList([{ product_items: items(0, 1) }]))
      })

      it("takes 1 to 10 sections and 1 to 30 products in all", () => {
        accepts(productList([{ product_items: items(0, 30) }]))
        accepts(productList(Array.from({ length: 10 }, (_, i) => ({ title: `S${i}`, product_items: items(3 * i, 3) }))))
        violates(productList([{ product_items: items(0, 31) }]), {
          path: "interactive.action.sections",
          limit: 30,
          actual: 31
        })
        says(
          productList([{ title: "A", product_items: items(0, 20) }, { title: "B", product_items: items(20, 11) }]),
          "interactive.action.sections: must have at most 30 products in total across all sections"
        )
        violates(
          productList(Array.from({ length: 11 }, (_, i) => ({ title: `S${i}`, product_items: items(i, 1) }))),
          { path: "interactive.action.sections", limit: 10, actual: 11 }
        )
        violates(productList([]), { path: "interactive.action.sections", limit: 1, actual: 0 })
        violates(productList([{ product_items: [] }]), {
          path: "interactive.action.sections[0].product_items",
          limit: 1,
          actual: 0
        })
      })

      it("needs section titles when there are several sections, up to 24 each", () => {
        says(
          productList([{ product_items: items(0, 1) }, { title: "B", product_items: items(1, 1) }]),
          "interactive.action.sections[0].title: is required when the list has more than one section"
        )
        violates(productList([{ title: emojis(25), product_items: items(0, 1) }]), {
          path: "interactive.action.sections[0].title",
          limit: 24,
          actual: 25
        })
      })

      it("wants a text header, a body, the catalog and every product's retailer id", () => {
        says(productList([{ product_items: items(0, 1) }], { header: undefined }), "interactive.header: is required")
        violates(
          productList([{ product_items: items(0, 1) }], { header: { type: "image", image: { id: "1" } } }),
          { path: "interactive.header.type", actual: "image" }
        )
        violates(
          productList([{ product_items: items(0, 1) }], { header: { type: "text", text: emojis(61) } }),
          { path: "interactive.header.text", limit: 60, actual: 61 }
        )
        says(productList([{ product_items: items(0, 1) }], { body: undefined }), "interactive.body: is required")
        violates(
          productList([{ product_items: items(0, 1) }], { body: { text: emojis(1025) } }),
          { path: "interactive.body.text", limit: 1024, actual: 1025 }
        )
        violates(
          set(productList([{ product_items: items(0, 1) }]), ["interactive", "action", "catalog_id"], 7),
          { path: "interactive.action.catalog_id", actual: 7 }
        )
        violates(
          productList([{ product_items: [{ product_retailer_id: "" }, {}, "SKU"] }]),
          { path: "interactive.action.sections[0].product_items[0].product_retailer_id", limit: 1, actual: 0 },
          { path: "interactive.action.sections[0].product_items[1].product_retailer_id" },
          { path: "interactive.action.sections[0].product_items[2]" }
        )
      })
    })
  })

  describe("reaction", () => {
    it("accepts one emoji, or an empty string that removes the reaction", () => {
      for (const emoji of Arb.EMOJIS) same(validOf(reaction(emoji)), reaction(emoji))
    })

    it("rejects more than one grapheme, and a grapheme that is no emoji", () => {
      violates(reaction("👍👍"), { path: "reaction.emoji", limit: 1, actual: 2 })
      violates(reaction("ok"), { path: "reaction.emoji", limit: 1, actual: 2 })
      says(reaction("👍 "), "reaction.emoji: must be a single emoji (one grapheme), or empty to remove the reaction")
      for (const emoji of ["a", "1", " ", "é"]) {
        violates(reaction(emoji), { path: "reaction.emoji", actual: emoji })
      }
      same(messagesOf(reaction(":thumbsup:")).length, 1)
      says(reaction(1), "reaction.emoji: must be a string (got number)")
    })

    it("bounds the emoji at 16 code points before counting graphemes, so a huge string is refused fast", () => {
      violates(reaction("👨‍👩‍👧‍👦👍🏽🏳️‍🌈"), { path: "reaction.emoji", limit: 1, actual: 3 })
      violates(reaction(emojis(17)), { path: "reaction.emoji", limit: 16, actual: 17 })
      says(
        reaction(emojis(17)),
        "reaction.emoji: must be a single emoji (at most 16 characters), or empty to remove the reaction"
      )
      // the bound comes first: a million emoji are refused without segmenting them
      const segment = vi.spyOn(Intl.Segmenter.prototype, "segment")
      try {
        violates(reaction(emojis(1_000_000)), { path: "reaction.emoji", limit: 16, actual: 1_000_000 })
        assert.strictEqual(segment.mock.calls.length, 0)
        violates(reaction(emojis(2)), { path: "reaction.emoji", limit: 1, actual: 2 })
        assert.strictEqual(segment.mock.calls.length, 1)
      } finally {
        segment.mockRestore()
      }
    })

    it("needs the message id", () => {
      violates(
        { type: "reaction", reaction: { message_id: "", emoji: "👍" } },
        { path: "reaction.message_id", limit: 1, actual: 0 }
      )
      says({ type: "reaction", reaction: { emoji: "👍" } }, "reaction.message_id: is required")
    })
  })

  describe("template", () => {
    it("accepts the reference example, with every parameter type", () => {
      const message = {
        type: "template",
        template: {
          name: "order_update",
          language: { code: "en_US", policy: "deterministic" },
          components: [
            {
              type: "header",
              parameters: [{ type: "document", document: { link: "https://example.com/a.pdf", filename: "a.pdf" } }]
            },
            {
              type: "body",
              parameters: [
                { type: "text", text: "Rahul", parameter_name: "customer" },
                { type: "text", text: "#123    done" },
                { type: "currency", currency: { fallback_value: "₹100", code: "INR", amount_1000: 100000 } },
                { type: "date_time", date_time: { fallback_value: "Jan 20" } }
              ]
            },
            { type: "footer" },
            { type: "button", sub_type: "quick_reply", index: "0", parameters: [{ type: "payload", payload: "YES" }] },
            { type: "button", sub_type: "url", index: 1, parameters: [{ type: "text", text: "t/123" }] },
            {
              type: "button",
              sub_type: "copy_code",
              index: "2",
              parameters: [{ type: "coupon_code", coupon_code: "SAVE10" }]
            },
            {
              type: "button",
              sub_type: "flow",
              index: 9,
              parameters: [
                { type: "action", action: { flow_token: "tok", action_data: { a: [1, { b: null }], c: "x", d: true } } }
              ]
            }
          ]
        }
      }
      same(validOf(message), message)
      for (
        const parameter of [
          { type: "image", image: { id: "1" } },
          { type: "video", video: { link: "https://example.com/v.mp4" } },
          { type: "location", location: { latitude: 1, longitude: 2, name: "Office" } },
          { type: "text", text: emojis(60) }
        ]
      ) {
        const header = template({ components: [{ type: "header", parameters: [parameter] }] })
        same(validOf(header), header)
      }
    })

    it("checks the name", () => {
      accepts(template({ name: letters(512) }))
      violates(template({ name: letters(513) }), { path: "template.name", limit: 512, actual: 513 })
      violates(template({ name: "" }), { path: "template.name", limit: 1, actual: 0 })
      violates(template({ name: "Order-Update" }), { path: "template.name", actual: "Order-Update" })
      says(
        template({ name: "order update" }),
        "template.name: must contain only lowercase letters, digits and underscores"
      )
    })

    it("checks the language", () => {
      says(template({ language: undefined }), "template.language: is required")
      violates(template({ language: { code: "" } }), { path: "template.language.code", limit: 1, actual: 0 })
      violates(
        template({ language: { code: "en", policy: "fallback" } }),
        { path: "template.language.policy", actual: "fallback" }
      )
    })

    it("checks the components", () => {
      says(template({ components: {} }), "template.components: must be an array (got object)")
      violates(
        template({ components: [{ type: "carousel" }] }),
        { path: "template.components[0].type", actual: "carousel" }
      )
      says(
        template({ components: [{ type: "body" }, { type: "header" }, { type: "body" }] }),
        "template.components[2].type: must not repeat: one body at most"
      )
      violates(
        template({ components: [{ type: "button" }, { type: "button" }, 3] }),
        { path: "template.components[0].sub_type" },
        { path: "template.components[0].index" },
        { path: "template.components[1].sub_type" },
        { path: "template.components[1].index" },
        { path: "template.components[2]", actual: 3 }
      )
    })

    it("wants a button index from 0 to 9", () => {
      const button = (index: unknown) => template({ components: [{ type: "button", sub_type: "quick_reply", index }] })
      for (const index of [0, 9, "0", "9"]) accepts(button(index))
      for (const index of [10, -1, 1.5, "10", "09", "a", "", "-1", " 1"]) {
        violates(button(index), { path: "template.components[0].index", actual: index })
      }
      violates(button(true), { path: "template.components[0].index" })
    })

    it("checks body text parameters: no newline or tab, at most 4 spaces in a row, 1024 in all", () => {
      accepts(body(textParameter("a    b")))
      for (const value of ["a\nb", "a\r\nb", "a\tb"]) {
        says(body(textParameter(value)), "template.components[0].parameters[0].text: must not contain newlines or tabs")
      }
      violates(
        body(textParameter("a     b")),
        { path: "template.components[0].parameters[0].text", limit: 4, actual: 5 }
      )
      violates(
        body(textParameter("a\n  b      c")),
        { path: "template.components[0].parameters[0].text" },
        { path: "template.components[0].parameters[0].text", limit: 4, actual: 6 }
      )
      violates(body(textParameter("")), { path: "template.components[0].parameters[0].text", limit: 1, actual: 0 })
      accepts(body(textParameter(emojis(1024))))
      assert.deepStrictEqual(
        violationsOf(
          body(textParameter(emojis(600)), { type: "payload", text: letters(900) }, textParameter(letters(425)))
        ),
        [
          { path: "template.components[0].parameters[1].payload" },
          { path: "template.components[0].parameters", limit: 1024, actual: 1025 }
        ]
      )
      says(
        body(textParameter(letters(1025))),
        "template.components[0].parameters: the text parameters must total at most 1024 characters"
      )
      accepts(template({ components: [{ type: "header", parameters: [textParameter("a\n     b")] }] }))
    })

    it("limits a header text parameter to 60", () => {
      const header = (value: string) =>
        template({ components: [{ type: "header", parameters: [textParameter(value)] }] })
      violates(header(emojis(61)), { path: "template.components[0].parameters[0].text", limit: 60, actual: 61 })
    })

    it("checks every parameter's shape", () => {
      const params = (...parameters: Array<unknown>) =>
        template({ components: [{ type: "button", sub_type: "flow", index: 0, parameters }] })
      assert.deepStrictEqual(
        violationsOf(params(
          { type: "sticker" },
          { text: "x" },
          { type: "text", text: "x", parameter_name: "" },
          { type: "currency", currency: { fallback_value: "", code: "INR", amount_1000: 1.5 } },
          { type: "date_time", date_time: {} },
          { type: "coupon_code", coupon_code: "" },
          { type: "image", image: { link: "https://example.com/a.png", id: "1" } },
          { type: "document", document: { id: "1", filename: "" } },
          { type: "location", location: { latitude: 91, longitude: 0 } },
          { type: "action", action: { flow_token: "" } }
        )),
        [
          { path: "template.components[0].parameters[0].type", actual: "sticker" },
          { path: "template.components[0].parameters[1].type" },
          { path: "template.components[0].parameters[2].parameter_name", limit: 1, actual: 0 },
          { path: "template.components[0].parameters[3].currency.fallback_value", limit: 1, actual: 0 },
          { path: "template.components[0].parameters[3].currency.amount_1000", actual: 1.5 },
          { path: "template.components[0].parameters[4].date_time.fallback_value" },
          { path: "template.components[0].parameters[5].coupon_code", limit: 1, actual: 0 },
          { path: "template.components[0].parameters[6].image" },
          { path: "template.components[0].parameters[7].document.filename", limit: 1, actual: 0 },
          { path: "template.components[0].parameters[8].location.latitude", limit: 90, actual: 91 },
          { path: "template.components[0].parameters[9].action.flow_token", limit: 1, actual: 0 }
        ]
      )
      says(
        params({ type: "currency", currency: { fallback_value: "1", code: "INR", amount_1000: "1" } }),
        "template.components[0].parameters[0].currency.amount_1000: must be an integer (got string)"
      )
      says(
        template({ components: [{ type: "footer", parameters: ["x"] }] }),
        "template.components[0].parameters[0]: must be an object (got string)"
      )
    })

    it("keeps flow action_data only when it is plain JSON", () => {
      const flow = (action_data: unknown) =>
        template({
          components: [
            { type: "button", sub_type: "flow", index: 0, parameters: [{ type: "action", action: { action_data } }] }
          ]
        })
      const nullProto = Object.assign(Object.create(null) as Json, { a: 1 })
      for (const data of [{}, { a: { b: [1, "x", null, false, { c: [] }] } }, nullProto]) {
        accepts(flow(data))
      }
      const cyclic: Json = { a: 1 }
      cyclic.self = cyclic
      const shared = { x: 1 }
      const notJson = [
        [],
        "x",
        null,
        { d: new Date(0) },
        { f: () => 1 },
        { n: Number.NaN },
        { z: -0 },
        { u: undefined },
        { s: Symbol("s") },
        cyclic,
        { a: shared, b: shared },
        // an own key named __proto__ (as JSON.parse makes it) cannot be kept: refused, not silently dropped.
        // Found by the round-trip property below (it generated one now and then: seed lost, counterexample
        // { action_data: { __proto__: [] } }).
        JSON.parse("{\"__proto__\": []}"),
        { ok: JSON.parse("{\"__proto__\": {\"x\": 1}}") }
      ]
      for (const data of notJson) {
        says(
          flow(data),
          "template.components[0].parameters[0].action.action_data: must be an object of plain JSON values"
        )
      }
    })
  })

  describe("properties", () => {
    const prefix = fc.constantFrom("", "fallback", "messages[3]")

    for (const [kind, arbitrary] of Object.entries(Arb.validByKind)) {
      it.prop(`validates every valid content, unchanged, and it round-trips through JSON: ${kind}`, [
        arbitrary
      ], ([content]) => {
        const result = validate(content)
        assert.isTrue(Either.isRight(result), `${kind}: ${Either.isLeft(result) ? result.left.message : ""}`)
        const value = (result as Either.Right<never, MessageContent.MessageContent>).right
        assert.deepStrictEqual(value, content as never)
        assert.deepStrictEqual(roundTrip(value), value)
      }, { fastCheck: { numRuns: 60 } })
    }

    const extraKey = fc.constantFrom("extra", "x_meta", "messaging_product")

    it.prop("drops extra keys wherever they are, and the result does not change", [
      Arb.valid,
      fc.nat(),
      extraKey,
      fc.jsonValue()
    ], ([content, seed, key, value]) => {
      // flow action_data is opaque JSON, kept whole: a key added there is data, not an extra key
      // so is a Flow's screen data
      const objects = nodesOf(content).filter((k) =>
        !k.includes("action_data") && !k.includes("data") && isObject(nodeAt(content, k))
      )
      const keys = objects[seed % objects.length]!
      same(validate(set(content, [...keys, key], value)), validate(content))
    })

    /** A content with one field made one past its limit, and the violations that must be reported for it. */
    interface Mutant {
      readonly content: Json
      readonly expected: ReadonlyArray<Seen>
    }

    const overString = (limit: number) => Arb.exactly(limit + 1)

    /** `base` with the node at `keys` set to `make(s)`, `s` one code point past `limit`, reported at keys + tail. */
    const tooLong = (
      base: fc.Arbitrary<Json>,
      keys: ReadonlyArray<string | number>,
      limit: number,
      make: (s: string) => unknown = (s) => s,
      tail = ""
    ): fc.Arbitrary<Mutant> =>
      fc.tuple(base, overString(limit)).map(([content, s]) => ({
        content: set(content, keys, make(s)),
        expected: [{ path: `${pathOf(keys)}${tail}`, limit, actual: limit + 1 }]
      }))

    /** A location with the coordinate at `keys` past `limit`. */
    const outOfRange = (keys: ReadonlyArray<string>, limit: number): fc.Arbitrary<Mutant> =>
      fc.tuple(
        Arb.location,
        fc.double({
          ...(limit > 0 ? { min: limit, minExcluded: true } : { max: limit, maxExcluded: true }),
          noNaN: true,
          noDefaultInfinity: true
        })
      ).map(([content, x]) => ({
        content: set(content, keys, x),
        expected: [{ path: pathOf(keys), limit, actual: x }]
      }))

    const header = (text: string) => ({ type: "text", text })
    const textObject = (text: string) => ({ text })
    const buttonsOf = (c: Json) => ((c.interactive as Json).action as { buttons: Array<unknown> }).buttons
    const sectionsOf = (c: Json) =>
      ((c.interactive as Json).action as { sections: Array<{ rows: Array<unknown> }> }).sections
    const noSpaces = fc.oneof(
      fc.constantFrom("a", "Z", "9"),
      fc.integer({ min: 0x1f600, max: 0x1f64f }).map((c) => String.fromCodePoint(c))
    )
    const emoji = fc.constantFrom(...Arb.EMOJIS.slice(1))

    const mutants: Record<string, fc.Arbitrary<Mutant>> = {
      "text body": tooLong(Arb.text, ["text", "body"], 4096),
      "image caption": tooLong(Arb.image, ["image", "caption"], 1024),
      "video caption": tooLong(Arb.video, ["video", "caption"], 1024),
      "document caption": tooLong(Arb.document, ["document", "caption"], 1024),
      "latitude above": outOfRange(["location", "latitude"], 90),
      "latitude below": outOfRange(["location", "latitude"], -90),
      "longitude above": outOfRange(["location", "longitude"], 180),
      "longitude below": outOfRange(["location", "longitude"], -180),
      "button body": tooLong(Arb.button, ["interactive", "body", "text"], 1024),
      "button header": tooLong(Arb.button, ["interactive", "header"], 60, header, ".text"),
      "button footer": tooLong(Arb.button, ["interactive", "footer"], 60, textObject, ".text"),
      "reply buttons": fc.tuple(Arb.button, Arb.replyButtons(4, 4)).map(([c, buttons]) => ({
        content: set(c, ["interactive", "action", "buttons"], buttons),
        expected: [{ path: "interactive.action.buttons", limit: 3, actual: 4 }]
      })),
      "reply id": fc.tuple(Arb.button, fc.nat(), Arb.exactly(257).filter((s) => s.trim() === s)).map(([c, n, id]) => {
        const keys = ["interactive", "action", "buttons", n % buttonsOf(c).length, "reply", "id"]
        return { content: set(c, keys, id), expected: [{ path: pathOf(keys), limit: 256, actual: 257 }] }
      }),
      "reply title": fc.tuple(Arb.button, fc.nat(), overString(20)).map(([c, n, title]) => {
        const keys = ["interactive", "action", "buttons", n % buttonsOf(c).length, "reply", "title"]
        return { content: set(c, keys, title), expected: [{ path: pathOf(keys), limit: 20, actual: 21 }] }
      }),
      "list body": tooLong(Arb.list, ["interactive", "body", "text"], 4096),
      "list header": tooLong(Arb.list, ["interactive", "header"], 60, header, ".text"),
      "list footer": tooLong(Arb.list, ["interactive", "footer"], 60, textObject, ".text"),
      "list button": tooLong(Arb.list, ["interactive", "action", "button"], 20),
      "list sections": fc.tuple(Arb.list, Arb.uniqueRows(11, 11)).map(([c, rows]) => ({
        content: set(c, ["interactive", "action", "sections"], rows.map((r, i) => ({ title: `S${i}`, rows: [r] }))),
        // 11 sections cannot hold fewer than 11 rows: both limits break
        expected: [
          { path: "interactive.action.sections", limit: 10, actual: 11 },
          { path: "interactive.action.sections", limit: 10, actual: 11 }
        ]
      })),
      "list rows": fc.tuple(Arb.list, Arb.uniqueRows(11, 11)).map(([c, rows]) => ({
        content: set(c, ["interactive", "action", "sections"], [{ rows }]),
        expected: [{ path: "interactive.action.sections", limit: 10, actual: 11 }]
      })),
      "section title": fc.tuple(Arb.list, fc.nat(), overString(24)).map(([c, n, title]) => {
        const keys = ["interactive", "action", "sections", n % sectionsOf(c).length, "title"]
        return { content: set(c, keys, title), expected: [{ path: pathOf(keys), limit: 24, actual: 25 }] }
      }),
      ...Object.fromEntries(
        ([["id", 200], ["title", 24], ["description", 72]] as const).map(([key, limit]) => [
          `row ${key}`,
          fc.tuple(Arb.list, fc.nat(), fc.nat(), overString(limit)).map(([c, n, m, value]) => {
            const sections = sectionsOf(c)
            const s = n % sections.length
            const keys = ["interactive", "action", "sections", s, "rows", m % sections[s]!.rows.length, key]
            return { content: set(c, keys, value), expected: [{ path: pathOf(keys), limit, actual: limit + 1 }] }
          })
        ])
      ),
      "cta body": tooLong(Arb.ctaUrl, ["interactive", "body", "text"], 1024),
      "cta header": tooLong(Arb.ctaUrl, ["interactive", "header"], 60, header, ".text"),
      "cta footer": tooLong(Arb.ctaUrl, ["interactive", "footer"], 60, textObject, ".text"),
      "cta display text": tooLong(Arb.ctaUrl, ["interactive", "action", "parameters", "display_text"], 20),
      "flow body": tooLong(Arb.flow, ["interactive", "body", "text"], 1024),
      "flow header": tooLong(Arb.flow, ["interactive", "header"], 60, header, ".text"),
      "flow footer": tooLong(Arb.flow, ["interactive", "footer"], 60, textObject, ".text"),
      "flow cta": fc.tuple(Arb.flow, Arb.plainChars(21, 21)).map(([c, cta]) => {
        const keys = [...flowParameters, "flow_cta"]
        return { content: set(c, keys, cta), expected: [{ path: pathOf(keys), limit: 20, actual: 21 }] }
      }),
      "product body": tooLong(Arb.product, ["interactive", "body"], 1024, textObject, ".text"),
      "product footer": tooLong(Arb.product, ["interactive", "footer"], 60, textObject, ".text"),
      "product list body": tooLong(Arb.productList, ["interactive", "body", "text"], 1024),
      "product list header": tooLong(Arb.productList, ["interactive", "header", "text"], 60),
      "product list footer": tooLong(Arb.productList, ["interactive", "footer"], 60, textObject, ".text"),
      "product list products": fc.tuple(Arb.productList, Arb.productSections(31, 31)).map(([c, sections]) => ({
        content: set(c, ["interactive", "action", "sections"], sections),
        expected: [{ path: "interactive.action.sections", limit: 30, actual: 31 }]
      })),
      "product list sections": fc.tuple(Arb.productList, fc.constantFrom(11, 12)).map(([c, n]) => ({
        content: set(
          c,
          ["interactive", "action", "sections"],
          Array.from({ length: n }, (_, i) => ({ title: `S${i}`, product_items: items(i, 1) }))
        ),
        expected: [{ path: "interactive.action.sections", limit: 10, actual: n }]
      })),
      "product section title": fc.tuple(Arb.productList, fc.nat(), overString(24)).map(([c, n, title]) => {
        const sections = ((c.interactive as Json).action as { sections: Array<unknown> }).sections
        const keys = ["interactive", "action", "sections", n % sections.length, "title"]
        return { content: set(c, keys, title), expected: [{ path: pathOf(keys), limit: 24, actual: 25 }] }
      }),
      "template name": fc.tuple(Arb.template, Arb.exactly(513, Arb.nameChar)).map(([c, name]) => ({
        content: set(c, ["template", "name"], name),
        expected: [{ path: "template.name", limit: 512, actual: 513 }]
      })),
      "template header parameter": tooLong(
        Arb.template,
        ["template", "components"],
        60,
        (text) => [{ type: "header", parameters: [{ type: "text", text }] }],
        "[0].parameters[0].text"
      ),
      "template body parameters": fc.tuple(
        Arb.template,
        fc.integer({ min: 1, max: 1024 })
          .chain((n) => fc.tuple(Arb.exactly(n, noSpaces), Arb.exactly(1025 - n, noSpaces)))
      ).map(([c, texts]) => ({
        content: set(c, ["template", "components"], [
          { type: "body", parameters: texts.map((text) => ({ type: "text", text })) }
        ]),
        expected: [{ path: "template.components[0].parameters", limit: 1024, actual: 1025 }]
      })),
      "reaction emoji": fc.tuple(Arb.reaction, emoji, emoji).map(([c, a, b]) => ({
        content: set(c, ["reaction", "emoji"], a + b),
        expected: [{ path: "reaction.emoji", limit: 1, actual: 2 }]
      }))
    }

    for (const [name, arbitrary] of Object.entries(mutants)) {
      it.prop(`reports a single over-limit field with exactly its path, limit and actual value: ${name}`, [
        arbitrary,
        prefix
      ], ([{ content, expected }, p]) => {
        const prefixed = expected.map((e) => ({ ...e, path: p === "" ? e.path : `${p}.${e.path}` }))
        assert.deepStrictEqual(violationsOf(content, p), prefixed, name)
      }, { fastCheck: { numRuns: 25 } })
    }

    const anything = fc.anything({
      withBoxedValues: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withSparseArray: true
    })
    // a known type with anything in its object reaches past the type check
    const typed = fc.tuple(fc.constantFrom(...MessageContent.ALL_TYPES), anything).map(([type, value]) => ({
      type,
      [type]: value
    }))

    it.prop("never throws, whatever the input, and fails only with the content errors", [
      fc.oneof(anything, typed),
      prefix
    ], ([input, p]) => {
      const result = validate(input, p)
      assert.isTrue(Either.isEither(result))
      if (Either.isLeft(result)) {
        assert.include(["InvalidMessage", "MessageTypeNotSupported"], result.left._tag)
        if (result.left._tag === "InvalidMessage") assert.isAbove(result.left.violations.length, 0)
      }
    }, { fastCheck: { numRuns: 500 } })

    it.prop("never throws on a valid content with any part replaced by anything, and what passes round-trips", [
      Arb.valid,
      fc.nat(),
      fc.anything(),
      prefix
    ], ([content, seed, junk, p]) => {
      const all = nodesOf(content).filter((k) => k.length > 0)
      const keys = all[seed % all.length]!
      const result = validate(set(content, keys, junk), p)
      if (Either.isRight(result)) assert.deepStrictEqual(roundTrip(result.right), result.right)
      else if (result.left._tag === "InvalidMessage") {
        for (const v of result.left.violations) assert.isTrue(p === "" || v.path.startsWith(p), v.path)
      }
    }, { fastCheck: { numRuns: 500 } })
  })
})
