/**
 * The search n-grams a query needs, matching the database's `image_search_grams`: the character
 * pairs of the lower-cased text, or the character itself for a one-character query.
 */
export function searchFor(query: string): { text: string; grams: string[] } {
  const text = query.toLowerCase()
  const chars = Array.from(text)
  if (chars.length === 1) return { text, grams: chars }
  const grams = new Set<string>()
  for (let i = 0; i < chars.length - 1; i++) grams.add(`${chars[i]}${chars[i + 1]}`)
  return { text, grams: [...grams] }
}
