import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { images } from '../src/db/schema'
import { call } from './support/api'
import { type ApiProcess, spawnApi } from './support/api-process'
import { json, startTestApp, type TestApp, upload, WRITE_KEY } from './support/app'
import { createTestDatabase, type TestDatabase, usingPostgres } from './support/database'
import { makePng, md5Hex } from './support/images'
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy'
import { waitFor } from './support/wait'

/**
 * Storage down for real: s3rver stopped, or for the local store the `images/` directory replaced
 * by a plain file so that removing an object under it fails in the filesystem.
 */
function outage(t: TestApp, storage: 'local' | 's3') {
  if (storage === 's3') {
    return { start: () => t.s3?.pause(), end: () => t.s3?.resume() }
  }
  if (t.config.storage.kind !== 'local') throw new Error('expected the local store')
  const dir = join(t.config.storage.dir, 'images')
  return {
    start: async () => {
      await rename(dir, `${dir}.away`)
      await writeFile(dir, 'not a directory')
    },
    end: async () => {
      await rm(dir)
      await rename(`${dir}.away`, dir)
    },
  }
}

const sweptLogs = (t: TestApp, key: string) =>
  t.logs.filter((l) => l.msg === 'left-behind object swept' && l.s3_key === key)

describe.each(['local', 's3'] as const)('DELETE while storage is down (%s)', (storage) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ storage })
  })
  afterAll(() => t.stop())

  test('204 and the row is gone; a retry is 404; the object is swept once storage is back', async () => {
    const bytes = makePng(12, 12, { seed: 901 })
    const { data } = await json(await upload(t.url, bytes, { type: 'image/png' }))
    const down = outage(t, storage)
    await down.start()
    try {
      const res = await call(t.url, 'DELETE', `/api/images/${data.id}`)
      expect(res.status).toBe(204)
      expect((await call(t.url, 'DELETE', `/api/images/${data.id}`)).status).toBe(404)
      expect((await call(t.url, 'GET', `/api/images/${data.id}`)).status).toBe(404)
      expect(await t.deps.database.db.select().from(images)).toHaveLength(0)
      const warned = t.logs.find((l) => l.msg === 'object left behind by a delete')
      expect(warned).toMatchObject({ s3_key: data.s3_key, retry: 'in the background' })
    } finally {
      await down.end()
    }
    // Left behind, not lost: still there right after the outage, then swept in the background.
    expect(await t.deps.storage.stat(data.s3_key)).not.toBeNull()
    await waitFor(
      async () => sweptLogs(t, data.s3_key).length,
      (n) => n > 0,
      { what: 'the sweep' },
    )
    expect(sweptLogs(t, data.s3_key)[0]?.outcome).toBe('removed')
    expect(await t.deps.storage.stat(data.s3_key)).toBeNull()
  })

  test('a re-upload of the same bytes racing the sweep keeps its object', async () => {
    const bytes = makePng(12, 13, { seed: 902 })
    const { data } = await json(await upload(t.url, bytes, { type: 'image/png' }))
    const down = outage(t, storage)
    await down.start()
    try {
      expect((await call(t.url, 'DELETE', `/api/images/${data.id}`)).status).toBe(204)
    } finally {
      await down.end()
    }
    const again = await upload(t.url, bytes, { type: 'image/png' })
    expect(again.status).toBe(201)
    await waitFor(
      async () => sweptLogs(t, data.s3_key).length,
      (n) => n > 0,
      { what: 'the sweep' },
    )
    // Usually 'in use' (the upload is quicker than the first retry); either way the row has its object.
    expect(['in use', 'removed']).toContain(sweptLogs(t, data.s3_key)[0]?.outcome as string)
    const row = await call(t.url, 'GET', `/api/images/by-md5/${md5Hex(bytes)}`)
    expect(row.status).toBe(200)
    expect(await t.deps.storage.stat(data.s3_key)).not.toBeNull()
    const content = await call(t.url, 'GET', `/api/images/${(await json(again)).data.id}/content`)
    expect(new Uint8Array(await content.arrayBuffer())).toEqual(new Uint8Array(bytes))
  })
})

// The other half of the semantics: when the row cannot be deleted, nothing is (PostgreSQL only:
// PGlite runs in-process and cannot be cut; the API is its own process, as in faults-database).
describe.skipIf(!usingPostgres())('DELETE while the database is down (PostgreSQL)', () => {
  let api: ApiProcess
  let proxy: TcpProxy
  let database: TestDatabase
  let dataDir: string
  beforeAll(async () => {
    database = await createTestDatabase()
    dataDir = await mkdtemp(join(tmpdir(), 'imgapi-delete-dbdown-'))
    const direct = new URL(database.options.kind === 'postgres' ? database.options.url : '')
    proxy = startTcpProxy({ hostname: direct.hostname, port: Number(direct.port || 5432) })
    const viaProxy = new URL(direct)
    viaProxy.hostname = '127.0.0.1'
    viaProxy.port = String(proxy.port)
    api = await spawnApi({
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      API_KEYS: `tester:${WRITE_KEY}`,
      DATABASE_URL: viaProxy.toString(),
    })
  })
  afterAll(async () => {
    proxy.restore()
    api.proc.kill('SIGKILL')
    await api.proc.exited
    proxy.stop()
    await database.drop()
    await rm(dataDir, { recursive: true, force: true })
  })

  test('503 and nothing deleted: the image and its bytes are still served; the retry is 204', async () => {
    const bytes = makePng(14, 14, { seed: 903 })
    const { data } = await json(await upload(api.url, bytes, { type: 'image/png' }))
    proxy.cut()
    try {
      const res = await call(api.url, 'DELETE', `/api/images/${data.id}`)
      expect(res.status).toBe(503)
      expect(await json(res)).toMatchObject({ error: 'Service unavailable' })
    } finally {
      proxy.restore()
    }
    // The pool reconnects on its own; the first requests after a cut may still meet it closing.
    await waitFor(
      async () => (await call(api.url, 'GET', `/api/images/${data.id}`)).status,
      (status) => status === 200,
      { what: 'the database back' },
    )
    const content = await call(api.url, 'GET', `/api/images/${data.id}/content`)
    expect(new Uint8Array(await content.arrayBuffer())).toEqual(new Uint8Array(bytes))
    expect((await call(api.url, 'DELETE', `/api/images/${data.id}`)).status).toBe(204)
    expect((await call(api.url, 'GET', `/api/images/${data.id}`)).status).toBe(404)
  })
})
