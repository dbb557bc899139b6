/** An error message quotes what it refused, which may be most of a 1 MiB body: at most this many characters. */
export const MAX_MESSAGE_CHARS = 500

/** `text` cut to `MAX_MESSAGE_CHARS`, saying how much was left out (never between the halves of a surrogate pair). */
export const brief = (text: string): string => {
  if (text.length <= MAX_MESSAGE_CHARS) return text
  const end = /[\uD800-\uDBFF]/.test(text[MAX_MESSAGE_CHARS - 1] ?? "") ? MAX_MESSAGE_CHARS - 1 : MAX_MESSAGE_CHARS
  return `${text.slice(0, end)}… (${text.length - end} more characters)`
}
