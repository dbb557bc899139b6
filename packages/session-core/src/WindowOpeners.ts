/**
 * Which customer messages open (or extend) the 24-hour window of a one-to-one conversation. WhatsApp opens it when
 * the user messages or calls the business; a notice WhatsApp itself sends about the user (`system`, such as a number
 * change), a message in a group (`group_id`: it opens the group's window, not the customer's) and the withdrawal of
 * a reaction are not the user writing to the business. Every inbound message is still recorded and forwarded,
 * whatever this says about its window (see docs/window-rules.md for the table and its sources).
 *
 * @since 0.2.0
 */
import * as Option from "effect/Option"

/**
 * Why a customer message leaves the window as it was: a `system` notice (WhatsApp wrote, not the customer), a
 * message in a `group` (it belongs to the group's conversation), or a `reaction_removed` (the customer withdrew a
 * reaction: no emoji).
 *
 * @since 0.2.0
 * @category models
 */
export type StoredOnlyReason = "system" | "group" | "reaction_removed"

/**
 * What a customer message does to its pair's window: it `Opens` it (or extends it), or it is `StoredOnly`.
 *
 * @since 0.2.0
 * @category models
 */
export type Classification =
  | { readonly _tag: "Opens" }
  | { readonly _tag: "StoredOnly"; readonly reason: StoredOnlyReason }

/**
 * What the rule reads of a customer message: its content type and content as the provider sent them, and the group
 * it was sent in, if any.
 *
 * @since 0.2.0
 * @category models
 */
export interface Candidate {
  readonly contentType: string
  readonly content: Readonly<Record<string, unknown>>
  readonly groupId?: Option.Option<string> | undefined
}

const OPENS: Classification = { _tag: "Opens" }
const SYSTEM: Classification = { _tag: "StoredOnly", reason: "system" }
const GROUP: Classification = { _tag: "StoredOnly", reason: "group" }
const REACTION_REMOVED: Classification = { _tag: "StoredOnly", reason: "reaction_removed" }

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** A reaction without an emoji: Meta sends the withdrawal of a reaction without the field (older docs: `""`). */
const isReactionRemoval = (content: Readonly<Record<string, unknown>>): boolean => {
  const reaction = content.reaction
  const emoji = isRecord(reaction) ? reaction.emoji : undefined
  return typeof emoji !== "string" || emoji.trim() === ""
}

/**
 * What a customer message does to the window. `system` never opens it; a message with a group id never opens the
 * one-to-one window; a reaction opens it, its withdrawal (no emoji) does not; every other type opens it, `unknown`
 * and `unsupported` included (the customer wrote something the provider could not show). The type is compared
 * without regard to case or surrounding spaces.
 *
 * @example
 * ```ts
 * import { WindowOpeners } from "@wa-session/session-core"
 * import { Option } from "effect"
 * WindowOpeners.classify({ contentType: "text", content: { type: "text", text: { body: "Hi" } } }) // Opens
 * WindowOpeners.classify({ contentType: "system", content: { type: "system" } }) // StoredOnly: system
 * WindowOpeners.classify({ contentType: "text", content: { type: "text" }, groupId: Option.some("g1") }) // group
 * WindowOpeners.classify({ contentType: "reaction", content: { type: "reaction", reaction: { message_id: "m" } } })
 * // StoredOnly: reaction_removed
 * ```
 * @since 0.2.0
 * @category getters
 */
export const classify = (item: Candidate): Classification => {
  const type = item.contentType.trim().toLowerCase()
  if (type === "system") return SYSTEM
  if (item.groupId !== undefined && Option.isSome(item.groupId) && item.groupId.value.trim() !== "") return GROUP
  if (type === "reaction" && isReactionRemoval(item.content)) return REACTION_REMOVED
  return OPENS
}

/**
 * Whether a customer message opens (or extends) its pair's window (`classify` is `Opens`).
 *
 * @example
 * ```ts
 * import { WindowOpeners } from "@wa-session/session-core"
 * WindowOpeners.opensWindow({ contentType: "unknown", content: { type: "unknown" } }) // true
 * ```
 * @since 0.2.0
 * @category predicates
 */
export const opensWindow = (item: Candidate): boolean => classify(item)._tag === "Opens"
