/**
 * multipart/form-data (RFC 7578) over a body already in memory. Part bodies are views into that
 * body, never copies: an upload's bytes are allocated once, however large.
 */

export type MultipartPart = {
  name: string
  /** Present (possibly empty) exactly when the part is a file. */
  filename?: string
  contentType?: string
  body: Uint8Array
}

/** The body is not well-formed multipart for the given boundary. */
export class MultipartError extends Error {}

// RFC 2046 allows 1-70 characters from a smaller set; any printable ASCII is accepted, as clients
// are known to stray, with no space at either end.
const BOUNDARY = /^[!-~](?:[ -~]{0,68}[!-~])?$/
const MAX_HEADER_BYTES = 16 * 1024
const MAX_PARTS = 100
const CRLF = Buffer.from('\r\n')
const HEADERS_END = Buffer.from('\r\n\r\n')

const utf8 = new TextDecoder()

/** The `boundary` parameter of a multipart/form-data Content-Type, or undefined. */
export function multipartBoundary(contentType: string): string | undefined {
  const [type, ...rest] = splitParameters(contentType)
  if (type?.trim().toLowerCase() !== 'multipart/form-data') return undefined
  const boundary = parameters(rest).get('boundary')
  return boundary !== undefined && BOUNDARY.test(boundary) ? boundary : undefined
}

export function parseMultipart(input: Uint8Array, boundary: string): MultipartPart[] {
  const body = Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  const delimiter = Buffer.from(`--${boundary}`)
  const nextDelimiter = Buffer.from(`\r\n--${boundary}`)

  // The first delimiter opens the body or a line after the preamble.
  let at = body.subarray(0, delimiter.length).equals(delimiter)
    ? 0
    : indexOrFail(body, nextDelimiter, 0, 'no opening boundary') + 2
  const parts: MultipartPart[] = []
  // Every part counts against the cap, skipped ones too: each costs a header parse and a search.
  let seen = 0
  for (;;) {
    at += delimiter.length
    if (body[at] === 0x2d && body[at + 1] === 0x2d) return parts // "--": the close delimiter
    at = afterLineEnd(body, at)
    if (++seen > MAX_PARTS) throw new MultipartError(`more than ${MAX_PARTS} parts`)

    const headersEnd = body.indexOf(HEADERS_END, at - 2)
    if (headersEnd === -1 || headersEnd - at > MAX_HEADER_BYTES) {
      throw new MultipartError('part headers are unterminated or too long')
    }
    const headers = headersEnd < at ? [] : utf8.decode(body.subarray(at, headersEnd)).split('\r\n')
    const contentStart = Math.max(headersEnd + 4, at + 2)
    const contentEnd = indexOrFail(body, nextDelimiter, contentStart - 2, 'missing final boundary')
    const part = describePart(
      headers,
      body.subarray(Math.min(contentStart, contentEnd), contentEnd),
    )
    if (part) parts.push(part)
    at = contentEnd + 2
  }
}

function indexOrFail(body: Buffer, needle: Buffer, from: number, problem: string) {
  const index = body.indexOf(needle, from)
  if (index === -1) throw new MultipartError(problem)
  return index
}

// After a delimiter: optional transport padding (RFC 2046 allows spaces and tabs), then CRLF.
function afterLineEnd(body: Buffer, from: number) {
  let at = from
  while (body[at] === 0x20 || body[at] === 0x09) at++
  if (body[at] !== CRLF[0] || body[at + 1] !== CRLF[1]) {
    throw new MultipartError('boundary line not followed by CRLF')
  }
  return at + 2
}

function describePart(headers: string[], body: Uint8Array): MultipartPart | undefined {
  let disposition: string | undefined
  let contentType: string | undefined
  for (const line of headers) {
    const colon = line.indexOf(':')
    if (colon === -1) throw new MultipartError('malformed part header')
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    if (name === 'content-disposition') disposition = value
    else if (name === 'content-type') contentType = value
  }
  // Parts that are not named form data carry nothing a form field could mean; skip them.
  if (disposition === undefined) return undefined
  const [kind, ...rest] = splitParameters(disposition)
  if (kind?.trim().toLowerCase() !== 'form-data') return undefined
  const params = parameters(rest)
  const name = params.get('name')
  if (name === undefined) return undefined
  const filename = params.get('filename*') ?? params.get('filename')
  return { name, filename, contentType, body }
}

/** Splits at semicolons outside quoted strings. */
function splitParameters(header: string): string[] {
  const out: string[] = []
  let start = 0
  let quoted = false
  for (let i = 0; i < header.length; i++) {
    const ch = header[i]
    if (quoted && ch === '\\') i++
    else if (ch === '"') quoted = !quoted
    else if (ch === ';' && !quoted) {
      out.push(header.slice(start, i))
      start = i + 1
    }
  }
  out.push(header.slice(start))
  return out
}

/** `key=value` parameters, keys lower-cased; quoted strings unescaped, `key*` (RFC 8187) decoded. */
function parameters(raw: string[]): Map<string, string> {
  const out = new Map<string, string>()
  for (const item of raw) {
    const eq = item.indexOf('=')
    if (eq === -1) continue
    const key = item.slice(0, eq).trim().toLowerCase()
    const value = item.slice(eq + 1).trim()
    const decoded = key.endsWith('*') ? decodeExtValue(value) : unquote(value)
    if (decoded !== undefined && !out.has(key)) out.set(key, decoded)
  }
  return out
}

function unquote(value: string) {
  if (!value.startsWith('"')) return value
  if (value.length < 2 || !value.endsWith('"')) return undefined
  return value.slice(1, -1).replace(/\\(.)/g, '$1')
}

// charset'language'percent-encoded; UTF-8 and ISO-8859-1 are the charsets RFC 8187 names.
function decodeExtValue(value: string) {
  const match = /^([\w!#$%&+^`{}~-]+)'[^']*'(.*)$/.exec(value)
  if (!match) return undefined
  const [, charset = '', encoded = ''] = match
  const bytes: number[] = []
  for (let i = 0; i < encoded.length; i++) {
    const code = encoded.charCodeAt(i)
    if (encoded[i] === '%' && /^[0-9a-fA-F]{2}$/.test(encoded.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(encoded.slice(i + 1, i + 3), 16))
      i += 2
    } else if (code < 0x80) {
      bytes.push(code)
    } else {
      return undefined
    }
  }
  const label = charset.toLowerCase()
  if (label !== 'utf-8' && label !== 'iso-8859-1') return undefined
  try {
    return new TextDecoder(label, { fatal: true }).decode(new Uint8Array(bytes))
  } catch {
    return undefined
  }
}
