import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { images } from '../src/db/schema'
import { call, READ_KEY } from './support/api'
import { json, startTestApp, type TestApp, upload } from './support/app'
import { makeGif, makeJpeg, makePng, md5Hex, withJpegComment } from './support/images'

let seq = 0
const uniqueJpeg = () => withJpegComment(makeJpeg(24, 16, { seed: 3 }), `img-${seq++}`)

async function uploadOne(t: TestApp, metadata: Record<string, unknown>, bytes = uniqueJpeg()) {
  const res = await upload(t.url, bytes, { metadata })
  expect(res.status).toBe(201)
  return (await json(res)).data
}

describe.each(['local', 's3'] as const)('management API (%s storage)', (storage) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ storage })
  })
  afterAll(() => t?.stop())

  describe('GET /api/images/:id', () => {
    test('200 with the record and a download_url that serves the bytes', async () => {
      const bytes = uniqueJpeg()
      const created = await uploadOne(t, { title: 'one', description: 'd', category: 'x' }, bytes)
      const res = await call(t.url, 'GET', `/api/images/${created.id}`)
      expect(res.status).toBe(200)
      const { data } = await json(res)
      expect(data).toMatchObject({ id: created.id, title: 'one', metadata: { category: 'x' } })
      const download = await fetch(data.download_url)
      expect(download.status).toBe(200)
      expect(md5Hex(new Uint8Array(await download.arrayBuffer()))).toBe(md5Hex(bytes))
    })

    test('an upper-case id finds the same record', async () => {
      const created = await uploadOne(t, { title: 'upper', description: 'd' })
      const res = await call(t.url, 'GET', `/api/images/${created.id.toUpperCase()}`)
      expect((await json(res)).data.id).toBe(created.id)
    })

    test('404 JSON for an unknown id, 400 for a malformed one', async () => {
      const missing = await call(t.url, 'GET', '/api/images/00000000-0000-4000-8000-000000000000')
      expect(missing.status).toBe(404)
      expect(await json(missing)).toEqual({ error: 'Not found', message: 'No image with this id' })
      for (const bad of ['123', 'not-a-uuid', '00000000-0000-4000-8000-00000000000g']) {
        const res = await call(t.url, 'GET', `/api/images/${bad}`)
        expect(res.status).toBe(400)
        expect((await json(res)).message).toContain('id')
      }
    })

    test('needs a key; a read-only key may read', async () => {
      const created = await uploadOne(t, { title: 'ro', description: 'd' })
      expect((await call(t.url, 'GET', `/api/images/${created.id}`, { key: null })).status).toBe(
        401,
      )
      const res = await call(t.url, 'GET', `/api/images/${created.id}`, { key: READ_KEY })
      expect(res.status).toBe(200)
    })
  })

  describe('PATCH /api/images/:id', () => {
    test('updates fields, merges metadata (null removes a key) and bumps updated_at', async () => {
      const created = await uploadOne(t, {
        title: 'before',
        description: 'd',
        tags: ['a'],
        keep: 1,
        drop: 2,
      })
      await Bun.sleep(5)
      const res = await call(t.url, 'PATCH', `/api/images/${created.id}`, {
        body: { title: '新しい題名', tags: ['b', 'c', 'b'], metadata: { drop: null, added: true } },
      })
      expect(res.status).toBe(200)
      const { data } = await json(res)
      expect(data.title).toBe('新しい題名')
      expect(data.description).toBe('d')
      expect(data.tags).toEqual(['b', 'c'])
      expect(data.metadata).toEqual({ keep: 1, added: true })
      expect(Date.parse(data.updated_at)).toBeGreaterThan(Date.parse(created.updated_at))
      expect(data.uploaded_at).toBe(created.uploaded_at)
      const again = await json(await call(t.url, 'GET', `/api/images/${created.id}`))
      expect(again.data.metadata).toEqual({ keep: 1, added: true })
    })

    test('400 for invalid bodies, naming the field; nothing changes', async () => {
      const created = await uploadOne(t, { title: 'stay', description: 'd' })
      const cases: [unknown, string][] = [
        [{}, 'at least one'],
        [{ title: 5 }, 'title'],
        [{ tags: 'x' }, 'tags'],
        [{ tags: [''] }, 'tags'],
        [{ unknown: 1 }, 'unknown'],
        [{ metadata: [] }, 'metadata'],
        [{ metadata: { title: 'sneaky' } }, 'title'],
        [{ title: 'x'.repeat(501) }, 'title'],
        ['not json', ''],
      ]
      for (const [body, mentions] of cases) {
        const res = await call(t.url, 'PATCH', `/api/images/${created.id}`, { body })
        expect(res.status).toBe(400)
        const err = await json(res)
        expect(err.error).toBeString()
        expect(err.message.toLowerCase()).toContain(mentions.toLowerCase())
      }
      const res = await call(t.url, 'PATCH', `/api/images/${created.id}`, {
        body: '{"title":"x"}',
        headers: { 'Content-Type': 'text/plain' },
      })
      expect(res.status).toBe(415)
      expect((await json(res)).message).toContain('application/json')
      expect((await json(await call(t.url, 'GET', `/api/images/${created.id}`))).data.title).toBe(
        'stay',
      )
    })

    test('404 unknown id, 400 malformed id, 403 read-only key', async () => {
      const body = { title: 'x' }
      const unknown = '00000000-0000-4000-8000-000000000000'
      expect((await call(t.url, 'PATCH', `/api/images/${unknown}`, { body })).status).toBe(404)
      expect((await call(t.url, 'PATCH', '/api/images/nope', { body })).status).toBe(400)
      const created = await uploadOne(t, { title: 'ro', description: 'd' })
      const res = await call(t.url, 'PATCH', `/api/images/${created.id}`, { body, key: READ_KEY })
      expect(res.status).toBe(403)
    })
  })

  describe('DELETE /api/images/:id', () => {
    test('204 removes row and object; a second delete is 404; the bytes can come back', async () => {
      const bytes = uniqueJpeg()
      const created = await uploadOne(t, { title: 'gone', description: 'd' }, bytes)
      const res = await call(t.url, 'DELETE', `/api/images/${created.id}`)
      expect(res.status).toBe(204)
      expect(await res.text()).toBe('')
      expect(await t.deps.storage.stat(created.s3_key)).toBeNull()
      expect((await call(t.url, 'GET', `/api/images/${created.id}`)).status).toBe(404)
      expect((await call(t.url, 'DELETE', `/api/images/${created.id}`)).status).toBe(404)
      expect((await upload(t.url, bytes)).status).toBe(201)
    })

    test('403 for a read-only key, and nothing is deleted; 400 malformed id', async () => {
      const created = await uploadOne(t, { title: 'kept', description: 'd' })
      const res = await call(t.url, 'DELETE', `/api/images/${created.id}`, { key: READ_KEY })
      expect(res.status).toBe(403)
      expect((await call(t.url, 'GET', `/api/images/${created.id}`)).status).toBe(200)
      expect((await call(t.url, 'DELETE', '/api/images/zzz')).status).toBe(400)
    })

    test('concurrent deletes and re-uploads over HTTP never leave a row without its object', async () => {
      const bytes = uniqueJpeg()
      for (let round = 0; round < 8; round++) {
        const first = await upload(t.url, bytes)
        expect(first.status).toBe(201)
        const { id } = (await json(first)).data
        await Promise.all([
          call(t.url, 'DELETE', `/api/images/${id}`),
          upload(t.url, bytes),
          upload(t.url, bytes),
        ])
        const rows = await t.deps.database.db.select().from(images)
        for (const row of rows) expect(await t.deps.storage.stat(row.s3Key)).not.toBeNull()
        const found = await call(t.url, 'GET', `/api/images/by-md5/${md5Hex(bytes)}`)
        if (found.status === 200) {
          const { data } = await json(found)
          expect((await call(t.url, 'DELETE', `/api/images/${data.id}`)).status).toBe(204)
        }
      }
    })
  })

  describe('GET and HEAD /api/images/by-md5/:md5', () => {
    test('200 with the record, HEAD without a body, 404 when absent, 400 when malformed', async () => {
      const bytes = uniqueJpeg()
      const created = await uploadOne(t, { title: 'hash', description: 'd' }, bytes)
      const md5 = md5Hex(bytes)
      const res = await call(t.url, 'GET', `/api/images/by-md5/${md5}`)
      expect(res.status).toBe(200)
      expect((await json(res)).data.id).toBe(created.id)
      const upper = await call(t.url, 'GET', `/api/images/by-md5/${md5.toUpperCase()}`)
      expect((await json(upper)).data.id).toBe(created.id)
      const head = await call(t.url, 'HEAD', `/api/images/by-md5/${md5}`, { key: READ_KEY })
      expect(head.status).toBe(200)
      expect(await head.text()).toBe('')
      const absent = 'f'.repeat(32)
      expect((await call(t.url, 'GET', `/api/images/by-md5/${absent}`)).status).toBe(404)
      expect((await call(t.url, 'HEAD', `/api/images/by-md5/${absent}`)).status).toBe(404)
      for (const bad of ['abc', 'g'.repeat(32), 'a'.repeat(33), 'content']) {
        const r = await call(t.url, 'GET', `/api/images/by-md5/${bad}`)
        expect(r.status).toBe(400)
        expect((await json(r)).message).toContain('md5')
      }
      expect((await call(t.url, 'GET', `/api/images/by-md5/${md5}`, { key: null })).status).toBe(
        401,
      )
    })
  })

  describe('GET /api/limits', () => {
    test('reports the limits in force', async () => {
      const res = await call(t.url, 'GET', '/api/limits', { key: READ_KEY })
      expect(res.status).toBe(200)
      const body = await json(res)
      expect(body).toMatchObject({
        max_upload_bytes: t.config.limits.maxUploadBytes,
        max_metadata_bytes: t.config.limits.maxMetadataBytes,
        max_image_side: 16384,
        max_image_pixels: 100_000_000,
        max_image_frames: 1000,
        max_total_frame_pixels: 500_000_000,
      })
      expect(body.accepted_formats.map((f: { mimetype: string }) => f.mimetype).sort()).toEqual([
        'image/bmp',
        'image/gif',
        'image/jpeg',
        'image/png',
        'image/webp',
      ])
      expect((await call(t.url, 'GET', '/api/limits', { key: null })).status).toBe(401)
    })
  })
})

describe('GET /api/limits with configured limits', () => {
  test('reflects MAX_UPLOAD_BYTES and the dimension limits', async () => {
    const t = await startTestApp({
      env: { MAX_UPLOAD_BYTES: '1234', MAX_IMAGE_SIDE: '100', MAX_IMAGE_PIXELS: '5000' },
    })
    try {
      const body = await json(await call(t.url, 'GET', '/api/limits'))
      expect(body).toMatchObject({
        max_upload_bytes: 1234,
        max_image_side: 100,
        max_image_pixels: 5000,
      })
      // The reported limit is the enforced one.
      const tooWide = await upload(t.url, makePng(101, 1), { filename: 'w.png', type: 'image/png' })
      expect(tooWide.status).toBe(422)
      expect((await upload(t.url, makeGif(100, 1))).status).toBe(201)
    } finally {
      await t.stop()
    }
  })
})
