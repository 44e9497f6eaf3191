// C0 controls but TAB, LF and CR; DEL; C1 controls. U+0000 cannot be stored in a PostgreSQL text
// column at all (the whole write fails); the others are invisible junk in a description.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g

/**
 * Model output made safe to store: control characters removed, lone surrogates replaced by
 * U+FFFD, surrounding whitespace trimmed, and at most `maxLength` characters (code points) kept,
 * the last of them an ellipsis when the text was cut.
 */
export function cleanModelText(text: string, maxLength: number): string {
  const cleaned = text.replace(CONTROL, '').toWellFormed().trim()
  // Cheap bound first: no string of <= maxLength UTF-16 units has more code points than that.
  if (cleaned.length <= maxLength) return cleaned
  const chars = Array.from(cleaned)
  if (chars.length <= maxLength) return cleaned
  return `${chars
    .slice(0, maxLength - 1)
    .join('')
    .trimEnd()}…`
}
