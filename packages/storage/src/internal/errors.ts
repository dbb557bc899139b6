import { SessionStore } from "@wa-session/session-core"

const messageOf = (value: unknown): string | undefined => {
  if (typeof value === "object" && value !== null) {
    const message = (value as { readonly message?: unknown }).message
    const code = (value as { readonly code?: unknown }).code
    const text = typeof message === "string" ? message : undefined
    return typeof code === "string" && text !== undefined && !text.includes(code) ? `${text} (${code})` : text
  }
  return typeof value === "string" ? value : undefined
}

/** A readable one-line description of a driver error: the SqlError message and its cause's message and code. */
export const describe = (error: unknown): string => {
  const outer = messageOf(error) ?? String(error)
  const cause = typeof error === "object" && error !== null
    ? messageOf((error as { readonly cause?: unknown }).cause)
    : undefined
  return cause === undefined || cause === outer ? outer : `${outer}: ${cause}`
}

/** Turns a driver failure into the port's `StorageError`, naming the operation. */
export const toStorageError = (operation: string) => (error: unknown): SessionStore.StorageError =>
  error instanceof SessionStore.StorageError
    ? error
    : new SessionStore.StorageError({ operation, detail: describe(error) })
