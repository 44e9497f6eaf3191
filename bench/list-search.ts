import { sql } from 'drizzle-orm'
import { type DatabaseOptions, openDatabase } from '../src/db/client'
import { migrate } from '../src/db/migrate'
import { searchForm } from '../src/db/search-text'
import { round, summarize } from './stats'

export type QueryResult = {
  name: string
  path: string
  /** HTTP status of the first call; anything but 200 reports the latencies as n/a. */
  status: number
  /** Items in the first page, to show the filter matched something. */
  items: number | null
  medianMs: number | null
  p99Ms: number | null
}

// Five title/description pairs cycled over the rows: Japanese and English, so `q` hits 2 rows in 5.
const TITLES = ['青い空', '赤い花', 'Beach at dawn', 'Mountain lake', '青い海と夕焼け']
const DESCRIPTIONS = [
  '雲ひとつない青い空の写真',
  'A red flower in spring',
  'Sand and sea under a pale sky',
  '雪の山と静かな湖',
  'Sunset over the blue sea',
]
const textArray = (values: string[]) =>
  sql.raw(`array[${values.map((v) => `'${v.replaceAll("'", "''")}'`).join(',')}]::text[]`)

/**
 * Bulk-inserts `count` rows in one INSERT ... SELECT generate_series, straight into the database
 * (for PGlite the API must be stopped: only one process may open its directory). Rows carry tags
 * (`x` on every third), metadata categories a–e, and upload times one second apart. Their search
 * columns are written too, as the API writes them: left empty, the next start-up would backfill
 * every seeded row before it answers (a restart would then time a one-off backfill).
 */
export async function seedRows(options: DatabaseOptions, count: number) {
  const database = await openDatabase(options)
  try {
    await migrate(database.db)
    const prefix = `seed-${Date.now().toString(36)}-`
    await database.db.execute(sql`
      insert into images (id, md5_hash, s3_key, original_filename, mimetype, filesize, width,
        height, title, description, search_title, search_description, tags, metadata,
        uploaded_at, updated_at)
      select gen_random_uuid(), h.md5, 'images/' || h.md5 || '.jpg', 'seed-' || g || '.jpg',
        'image/jpeg', 40000 + g % 1000, 320, 240,
        (${textArray(TITLES)})[1 + g % 5] || ' ' || g,
        (${textArray(DESCRIPTIONS)})[1 + (g / 5) % 5],
        (${textArray(TITLES.map(searchForm))})[1 + g % 5] || ' ' || g,
        (${textArray(DESCRIPTIONS.map(searchForm))})[1 + (g / 5) % 5],
        array['t' || (g % 50), case when g % 3 = 0 then 'x' else 'y' end],
        jsonb_build_object('category', chr(97 + g % 5), 'n', g),
        now() - make_interval(secs => g), now() - make_interval(secs => g)
      from generate_series(1, ${count}::int) g,
        lateral (select md5(${prefix}::text || g::text) as md5) h`)
    // Fresh statistics, as autovacuum would have them on a database that grew over time.
    await database.db.execute(sql`analyze images`)
  } finally {
    await database.close()
  }
}

const QUERIES: { name: string; query: string }[] = [
  { name: 'list limit=50', query: 'limit=50' },
  { name: 'q=青い', query: `q=${encodeURIComponent('青い')}&limit=50` },
  // Selective: one seeded title ends in 99999, so an index must find it without reading every row.
  { name: 'q=99999 (rare)', query: 'q=99999&limit=50' },
  { name: 'tag=x', query: 'tag=x&limit=50' },
  {
    name: 'metadata category=a',
    query: `metadata=${encodeURIComponent('{"category":"a"}')}&limit=50`,
  },
]

async function timedGet(url: string, apiKey: string) {
  const t0 = performance.now()
  const res = await fetch(url, { headers: { 'X-API-Key': apiKey } })
  const body = await res.text()
  return { ms: performance.now() - t0, status: res.status, body }
}

async function measureOne(
  base: string,
  apiKey: string,
  name: string,
  query: string,
  calls: number,
) {
  const path = `/api/images?${query}`
  const first = await timedGet(`${base}${path}`, apiKey)
  const result: QueryResult = {
    name,
    path,
    status: first.status,
    items: null,
    medianMs: null,
    p99Ms: null,
  }
  if (first.status !== 200) return { result, nextCursor: undefined }
  const page = JSON.parse(first.body) as { data?: unknown[]; next_cursor?: string | null }
  result.items = page.data?.length ?? null
  const times: number[] = []
  for (let i = 0; i < calls; i++) times.push((await timedGet(`${base}${path}`, apiKey)).ms)
  const s = summarize(times)
  result.medianMs = round(s.p50)
  result.p99Ms = round(s.p99)
  return { result, nextCursor: page.next_cursor ?? undefined }
}

/** Sequential calls of each query after one untimed call; a missing endpoint reports n/a. */
export async function measureListSearch(base: string, apiKey: string, calls = 50) {
  const results: QueryResult[] = []
  let cursor: string | undefined
  for (const q of QUERIES) {
    const { result, nextCursor } = await measureOne(base, apiKey, q.name, q.query, calls)
    if (q.name === 'list limit=50') cursor = nextCursor
    results.push(result)
  }
  if (cursor) {
    const query = `limit=50&cursor=${encodeURIComponent(cursor)}`
    results.push((await measureOne(base, apiKey, 'list page 2 (cursor)', query, calls)).result)
  }
  return results
}

// Standalone: BENCH_API_URL and API_KEY of a running API; DATABASE_URL (PostgreSQL) to seed first.
if (import.meta.main) {
  const base = process.env.BENCH_API_URL ?? 'http://127.0.0.1:8000'
  const apiKey = process.env.API_KEY ?? ''
  const rows = Number(process.env.BENCH_ROWS ?? 100_000)
  if (process.env.DATABASE_URL) {
    await seedRows({ kind: 'postgres', url: process.env.DATABASE_URL, poolMax: 1 }, rows)
  }
  for (const r of await measureListSearch(base, apiKey)) console.log(JSON.stringify(r))
}
