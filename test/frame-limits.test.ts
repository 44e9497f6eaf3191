import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { images } from '../src/db/schema'
import {
  gifFrameFlood,
  makeAnimatedGif,
  makeAnimatedWebp,
  makeApng,
  makeWebpStill,
  webpBitstream,
  withFrameHeader,
  withSecondFrameHeader,
} from './support/animated-images'
import { call } from './support/api'
import { json, startTestApp, type TestApp, upload } from './support/app'
import { makeJpeg, md5Hex } from './support/images'

// Issue 10, item 7, through the API on both storages (and on PostgreSQL with TEST_DATABASE_URL):
// the shapes that were stored as 1x1 are refused with 422 and leave no row and no object.

async function stored(t: TestApp) {
  const rows = await t.deps.database.db.select().from(images)
  const objects: string[] = []
  for await (const object of t.deps.storage.list('images/')) objects.push(object.key)
  return { rows: rows.length, objects: objects.length }
}

const TYPES = { gif: 'image/gif', png: 'image/png', webp: 'image/webp', jpg: 'image/jpeg' }

function send(t: TestApp, bytes: Uint8Array, extension: keyof typeof TYPES) {
  return upload(t.url, bytes, { filename: `frames.${extension}`, type: TYPES[extension] })
}

describe.each(['local', 's3'] as const)('frame and inner-header limits (%s storage)', (storage) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ storage })
  })
  afterAll(() => t?.stop())

  test.each([
    [
      'a GIF with a 1x1 screen and a 65535x65535 frame',
      () => makeAnimatedGif(1, 1, [{ width: 65535, height: 65535 }], { pixels: false }),
      'gif' as const,
      /GIF frame 1: 65535x65535 exceeds the limit of 16384 pixels a side/,
    ],
    [
      'a WebP whose 1x1 VP8X canvas holds a 16384² VP8L',
      () => makeWebpStill(1, 1, webpBitstream({ codec: 'VP8L', width: 16384, height: 16384 })),
      'webp' as const,
      /WebP bitstream: 16384x16384 exceeds the limit of 100000000 pixels/,
    ],
    [
      'a JPEG whose second SOF declares 65535²',
      () => withSecondFrameHeader(withFrameHeader(makeJpeg(8, 8), 0xc0, 1, 1), 65535, 65535),
      'jpg' as const,
      /JPEG frame header 2: 65535x65535/,
    ],
    [
      'a 4.2 MB GIF of 300,000 frames of 10000²',
      () =>
        gifFrameFlood({ width: 10000, height: 10000 }, { width: 10000, height: 10000 }, 300_000),
      'gif' as const,
      /6 frames of 10000x10000 exceed the limit of 500000000 pixels/,
    ],
    [
      'an APNG with a 65535² fcTL on a 1x1 canvas',
      () =>
        makeApng(
          1,
          1,
          [
            { width: 1, height: 1 },
            { width: 65535, height: 65535 },
          ],
          { pixels: false },
        ),
      'png' as const,
      /APNG frame 2: 65535x65535/,
    ],
  ])('%s is refused with 422, nothing stored', async (_, make, extension, message) => {
    const before = await stored(t)
    const res = await send(t, make(), extension)
    expect(res.status).toBe(422)
    const body = await json(res)
    expect(body.error).toBe('Image dimensions too large')
    expect(body.message).toMatch(message)
    expect(await stored(t)).toEqual(before)
  })

  test.each([
    [
      'an animated GIF',
      makeAnimatedGif(24, 16, [
        { width: 24, height: 16 },
        { width: 8, height: 8, x: 16, y: 8 },
      ]),
      'gif' as const,
    ],
    [
      'an APNG',
      makeApng(24, 16, [
        { width: 24, height: 16 },
        { width: 8, height: 8, x: 16, y: 8 },
      ]),
      'png' as const,
    ],
    [
      'an animated WebP',
      makeAnimatedWebp(24, 16, [
        { width: 24, height: 16 },
        { width: 8, height: 8, x: 16, y: 8 },
      ]),
      'webp' as const,
    ],
  ])('%s within the limits still uploads', async (_, bytes, extension) => {
    const res = await send(t, bytes, extension)
    expect(res.status).toBe(201)
    const { data } = await json(res)
    expect(data).toMatchObject({ mimetype: TYPES[extension], width: 24, height: 16 })
    const content = await fetch(data.download_url)
    expect(md5Hex(new Uint8Array(await content.arrayBuffer()))).toBe(md5Hex(bytes))
  })
})

describe('MAX_IMAGE_FRAMES and MAX_TOTAL_FRAME_PIXELS', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ env: { MAX_IMAGE_FRAMES: '4', MAX_TOTAL_FRAME_PIXELS: '300' } })
  })
  afterAll(() => t?.stop())

  const frames = (n: number) => Array.from({ length: n }, () => ({ width: 10, height: 10 }))

  test('/api/limits shows them', async () => {
    const body = await json(await call(t.url, 'GET', '/api/limits'))
    expect(body).toMatchObject({ max_image_frames: 4, max_total_frame_pixels: 300 })
  })

  test.each([
    ['GIF', (n: number) => makeAnimatedGif(10, 10, frames(n)), 'gif' as const],
    ['APNG', (n: number) => makeApng(10, 10, frames(n)), 'png' as const],
    ['animated WebP', (n: number) => makeAnimatedWebp(10, 10, frames(n)), 'webp' as const],
  ])('%s: 3 frames of 10x10 (300 pixels) pass, a 4th is over the total', async (_, make, ext) => {
    expect((await send(t, make(3), ext)).status).toBe(201)
    const over = await send(t, make(4), ext)
    expect(over.status).toBe(422)
    expect((await json(over)).message).toMatch(/4 frames of 10x10 exceed the limit of 300 pixels/)
  })

  test('the frame count: 4 frames pass, a 5th is refused', async () => {
    const tiny = (n: number) => Array.from({ length: n }, () => ({ width: 1, height: 1 }))
    expect((await send(t, makeAnimatedGif(1, 1, tiny(4)), 'gif')).status).toBe(201)
    const over = await send(t, makeAnimatedGif(1, 1, tiny(5)), 'gif')
    expect(over.status).toBe(422)
    expect(await json(over)).toMatchObject({
      error: 'Image dimensions too large',
      message: 'The image exceeds the limit of 4 frames',
    })
  })
})
