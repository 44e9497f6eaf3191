/**
 * The search form of text: Unicode NFKC (full-width ＡＢＣ → ABC, half-width ｶﾀｶﾅ → カタカナ,
 * ligatures, compatibility forms), then full case folding. JavaScript has no case-fold function:
 * lower, upper, lower again reaches the fold of nearly every character (ẞ → ß → SS → ss,
 * ᾳ → ΑΙ → αι, ı and ſ → I/S → i/s), and final sigma, which lower() writes by context, is folded
 * to σ. Stored text and queries both go through it, so they match whatever the database's locale.
 */
export function searchForm(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .toUpperCase()
    .toLowerCase()
    .replaceAll('ς', 'σ')
    .normalize('NFKC')
}

type Searchable = { title?: string; description?: string; geminiAnalysis?: string | null }

/**
 * The search columns for the searchable fields present in `values` (an insert or an update):
 * every write of title, description or analysis goes through here with its source.
 */
export function searchColumns(values: Searchable) {
  const out: { searchTitle?: string; searchDescription?: string; searchAnalysis?: string | null } =
    {}
  if (values.title !== undefined) out.searchTitle = searchForm(values.title)
  if (values.description !== undefined) out.searchDescription = searchForm(values.description)
  if (values.geminiAnalysis !== undefined) {
    out.searchAnalysis = values.geminiAnalysis === null ? null : searchForm(values.geminiAnalysis)
  }
  return out
}
