/**
 * Client file names are kept for display and downloads only (storage keys never use them), but they
 * still end up in JSON, logs and Content-Disposition headers, so they are cleaned and bounded.
 */

const FALLBACK = 'upload'
const MAX_BYTES = 255
const MAX_KEPT_EXTENSION = 10

// Cc covers C0 (NUL, CR, LF...), DEL and C1; Bidi_Control covers LRM/RLM, embeddings, overrides
// and isolates, which can make "gpj.exe" display as "exe.jpg".
const INVISIBLE = /[\p{Cc}\p{Bidi_Control}]/gu
// In unicode mode a valid surrogate pair is one code point, so this only matches lone halves.
const LONE_SURROGATES = /\p{Cs}/gu
const RESERVED = /["<>|:*?]/g
const WHITESPACE_RUN = /\s+/gu
const LEADING_DOTS_AND_SPACES = /^[\s.]+/u

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' })

export function sanitizeFilename(name: string | undefined | null): string {
  if (typeof name !== 'string') return FALLBACK
  const visible = name.replace(LONE_SURROGATES, '').replace(INVISIBLE, '').normalize('NFC')
  const cleaned = baseName(visible)
    .replace(RESERVED, '')
    .replace(WHITESPACE_RUN, ' ')
    .replace(LEADING_DOTS_AND_SPACES, '')
    .trimEnd()
  return truncateToBytes(cleaned, MAX_BYTES) || FALLBACK
}

/** RFC 6266 value with an ASCII `filename` for old clients and an RFC 5987 `filename*`. */
export function contentDisposition(
  filename: string,
  disposition: 'inline' | 'attachment' = 'inline',
): string {
  const name = filename.replace(LONE_SURROGATES, '') || FALLBACK
  return `${disposition}; filename="${asciiFallback(name)}"; filename*=UTF-8''${encodeRfc5987(name)}`
}

/** Clients send Windows paths too, so both separators count. */
function baseName(path: string) {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1)
}

function truncateToBytes(name: string, maxBytes: number) {
  if (utf8Length(name) <= maxBytes) return name
  const dot = name.lastIndexOf('.')
  const keepExtension = dot > 0 && name.length - dot - 1 <= MAX_KEPT_EXTENSION
  const extension = keepExtension ? name.slice(dot) : ''
  const stem = keepExtension ? name.slice(0, dot) : name
  return takeBytes(stem, maxBytes - utf8Length(extension)).trimEnd() + extension
}

/** Longest prefix within the budget that ends on a grapheme boundary (emoji, combining marks). */
function takeBytes(text: string, maxBytes: number) {
  let kept = ''
  let used = 0
  for (const { segment } of graphemes.segment(text)) {
    const size = utf8Length(segment)
    if (used + size > maxBytes) break
    kept += segment
    used += size
  }
  return kept || takeCodePoints(text, maxBytes)
}

/** Only for a first grapheme bigger than the whole budget (e.g. stacked combining marks). */
function takeCodePoints(text: string, maxBytes: number) {
  let kept = ''
  let used = 0
  for (const codePoint of text) {
    const size = utf8Length(codePoint)
    if (used + size > maxBytes) break
    kept += codePoint
    used += size
  }
  return kept
}

function utf8Length(text: string) {
  return Buffer.byteLength(text, 'utf8')
}

/** Printable ASCII only; quotes, backslashes and % (which some browsers decode) become `_`. */
function asciiFallback(name: string) {
  return name.replace(/[^ -~]|["\\%]/gu, '_')
}

/** encodeURIComponent leaves ' ( ) * as they are, but RFC 5987 attr-char does not allow them. */
function encodeRfc5987(name: string) {
  return encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
}
