import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { images } from '../src/db/schema'
import { json, startTestApp, type TestApp, upload, WRITE_KEY } from './support/app'
import { makeJpeg, makePng, pngHeaderOnly } from './support/images'
import { rawRequest } from './support/raw-http'

const MB5 = 5 * 1024 * 1024

/** A valid PNG of exactly `size` bytes: a private ancillary chunk pads it before IEND. */
function pngOfSize(size: number, seed: number) {
  const base = makePng(8, 8, { seed })
  const iendAt = base.byteLength - 12
  const padLength = size - base.byteLength - 12
  const chunk = new Uint8Array(12 + padLength)
  const view = new DataView(chunk.buffer)
  view.setUint32(0, padLength)
  chunk.set(new TextEncoder().encode('prVt'), 4)
  view.setUint32(8 + padLength, Bun.hash.crc32(chunk.subarray(4, 8 + padLength)))
  const out = new Uint8Array(size)
  out.set(base.subarray(0, iendAt), 0)
  out.set(chunk, iendAt)
  out.set(base.subarray(iendAt), iendAt + chunk.byteLength)
  return out
}

async function rowCount(t: TestApp) {
  return (await t.deps.database.db.select().from(images)).length
}

describe('upload errors', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp()
  })
  afterAll(() => t.stop())

  const expectError = async (res: Response, status: number, error: string | RegExp) => {
    expect(res.status).toBe(status)
    expect(res.headers.get('content-type')).toContain('application/json')
    const body = await json(res)
    expect(typeof body.message).toBe('string')
    if (typeof error === 'string') expect(body.error).toBe(error)
    else expect(body.error).toMatch(error)
    return body
  }

  test('a file of exactly MAX_UPLOAD_BYTES is accepted, one byte more is 413', async () => {
    const exact = pngOfSize(MB5, 1)
    expect(exact.byteLength).toBe(MB5)
    expect((await upload(t.url, exact)).status).toBe(201)
    const over = pngOfSize(MB5 + 1, 2)
    const body = await expectError(await upload(t.url, over), 413, 'File too large')
    // The old service's error string, with the configured limit.
    expect(body.message).toBe('Maximum file size is 5MB (5242880 bytes)')
  })

  test('a chunked body over the limit is cut with 413 while streaming', async () => {
    const before = await rowCount(t)
    const boundary = 'xBOUNDARYx'
    const head = new TextEncoder().encode(
      `--${boundary}\r\nContent-Disposition: form-data; name="image_file"; filename="big.png"\r\nContent-Type: image/png\r\n\r\n`,
    )
    let sent = 0
    const chunk = new Uint8Array(256 * 1024)
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(head)
      },
      pull(controller) {
        // Far more than the limit; the server must stop reading long before the end.
        if (sent > 64 * 1024 * 1024) return controller.close()
        sent += chunk.byteLength
        controller.enqueue(chunk)
      },
    })
    const res = await fetch(`${t.url}/api/upload`, {
      method: 'POST',
      body,
      headers: {
        'X-API-Key': WRITE_KEY,
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
      },
    }).catch((err) => err as Error)
    // The server answers 413 before the client finishes; some clients see the reset instead.
    if (res instanceof Response) await expectError(res, 413, 'File too large')
    expect(sent).toBeLessThan(32 * 1024 * 1024)
    expect(await rowCount(t)).toBe(before)
  })

  test('a Content-Length over the limit is refused before any of the body is sent', async () => {
    const res = await rawRequest(
      t.url,
      'POST /api/upload HTTP/1.1\r\nHost: x\r\n' +
        `X-API-Key: ${WRITE_KEY}\r\nContent-Type: multipart/form-data; boundary=x\r\n` +
        `Content-Length: ${MB5 * 2}\r\n\r\n`,
    )
    expect(res.status).toBe(413)
    expect(JSON.parse(res.body)).toEqual({
      error: 'File too large',
      message: 'Maximum file size is 5MB (5242880 bytes)',
    })
  })

  test.each([
    ['text renamed .png', new TextEncoder().encode('hello world, not an image'), 415],
    ['HTML', new TextEncoder().encode('<!doctype html><html></html>'), 415],
    ['SVG', new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"></svg>'), 415],
    ['PDF', new TextEncoder().encode('%PDF-1.4\n%...'), 415],
    ['ZIP', new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]), 415],
    ['truncated PNG', makePng(8, 8, { seed: 9 }).subarray(0, 40), 422],
    [
      'JPEG cut in half',
      (() => {
        const j = makeJpeg(16, 16, { seed: 9 })
        return j.subarray(0, j.length >> 1)
      })(),
      422,
    ],
  ])('%s → %i', async (_, bytes, status) => {
    const before = await rowCount(t)
    const res = await upload(t.url, bytes, { filename: 'image.png', type: 'image/png' })
    await expectError(res, status, status === 415 ? 'Unsupported media type' : 'Invalid image')
    expect(await rowCount(t)).toBe(before)
  })

  test('a pixel flood is refused with a message naming the limit', async () => {
    const body = await expectError(
      await upload(t.url, pngHeaderOnly(100_000, 100_000)),
      422,
      'Image dimensions too large',
    )
    expect(body.message).toContain('16384')
  })

  test('over 100 megapixels within the side limit is refused too', async () => {
    const body = await expectError(
      await upload(t.url, pngHeaderOnly(16384, 16384)),
      422,
      'Image dimensions too large',
    )
    expect(body.message).toContain('100000000')
  })

  test.each([
    ['missing metadata and fields', null, 'Missing metadata'],
    ['metadata not JSON', '{title: nope', 'Invalid metadata JSON'],
    ['metadata an array', '[1,2]', 'Invalid metadata'],
    ['missing title', { description: 'd' }, 'Missing metadata'],
    ['missing description', { title: 't' }, 'Missing metadata'],
    ['non-string title', { title: 5, description: 'd' }, 'Invalid metadata'],
    ['tags not strings', { title: 't', description: 'd', tags: [1] }, 'Invalid metadata'],
  ])('%s → 400', async (_, metadata, error) => {
    await expectError(await upload(t.url, makePng(3, 3, { seed: 10 }), { metadata }), 400, error)
  })

  test('missing image_file → 400 like the old service', async () => {
    const form = new FormData()
    form.append('metadata', JSON.stringify({ title: 't', description: 'd' }))
    const res = await fetch(`${t.url}/api/upload`, {
      method: 'POST',
      body: form,
      headers: { 'X-API-Key': WRITE_KEY },
    })
    await expectError(res, 400, 'No image file provided')
  })

  test('a JSON body instead of multipart → 400', async () => {
    const res = await fetch(`${t.url}/api/upload`, {
      method: 'POST',
      body: '{}',
      headers: { 'X-API-Key': WRITE_KEY, 'Content-Type': 'application/json' },
    })
    await expectError(res, 400, 'No image file provided')
  })

  test('two image_file parts → 400', async () => {
    const form = new FormData()
    form.append('image_file', new File([makePng(3, 3, { seed: 11 })], 'a.png'))
    form.append('image_file', new File([makePng(3, 3, { seed: 12 })], 'b.png'))
    form.append('metadata', JSON.stringify({ title: 't', description: 'd' }))
    const res = await fetch(`${t.url}/api/upload`, {
      method: 'POST',
      body: form,
      headers: { 'X-API-Key': WRITE_KEY },
    })
    await expectError(res, 400, 'Bad request')
  })

  test('a zero-byte file → 400', async () => {
    await expectError(await upload(t.url, new Uint8Array(0)), 400, 'Empty file')
  })

  test('metadata over MAX_METADATA_BYTES → 413', async () => {
    const metadata = { title: 't', description: 'x'.repeat(70 * 1024) }
    await expectError(
      await upload(t.url, makePng(3, 3, { seed: 13 }), { metadata }),
      413,
      'Payload too large',
    )
  })

  test('a broken multipart body → 400', async () => {
    const res = await fetch(`${t.url}/api/upload`, {
      method: 'POST',
      body: '--nope\r\nthis is not multipart',
      headers: { 'X-API-Key': WRITE_KEY, 'Content-Type': 'multipart/form-data; boundary=other' },
    })
    expect(res.status).toBe(400)
    expect((await json(res)).error).toBeString()
  })
})
