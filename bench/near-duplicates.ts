// Near-duplicate lookup at scale: `bun run bench:near-duplicates [rows]` (default 1,000,000).
// Bulk-inserts random 64-bit hashes plus planted neighbours into a fresh PostgreSQL database
// (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres), then times the
// lookup through the API (GET /api/images/:id/similar, search-by-image), the band lookup
// against a sequential scan per distance, and prints the EXPLAIN plan. Drops the database after.
import postgres from 'postgres'
import sharp from 'sharp'
import { openDatabase } from '../src/db/client'
import { bandCandidates } from '../src/similarity/bands'
import { perceptualHash } from '../src/similarity/dhash'
import { SimilarityRepository } from '../src/similarity/repository'
import { startApi } from './api-process'

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const ROWS = Number(Bun.argv[2] ?? 1_000_000)
const QUERIES = 20
const REPEAT = 3
const log = (msg: string) => process.stderr.write(`[near-dup bench] ${msg}\n`)
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
const p = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? 0

const name = `imgapi_neardup_bench_${Date.now().toString(36)}`
const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} })
await admin.unsafe(`create database "${name}"`)
const url = new URL(ADMIN_URL)
url.pathname = `/${name}`
const apiKey = `bench-${crypto.randomUUID()}`
const dataDir = `/tmp/${name}`
const api = await startApi({ DATABASE_URL: url.toString(), API_KEY: apiKey, DATA_DIR: dataDir })
const db = postgres(url.toString(), { max: 1, onnotice: () => {} })

// Random 64-bit value as a signed bigint, from two 32-bit halves.
const randomHash = () => BigInt.asIntN(64, (BigInt(rand32()) << 32n) | BigInt(rand32()))
const rand32 = () => Math.floor(Math.random() * 2 ** 32)
const flipBits = (hash: bigint, n: number) => {
  let h = BigInt.asUintN(64, hash)
  const bits = new Set<number>()
  while (bits.size < n) bits.add(Math.floor(Math.random() * 64))
  for (const bit of bits) h ^= 1n << BigInt(bit)
  return BigInt.asIntN(64, h)
}

