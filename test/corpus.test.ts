import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { images } from '../src/db/schema'
import { call } from './support/api'
import { json, startTestApp, type TestApp, WRITE_KEY } from './support/app'
import {
  makeBmp,
  makeGif,
  makeJpeg,
  makePng,
  makeWebp,
  pngHeaderOnly,
  withJpegComment,
} from './support/images'
import { rawRequest } from './support/raw-http'

// Table-driven bad input: each case → the status and error text it must get, never a 500, a stack
// trace or a stored row (but for the odd file names, which are stored under a sanitised name).

const text = (s: string) => new TextEncoder().encode(s)
const MB5 = 5 * 1024 * 1024
let seq = 0
const validJpeg = () => withJpegComment(makeJpeg(8, 8, { seed: 9 }), `corpus-${seq++}`)
const META = JSON.stringify({ title: 'T', description: 'D' })

type Part = { name: string; value: string | Uint8Array; filename?: string; type?: string }

function multipart(parts: Part[], boundary = 'corpusBoundary42') {
  const chunks: Uint8Array[] = []
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename === undefined ? '' : `; filename="${p.filename}"`}`
    chunks.push(text(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n`))
    if (p.type) chunks.push(text(`Content-Type: ${p.type}\r\n`))
    chunks.push(text('\r\n'), typeof p.value === 'string' ? text(p.value) : p.value, text('\r\n'))
  }
  chunks.push(text(`--${boundary}--\r\n`))
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` }
}

const file = (bytes: Uint8Array, filename = 'image.png'): Part => ({
  name: 'image_file',
  value: bytes,
  filename,
  type: 'image/png',
})
const meta = (value: string): Part => ({ name: 'metadata', value })

/** PNG bytes with one byte of the IHDR CRC flipped. */
function pngBadCrc() {
  const png = makePng(4, 4)
  png[29] = (png[29] ?? 0) ^ 0xff
  return png
}
function withoutLast(bytes: Uint8Array, n: number) {
  return bytes.slice(0, bytes.length - n)
}
function webpWrongRiffLength() {
  const webp = makeWebp(4, 4)
  new DataView(webp.buffer, webp.byteOffset).setUint32(4, webp.length + 100, true)
  return webp
}
function bmpLyingHeader() {
  const bmp = makeBmp(4, 4)
  new DataView(bmp.buffer, bmp.byteOffset).setInt32(18, 4000, true) // width: 4000 px, no pixels
  return bmp
}
function nested(depth: number): unknown {
  return depth === 0 ? 'leaf' : { deeper: nested(depth - 1) }
}

type Expect = { status: number; error?: string | RegExp; message?: string | RegExp }
type Case = {
  name: string
  expect: Expect
  /** The request: a multipart upload, or any call. */
  upload?: Part[]
  raw?: { body: string | Uint8Array; contentType?: string }
  call?: { method: string; path: string; body?: unknown; headers?: Record<string, string> }
  rawHttp?: string
}

const upload = (parts: Part[], e: Expect, name: string): Case => ({
  name,
  upload: parts,
  expect: e,
})

const CASES: Case[] = [
  // The envelope
  {
    name: 'empty body',
    raw: { body: '', contentType: 'multipart/form-data; boundary=x' },
    expect: { status: 400 },
  },
  {
    name: 'no Content-Type',
    raw: { body: 'hello' },
    expect: { status: 400, error: 'No image file provided' },
  },
  {
    name: 'JSON instead of multipart',
    raw: { body: '{"image_file":"x"}', contentType: 'application/json' },
    expect: { status: 400, error: 'No image file provided' },
  },
  {
    name: 'urlencoded form',
    raw: { body: 'image_file=x', contentType: 'application/x-www-form-urlencoded' },
    expect: { status: 400 },
  },
  {
    name: 'multipart without a boundary',
    raw: { body: multipart([file(makePng(2, 2))]).body, contentType: 'multipart/form-data' },
    expect: { status: 400 },
  },
  {
    name: 'multipart with a broken boundary',
    raw: {
      body: multipart([file(makePng(2, 2)), meta(META)], 'other').body,
      contentType: 'multipart/form-data; boundary=corpusBoundary42',
    },
    expect: { status: 400 },
  },
  {
    name: 'multipart cut mid-part',
    raw: {
      body: multipart([file(makePng(2, 2)), meta(META)]).body.subarray(0, 60),
      contentType: 'multipart/form-data; boundary=corpusBoundary42',
    },
    expect: { status: 400 },
  },
  upload([meta(META)], { status: 400, error: 'No image file provided' }, 'no image_file part'),
  upload(
    [{ name: 'image_file', value: 'just text' }, meta(META)],
    { status: 400, message: /file/ },
    'image_file as a text field',
  ),
  upload(
    [file(validJpeg()), file(validJpeg()), meta(META)],
    { status: 400, message: /exactly one/ },
    'two image_file parts',
  ),
  upload(
    [file(new Uint8Array(0)), meta(META)],
    { status: 400, error: 'Empty file' },
    'zero-byte file',
  ),
  upload(
    [file(new Uint8Array(MB5 + 1)), meta(META)],
    { status: 413, error: 'File too large' },
    '5 MB + 1 byte',
  ),
  // Not images, whatever the name says
  upload(
    [file(text('just some text\n'), 'a.png'), meta(META)],
    { status: 415, error: 'Unsupported media type' },
    'text renamed .png',
  ),
  upload(
    [file(text('<!doctype html><html><script>alert(1)</script></html>'), 'a.png'), meta(META)],
    { status: 415 },
    'HTML renamed .png',
  ),
  upload(
    [
      file(text('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'), 'a.png'),
      meta(META),
    ],
    { status: 415 },
    'SVG renamed .png',
  ),
  upload(
    [file(text('%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF'), 'a.png'), meta(META)],
    { status: 415 },
    'PDF renamed .png',
  ),
  upload(
    [file(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0, 8, 0]), 'a.png'), meta(META)],
    { status: 415 },
    'ZIP renamed .png',
  ),
  upload(
    [file(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), 'a.jpg'), meta(META)],
    { status: 415 },
    'ELF renamed .jpg',
  ),
  upload(
    [file(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 'a.png'), meta(META)],
    { status: 422 },
    'PNG signature only',
  ),
  // Broken images
  upload(
    [file(pngBadCrc()), meta(META)],
    { status: 422, error: 'Invalid image', message: /CRC/i },
    'PNG with a bad CRC',
  ),
  upload(
    [file(withoutLast(makePng(4, 4), 12)), meta(META)],
    { status: 422, error: 'Invalid image' },
    'PNG without IEND',
  ),
  upload(
    [file(makeJpeg(32, 32).slice(0, 300), 'a.jpg'), meta(META)],
    { status: 422, error: 'Invalid image' },
    'JPEG cut in half',
  ),
  upload(
    [file(withoutLast(makeGif(4, 4), 1), 'a.gif'), meta(META)],
    { status: 422, error: 'Invalid image' },
    'GIF without trailer',
  ),
  upload(
    [file(webpWrongRiffLength(), 'a.webp'), meta(META)],
    { status: 422, error: 'Invalid image' },
    'WebP with a wrong RIFF length',
  ),
  upload(
    [file(bmpLyingHeader(), 'a.bmp'), meta(META)],
    { status: 422, error: 'Invalid image' },
    'BMP with a lying header',
  ),
  upload(
    [file(pngHeaderOnly(100000, 100000)), meta(META)],
    { status: 422, error: 'Image dimensions too large', message: /16384/ },
    'PNG declaring 100000x100000',
  ),
  upload(
    [file(pngHeaderOnly(16000, 16000)), meta(META)],
    { status: 422, error: 'Image dimensions too large', message: /100000000/ },
    'PNG declaring 256 megapixels',
  ),
  // Metadata
  upload(
    [file(validJpeg()), meta('{not json')],
    { status: 400, error: 'Invalid metadata JSON' },
    'metadata not JSON',
  ),
  upload(
    [file(validJpeg()), meta('[1,2]')],
    { status: 400, error: 'Invalid metadata' },
    'metadata an array',
  ),
  upload(
    [file(validJpeg()), meta('"a string"')],
    { status: 400, error: 'Invalid metadata' },
    'metadata a JSON string',
  ),
  upload(
    [file(validJpeg()), meta('null')],
    { status: 400, error: 'Invalid metadata' },
    'metadata null',
  ),
  upload(
    [file(validJpeg()), meta('{"title":5,"description":"d"}')],
    { status: 400, message: /title/ },
    'non-string title',
  ),
  upload(
    [file(validJpeg()), meta('{"title":"t"}')],
    { status: 400, error: 'Missing metadata' },
    'no description',
  ),
  upload(
    [file(validJpeg()), meta(JSON.stringify({ title: 't', description: 'x'.repeat(1024 * 1024) }))],
    { status: 413, message: /metadata/ },
    '1 MB description',
  ),
  upload(
    [file(validJpeg()), meta(JSON.stringify({ title: 't', description: 'x'.repeat(10_001) }))],
    { status: 400, message: /description/ },
    'description over 10000 characters',
  ),
  upload(
    [file(validJpeg()), meta(JSON.stringify({ title: 't', description: 'd', extra: nested(50) }))],
    { status: 400, message: /nests deeper/ },
    'deeply nested extras',
  ),
  upload(
    [file(validJpeg()), meta(JSON.stringify({ title: 't', description: 'd', tags: 'a,b' }))],
    { status: 400, message: /tags/ },
    'tags not an array',
  ),
  upload(
    [file(validJpeg()), meta(JSON.stringify({ title: 't', description: 'd', tags: [1] }))],
    { status: 400, message: /tags/ },
    'tags not strings',
  ),
  upload(
    [file(validJpeg()), meta(META), meta(META)],
    { status: 400, message: /at most one/ },
    'two metadata fields',
  ),
  upload(
    [file(validJpeg()), meta('{"title":"a\\u0000b","description":"d"}')],
    { status: 400, message: /NUL/ },
    'NUL in the title',
  ),
  upload(
    [file(validJpeg()), meta('{"title":"t","description":"d","x":{"\\u0000":1}}')],
    { status: 400, message: /NUL/ },
    'NUL in a metadata key',
  ),
  {
    name: 'NUL in q',
    call: { method: 'GET', path: '/api/images?q=%00' },
    expect: { status: 400, message: /NUL/ },
  },
  {
    name: 'NUL in tag',
    call: { method: 'GET', path: '/api/images?tag=a%00' },
    expect: { status: 400, message: /NUL/ },
  },
  {
    name: 'NUL in mimetype',
    call: { method: 'GET', path: '/api/images?mimetype=%00' },
    expect: { status: 400, message: /NUL/ },
  },
  {
    name: 'NUL in the metadata filter',
    call: { method: 'GET', path: `/api/images?metadata=${encodeURIComponent('{"a":"\\u0000"}')}` },
    expect: { status: 400, message: /NUL/ },
  },
  {
    name: 'PATCH: NUL in title',
    call: {
      method: 'PATCH',
      path: '/api/images/00000000-0000-4000-8000-000000000000',
      body: { title: 'a\u0000' },
    },
    expect: { status: 400, message: /NUL/ },
  },
  {
    name: 'PATCH: NUL in metadata',
    call: {
      method: 'PATCH',
      path: '/api/images/00000000-0000-4000-8000-000000000000',
      body: { metadata: { k: ['\u0000'] } },
    },
    expect: { status: 400, message: /NUL/ },
  },
  // Ids, hashes and routes
  {
    name: 'malformed id: GET',
    call: { method: 'GET', path: '/api/images/not-a-uuid' },
    expect: { status: 400, message: /id/ },
  },
  {
    name: 'malformed id: PATCH',
    call: { method: 'PATCH', path: '/api/images/1234', body: { title: 'x' } },
    expect: { status: 400, message: /id/ },
  },
  {
    name: 'malformed id: DELETE',
    call: { method: 'DELETE', path: '/api/images/%2E%2E%2Fetc' },
    expect: { status: 400 },
  },
  {
    name: 'malformed id: content',
    call: { method: 'GET', path: '/api/images/zz/content' },
    expect: { status: 400, message: /id/ },
  },
  { name: 'NUL in id', call: { method: 'GET', path: '/api/images/%00' }, expect: { status: 400 } },
  {
    name: 'SQL in id',
    call: { method: 'GET', path: "/api/images/1'%20or%20'1'='1" },
    expect: { status: 400 },
  },
  {
    name: 'malformed md5: GET',
    call: { method: 'GET', path: '/api/images/by-md5/xyz' },
    expect: { status: 400, message: /md5/ },
  },
  {
    name: 'malformed md5: 33 digits',
    call: { method: 'GET', path: `/api/images/by-md5/${'a'.repeat(33)}` },
    expect: { status: 400, message: /md5/ },
  },
  {
    name: 'malformed md5: HEAD',
    call: { method: 'HEAD', path: '/api/images/by-md5/nothex' },
    expect: { status: 400 },
  },
  {
    name: 'list: limit not a number',
    call: { method: 'GET', path: '/api/images?limit=abc' },
    expect: { status: 400, message: /limit/ },
  },
  {
    name: 'list: metadata filter an array',
    call: { method: 'GET', path: '/api/images?metadata=%5B1%5D' },
    expect: { status: 400, message: /metadata/ },
  },
  {
    name: 'list: forged cursor',
    call: { method: 'GET', path: '/api/images?cursor=bi4xMjM0LnguLi4' },
    expect: { status: 400, message: /cursor/ },
  },
  {
    name: 'PATCH: body not JSON',
    call: {
      method: 'PATCH',
      path: '/api/images/00000000-0000-4000-8000-000000000000',
      body: '{oops',
    },
    expect: { status: 400 },
  },
  {
    name: 'PATCH: huge title',
    call: {
      method: 'PATCH',
      path: '/api/images/00000000-0000-4000-8000-000000000000',
      body: { title: 'x'.repeat(100_000) },
    },
    expect: { status: 400, message: /title/ },
  },
  {
    name: 'unknown route',
    call: { method: 'GET', path: '/api/nothing/here' },
    expect: { status: 404, error: 'Not found' },
  },
  {
    name: 'a 10 KB API key',
    call: { method: 'GET', path: '/api/images', headers: { 'X-API-Key': 'k'.repeat(10_000) } },
    expect: { status: 401, error: 'Invalid API key' },
  },
  {
    name: 'lying Content-Length over the limit',
    rawHttp: `POST /api/upload HTTP/1.1\r\nHost: x\r\nX-API-Key: ${WRITE_KEY}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 999999999\r\n\r\n--b\r\n`,
    expect: { status: 413 },
  },
]

// Accepted, but only under a sanitised display name that cannot inject headers or paths.
const ODD_FILENAMES = [
  '../../etc/passwd.jpg',
  '..\\..\\windows\\win.ini.jpg',
  'nul\u0000byte.jpg',
  'bell\u0007tab\tnew\nline.jpg',
  `${'a'.repeat(1000)}.jpg`,
  'evil\u202egnp.jpg',
  '😀🎉 写真.jpg',
  'x.jpg"\r\nSet-Cookie: owned=1',
  '',
]

describe('bad-input corpus', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp()
  })
  afterAll(() => t?.stop())

  const rowCount = async () => (await t.deps.database.db.select().from(images)).length

  test(`has at least 40 cases (${CASES.length + ODD_FILENAMES.length})`, () => {
    expect(CASES.length + ODD_FILENAMES.length).toBeGreaterThanOrEqual(40)
  })

  test.each(CASES.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const before = await rowCount()
    let status: number
    let bodyText: string
    if (c.rawHttp !== undefined) {
      const res = await rawRequest(t.url, c.rawHttp)
      status = res.status
      bodyText = res.body
    } else {
      let res: Response
      if (c.call) {
        res = await call(t.url, c.call.method, c.call.path, {
          body: c.call.body,
          headers: c.call.headers,
          key: c.call.headers?.['X-API-Key'] ? null : undefined,
        })
      } else {
        const { body, contentType } = c.raw ?? multipart(c.upload ?? [])
        const headers: Record<string, string> = { 'X-API-Key': WRITE_KEY }
        if (contentType) headers['Content-Type'] = contentType
        res = await fetch(`${t.url}/api/upload`, { method: 'POST', body, headers })
      }
      status = res.status
      bodyText = await res.text()
      if (c.call?.method !== 'HEAD') {
        expect(res.headers.get('content-type') ?? '').toContain('application/json')
      }
    }
    expect(status).toBe(c.expect.status)
    expect(bodyText).not.toMatch(/\bat .*\.(ts|js):\d+|Error:|stack/)
    if (c.call?.method !== 'HEAD' && c.rawHttp === undefined) {
      const body = JSON.parse(bodyText)
      expect(body.error).toBeString()
      expect(body.message).toBeString()
      if (c.expect.error instanceof RegExp) expect(body.error).toMatch(c.expect.error)
      else if (c.expect.error) expect(body.error).toBe(c.expect.error)
      if (c.expect.message) expect(body.message).toMatch(c.expect.message)
    }
    expect(await rowCount()).toBe(before)
  })

  test.each(ODD_FILENAMES.map((n) => [JSON.stringify(n).slice(0, 60), n] as const))(
    'file name %s is stored sanitised',
    async (_, filename) => {
      const { body, contentType } = multipart([file(validJpeg(), filename), meta(META)])
      const res = await fetch(`${t.url}/api/upload`, {
        method: 'POST',
        body,
        headers: { 'X-API-Key': WRITE_KEY, 'Content-Type': contentType },
      })
      expect([201, 400]).toContain(res.status)
      if (res.status !== 201) return
      const { data } = await json(res)
      const name: string = data.original_filename
      expect(name).not.toMatch(/[/\\]/)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting none are left
      expect(name).not.toMatch(/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/)
      expect(name.length).toBeLessThanOrEqual(255)
      expect(data.s3_key).toMatch(/^images\/[0-9a-f]{32}\.jpg$/)
      const content = await fetch(data.download_url)
      expect(content.status).toBe(200)
      expect(content.headers.get('set-cookie')).toBeNull()
      // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting none are left
      expect(content.headers.get('content-disposition')).not.toMatch(/[\r\n\u0000]/)
    },
  )
})
