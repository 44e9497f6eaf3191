import { searchForm } from '../db/search-text'

/** The longest n-gram `image_search_grams` indexes (see drizzle/0003_search_text.sql). */
export const MAX_GRAM = 3

/**
 * What the index must contain for a query, matching the database's `image_search_grams` over
 * the search form of the stored text: the query itself up to three characters (an exact test),
 * else its character triples, which narrow the rows that a LIKE then decides (`exact: false`).
 */
export function searchFor(query: string): { text: string; grams: string[]; exact: boolean } {
  const text = searchForm(query)
  const chars = Array.from(text)
  if (chars.length <= MAX_GRAM) return { text, grams: [text], exact: true }
  const grams = new Set<string>()
  for (let i = 0; i + MAX_GRAM <= chars.length; i++) {
    grams.add(chars.slice(i, i + MAX_GRAM).join(''))
  }
  return { text, grams: [...grams], exact: false }
}
