import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq, sql } from 'drizzle-orm'
import { AnalysisRepository } from '../src/analysis/repository'
import type { Db } from '../src/db/client'
import { migrate } from '../src/db/migrate'
import { images } from '../src/db/schema'
import { searchForm } from '../src/db/search-text'
import { call } from './support/api'
import { json, startTestApp, type TestApp, upload } from './support/app'
import { makeJpeg, withJpegComment } from './support/images'

// Search normalises stored text and queries the same way, in JavaScript (issue 10, defect 8),
// and indexing costs time linear in the text (defect 3).

let seq = 0
const uniqueJpeg = () => withJpegComment(makeJpeg(8, 8, { seed: 11 }), `search-${seq++}`)

/** Every run of one to three characters (code points), as the index should hold them. */
function expectedGrams(...fields: string[]) {
  const grams = new Set<string>()
  for (const field of fields) {
    const chars = Array.from(field)
    for (let i = 0; i < chars.length; i++) {
      for (let n = 1; n <= 3 && i + n <= chars.length; n++) {
        grams.add(chars.slice(i, i + n).join(''))
      }
    }
  }
  return [...grams].sort()
}

async function gramsOf(db: Db, ...fields: (string | null)[]): Promise<string[]> {
  const args = sql.join(
    fields.map((f) => sql`${f}::text`),
    sql`, `,
  )
  const result = await db.execute(sql`select image_search_grams(${args}) as grams`)
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as {
    grams: string[]
  }[]
  return [...(rows[0]?.grams ?? [])].sort()
}

describe('searchForm', () => {
  test('NFKC and case folding: İ, final sigma, ß, full-width and half-width forms', () => {
    expect(searchForm('İstanbul')).toBe('i\u0307stanbul')
    expect(searchForm('ΟΔΟΣ')).toBe(searchForm('οδος'))
    expect(searchForm('ΟΔΟΣ')).toBe('οδοσ')
    expect(searchForm('STRAẞE')).toBe(searchForm('straße'))
    expect(searchForm('ＡＢＣ')).toBe('abc')
    expect(searchForm('ｶﾀｶﾅ')).toBe('カタカナ')
    expect(searchForm('青い海')).toBe('青い海')
  })

  test('is idempotent on every code point', () => {
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue
      const once = searchForm(String.fromCodePoint(cp))
      if (searchForm(once) !== once) throw new Error(`U+${cp.toString(16)} is not stable`)
    }
  })
})

