import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { images } from '../src/db/schema'
import { call, WRITE_KEY } from './support/api'
import { json, startTestApp, type TestApp, upload } from './support/app'
import { makeJpeg, withJpegComment } from './support/images'
import { openRawConnection, rawRequest } from './support/raw-http'

// Every byte, string, array and nesting level a client controls has a bound, on upload and PATCH
// alike (issue 10, defects 1-3). A small MAX_METADATA_BYTES keeps the edge cases cheap.
const META_BYTES = 2048
const JSON_BODY_BYTES = META_BYTES + 1024

let seq = 0
const uniqueJpeg = () => withJpegComment(makeJpeg(8, 8, { seed: 5 }), `bounds-${seq++}`)

function nested(depth: number): unknown {
  return depth === 0 ? 'leaf' : { deeper: nested(depth - 1) }
}

/** A JSON body of exactly `size` bytes: `{"title":"x"}` padded with insignificant whitespace. */
function paddedPatch(size: number) {
  const head = '{"title":"x"'
  return `${head}${' '.repeat(size - head.length - 1)}}`
}

const storedBytes = (doc: Record<string, unknown>) => Buffer.byteLength(JSON.stringify(doc))

describe('input bounds', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ env: { MAX_METADATA_BYTES: String(META_BYTES) } })
  })
  afterAll(() => t?.stop())

  async function created(metadata: Record<string, unknown> = { title: 't', description: 'd' }) {
    const res = await upload(t.url, uniqueJpeg(), { metadata })
    expect(res.status).toBe(201)
    return (await json(res)).data
  }
  const rowOf = async (id: string) =>
    (await t.deps.database.db.select().from(images).where(eq(images.id, id)))[0]
  const patch = (id: string, body: unknown) => call(t.url, 'PATCH', `/api/images/${id}`, { body })

  describe('JSON bodies (PATCH)', () => {
    test('exactly MAX_METADATA_BYTES + 1 KiB passes; one byte more is 413', async () => {
      const image = await created()
      const atLimit = await patch(image.id, paddedPatch(JSON_BODY_BYTES))
      expect(atLimit.status).toBe(200)
      const over = await patch(image.id, paddedPatch(JSON_BODY_BYTES + 1))
      expect(over.status).toBe(413)
      expect(await json(over)).toEqual({
        error: 'Payload too large',
        message: `Request body exceeds the limit of ${JSON_BODY_BYTES} bytes`,
      })
    })

    test('a body that never ends (chunked, no length) is refused once past the limit', async () => {
      const image = await created()
      const connection = await openRawConnection(t.url)
      connection.socket.write(
        `PATCH /api/images/${image.id} HTTP/1.1\r\nHost: x\r\nX-API-Key: ${WRITE_KEY}\r\n` +
          'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
      )
      const chunk = ' '.repeat(16 * 1024)
      // Four times the limit, and never the final chunk: only a bounded reader can answer.
      for (let sent = 0; sent < 4 * JSON_BODY_BYTES; sent += chunk.length) {
        connection.socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`)
      }
      const deadline = Date.now() + 5000
      while (!/^HTTP\/1\.1 \d{3}/.test(connection.received()) && Date.now() < deadline) {
        await Bun.sleep(20)
      }
      connection.socket.end()
      expect(connection.received()).toStartWith('HTTP/1.1 413')
    })

    test('a Content-Length over the limit is refused before reading', async () => {
      const image = await created()
      const res = await rawRequest(
        t.url,
        `PATCH /api/images/${image.id} HTTP/1.1\r\nHost: x\r\nX-API-Key: ${WRITE_KEY}\r\n` +
          'Content-Type: application/json\r\nContent-Length: 200000000\r\n\r\n{"title":',
      )
      expect(res.status).toBe(413)
    })

    test('metadata nested 20 levels passes, as on upload; 21 levels or 1,000 is 400', async () => {
      const image = await created()
      expect((await patch(image.id, { metadata: { deep: nested(19) } })).status).toBe(200)
      // 21 levels of objects, and 1,000 of arrays (within the byte limit: two bytes a level).
      const bodies = [
        JSON.stringify({ metadata: { deep: nested(20) } }),
        `{"metadata":{"deep":${'['.repeat(1000)}${']'.repeat(1000)}}}`,
      ]
      for (const body of bodies) {
        const res = await patch(image.id, body)
        expect(res.status).toBe(400)
        expect((await json(res)).message).toBe('The JSON body nests deeper than 21 levels')
      }
      // The same metadata on upload: 20 levels pass, 21 do not.
      const ok = await upload(t.url, uniqueJpeg(), {
        metadata: { title: 't', description: 'd', deep: nested(19) },
      })
      expect(ok.status).toBe(201)
      const deep = await upload(t.url, uniqueJpeg(), {
        metadata: { title: 't', description: 'd', deep: nested(20) },
      })
      expect(deep.status).toBe(400)
      // The database is still there and the row kept its 20 levels.
      expect((await rowOf(image.id))?.metadata).toEqual({ deep: nested(19) })
    })

    test('the analyze body is bounded too', async () => {
      const image = await created()
      const res = await call(t.url, 'POST', `/api/images/${image.id}/analyze`, {
        body: `{"prompt":"${'p'.repeat(JSON_BODY_BYTES)}"}`,
      })
      expect(res.status).toBe(413)
    })
  })

  describe('stored metadata (PATCH)', () => {
    test('a PATCH may store exactly MAX_METADATA_BYTES; one byte more is 413 and changes nothing', async () => {
      const image = await created()
      const base = { title: 't', description: 'd', pad: '' }
      const pad = 'x'.repeat(META_BYTES - storedBytes(base))
      expect(storedBytes({ ...base, pad })).toBe(META_BYTES)
      expect((await patch(image.id, { metadata: { pad } })).status).toBe(200)

      const over = await patch(image.id, { metadata: { pad: `${pad}x` } })
      expect(over.status).toBe(413)
      expect((await json(over)).message).toContain(`the limit is ${META_BYTES}`)
      expect((await rowOf(image.id))?.metadata).toEqual({ pad })
    })

    test('many small PATCHes cannot grow a row past the limit', async () => {
      const image = await created()
      const statuses: number[] = []
      for (const key of ['a', 'b', 'c', 'd']) {
        statuses.push((await patch(image.id, { metadata: { [key]: 'x'.repeat(600) } })).status)
      }
      expect(statuses).toEqual([200, 200, 200, 413])
      const row = await rowOf(image.id)
      expect(storedBytes({ ...row?.metadata, title: 't', description: 'd' })).toBeLessThanOrEqual(
        META_BYTES,
      )
    })

    test('a longer title counts too', async () => {
      const image = await created({ title: 't', description: 'd', pad: 'x'.repeat(1900) })
      const res = await patch(image.id, { title: 'x'.repeat(200) })
      expect(res.status).toBe(413)
      expect((await rowOf(image.id))?.title).toBe('t')
    })
  })

  describe('plain form fields (upload)', () => {
    const formUpload = (fields: Record<string, string>) =>
      upload(t.url, uniqueJpeg(), { metadata: null, fields })

    test('plain fields: exactly MAX_METADATA_BYTES as stored passes, one byte more is 413', async () => {
      const blob = 'x'.repeat(META_BYTES - storedBytes({ title: 't', description: 'd', blob: '' }))
      expect(storedBytes({ title: 't', description: 'd', blob })).toBe(META_BYTES)
      const atLimit = await formUpload({ title: 't', description: 'd', blob })
      expect(atLimit.status).toBe(201)
      const before = (await t.deps.database.db.select().from(images)).length
      const over = await formUpload({ title: 't', description: 'd', blob: `${blob}x` })
      expect(over.status).toBe(413)
      expect((await json(over)).message).toContain(`the limit is ${META_BYTES}`)
      expect((await t.deps.database.db.select().from(images)).length).toBe(before)
    })

    test('a field far over the limit is refused as sent, before it is parsed', async () => {
      const res = await formUpload({ title: 't', description: 'd', blob: 'x'.repeat(META_BYTES) })
      expect(res.status).toBe(413)
      expect((await json(res)).message).toContain(`limit of ${META_BYTES} bytes together`)
    })

    test('fields that grow when stored as JSON are measured as stored', async () => {
      // 400 control characters: 400 bytes sent, 2,400 stored as \u0001 escapes.
      const res = await formUpload({ title: 't', description: 'd', ctl: '\u0001'.repeat(400) })
      expect(res.status).toBe(413)
      expect((await json(res)).message).toContain('bytes stored')
    })

    test('fields sent beside the metadata JSON count as well', async () => {
      const metadata = JSON.stringify({ title: 't', description: 'd' })
      const res = await upload(t.url, uniqueJpeg(), {
        metadata,
        fields: { junk: 'x'.repeat(META_BYTES - metadata.length + 1) },
      })
      expect(res.status).toBe(413)
    })
  })
})

describe('text limits', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp()
  })
  afterAll(() => t?.stop())

  const up = (metadata: Record<string, unknown>) => upload(t.url, uniqueJpeg(), { metadata })
  const base = { title: 't', description: 'd' }
  // Characters are code points, as PostgreSQL's varchar counts them: 😀 is one, not two.
  const cases: [string, (n: number) => Record<string, unknown>, number][] = [
    ['title', (n) => ({ title: '😀'.repeat(n) }), 255],
    ['description', (n) => ({ description: 'd'.repeat(n) }), 10_000],
    ['tags', (n) => ({ tags: Array.from({ length: n }, (_, i) => `t${i}`) }), 100],
    ['tags', (n) => ({ tags: ['x'.repeat(n)] }), 100],
  ]

  test.each(cases)(
    '%s: exactly the max passes on upload and PATCH, one over is 400',
    async (field, make, max) => {
      const ok = await up({ ...base, ...make(max) })
      expect(ok.status).toBe(201)
      const { id } = (await json(ok)).data
      const over = await up({ ...base, ...make(max + 1) })
      expect(over.status).toBe(400)
      expect((await json(over)).message).toContain(field)

      expect((await call(t.url, 'PATCH', `/api/images/${id}`, { body: make(max) })).status).toBe(
        200,
      )
      const patchOver = await call(t.url, 'PATCH', `/api/images/${id}`, { body: make(max + 1) })
      expect(patchOver.status).toBe(400)
      expect((await json(patchOver)).message).toContain(field)
    },
  )

  test('the title limit of 255 also holds for plain form fields', async () => {
    const form = (title: string) =>
      upload(t.url, uniqueJpeg(), { metadata: null, fields: { title, description: 'd' } })
    expect((await form('x'.repeat(255))).status).toBe(201)
    expect((await form('x'.repeat(256))).status).toBe(400)
  })

  test('/api/limits shows every bound with its default', async () => {
    const limits = await json(await call(t.url, 'GET', '/api/limits'))
    expect(limits).toMatchObject({
      max_metadata_bytes: 65536,
      max_title_length: 255,
      max_description_length: 10_000,
      max_tags: 100,
      max_tag_length: 100,
      max_json_body_bytes: 65536 + 1024,
      max_metadata_depth: 20,
    })
  })

  test('the limits come from the configuration', async () => {
    const small = await startTestApp({
      env: {
        MAX_TITLE_LENGTH: '5',
        MAX_DESCRIPTION_LENGTH: '6',
        MAX_TAGS: '1',
        MAX_TAG_LENGTH: '2',
      },
    })
    try {
      const limits = await json(await call(small.url, 'GET', '/api/limits'))
      expect(limits).toMatchObject({
        max_title_length: 5,
        max_description_length: 6,
        max_tags: 1,
        max_tag_length: 2,
      })
      const meta = { title: '12345', description: '123456', tags: ['ab'] }
      expect((await upload(small.url, uniqueJpeg(), { metadata: meta })).status).toBe(201)
      for (const over of [{ title: '123456' }, { description: '1234567' }, { tags: ['a', 'b'] }]) {
        const res = await upload(small.url, uniqueJpeg(), { metadata: { ...meta, ...over } })
        expect(res.status).toBe(400)
      }
    } finally {
      await small.stop()
    }
  })
})
