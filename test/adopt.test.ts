import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { backfill, countPending } from '../src/backfill/backfill'
import { openDatabase } from '../src/db/client'
import { migrate } from '../src/db/migrate'
import { reconcile } from '../src/reconcile/reconcile'
import { openStorage } from '../src/storage/open'
import type { Storage } from '../src/storage/storage'
import { childEnv } from './support/api-process'
import { json, startTestApp, type TestApp, upload, WRITE_KEY } from './support/app'
import { createTestDatabase, type TestDatabase } from './support/database'
import { makeGif, makeJpeg, makePng, md5Hex } from './support/images'
import { type LegacyImage, querySql, runSql, seedLegacy } from './support/legacy'
import { startS3, type TestS3 } from './support/s3'

const ENTRY = join(import.meta.dir, '..', 'src', 'index.ts')
const BACKFILL = join(import.meta.dir, '..', 'src', 'backfill', 'cli.ts')

const legacyImage = (
  bytes: Uint8Array,
  filename: string,
  secureName: string,
  fields: Partial<LegacyImage>,
): LegacyImage => {
  const md5 = md5Hex(bytes)
  return {
    bytes,
    md5,
    key: `images/${md5}_${secureName}`,
    filename,
    declaredType: 'image/jpeg',
    title: 'Old title',
    description: 'Old description',
    analysis: null,
    uploadedAt: '2024-05-01T10:00:00.123Z',
    ...fields,
  }
}

// What the old service left: a client-declared type that is wrong for the GIF, a row analysed by
// Gemini, one with a NULL description (possible in its schema, not through its API).
const LEGACY: LegacyImage[] = [
  legacyImage(makePng(12, 7, { seed: 7001 }), 'My Photo (1).png', 'My_Photo_1.png', {
    declaredType: 'image/png',
    title: 'Beach',
    description: 'Sand and sea',
    analysis: '青い海と白い砂浜の写真',
    uploadedAt: '2024-05-01T10:00:00.123Z',
  }),
  legacyImage(makeJpeg(20, 10), 'cat.jpg', 'cat.jpg', {
    title: 'Cat',
    description: null,
    uploadedAt: '2024-06-02T11:30:00.456Z',
  }),
  legacyImage(makeGif(5, 9), 'anim.gif', 'anim.gif', {
    declaredType: 'application/octet-stream',
    title: 'Animation',
    uploadedAt: '2024-07-03T12:45:00.789Z',
  }),
]

async function storageFor(kind: 'local' | 's3', dataDir: string, s3?: TestS3): Promise<Storage> {
  if (kind === 'local') return openStorage({ kind: 'local', dir: join(dataDir, 'objects') })
  if (!s3) throw new Error('no s3rver')
  return openStorage({
    kind: 's3',
    endpoint: s3.endpoint,
    bucket: s3.bucket,
    region: s3.region,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
  })
}

function legacyEnv(database: TestDatabase, s3?: TestS3): Record<string, string> {
  const env: Record<string, string> = {}
  if (database.options.kind === 'postgres') {
    const url = new URL(database.options.url)
    Object.assign(env, {
      DATABASE_URL: '',
      DB_HOST: url.hostname,
      DB_PORT: url.port || '5432',
      POSTGRES_DB: url.pathname.slice(1),
      POSTGRES_USER: decodeURIComponent(url.username),
      POSTGRES_PASSWORD: decodeURIComponent(url.password),
    })
  }
  if (s3) {
    Object.assign(env, {
      MINIO_ENDPOINT_URL: s3.endpoint,
      MINIO_BUCKET_NAME: s3.bucket,
      MINIO_ACCESS_KEY: s3.accessKeyId,
      MINIO_SECRET_KEY: s3.secretAccessKey,
    })
  }
  return env
}

async function listKeys(storage: Storage) {
  const keys: string[] = []
  for await (const o of storage.list('images/')) keys.push(o.key)
  return keys
}