try {
  const started = performance.now()
  log(`inserting ${ROWS} random hashes…`)
  const BATCH = 100_000
  for (let from = 0; from < ROWS; from += BATCH) {
    const to = Math.min(ROWS, from + BATCH) - 1
    await db.unsafe(`
      insert into images (id, md5_hash, s3_key, original_filename, mimetype, filesize, width,
        height, title, description, perceptual_hash)
      select gen_random_uuid(), md5('r' || i), 'bench/' || i || '.jpg', 'r.jpg', 'image/jpeg',
        1000, 100, 100, 'r', '', ((floor(random() * 4294967296)::bigint << 32)
          | floor(random() * 4294967296)::bigint)
      from generate_series(${from}, ${to}) as i`)
  }
  // Planted: each query image and 9 neighbours at distances 1-9 (7 of them within the default).
  const queries: { id: string; hash: bigint }[] = []
  for (let q = 0; q < QUERIES; q++) {
    const hash = randomHash()
    const [row] = await db`
      insert into images (id, md5_hash, s3_key, original_filename, mimetype, filesize, width,
        height, title, description, perceptual_hash)
      values (gen_random_uuid(), md5(${`q${q}`}), ${`bench/q${q}.jpg`}, 'q.jpg', 'image/jpeg',
        1000, 100, 100, 'q', '', ${hash.toString()}::bigint)
      returning id`
    queries.push({ id: row?.id as string, hash })
    for (let d = 1; d <= 9; d++) {
      await db`
        insert into images (id, md5_hash, s3_key, original_filename, mimetype, filesize, width,
          height, title, description, perceptual_hash)
        values (gen_random_uuid(), md5(${`q${q}n${d}`}), ${`bench/q${q}n${d}.jpg`}, 'n.jpg',
          'image/jpeg', 1000, 100, 100, 'n', '', ${flipBits(hash, d).toString()}::bigint)`
    }
  }
  await db.unsafe('vacuum analyze images')
  log(`inserted and analysed in ${((performance.now() - started) / 1000).toFixed(0)} s`)

  const headers = { 'X-API-Key': apiKey }
  // Through the API: the similar list at the default distance, as an upload's lookup does it.
  for (const maxDistance of [7]) {
    const times: number[] = []
    let found = 0
    for (let r = 0; r < REPEAT; r++) {
      for (const q of queries) {
        const t0 = performance.now()
        const res = await fetch(
          `${api.url}/api/images/${q.id}/similar?max_distance=${maxDistance}&limit=10`,
          { headers },
        )
        const body = (await res.json()) as { data: unknown[] }
        times.push(performance.now() - t0)
        if (r === 0) found += body.data.length
      }
    }
    console.log(
      `GET /api/images/:id/similar max_distance=${maxDistance}, ${ROWS + QUERIES * 10} rows: median ${median(times).toFixed(2)} ms, p90 ${p(times, 0.9).toFixed(2)} ms (${times.length} requests, ${found / QUERIES} planted found per query of 7)`,
    )
  }

  // search-by-image: a real photo-like JPEG, hashed and looked up, nothing stored.
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1024" height="768"><rect width="100%" height="100%" fill="#345"/><circle cx="300" cy="300" r="200" fill="#e93"/><rect x="500" y="200" width="400" height="300" fill="#9c4"/></svg>`
  const jpeg = new Uint8Array(await sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer())
  const searchTimes: number[] = []
  for (let i = 0; i < QUERIES * REPEAT; i++) {
    const form = new FormData()
    form.append('image_file', new File([jpeg], 'q.jpg', { type: 'image/jpeg' }))
    const t0 = performance.now()
    const res = await fetch(`${api.url}/api/images/search-by-image`, {
      method: 'POST',
      body: form,
      headers,
    })
    await res.arrayBuffer()
    searchTimes.push(performance.now() - t0)
  }
  const hashTimes: number[] = []
  for (let i = 0; i < QUERIES; i++) {
    const t0 = performance.now()
    await perceptualHash(jpeg, 'image/jpeg', { limitInputPixels: 1e8 })
    hashTimes.push(performance.now() - t0)
  }
  console.log(
    `POST /api/images/search-by-image (${jpeg.byteLength} B 1024×768 JPEG): p50 ${median(searchTimes).toFixed(2)} ms, p90 ${p(searchTimes, 0.9).toFixed(2)} ms; hashing alone in-process p50 ${median(hashTimes).toFixed(2)} ms`,
  )

  // The SQL alone (the repository's own query), band lookup against a scan, per distance.
  const database = await openDatabase({ kind: 'postgres', url: url.toString(), poolMax: 1 })
  const repo = new SimilarityRepository(database.db)
  const lookup = (hash: bigint, maxDistance: number, scan: boolean) =>
    repo.findWithinQuery({ hash, maxDistance, limit: 11, scan })
  console.log('\nSQL only (median over the queries, ms): distance, keys per band, bands, scan')
  for (const d of [3, 7, 8, 11, 12, 15]) {
    const timesOf = async (scan: boolean, n: number) => {
      const ts: number[] = []
      for (const q of queries.slice(0, n)) {
        const t0 = performance.now()
        await lookup(q.hash, d, scan)
        ts.push(performance.now() - t0)
      }
      return median(ts)
    }
    const keys = bandCandidates(0n, d)[0]?.length
    const bands = await timesOf(false, QUERIES)
    const scan = await timesOf(true, 5)
    console.log(
      `  d=${String(d).padStart(2)}  ${String(keys).padStart(4)}  ${bands.toFixed(2).padStart(8)}  ${scan.toFixed(2).padStart(8)}`,
    )
  }

  const q0 = queries[0] as { hash: bigint }
  const query = lookup(q0.hash, 7, false).toSQL()
  const plan = await db.unsafe(
    `explain (analyze, buffers) ${query.sql}`,
    query.params as postgres.ParameterOrJSON<never>[],
  )
  console.log('\nEXPLAIN (ANALYZE, BUFFERS) of the lookup at distance 7:')
  for (const row of plan) console.log(`  ${row['QUERY PLAN']}`)
  await database.close()
} finally {
  await db.end()
  await api.stop()
  await admin.unsafe(`drop database if exists "${name}" with (force)`)
  await admin.end()
  await Bun.$`rm -rf ${dataDir}`.quiet()
}
