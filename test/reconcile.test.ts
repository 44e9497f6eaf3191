import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { createApp } from '../src/app'
import { type Env, loadConfig } from '../src/config'
import { images } from '../src/db/schema'
import { buildDependencies } from '../src/dependencies'
import { objectKeyFor } from '../src/images/object-key'
import { ImageRepository } from '../src/images/repository'
import { createLogger } from '../src/logger'
import { parseArgs } from '../src/reconcile/args'
import { type ReconcileOptions, reconcile } from '../src/reconcile/reconcile'
import { json, startTestApp, type TestApp, upload, WRITE_KEY } from './support/app'
import { createTestDatabase } from './support/database'
import { makePng, md5Hex } from './support/images'
import { s3Env, startS3 } from './support/s3'

const CLI = join(import.meta.dir, '..', 'src', 'reconcile', 'cli.ts')

let seed = 1000
const freshPng = () => makePng(8, 8, { seed: seed++ })

async function putOrphan(t: TestApp) {
  const bytes = freshPng()
  const key = objectKeyFor(md5Hex(bytes), 'png')
  await t.deps.storage.put(key, bytes, 'image/png')
  return key
}

/** A committed row whose object was never written: what the invariant forbids, made by hand. */
async function insertRowWithoutObject(t: TestApp) {
  const md5 = md5Hex(freshPng())
  const repo = new ImageRepository(t.deps.database.db)
  const row = await repo.insertIfAbsent({
    id: Bun.randomUUIDv7(),
    md5Hash: md5,
    s3Key: objectKeyFor(md5, 'png'),
    originalFilename: 'ghost.png',
    mimetype: 'image/png',
    filesize: 10,
    width: 8,
    height: 8,
    title: '',
    description: '',
    tags: [],
    metadata: {},
  })
  if (!row) throw new Error('row not inserted')
  return row
}

/**
 * Overwrites an object and waits until it reads back. s3rver (the test S3) overwrites in place and
 * non-atomically: a read right after can see the old or an empty object, and about one overwrite
 * in ten is lost (measured), so the put is repeated until it sticks. Real S3 is read-after-write.
 */
async function overwrite(t: TestApp, key: string, bytes: Uint8Array) {
  for (let attempt = 0; attempt < 20; attempt++) {
    await t.deps.storage.put(key, bytes, 'image/png')
    const back = await t.deps.storage.read(key)
    if (back && md5Hex(await new Response(back).bytes()) === md5Hex(bytes)) {
      const listed = await t.deps.storage.stat(key)
      if (listed?.size === bytes.byteLength) return
    }
    await Bun.sleep(50)
  }
  throw new Error(`could not overwrite ${key}`)
}

describe('reconcile arguments', () => {
  test('flags, defaults and unknown arguments', () => {
    expect(parseArgs([])).toMatchObject({ apply: false, verify: false, json: false, grace: 3600 })
    expect(parseArgs(['--apply', '--grace', '30m', '--verify', '--json'])).toMatchObject({
      apply: true,
      verify: true,
      json: true,
      grace: 1800,
    })
    expect(() => parseArgs(['--grace=soon'])).toThrow('--grace')
    expect(() => parseArgs(['--force'])).toThrow('unknown argument')
  })
})