describe.each(['local', 's3'] as const)('adopting the old service (%s storage)', (kind) => {
  let database: TestDatabase
  let dataDir: string
  let s3: TestS3 | undefined
  let storage: Storage
  let app: TestApp | undefined
  afterAll(async () => {
    await app?.stop()
    await database?.drop()
    await s3?.stop()
    await rm(dataDir, { recursive: true, force: true })
  })

  // The old service's own variable names, as its unchanged .env has them.
  const start = () => startTestApp({ database, dataDir, env: legacyEnv(database, s3) })

  test('upgrades in place at start: every old row kept, listable, searchable, downloadable', async () => {
    database = await createTestDatabase({ onDisk: true })
    dataDir = await mkdtemp(join(tmpdir(), 'imgapi-adopt-'))
    s3 = kind === 's3' ? await startS3() : undefined
    storage = await storageFor(kind, dataDir, s3)
    await seedLegacy(database, storage, LEGACY)
    const before = await querySql(database, 'select id::text, s3_key from images order by s3_key')
    expect(before).toHaveLength(3)
    expect((await listKeys(storage)).sort()).toEqual(LEGACY.map((l) => l.key).sort())

    app = await start()
    expect([app.deps.storage.kind, app.deps.database.kind]).toEqual([kind, database.options.kind])
    const messages = app.logs.map((l) => l.msg)
    expect(messages).toContain('adopting the old service database')
    const adopted = app.logs.find(
      (l) => l.msg === 'old service table brought to the initial schema',
    )
    expect(adopted?.rows).toBe(3)
    expect(adopted?.dropped_indexes).toEqual(
      expect.arrayContaining(['idx_images_md5_hash', 'idx_images_uploaded_at', 'idx_images_title']),
    )

    const list = await json(
      await fetch(`${app.url}/api/images?sort=oldest`, { headers: { 'X-API-Key': WRITE_KEY } }),
    )
    expect(list.data).toHaveLength(3)
    for (const [i, old] of LEGACY.entries()) {
      const row = list.data[i]
      expect(row.id).toBe(before.find((b) => b.s3_key === old.key)?.id)
      expect(row.s3_key).toBe(old.key)
      expect(row.md5_hash).toBe(old.md5)
      expect(row.original_filename).toBe(old.filename)
      expect(row.filesize).toBe(old.bytes.byteLength)
      expect(row.uploaded_at).toBe(old.uploadedAt)
      expect(row.updated_at).toBe(old.uploadedAt)
      expect(row.title).toBe(old.title)
      expect(row.description).toBe(old.description ?? '')
      expect(row.gemini_analysis).toBe(old.analysis)
      expect(row.analysis_status).toBe(old.analysis ? 'done' : 'none')
      // Never stored by the old service, never invented: null until `bun run backfill`.
      expect([row.mimetype, row.width, row.height]).toEqual([null, null, null])
      const bytes = await (await fetch(row.download_url)).bytes()
      expect(md5Hex(bytes)).toBe(old.md5)
    }

    const found = await json(
      await fetch(`${app.url}/api/images?q=${encodeURIComponent('青い')}`, {
        headers: { 'X-API-Key': WRITE_KEY },
      }),
    )
    expect(found.data.map((r: { s3_key: string }) => r.s3_key)).toEqual([LEGACY[0]?.key])
  })

  test('the same bytes again answer 409 with the old record; new uploads use the new keys', async () => {
    if (!app) throw new Error('not started')
    const [old] = LEGACY
    if (!old) throw new Error('no fixture')
    const again = await upload(app.url, old.bytes, { filename: 'renamed.png' })
    expect(again.status).toBe(409)
    const body = await json(again)
    expect(body.error).toBe('Image already exists')
    expect(body.existing_image.s3_key).toBe(old.key)
    expect(body.existing_image.title).toBe(old.title)

    const fresh = makePng(6, 6, { seed: 7100 })
    const created = await upload(app.url, fresh, { filename: 'new.png' })
    expect(created.status).toBe(201)
    expect((await json(created)).data.s3_key).toBe(`images/${md5Hex(fresh)}.png`)

    const report = await reconcile({
      db: app.deps.database.db,
      storage: app.deps.storage,
      grace: 0,
      apply: false,
      verify: true,
    })
    expect({
      ok: report.ok,
      objects: report.objects,
      rows: report.rows,
      orphans: report.orphans.count,
      missing: report.missing.count,
      mismatches: report.mismatches.count,
    }).toEqual({ ok: true, objects: 4, rows: 4, orphans: 0, missing: 0, mismatches: 0 })
  })

  test('reconcile --apply removes an orphan under an old-style key', async () => {
    if (!app) throw new Error('not started')
    const bytes = makePng(3, 3, { seed: 7200 })
    const key = `images/${md5Hex(bytes)}_left_behind.png`
    await storage.put(key, bytes, 'image/png')
    const report = await reconcile({
      db: app.deps.database.db,
      storage: app.deps.storage,
      grace: 0,
      apply: true,
      verify: false,
    })
    expect(report.orphans.items).toEqual([expect.objectContaining({ key, action: 'deleted' })])
    expect(await storage.stat(key)).toBeNull()
  })

  test('backfill: dry run writes nothing; an interrupted run resumes where it stopped', async () => {
    if (!app) throw new Error('not started')
    const db = app.deps.database.db
    expect(await countPending(db)).toBe(3)
    const dry = await backfill({ db, storage: app.deps.storage, concurrency: 4, dryRun: true })
    expect([dry.total, dry.filled, dry.failed]).toEqual([3, 3, 0])
    expect(await countPending(db)).toBe(3)

    const stop = new AbortController()
    const first = await backfill({
      db,
      storage: app.deps.storage,
      concurrency: 1,
      dryRun: false,
      signal: stop.signal,
      onProgress: () => stop.abort(),
    })
    expect([first.done, first.filled, first.interrupted]).toEqual([1, 1, true])
    expect(await countPending(db)).toBe(2)

    const rest = await backfill({ db, storage: app.deps.storage, concurrency: 4, dryRun: false })
    expect([rest.total, rest.filled, rest.failed, rest.interrupted]).toEqual([2, 2, 0, false])
    expect(await countPending(db)).toBe(0)

    const list = await json(
      await fetch(`${app.url}/api/images?sort=oldest&limit=3`, {
        headers: { 'X-API-Key': WRITE_KEY },
      }),
    )
    expect(
      list.data.map((r: Record<string, unknown>) => [r.mimetype, r.width, r.height, r.updated_at]),
    ).toEqual([
      ['image/png', 12, 7, LEGACY[0]?.uploadedAt],
      ['image/jpeg', 20, 10, LEGACY[1]?.uploadedAt],
      ['image/gif', 5, 9, LEGACY[2]?.uploadedAt],
    ])
  })

  test('an old row deletes with its object; a restart adopts nothing twice', async () => {
    if (!app) throw new Error('not started')
    const old = LEGACY[1]
    if (!old) throw new Error('no fixture')
    const row = (await app.deps.database.db.query.images.findFirst({
      where: (t, { eq }) => eq(t.s3Key, old.key),
    })) as { id: string }
    const res = await fetch(`${app.url}/api/images/${row.id}`, {
      method: 'DELETE',
      headers: { 'X-API-Key': WRITE_KEY },
    })
    expect(res.status).toBe(204)
    expect(await storage.stat(old.key)).toBeNull()

    await app.stop()
    app = await start()
    expect(app.logs.map((l) => l.msg)).not.toContain('adopting the old service database')
    const list = await json(
      await fetch(`${app.url}/api/images`, { headers: { 'X-API-Key': WRITE_KEY } }),
    )
    expect(list.data).toHaveLength(3)
  })
})

