// What one row's search text costs to index, against its length: an INSERT through the project's
// own repository (search form in JS, n-grams and GIN entries in the database), on PGlite and on
// PostgreSQL. Linear cost shows as a flat "ms per 1k chars" column.
//
//   bun bench/search-index-cost.ts                    # both databases
//   bun bench/search-index-cost.ts --backend pglite   # or: postgres
//   bun bench/search-index-cost.ts --compare-old      # also time the old quadratic function
//
// PostgreSQL: a uniquely named database on BENCH_DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/postgres), dropped afterwards. PGlite: in memory.
import { parseArgs } from 'node:util'
import { eq, sql } from 'drizzle-orm'
import postgres from 'postgres'
import { type Database, type DatabaseOptions, openDatabase } from '../src/db/client'
import { migrate } from '../src/db/migrate'
import { images } from '../src/db/schema'
import { ImageRepository } from '../src/images/repository'

const LENGTHS = [2500, 5000, 10_000, 20_000]
const ROWS_PER_LENGTH = 5

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'both' },
    'compare-old': { type: 'boolean', default: false },
  },
})

// The function before issue 10 (drizzle/0001): an array append and a substr() per character.
const OLD_FUNCTION = `CREATE OR REPLACE FUNCTION bench_old_search_grams(VARIADIC fields text[]) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE field text; n int; grams text[] := '{}';
BEGIN
  FOREACH field IN ARRAY fields LOOP
    field := lower(coalesce(field, ''));
    n := length(field);
    FOR i IN 1..n LOOP
      grams := grams || substr(field, i, 1) || substr(field, i, 2) || substr(field, i, 3);
    END LOOP;
  END LOOP;
  RETURN array(SELECT DISTINCT g FROM unnest(grams) AS g WHERE g <> '');
END $$`

/** Varied text like a long description: CJK, kana, Latin letters, digits; deterministic. */
function textOf(length: number, seed: number) {
  // mulberry32: 32-bit integer arithmetic only, so the sequence never degenerates.
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
  const chars: string[] = []
  while (chars.length < length) {
    const r = next() % 10
    if (r < 4) chars.push(String.fromCodePoint(0x4e00 + (next() % 3000)))
    else if (r < 6) chars.push(String.fromCodePoint(0x3041 + (next() % 83)))
    else if (r < 9) chars.push(String.fromCharCode(0x61 + (next() % 26)))
    else chars.push(next() % 2 ? ' ' : String(next() % 10))
  }
  return chars.join('')
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0

type Row = { chars: number; insertMs: number; functionMs: number; grams: number; oldMs?: number }

async function measure(database: Database, compareOld: boolean): Promise<Row[]> {
  const { db } = database
  await migrate(db)
  const repo = new ImageRepository(db)
  const insert = (description: string, n: number) => {
    const md5 = Bun.hash(`${n}-${description.length}-${Math.random()}`)
      .toString(16)
      .padStart(32, '0')
      .slice(-32)
    return repo.insertIfAbsent({
      id: Bun.randomUUIDv7(),
      md5Hash: md5,
      s3Key: `images/${md5}.jpg`,
      originalFilename: 'bench.jpg',
      mimetype: 'image/jpeg',
      filesize: 1,
      width: 1,
      height: 1,
      title: `bench ${n}`,
      description,
      tags: [],
      metadata: {},
    })
  }
  // Warm-up: plans, caches, the first GIN pages.
  for (let i = 0; i < 3; i++) await insert(textOf(1000, 1000 + i), i)

  const rows: Row[] = []
  let n = 10
  for (const chars of LENGTHS) {
    const times: number[] = []
    let grams = 0
    for (let i = 0; i < ROWS_PER_LENGTH; i++) {
      const text = textOf(chars, chars + i)
      const started = performance.now()
      const row = await insert(text, n++)
      times.push(performance.now() - started)
      if (row && i === 0) {
        const [counted] = await db
          .select({ grams: sql<number>`cardinality(${images.searchGrams})` })
          .from(images)
          .where(eq(images.id, row.id))
        grams = Number(counted?.grams ?? 0)
      }
    }
    // The n-gram function alone (no insert, no index), the part that used to be quadratic.
    const functionTimes: number[] = []
    for (let i = 0; i < 5; i++) {
      const text = textOf(chars, 99 + i)
      const started = performance.now()
      await db.execute(sql`select cardinality(image_search_grams(${text}::text))`)
      functionTimes.push(performance.now() - started)
    }
    const result: Row = { chars, insertMs: median(times), functionMs: median(functionTimes), grams }
    if (compareOld) {
      await db.execute(sql.raw(OLD_FUNCTION))
      const started = performance.now()
      await db.execute(sql`select cardinality(bench_old_search_grams(${textOf(chars, 7)}::text))`)
      result.oldMs = performance.now() - started
    }
    rows.push(result)
  }
  return rows
}

async function withPostgres<T>(fn: (options: DatabaseOptions) => Promise<T>): Promise<T> {
  const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  const name = `imgapi_bench_search_${Date.now().toString(36)}`
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database "${name}"`)
  try {
    const url = new URL(adminUrl)
    url.pathname = `/${name}`
    return await fn({ kind: 'postgres', url: url.toString(), poolMax: 2 })
  } finally {
    await admin.unsafe(`drop database if exists "${name}" with (force)`)
    await admin.end()
  }
}

function table(backend: string, rows: Row[], compareOld: boolean) {
  const header = [
    'chars',
    'insert ms (median of 5)',
    'insert ms per 1k chars',
    'n-gram function ms (median of 5)',
    'function ms per 1k chars',
    'n-grams',
  ]
  if (compareOld) header.push('old function ms')
  const lines = rows.map((r) => {
    const cells = [
      String(r.chars),
      r.insertMs.toFixed(1),
      ((r.insertMs / r.chars) * 1000).toFixed(2),
      r.functionMs.toFixed(1),
      ((r.functionMs / r.chars) * 1000).toFixed(2),
      String(r.grams),
    ]
    if (compareOld) cells.push(r.oldMs?.toFixed(0) ?? '')
    return `| ${cells.join(' | ')} |`
  })
  return [
    `${backend}:`,
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...lines,
  ].join('\n')
}

const compareOld = args['compare-old'] ?? false
const backends = args.backend === 'both' ? ['pglite', 'postgres'] : [args.backend ?? 'pglite']
for (const backend of backends) {
  const run = async (options: DatabaseOptions) => {
    const database = await openDatabase(options)
    try {
      return await measure(database, compareOld)
    } finally {
      await database.close()
    }
  }
  let rows: Row[]
  if (backend === 'postgres') rows = await withPostgres(run)
  else if (backend === 'pglite') rows = await run({ kind: 'pglite', dir: 'memory://' })
  else throw new Error(`--backend: pglite, postgres or both, not ${backend}`)
  console.log(JSON.stringify({ backend, rows }))
  console.log(table(backend, rows, compareOld))
}
