import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { openStorage } from '../src/storage/open'
import type { Storage } from '../src/storage/storage'
import { type ApiProcess, spawnApi } from './support/api-process'
import { json, upload, WRITE_KEY } from './support/app'
import { createTestDatabase, type TestDatabase, usingPostgres } from './support/database'
import { makeJpeg, md5Hex, withJpegComment } from './support/images'
import { s3Env, startS3, type TestS3 } from './support/s3'

// Two API processes on one PostgreSQL and one bucket, as replicas behind a load balancer run.
// PGlite belongs to the one process that opened it, so this needs PostgreSQL.
describe.skipIf(!usingPostgres())('two API replicas on one PostgreSQL and one s3rver', () => {
  let database: TestDatabase
  let s3: TestS3
  let storage: Storage
  const replicas: ApiProcess[] = []
  const dirs: string[] = []
  afterAll(async () => {
    for (const r of replicas) {
      r.proc.kill('SIGTERM')
      await r.proc.exited
    }
    await database?.drop()
    await s3?.stop()
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  })

  test('started at the same moment on an empty database: both migrate safely and start', async () => {
    database = await createTestDatabase()
    if (database.options.kind !== 'postgres') throw new Error('needs PostgreSQL')
    s3 = await startS3()
    storage = await openStorage({ kind: 's3', ...s3 })
    const env = async () => {
      const dir = await mkdtemp(join(tmpdir(), 'imgapi-replica-'))
      dirs.push(dir)
      return {
        DATABASE_URL: database.options.kind === 'postgres' ? database.options.url : '',
        ...s3Env(s3),
        API_KEY: WRITE_KEY,
        URL_SIGNING_SECRET: 'shared-by-every-replica',
        DATA_DIR: dir,
      }
    }
    const [a, b] = await Promise.all([spawnApi(await env()), spawnApi(await env())])
    replicas.push(a, b)
    for (const r of replicas) expect((await fetch(`${r.url}/health`)).status).toBe(200)
    // Each migration recorded once, whoever applied it.
    const sql = postgres(database.options.url, { max: 1, onnotice: () => {} })
    try {
      const journal =
        await sql`select hash, count(*)::int as n from drizzle.__drizzle_migrations group by hash`
      expect(journal.length).toBeGreaterThan(0)
      expect(journal.every((row) => row.n === 1)).toBe(true)
    } finally {
      await sql.end()
    }
  })

  test('20 uploads of the same bytes spread over both: exactly one 201, one row, one object', async () => {
    const bytes = withJpegComment(makeJpeg(64, 48, { seed: 1201 }), 'replicas')
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        upload(replicas[i % 2]?.url ?? '', bytes, { filename: `copy-${i}.jpg` }),
      ),
    )
    const statuses = responses.map((r) => r.status)
    expect(statuses.filter((s) => s === 201)).toHaveLength(1)
    expect(statuses.filter((s) => s === 409)).toHaveLength(19)
    const bodies = await Promise.all(responses.map(json))
    const id = bodies.find((b) => b.data)?.data.id
    expect(bodies.filter((b) => b.existing_image).every((b) => b.existing_image.id === id)).toBe(
      true,
    )
    const keys: string[] = []
    for await (const o of storage.list('images/')) keys.push(o.key)
    expect(keys.filter((k) => k.includes(md5Hex(bytes)))).toEqual([`images/${md5Hex(bytes)}.jpg`])
  })

  test('a delete on one racing re-uploads on the other never leaves a row without its object', async () => {
    const [a, b] = replicas
    if (!a || !b) throw new Error('replicas not started')
    const bytes = withJpegComment(makeJpeg(24, 24, { seed: 1202 }), 'delete-race')
    const md5 = md5Hex(bytes)
    const byMd5 = async (base: string) => {
      const res = await fetch(`${base}/api/images/by-md5/${md5}`, {
        headers: { 'X-API-Key': WRITE_KEY },
      })
      return res.status === 200 ? (await json(res)).data : undefined
    }
    let survived = 0
    for (let round = 0; round < 12; round++) {
      const first = await upload(a.url, bytes)
      expect([201, 409]).toContain(first.status)
      const body = await json(first)
      const id = body.data?.id ?? body.existing_image.id
      const [deleted, ...again] = await Promise.all([
        fetch(`${a.url}/api/images/${id}`, {
          method: 'DELETE',
          headers: { 'X-API-Key': WRITE_KEY },
        }),
        upload(b.url, bytes),
        upload(b.url, bytes),
      ])
      expect(deleted.status).toBe(204)
      for (const r of again) expect([201, 409]).toContain(r.status)
      const row = await byMd5(b.url)
      if (row) {
        survived++
        // The surviving row's object is there, and its bytes are the content.
        const content = await fetch(`${b.url}/api/images/${row.id}/content`, {
          headers: { 'X-API-Key': WRITE_KEY },
        })
        expect(content.status).toBe(200)
        expect(md5Hex(await content.bytes())).toBe(md5)
        expect(
          (
            await fetch(`${a.url}/api/images/${row.id}`, {
              method: 'DELETE',
              headers: { 'X-API-Key': WRITE_KEY },
            })
          ).status,
        ).toBe(204)
      } else {
        expect(await storage.stat(`images/${md5}.jpg`)).toBeNull()
      }
    }
    console.log(`delete/re-upload race: a row survived in ${survived} of 12 rounds`)
  })
})
