/**
 * EXPLAIN of each EXIF list filter at 100k rows (`bun bench/exif-explain.ts`): creates a scratch
 * database on the PostgreSQL at DATABASE_URL (default: local, trust auth), fills it with rows
 * whose EXIF columns look like a photo library (60% dated, 30% located), and prints the plans.
 */
import postgres from 'postgres'
import { openDatabase } from '../src/db/client'
import { migrate } from '../src/db/migrate'
import { ImageRepository } from '../src/images/repository'

const ROWS = Number(process.env.ROWS ?? 100_000)
const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const name = `exif_explain_${Date.now().toString(36)}`
const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
await admin.unsafe(`create database "${name}"`)
const url = new URL(adminUrl)
url.pathname = `/${name}`
const database = await openDatabase({ kind: 'postgres', url: url.toString(), poolMax: 2 })
const client = postgres(url.toString(), { max: 1, onnotice: () => {} })
try {
  await migrate(database.db)
  await client.unsafe(`
    insert into images (id, md5_hash, s3_key, original_filename, mimetype, filesize, width, height,
      title, description, uploaded_at, taken_at, camera_make, camera_model, gps_latitude, gps_longitude)
    select gen_random_uuid(), md5(i::text), 'images/' || md5(i::text) || '.jpg', 'p.jpg', 'image/jpeg',
      1000, 10, 10, 'photo ' || i, '', now() - i * interval '1 minute',
      case when i % 10 < 6 then timestamptz '2015-01-01' + (i % 3650) * interval '1 day' end,
      (array['Canon','NIKON CORPORATION','Sony','Apple','FUJIFILM'])[1 + i % 5],
      'Model ' || (i % 200),
      case when i % 10 < 3 then -60 + (i::bigint * 7919 % 12000) / 100.0 end,
      case when i % 10 < 3 then -180 + (i::bigint * 104729 % 36000) / 100.0 end
    from generate_series(1, ${ROWS}) i`)
  await client.unsafe('analyze images')
  const repo = new ImageRepository(database.db)
  const page = { sort: 'newest' as const, limit: 51 }
  const cases = {
    'taken_after=2024-06-01': { takenFrom: new Date('2024-06-01') },
    'taken_after=2020-01-01&taken_before=2020-01-08': {
      takenFrom: new Date('2020-01-01'),
      takenBefore: new Date('2020-01-08'),
    },
    'camera=model 7': { camera: 'model 7' },
    'has_gps=true': { hasGps: true },
    'bbox=2.2,48.8,2.4,48.9': { bbox: { minLon: 2.2, minLat: 48.8, maxLon: 2.4, maxLat: 48.9 } },
    'bbox=170,-20,-170,-10': { bbox: { minLon: 170, minLat: -20, maxLon: -170, maxLat: -10 } },
  }
  for (const [label, filter] of Object.entries(cases)) {
    const query = (
      repo.list(filter, page) as unknown as { toSQL(): { sql: string; params: unknown[] } }
    ).toSQL()
    const plan = await client.unsafe(
      `explain (analyze, costs off, timing off, summary on) ${query.sql}`,
      query.params as never[],
    )
    console.log(`\n## ${label} (${ROWS} rows)\n${plan.map((r) => r['QUERY PLAN']).join('\n')}`)
  }
} finally {
  await client.end()
  await database.close()
  await admin.unsafe(`drop database if exists "${name}" with (force)`)
  await admin.end()
}
