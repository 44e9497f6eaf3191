import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { deflateSync } from 'node:zlib'
import { thumbHashToApproximateAspectRatio } from 'thumbhash'
import { call } from './support/api'
import { json, startTestApp, type TestApp, upload } from './support/app'
import { CAMERA_TAGS, skipWithoutExiftool, withExiftool } from './support/exiftool'
import { concat, makeBmp, makeGif, makeJpeg, makePng, makeWebp, pngChunk } from './support/images'

const PNG_SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

/** A JPEG whose scan stops halfway, with an EOI appended: the header check passes it. */
function truncatedScanJpeg() {
  const whole = makeJpeg(200, 200, { seed: 7 })
  return concat([whole.subarray(0, Math.floor(whole.byteLength / 2)), new Uint8Array([0xff, 0xd9])])
}

/** A PNG whose chunks and CRCs are all valid but whose compressed pixel stream is cut short. */
function truncatedIdatPng() {
  const width = 20
  const height = 20
  const ihdr = new Uint8Array(13)
  new DataView(ihdr.buffer).setUint32(0, width)
  new DataView(ihdr.buffer).setUint32(4, height)
  ihdr.set([8, 2, 0, 0, 0], 8)
  const deflated = deflateSync(new Uint8Array((1 + width * 3) * height).fill(9))
  return concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflated.subarray(0, deflated.byteLength - 8)),
    pngChunk('IEND', new Uint8Array(0)),
  ])
}

/** An 8-bit RLE-compressed BMP (BI_RLE8), which the pipeline does not decode. */
function rleBmp() {
  const bmp = makeBmp(4, 4)
  new DataView(bmp.buffer).setUint32(30, 1, true)
  return bmp
}

/** The thumbhash is real: it decodes, and its aspect ratio is that of the displayed image. */
function expectThumbhash(value: unknown, aspect: number) {
  expect(typeof value).toBe('string')
  const hash = Buffer.from(value as string, 'base64')
  expect(hash.byteLength).toBeGreaterThan(4)
  // ThumbHash stores the aspect ratio coarsely; within 25% tells landscape, portrait and square apart.
  expect(Math.abs(Math.log(thumbHashToApproximateAspectRatio(hash) / aspect))).toBeLessThan(0.25)
}

