/**
 * How deeply objects and arrays nest in a parsed JSON value (a scalar is 0, `{}` is 1). Stops
 * descending past `limit`, so a hostile value costs no more than `limit` levels of recursion.
 */
export function nestingDepth(value: unknown, limit: number, depth = 0): number {
  if (typeof value !== 'object' || value === null || depth > limit) return depth
  let max = depth + 1
  for (const child of Object.values(value)) {
    max = Math.max(max, nestingDepth(child, limit, depth + 1))
    if (max > limit) break
  }
  return max
}

/** Levels of nesting a metadata object may have (the object itself is the first), as uploaded. */
export const MAX_METADATA_DEPTH = 20

/**
 * The nesting depth of JSON text, found by scanning brackets outside strings: checked before
 * `JSON.parse`, so a body of thousands of `[` never reaches the parser's recursion.
 */
export function textNestingDepth(json: string, limit: number): number {
  let depth = 0
  let max = 0
  let inString = false
  for (let i = 0; i < json.length; i++) {
    const ch = json.charCodeAt(i)
    if (inString) {
      if (ch === 0x5c)
        i++ // backslash: skip the escaped character
      else if (ch === 0x22) inString = false
    } else if (ch === 0x22) inString = true
    else if (ch === 0x7b || ch === 0x5b) {
      depth++
      if (depth > max) max = depth
      if (max > limit) return max
    } else if (ch === 0x7d || ch === 0x5d) depth--
  }
  return max
}