describe('search in one normal form', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp()
  })
  afterAll(() => t?.stop())

  async function stored(title: string, description = 'plain') {
    const res = await upload(t.url, uniqueJpeg(), { metadata: { title, description } })
    expect(res.status).toBe(201)
    return (await json(res)).data.id as string
  }
  async function found(q: string) {
    const res = await call(t.url, 'GET', `/api/images?limit=200&q=${encodeURIComponent(q)}`)
    expect(res.status).toBe(200)
    return ((await json(res)).data as { id: string }[]).map((i) => i.id)
  }

  test.each([
    ['İstanbul', 'İstanbul'],
    ['İZMİR', 'i\u0307zmi\u0307r'],
    ['ΟΔΟΣ', 'ΟΔΟΣ'],
    ['ΟΔΟΣ', 'οδος'],
    ['οδος', 'ΟΔΟΣ'],
    ['Straße', 'STRASSE'],
    ['ABC', 'ＡＢＣ'],
    ['ＡＢＣＤ', 'abcd'],
    ['カタカナ', 'ｶﾀｶﾅ'],
    ['ｶﾀｶﾅ', 'カタカナ'],
    ['ｶﾀ', 'カ'],
  ])('%s is found by q=%s', async (title, q) => {
    const id = await stored(title)
    expect(await found(q)).toContain(id)
  })

  test('descriptions are searched in the same form, and a miss stays a miss', async () => {
    const id = await stored('plain', 'Ο ΣΟΦΟΣ ΔΑΣΚΑΛΟΣ')
    expect(await found('σοφος')).toContain(id)
    expect(await found('ΣΟΦΟΣ Δ')).toContain(id)
    expect(await found('σοφοσδ')).not.toContain(id)
  })

  test('a PATCHed title is searched in its new form', async () => {
    const id = await stored('before')
    const res = await call(t.url, 'PATCH', `/api/images/${id}`, { body: { title: 'ÇAĞDAŞ' } })
    expect(res.status).toBe(200)
    expect(await found('çağdaş')).toContain(id)
    expect(await found('before')).not.toContain(id)
  })

  test('the analysis text is searched in the same form', async () => {
    const id = await stored('analysed')
    const repo = new AnalysisRepository(t.deps.database.db)
    const claimed = await repo.claimRestart(id, 60_000)
    if (!claimed) throw new Error('no claim')
    await repo.finish(claimed, { analysisStatus: 'done', geminiAnalysis: 'ＭＵＳＥＵＭ ΚΌΣΜΟΣ' })
    expect(await found('museum')).toContain(id)
    expect(await found('κόσμοσ')).toContain(id)
  })

  test('rows written before the search columns are found in search form after the backfill', async () => {
    const id = await stored('İstanbul eski')
    const { db } = t.deps.database
    // As an older release left them: no search columns (the index falls back to lower()).
    await db
      .update(images)
      .set({ searchTitle: null, searchDescription: null, searchAnalysis: null })
      .where(eq(images.id, id))
    expect(await found('İstanbul eski')).not.toContain(id)
    await migrate(db)
    expect(await found('İstanbul eski')).toContain(id)
    const [row] = await db
      .select({ searchTitle: images.searchTitle })
      .from(images)
      .where(eq(images.id, id))
    expect(row?.searchTitle).toBe(searchForm('İstanbul eski'))
  })

  test('every start looks for such rows through a partial index, never a scan of the table', async () => {
    const plan = await t.deps.database.db.transaction(async (tx) => {
      // Without a usable index the planner falls back to the (disabled) sequential scan.
      await tx.execute(sql`set local enable_seqscan = off`)
      const result = await tx.execute(
        sql`explain select id from images where search_title is null limit 500`,
      )
      const rows = Array.isArray(result) ? result : (result as { rows: unknown[] }).rows
      return JSON.stringify(rows)
    })
    expect(plan).toContain('images_search_pending_idx')
  })
})

describe('image_search_grams', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp()
  })
  afterAll(() => t?.stop())

  test('holds every run of one to three characters of each field, counting code points', async () => {
    const fields = ['青い海と😀👍🏽 e\u0301', 'ab', '', 'x']
    expect(await gramsOf(t.deps.database.db, ...fields)).toEqual(expectedGrams(...fields))
    expect(await gramsOf(t.deps.database.db, 'ab', null)).toEqual(expectedGrams('ab'))
    expect(await gramsOf(t.deps.database.db, null)).toEqual([])
  })

  test('costs time linear in the text: 8 times the text takes far less than 64 times as long', async () => {
    const { db } = t.deps.database
    // Varied text (CJK) so the distinct n-grams grow with the length.
    const textOf = (n: number) =>
      Array.from({ length: n }, (_, i) => String.fromCodePoint(0x4e00 + ((i * 7919) % 20000))).join(
        '',
      )
    const timed = async (n: number) => {
      const text = textOf(n)
      const started = performance.now()
      await gramsOf(db, text)
      return performance.now() - started
    }
    const median = async (n: number) => {
      const times = [await timed(n), await timed(n), await timed(n)]
      return times.sort((a, b) => a - b)[1] ?? 0
    }
    await timed(2500) // warm-up: plans and caches
    // 20,000 characters took 14 s (PGlite) to 49 s (PostgreSQL) with the quadratic function; about
    // 0.2-0.4 s now, on a busy two-core machine.
    expect(await timed(20_000)).toBeLessThan(5000)
    const short = await median(2500)
    const long = await median(20_000)
    // Linear: about 8 (less with fixed costs); the quadratic function gave 26-44.
    expect(long / short).toBeLessThan(20)
  }, 120_000)
})
