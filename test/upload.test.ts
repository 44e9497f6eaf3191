import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { json, startTestApp, type TestApp, upload, WRITE_KEY } from './support/app'
import {
  makeBmp,
  makeGif,
  makeJpeg,
  makePng,
  makeWebp,
  md5Hex,
  withJpegComment,
} from './support/images'

const IMAGE_KEYS = [
  'id',
  's3_key',
  'md5_hash',
  'original_filename',
  'mimetype',
  'filesize',
  'uploaded_at',
  'title',
  'description',
  'gemini_analysis',
  'download_url',
]

describe.each(['local', 's3'] as const)('POST /api/upload (%s storage)', (storage) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ storage })
  })
  afterAll(() => t.stop())

  test('201 with the old response shape, then 409 for the same bytes', async () => {
    const bytes = makeJpeg(64, 48, { seed: 1 })
    const res = await upload(t.url, bytes, {
      filename: 'holiday.jpg',
      metadata: {
        title: 'Beach',
        description: 'Sand and sea',
        category: 'travel',
        tags: ['sea', 'sun'],
      },
    })
    expect(res.status).toBe(201)
    const body = await json(res)
    expect(body.message).toBe('Image uploaded successfully')
    for (const key of IMAGE_KEYS) expect(body.data).toHaveProperty(key)
    expect(body.data).toMatchObject({
      md5_hash: md5Hex(bytes),
      s3_key: `images/${md5Hex(bytes)}.jpg`,
      original_filename: 'holiday.jpg',
      mimetype: 'image/jpeg',
      filesize: bytes.byteLength,
      width: 64,
      height: 48,
      title: 'Beach',
      description: 'Sand and sea',
      tags: ['sea', 'sun'],
      metadata: { category: 'travel' },
      gemini_analysis: null,
      analysis_status: 'none',
      uploaded_by: 'tester',
    })
    expect(body.data.uploaded_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)

    const again = await upload(t.url, bytes, { filename: 'other-name.jpg' })
    expect(again.status).toBe(409)
    expect(await json(again)).toEqual({
      error: 'Image already exists',
      message: 'An image with the same content already exists',
      existing_image: {
        id: body.data.id,
        s3_key: body.data.s3_key,
        title: 'Beach',
        description: 'Sand and sea',
      },
    })
  })

  test('stores the object under its content address with the sniffed type', async () => {
    const bytes = makePng(20, 10, { seed: 2 })
    // The client claims JPEG by name and type; the bytes say PNG.
    const res = await upload(t.url, bytes, { filename: 'lies.jpg', type: 'image/jpeg' })
    expect(res.status).toBe(201)
    const { data } = await json(res)
    expect(data.mimetype).toBe('image/png')
    expect(data.s3_key).toBe(`images/${md5Hex(bytes)}.png`)
    const stored = await t.deps.storage.read(data.s3_key)
    expect(Buffer.from(await new Response(stored).arrayBuffer()).equals(bytes)).toBe(true)
  })

  test.each([
    ['png', () => makePng(7, 5, { seed: 3 }), 'image/png', 7, 5],
    ['jpeg', () => makeJpeg(9, 4, { seed: 3 }), 'image/jpeg', 9, 4],
    ['gif', () => makeGif(3, 2), 'image/gif', 3, 2],
    ['bmp', () => makeBmp(5, 3), 'image/bmp', 5, 3],
    ['webp', () => makeWebp(6, 8), 'image/webp', 6, 8],
  ])('accepts %s and reads its dimensions', async (_, make, mimetype, width, height) => {
    const res = await upload(t.url, make(), { filename: 'x.bin', type: 'application/octet-stream' })
    expect(res.status).toBe(201)
    expect((await json(res)).data).toMatchObject({ mimetype, width, height })
  })

  test('download_url fetches the same bytes without an API key', async () => {
    const bytes = withJpegComment(makeJpeg(32, 32, { seed: 4 }), 'download')
    const res = await upload(t.url, bytes)
    const { data } = await json(res)
    const download = await fetch(data.download_url)
    expect(download.status).toBe(200)
    expect(download.headers.get('content-type')).toBe('image/jpeg')
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true)
  })

  test('plain form fields work when metadata is absent (curl convenience)', async () => {
    const res = await upload(t.url, makePng(4, 4, { seed: 5 }), {
      metadata: null,
      fields: { title: 'From curl', description: 'No JSON', tags: 'a, b', category: 'misc' },
    })
    expect(res.status).toBe(201)
    expect((await json(res)).data).toMatchObject({
      title: 'From curl',
      description: 'No JSON',
      tags: ['a', 'b'],
      metadata: { category: 'misc' },
    })
  })

  test('filenames are sanitised for display and never used as the key', async () => {
    const bytes = makePng(4, 4, { seed: 6 })
    const res = await upload(t.url, bytes, { filename: '../../etc/passwd\u202e.png' })
    expect(res.status).toBe(201)
    const { data } = await json(res)
    expect(data.original_filename).not.toContain('/')
    expect(data.original_filename).not.toContain('\u202e')
    expect(data.s3_key).toBe(`images/${md5Hex(bytes)}.png`)
  })

  test('a non-ASCII name sent as filename* (RFC 8187, as urllib3 1.x does) is decoded', async () => {
    const bytes = makePng(4, 4, { seed: 8 })
    const head = `--b1\r\nContent-Disposition: form-data; name="image_file"; filename*=utf-8''%E9%9D%92%E3%81%84%E7%A9%BA.png\r\nContent-Type: image/png\r\n\r\n`
    const tail = `\r\n--b1\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n{"title":"t","description":"d"}\r\n--b1--\r\n`
    const res = await fetch(`${t.url}/api/upload`, {
      method: 'POST',
      body: Buffer.concat([Buffer.from(head), bytes, Buffer.from(tail)]),
      headers: { 'X-API-Key': WRITE_KEY, 'Content-Type': 'multipart/form-data; boundary=b1' },
    })
    expect(res.status).toBe(201)
    const { data } = await json(res)
    expect(data.original_filename).toBe('青い空.png')
    expect(data.md5_hash).toBe(md5Hex(bytes))
  })

  test('the API key never appears in the logs', async () => {
    await upload(t.url, makePng(4, 4, { seed: 7 }))
    await upload(t.url, makePng(4, 4, { seed: 7 }), { key: 'wrong-secret-key' })
    const all = t.rawLogs.join('\n')
    expect(all).not.toContain(WRITE_KEY)
    expect(all).not.toContain('wrong-secret-key')
    const line = t.logs.find((l) => l.msg === 'request' && l.path === '/api/upload')
    expect(line).toMatchObject({ method: 'POST', key: 'tester' })
    expect(typeof line?.request_id).toBe('string')
    expect(typeof line?.duration_ms).toBe('number')
  })
})
