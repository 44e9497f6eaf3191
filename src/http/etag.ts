// One entity-tag of an If-None-Match list: optional W/ prefix, then a quoted opaque tag (RFC 9110
// §8.8.3); empty list elements before it are skipped, as §5.6.1 asks of recipients.
const ENTITY_TAG = /^[\s,]*(?:W\/)?("[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$)/

/**
 * RFC 9110 §13.1.2: If-None-Match uses the weak comparison, so `W/"x"` matches `"x"`, and `*`
 * matches any current representation. A malformed list matches nothing (the full response).
 */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  if (header.trim() === '*') return true
  const opaque = etag.replace(/^W\//, '')
  let rest = header
  while (/[^\s,]/.test(rest)) {
    const match = ENTITY_TAG.exec(rest)
    if (!match) return false
    if (match[1] === opaque) return true
    rest = rest.slice(match[0].length)
  }
  return false
}