describe.each(['local', 's3'] as const)('upload decode pass (%s storage)', (storage) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ storage })
  })
  afterAll(() => t.stop())

  async function objectCount() {
    let n = 0
    for await (const _ of t.deps.storage.list('')) n++
    return n
  }

  test('every format gets a thumbhash and a near-duplicate verdict; no EXIF means null columns', async () => {
    const cases = [
      [makeJpeg(120, 60, { seed: 31 }), 'a.jpg', 2],
      [makePng(60, 120, { seed: 32 }), 'a.png', 0.5],
      [makeGif(40, 40), 'a.gif', 1],
      [makeBmp(90, 30), 'a.bmp', 3],
      [makeWebp(50, 25), 'a.webp', 2],
    ] as const
    for (const [bytes, filename, aspect] of cases) {
      const res = await upload(t.url, bytes, { filename })
      expect(res.status, filename).toBe(201)
      const body = await json(res)
      const { data } = body
      expectThumbhash(data.thumbhash, aspect)
      // Looked for (BMP included, now hashed from the same rendition): a list, not null.
      expect(body.near_duplicates, filename).toBeArray()
      expect(data).toMatchObject({
        taken_at: null,
        camera_make: null,
        camera_model: null,
        lens: null,
        orientation: null,
        gps_latitude: null,
        gps_longitude: null,
        gps_altitude: null,
      })
    }
  })

  for (const [name, make, message] of [
    ['a JPEG with a truncated scan', truncatedScanJpeg, /JPEG pixel data does not decode/],
    ['a PNG with a cut-short IDAT stream', truncatedIdatPng, /PNG pixel data does not decode/],
    ['an RLE-compressed BMP', rleBmp, /BMP uses a compressed pixel format/],
  ] as const) {
    test(`${name}: 422 and nothing stored`, async () => {
      const before = await objectCount()
      const res = await upload(t.url, make(), { filename: 'broken' })
      expect(res.status).toBe(422)
      const body = await json(res)
      expect(body.error).toBe('Invalid image')
      expect(body.message).toMatch(message)
      expect(await objectCount()).toBe(before)
      const list = await json(await call(t.url, 'GET', '/api/images?limit=200'))
      expect(
        list.data.some((i: { original_filename: string }) => i.original_filename === 'broken'),
      ).toBe(false)
    })
  }

  describe.skipIf(skipWithoutExiftool('EXIF upload tests'))('EXIF written by exiftool', () => {
    test('JPEG: columns, orientation-aware thumbhash, exif jsonb without GPS', async () => {
      const bytes = await withExiftool(makeJpeg(160, 120, { seed: 33 }), 'jpg', CAMERA_TAGS)
      const res = await upload(t.url, bytes)
      expect(res.status).toBe(201)
      const { data } = await json(res)
      expect(data).toMatchObject({
        width: 160,
        height: 120,
        taken_at: '2021-06-01T10:34:56.000Z',
        camera_make: 'Canon',
        camera_model: 'Canon EOS 5D Mark IV',
        lens: 'EF24-70mm f/2.8L II USM',
        orientation: 6,
        gps_altitude: 35,
      })
      expect(data.gps_latitude).toBeCloseTo(48.8584, 4)
      expect(data.gps_longitude).toBeCloseTo(2.2945, 4)
      // Orientation 6 displays the 160x120 file as 120x160.
      expectThumbhash(data.thumbhash, 0.75)
      expect(data.exif).toMatchObject({ ISO: 200, FNumber: 2.8, ExposureTime: 0.004 })
      expect(Object.keys(data.exif).filter((k) => /gps|latitude|longitude/i.test(k))).toEqual([])
      // The same fields come back from a later read.
      const again = await json(await call(t.url, 'GET', `/api/images/${data.id}`))
      expect(again.data).toEqual({ ...data, download_url: again.data.download_url })
    })

    test('southern and western coordinates and a negative altitude', async () => {
      const bytes = await withExiftool(makeJpeg(40, 30, { seed: 34 }), 'jpg', [
        '-GPSLatitude=33.8568',
        '-GPSLatitudeRef=S',
        '-GPSLongitude=151.2153',
        '-GPSLongitudeRef=W',
        '-GPSAltitude=12.5',
        '-GPSAltitudeRef#=1',
      ])
      const { data } = await json(await upload(t.url, bytes))
      expect(data.gps_latitude).toBeCloseTo(-33.8568, 4)
      expect(data.gps_longitude).toBeCloseTo(-151.2153, 4)
      expect(data.gps_altitude).toBe(-12.5)
    })

    test('PNG eXIf and WebP EXIF are read too', async () => {
      for (const [bytes, ext] of [
        [makePng(30, 20, { seed: 35 }), 'png'],
        [makeWebp(30, 20), 'webp'],
      ] as const) {
        const tagged = await withExiftool(bytes, ext, [
          '-Make=Nikon',
          '-Model=Z 6',
          '-GPSLatitude=10.5',
          '-GPSLatitudeRef=N',
          '-GPSLongitude=20.25',
          '-GPSLongitudeRef=E',
        ])
        const res = await upload(t.url, tagged, { filename: `a.${ext}` })
        expect(res.status, ext).toBe(201)
        const { data } = await json(res)
        expect(data, ext).toMatchObject({
          camera_make: 'Nikon',
          camera_model: 'Z 6',
          gps_latitude: 10.5,
          gps_longitude: 20.25,
        })
      }
    })

    test('a date with no offset is read as UTC', async () => {
      const plain = await withExiftool(makeJpeg(20, 20, { seed: 36 }), 'jpg', [
        '-DateTimeOriginal=2019:12:31 23:59:58',
      ])
      const { data } = await json(await upload(t.url, plain))
      expect(data.taken_at).toBe('2019-12-31T23:59:58.000Z')
    })
  })
})

describe('UPLOAD_DECODE=off', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ env: { UPLOAD_DECODE: 'off' } })
  })
  afterAll(() => t.stop())

  test('uploads are stored as sent, without thumbhash or EXIF; /api/limits says so', async () => {
    const tagged = skipWithoutExiftool('EXIF under UPLOAD_DECODE=off')
      ? makeJpeg(40, 30, { seed: 41 })
      : await withExiftool(makeJpeg(40, 30, { seed: 41 }), 'jpg', ['-Make=Nikon'])
    const res = await upload(t.url, tagged, { filename: 'plain.jpg' })
    expect(res.status).toBe(201)
    const { data } = await json(res)
    expect(data).toMatchObject({ width: 40, height: 30, thumbhash: null, camera_make: null })
    // Only the header is checked: pixel data that would not decode is the backfill's to find.
    expect((await upload(t.url, truncatedScanJpeg(), { filename: 'cut.jpg' })).status).toBe(201)
    const limits = await json(await call(t.url, 'GET', '/api/limits'))
    expect(limits.upload_decode).toBe(false)
  })
})
