// Walks an error's `cause` chain: drivers wrap what they got from below.

/** True when `err` or one of its causes (up to five deep) has one of these string `code`s. */
export function hasErrorCode(err: unknown, codes: ReadonlySet<string>): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 5; i++) {
    if (typeof e.code === 'string' && codes.has(e.code)) return true
    e = e.cause as typeof e
  }
  return false
}

/**
 * The innermost cause's message, on one line: drizzle wraps a database error as "Failed query:
 * <the whole SQL>", while the reason (`relation "images" already exists`) is its cause.
 */
export function rootCause(err: unknown): string {
  let e = err as { message?: unknown; cause?: unknown } | undefined
  for (let i = 0; i < 10 && e?.cause instanceof Error; i++) e = e.cause as typeof e
  const message = typeof e?.message === 'string' && e.message ? e.message : String(err)
  return message.replace(/\s+/g, ' ').trim()
}