describe.each(['local', 's3'] as const)('reconcile (%s storage)', (storage) => {
  let t: TestApp
  const run = (options: Partial<ReconcileOptions> = {}) =>
    reconcile({
      db: t.deps.database.db,
      storage: t.deps.storage,
      grace: 3600,
      apply: false,
      verify: false,
      ...options,
    })

  beforeAll(async () => {
    t = await startTestApp({ storage })
  })
  afterAll(() => t.stop())

  test('a clean store: every object has its row and every row its object', async () => {
    for (let i = 0; i < 3; i++) expect((await upload(t.url, freshPng())).status).toBe(201)
    const report = await run({ verify: true })
    expect(report).toMatchObject({ ok: true, objects: 3, rows: 3 })
    expect(report.orphans.count + report.missing.count + report.mismatches.count).toBe(0)
  })

  test('orphans within the grace period are listed but left, older ones count as problems', async () => {
    const key = await putOrphan(t)
    try {
      const young = await run()
      expect(young.ok).toBe(true)
      expect(young.orphans.items).toMatchObject([{ key, action: 'recent' }])

      const later = () => new Date(Date.now() + 2 * 3600_000)
      const old = await run({ now: later })
      expect(old.ok).toBe(false)
      expect(old.orphans.items).toMatchObject([{ key, action: 'stale' }])
      expect(old.orphans.items[0]?.age_seconds).toBeGreaterThanOrEqual(7200 - 60)
      // A dry run deletes nothing.
      expect(await t.deps.storage.stat(key)).not.toBeNull()
    } finally {
      await t.deps.storage.delete(key)
    }
  })

  test('a row whose object is missing is reported and never deleted, even with --apply', async () => {
    const row = await insertRowWithoutObject(t)
    try {
      const report = await run({ apply: true, grace: 0 })
      expect(report.ok).toBe(false)
      expect(report.missing.items).toEqual([{ id: row.id, key: row.s3Key, md5: row.md5Hash }])
      const [still] = await t.deps.database.db.select().from(images).where(eq(images.id, row.id))
      expect(still?.id).toBe(row.id)
    } finally {
      await t.deps.database.db.delete(images).where(eq(images.id, row.id))
    }
  })

  test('--verify finds an object whose bytes changed; sizes are compared even without it', async () => {
    const res = await upload(t.url, freshPng())
    const { data } = await json(res)
    const original = await new Response(await t.deps.storage.read(data.s3_key)).bytes()
    try {
      // Same length, different bytes: only re-hashing can tell.
      const flipped = original.slice()
      flipped[flipped.length - 5] = (flipped[flipped.length - 5] ?? 0) ^ 0xff
      await overwrite(t, data.s3_key, flipped)
      expect((await run()).ok).toBe(true)
      const verified = await run({ verify: true })
      expect(verified.ok).toBe(false)
      expect(verified.mismatches.items).toEqual([
        {
          id: data.id,
          key: data.s3_key,
          kind: 'md5',
          expected: data.md5_hash,
          actual: md5Hex(flipped),
        },
      ])

      await overwrite(t, data.s3_key, original.slice(0, 20))
      const sized = await run()
      expect(sized.mismatches.items).toMatchObject([
        { key: data.s3_key, kind: 'size', expected: original.byteLength, actual: 20 },
      ])
    } finally {
      await overwrite(t, data.s3_key, original)
    }
    expect((await run({ verify: true })).ok).toBe(true)
  })

  test('--apply deletes only the orphans older than the grace period', async () => {
    const oldKey = await putOrphan(t)
    // S3 timestamps have one-second resolution: the two orphans must be visibly apart.
    await Bun.sleep(1100)
    const youngKey = await putOrphan(t)
    const oldInfo = await t.deps.storage.stat(oldKey)
    const youngInfo = await t.deps.storage.stat(youngKey)
    if (!oldInfo || !youngInfo) throw new Error('orphans not written')
    const grace = Math.floor(
      (youngInfo.lastModified.getTime() - oldInfo.lastModified.getTime()) / 1000,
    )
    expect(grace).toBeGreaterThanOrEqual(1)

    const report = await run({ apply: true, grace, now: () => youngInfo.lastModified })
    expect(report.orphans).toMatchObject({ count: 2, removed: 1, recent: 1, remaining: 0 })
    expect(report.ok).toBe(true)
    expect(await t.deps.storage.stat(oldKey)).toBeNull()
    expect(await t.deps.storage.stat(youngKey)).not.toBeNull()
    await t.deps.storage.delete(youngKey)
  })

  test('--apply with no grace racing uploads of the same bytes never leaves a row without object', async () => {
    const batch = Array.from({ length: 8 }, () => freshPng())
    const uploads = Promise.all(batch.map((bytes) => upload(t.url, bytes)))
    const sweeps = Promise.all([run({ apply: true, grace: 0 }), run({ apply: true, grace: 0 })])
    const [responses] = await Promise.all([uploads, sweeps])
    for (const r of responses) expect(r.status).toBe(201)
    const after = await run({ verify: true })
    expect(after.missing.count).toBe(0)
    expect(after.mismatches.count).toBe(0)
  })
})

describe.each(['local', 's3'] as const)('bun run reconcile as a process (%s storage)', (kind) => {
  const cleanups: (() => Promise<void>)[] = []
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c()
  })

  test('--json report and exit codes: 0 when consistent, 1 with an old orphan, 0 after --apply', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'imgapi-reconcile-'))
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }))
    const database = await createTestDatabase()
    cleanups.push(database.drop)
    const s3 = kind === 's3' ? await startS3() : undefined
    if (s3) cleanups.push(s3.stop)
    const env: Env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      API_KEYS: `tester:${WRITE_KEY}`,
      ...(database.options.kind === 'postgres' ? { DATABASE_URL: database.options.url } : {}),
      ...(s3 ? s3Env(s3) : {}),
    }
    // PGlite on disk under DATA_DIR: closed again before the CLI opens the same directory.
    const deps = await buildDependencies(loadConfig(env), createLogger('silent'))
    const app = createApp(deps)
    const form = new FormData()
    form.append('image_file', new File([freshPng()], 'a.png'))
    form.append('metadata', JSON.stringify({ title: 't', description: 'd' }))
    const res = await app.request('/api/upload', {
      method: 'POST',
      body: form,
      headers: { 'X-API-Key': WRITE_KEY },
    })
    expect(res.status).toBe(201)
    const orphan = freshPng()
    const orphanKey = objectKeyFor(md5Hex(orphan), 'png')
    await deps.storage.put(orphanKey, orphan, 'image/png')
    await deps.database.close()

    const cli = async (...args: string[]) => {
      const proc = Bun.spawn(['bun', CLI, ...args], { env, stdout: 'pipe', stderr: 'pipe' })
      const [stdout, stderr, code] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ])
      return { stdout, stderr, code }
    }

    const young = await cli('--json')
    expect(young.code).toBe(0)
    expect(JSON.parse(young.stdout)).toMatchObject({
      ok: true,
      objects: 2,
      rows: 1,
      orphans: { count: 1, recent: 1, items: [{ key: orphanKey, action: 'recent' }] },
    })

    const stale = await cli('--json', '--grace=0', '--verify')
    expect(stale.code).toBe(1)
    expect(JSON.parse(stale.stdout)).toMatchObject({
      ok: false,
      orphans: { remaining: 1, items: [{ key: orphanKey, action: 'stale' }] },
    })

    const applied = await cli('--json', '--grace', '0', '--apply')
    expect(applied.code).toBe(0)
    expect(JSON.parse(applied.stdout)).toMatchObject({ ok: true, orphans: { removed: 1 } })

    const summary = await cli()
    expect(summary.code).toBe(0)
    expect(summary.stdout).toContain('consistent')
    expect(summary.stderr).toContain('reconcile: 1 objects, 1 rows')

    expect((await cli('--grace=soon')).code).toBe(2)
  }, 90_000)
})
