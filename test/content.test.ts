import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { call, READ_KEY } from './support/api'
import { json, startTestApp, type TestApp, upload } from './support/app'
import { makeJpeg, md5Hex, withJpegComment } from './support/images'

describe.each(['local', 's3'] as const)('GET /api/images/:id/content (%s storage)', (storage) => {
  let t: TestApp
  let bytes: Uint8Array
  let id: string
  beforeAll(async () => {
    t = await startTestApp({ storage })
    bytes = withJpegComment(makeJpeg(64, 48, { seed: 5 }), `content-${storage}`)
    const res = await upload(t.url, bytes, { filename: '青い空 "quoted".jpg' })
    id = (await json(res)).data.id
  })
  afterAll(() => t?.stop())

  const content = (headers: Record<string, string> = {}, key?: string) =>
    call(t.url, 'GET', `/api/images/${id}/content`, { headers, key })

  test('streams the bytes with sniffed type, ETag, caching, nosniff and a safe filename', async () => {
    const res = await content({}, READ_KEY)
    expect(res.status).toBe(200)
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array(bytes))
    expect(res.headers.get('content-type')).toBe('image/jpeg')
    expect(res.headers.get('etag')).toBe(`"${md5Hex(bytes)}"`)
    // Bun sends a stream from S3 chunked; the local file stream keeps its length.
    if (storage === 'local') expect(res.headers.get('content-length')).toBe(String(bytes.length))
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('cache-control')).toContain('immutable')
    const disposition = res.headers.get('content-disposition') ?? ''
    expect(disposition).toStartWith('inline; filename="')
    expect(disposition).toContain(`filename*=UTF-8''${encodeURIComponent('青い空')}`)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting none are present
    expect(disposition).not.toMatch(/[\u0000-\u001f\u007f-\uffff]/)
  })

  test('If-None-Match with the ETag → 304 without a body', async () => {
    const res = await content({ 'If-None-Match': `"${md5Hex(bytes)}"` })
    expect(res.status).toBe(304)
    expect(await res.text()).toBe('')
    expect((await content({ 'If-None-Match': '"other"' })).status).toBe(200)
  })

  test('If-None-Match uses the weak comparison: W/ tags, lists and * → 304; other tags → 200', async () => {
    const md5 = md5Hex(bytes)
    for (const header of [`W/"${md5}"`, `"other", W/"${md5}"`, `W/"a",W/"${md5}" , "b"`, '*']) {
      const res = await content({ 'If-None-Match': header })
      expect({ header, status: res.status }).toEqual({ header, status: 304 })
      expect(res.headers.get('etag')).toBe(`"${md5}"`)
    }
    for (const header of [`W/"${md5.slice(1)}"`, `"other", W/"x"`, `w/"${md5}"`, md5]) {
      const res = await content({ 'If-None-Match': header })
      expect({ header, status: res.status }).toEqual({ header, status: 200 })
    }
  })

  test('Range → 206 with Content-Range; suffix and open ranges; 416 when unsatisfiable', async () => {
    const first = await content({ Range: 'bytes=0-9' })
    expect(first.status).toBe(206)
    expect(first.headers.get('content-range')).toBe(`bytes 0-9/${bytes.length}`)
    expect(new Uint8Array(await first.arrayBuffer())).toEqual(bytes.slice(0, 10))
    const suffix = await content({ Range: 'bytes=-5' })
    expect(new Uint8Array(await suffix.arrayBuffer())).toEqual(bytes.slice(-5))
    const open = await content({ Range: `bytes=${bytes.length - 3}-` })
    expect(new Uint8Array(await open.arrayBuffer())).toEqual(bytes.slice(-3))
    const beyond = await content({ Range: `bytes=${bytes.length}-` })
    expect(beyond.status).toBe(416)
    expect(beyond.headers.get('content-range')).toBe(`bytes */${bytes.length}`)
    expect((await json(beyond)).error).toBe('Range not satisfiable')
  })

  test('HEAD gives the headers only', async () => {
    const res = await call(t.url, 'HEAD', `/api/images/${id}/content`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-length')).toBe(String(bytes.length))
    expect(await res.text()).toBe('')
  })

  test('401 without key or signature, 404 unknown id, 400 malformed id', async () => {
    expect((await content({}, null as unknown as string)).status).toBe(401)
    const unknown = await call(
      t.url,
      'GET',
      '/api/images/00000000-0000-4000-8000-000000000000/content',
    )
    expect(unknown.status).toBe(404)
    const bad = await call(t.url, 'GET', '/api/images/1/content')
    expect(bad.status).toBe(400)
  })

  test('a row whose object is gone answers 404 JSON, not a broken stream', async () => {
    const lost = withJpegComment(makeJpeg(8, 8), `lost-${storage}`)
    const { data } = await json(await upload(t.url, lost))
    await t.deps.storage.delete(data.s3_key)
    const res = await call(t.url, 'GET', `/api/images/${data.id}/content`)
    expect(res.status).toBe(404)
    expect((await json(res)).message).toContain('missing from storage')
  })
})
