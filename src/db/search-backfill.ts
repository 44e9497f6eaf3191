import { isNull, sql } from 'drizzle-orm'
import type { Db } from './client'
import { images } from './schema'
import { searchForm } from './search-text'

const BATCH = 500

/**
 * Fills the search columns of rows written before they existed (or by an older replica during a
 * rolling deploy), a batch at a time. Each row is only written if its source text is still what
 * was read, so a concurrent PATCH or analysis is never overwritten with stale text; a row changed
 * meanwhile is read again by the next batch. Returns the number of rows filled.
 */
export async function backfillSearchText(db: Db): Promise<number> {
  let filled = 0
  for (;;) {
    const rows = await db
      .select({
        id: images.id,
        title: images.title,
        description: images.description,
        analysis: images.geminiAnalysis,
      })
      .from(images)
      .where(isNull(images.searchTitle))
      .limit(BATCH)
    if (rows.length === 0) return filled
    const column = <T>(pick: (r: (typeof rows)[number]) => T) => sql.param(rows.map(pick))
    const updated = await db.execute(sql`
      update images as i
      set search_title = u.search_title, search_description = u.search_description,
          search_analysis = u.search_analysis
      from unnest(${column((r) => r.id)}::uuid[], ${column((r) => r.title)}::text[],
                  ${column((r) => r.description)}::text[], ${column((r) => r.analysis)}::text[],
                  ${column((r) => searchForm(r.title))}::text[],
                  ${column((r) => searchForm(r.description))}::text[],
                  ${column((r) => (r.analysis === null ? null : searchForm(r.analysis)))}::text[])
        as u(id, title, description, analysis, search_title, search_description, search_analysis)
      where i.id = u.id and i.search_title is null and i.title = u.title
        and i.description = u.description and i.gemini_analysis is not distinct from u.analysis
      returning i.id`)
    const count = Array.isArray(updated)
      ? updated.length
      : (updated as { rows: unknown[] }).rows.length
    // Nothing written: every row read changed meanwhile; their writers filled them or will.
    if (count === 0) return filled
    filled += count
  }
}