describe('adoption under concurrency and failure', () => {
  const cleanup: (() => Promise<unknown>)[] = []
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c()
  })

  test('two processes migrating the old database at once: one adopts, both succeed', async () => {
    const target = await createTestDatabase({ onDisk: true })
    cleanup.push(() => target.drop())
    const dir = await mkdtemp(join(tmpdir(), 'imgapi-adopt-'))
    cleanup.push(() => rm(dir, { recursive: true, force: true }))
    await seedLegacy(target, await openStorage({ kind: 'local', dir }), LEGACY)
    const a = await openDatabase(target.options)
    cleanup.push(() => a.close())
    // PGlite is one process by nature; against PostgreSQL use two independent pools.
    const b = target.options.kind === 'postgres' ? await openDatabase(target.options) : a
    if (b !== a) cleanup.push(() => b.close())
    const applied = await Promise.all([migrate(a.db), migrate(b.db)])
    expect(Math.min(...applied)).toBe(0)
    expect(Math.max(...applied)).toBeGreaterThan(0)
    expect(await countPending(a.db)).toBe(3)
  })

  test('bun run backfill: adopts, shows progress, fills every row; --dry-run first writes nothing', async () => {
    const target = await createTestDatabase({ onDisk: true })
    cleanup.push(() => target.drop())
    const dataDir = await mkdtemp(join(tmpdir(), 'imgapi-adopt-'))
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }))
    const options =
      target.options.kind === 'pglite'
        ? { ...target, options: { kind: 'pglite' as const, dir: join(dataDir, 'pglite') } }
        : target
    await seedLegacy(
      options,
      await openStorage({ kind: 'local', dir: join(dataDir, 'objects') }),
      LEGACY,
    )
    const env: Record<string, string> = { DATA_DIR: dataDir, LOG_LEVEL: 'warn' }
    if (target.options.kind === 'postgres') env.DATABASE_URL = target.options.url
    const run = async (...args: string[]) => {
      const proc = Bun.spawn(['bun', BACKFILL, ...args], {
        env: childEnv(env),
        stdout: 'pipe',
        stderr: 'pipe',
      })
      const [stdout, stderr, code] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ])
      return { stdout, stderr, code }
    }
    const dry = await run('--dry-run', '--concurrency=2')
    expect(dry.code).toBe(0)
    expect(dry.stdout).toContain('would fill 3 of 3 rows, 0 failed')
    const full = await run()
    expect(full.code).toBe(0)
    expect(full.stderr).toContain(`[${'#'.repeat(30)}] 3/3 rows, 0 failed`)
    expect(full.stdout).toContain('filled 3 of 3 rows, 0 failed')
    const again = await run('--json')
    expect(JSON.parse(again.stdout)).toMatchObject({ total: 0, filled: 0, failed: 0 })
    const usage = await run('--concurrency=0')
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain('--concurrency: a whole number from 1 to 64')
  })

  test.each([
    [
      'an images table of another shape',
      'CREATE TABLE images (id serial primary key, name text)',
      'neither the old service',
    ],
    [
      'old rows that collide once MD5s are lower-cased',
      `${'INSERT INTO images (s3_key, md5_hash, original_filename, mimetype, filesize, title) VALUES'}
        ('images/a', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'a', 'image/png', 1, 'a'),
        ('images/b', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'b', 'image/png', 1, 'b')`,
      'could not create unique index',
    ],
  ])('%s: one log line with the real cause, exit 1, nothing changed', async (_, setup, cause) => {
    const target = await createTestDatabase({ onDisk: true })
    cleanup.push(() => target.drop())
    const dataDir = await mkdtemp(join(tmpdir(), 'imgapi-adopt-'))
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }))
    const options =
      target.options.kind === 'pglite'
        ? { ...target, options: { kind: 'pglite' as const, dir: join(dataDir, 'pglite') } }
        : target
    if (!setup.startsWith('CREATE'))
      await seedLegacy(
        options,
        await openStorage({ kind: 'local', dir: join(dataDir, 'objects') }),
        [],
      )
    await runSql(options, setup)

    const env: Record<string, string> = { DATA_DIR: dataDir, API_KEY: WRITE_KEY, PORT: '0' }
    if (target.options.kind === 'postgres') env.DATABASE_URL = target.options.url
    const proc = Bun.spawn(['bun', ENTRY], { env: childEnv(env), stdout: 'pipe', stderr: 'pipe' })
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ])
    expect(code).toBe(1)
    expect(stderr).toBe('')
    const errors = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .filter((l) => l.level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0].msg).toBe('start-up failed')
    expect(errors[0].error).toContain(cause)
    expect(errors[0].error).not.toContain('Failed query')
    // Rolled back: the old table is as it was.
    const columns = await querySql(
      options,
      "select column_name from information_schema.columns where table_name = 'images'",
      [],
    )
    expect(columns.map((c) => c.column_name)).not.toContain('analysis_status')
  })
})
