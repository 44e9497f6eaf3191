/** True when `err` or one of its causes (up to five deep) has one of these string `code`s. */
export function hasErrorCode(err: unknown, codes: ReadonlySet<string>): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 5; i++) {
    if (typeof e.code === 'string' && codes.has(e.code)) return true
    e = e.cause as typeof e
  }
  return false
}
