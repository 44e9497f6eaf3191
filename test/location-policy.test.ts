import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import sharp from 'sharp'
import { call } from './support/api'
import { json, startTestApp, type TestApp, upload } from './support/app'
import { CAMERA_TAGS, readTags, skipWithoutExiftool, withExiftool } from './support/exiftool'
import { makeJpeg, makePng, makeWebp, md5Hex } from './support/images'

const GPS = /GPS/
const gpsTags = (tags: Record<string, unknown>) => Object.keys(tags).filter((k) => GPS.test(k))
const content = async (t: TestApp, id: string) =>
  new Uint8Array(await (await call(t.url, 'GET', `/api/images/${id}/content`)).arrayBuffer())
const pixels = async (bytes: Uint8Array) => new Uint8Array(await sharp(bytes).raw().toBuffer())
const located = (bytes: Uint8Array, ext: string, extra: string[] = []) =>
  withExiftool(bytes, ext, [...CAMERA_TAGS, ...extra])

describe.skipIf(skipWithoutExiftool('LOCATION_POLICY tests'))('LOCATION_POLICY', () => {
  describe.each(['local', 's3'] as const)('keep (default, %s storage)', (storage) => {
    let t: TestApp
    beforeAll(async () => {
      t = await startTestApp({ storage })
    })
    afterAll(() => t.stop())

    test('the original is stored byte for byte, with its GPS columns', async () => {
      const bytes = await located(makeJpeg(64, 48, { seed: 61 }), 'jpg')
      const { data } = await json(await upload(t.url, bytes))
      expect(data.md5_hash).toBe(md5Hex(bytes))
      expect(data.gps_latitude).toBeCloseTo(48.8584, 4)
      expect(Buffer.from(await content(t, data.id)).equals(bytes)).toBe(true)
      expect((await json(await call(t.url, 'GET', '/api/limits'))).location_policy).toBe('keep')
    })
  })

  describe.each(['local', 's3'] as const)('strip (%s storage)', (storage) => {
    let t: TestApp
    beforeAll(async () => {
      t = await startTestApp({ storage, env: { LOCATION_POLICY: 'strip' } })
    })
    afterAll(() => t.stop())

    test('JPEG: GPS gone from the stored file, other EXIF and the pixels untouched', async () => {
      const bytes = await located(makeJpeg(64, 48, { seed: 62 }), 'jpg')
      const res = await upload(t.url, bytes)
      const body = await json(res)
      expect(res.status, JSON.stringify(body)).toBe(201)
      const { data } = body
      expect(data).toMatchObject({
        gps_latitude: null,
        gps_longitude: null,
        gps_altitude: null,
        camera_make: 'Canon',
        orientation: 6,
      })
      const stored = await content(t, data.id)
      expect(data.md5_hash).toBe(md5Hex(stored))
      expect(data.md5_hash).not.toBe(md5Hex(bytes))
      // Not re-encoded: same length (the GPS IFD is emptied in place) and the same pixels.
      expect(stored.byteLength).toBe(bytes.byteLength)
      expect(await pixels(stored)).toEqual(await pixels(bytes))
      const tags = await readTags(stored, 'jpg')
      expect(gpsTags(tags)).toEqual([])
      expect(tags).toMatchObject({ 'EXIF:Make': 'Canon', 'EXIF:Orientation': 6, 'EXIF:ISO': 200 })
      expect((await readTags(bytes, 'jpg'))['EXIF:GPSLatitude']).toBeCloseTo(48.8584, 4)
    })

    test('the same original uploaded again is still a 409', async () => {
      const bytes = await located(makeJpeg(64, 48, { seed: 63 }), 'jpg')
      const first = (await json(await upload(t.url, bytes))).data
      const again = await upload(t.url, bytes)
      expect(again.status).toBe(409)
      expect((await json(again)).existing_image.id).toBe(first.id)
    })

    test('XMP location in a JPEG is removed as well', async () => {
      const bytes = await withExiftool(makeJpeg(32, 32, { seed: 64 }), 'jpg', [
        '-XMP-exif:GPSLatitude=48.8584',
        '-XMP-exif:GPSLongitude=2.2945',
        '-XMP-dc:Title=Kept?',
      ])
      expect(gpsTags(await readTags(bytes, 'jpg')).length).toBeGreaterThan(0)
      const { data } = await json(await upload(t.url, bytes))
      expect(gpsTags(await readTags(await content(t, data.id), 'jpg'))).toEqual([])
    })

    test('PNG eXIf and WebP EXIF: GPS removed, other tags kept', async () => {
      for (const [bytes, ext] of [
        [makePng(30, 20, { seed: 65 }), 'png'],
        [makeWebp(30, 20), 'webp'],
      ] as const) {
        const tagged = await located(bytes, ext)
        expect(gpsTags(await readTags(tagged, ext)).length, ext).toBeGreaterThan(0)
        const res = await upload(t.url, tagged, { filename: `a.${ext}` })
        expect(res.status, ext).toBe(201)
        const { data } = await json(res)
        expect(data.gps_latitude, ext).toBeNull()
        const stored = await content(t, data.id)
        const tags = await readTags(stored, ext)
        expect(gpsTags(tags), ext).toEqual([])
        expect(tags['EXIF:Make'], ext).toBe('Canon')
        expect(await pixels(stored), ext).toEqual(await pixels(tagged))
      }
    })

    test('an image without a location is stored unchanged', async () => {
      const bytes = await withExiftool(makeJpeg(30, 30, { seed: 66 }), 'jpg', ['-Make=Sony'])
      const { data } = await json(await upload(t.url, bytes))
      expect(data.md5_hash).toBe(md5Hex(bytes))
      expect((await json(await call(t.url, 'GET', '/api/limits'))).location_policy).toBe('strip')
    })
  })

  describe.each(['local', 's3'] as const)('reject (%s storage)', (storage) => {
    let t: TestApp
    beforeAll(async () => {
      t = await startTestApp({ storage, env: { LOCATION_POLICY: 'reject' } })
    })
    afterAll(() => t.stop())

    test('422 with a clear message for a located image, nothing stored', async () => {
      for (const [bytes, ext] of [
        [await located(makeJpeg(40, 30, { seed: 67 }), 'jpg'), 'jpg'],
        [
          await withExiftool(makeJpeg(40, 30, { seed: 68 }), 'jpg', ['-XMP-exif:GPSLatitude=1']),
          'jpg',
        ],
        [await located(makePng(20, 20, { seed: 69 }), 'png'), 'png'],
      ] as const) {
        const res = await upload(t.url, bytes, { filename: `a.${ext}` })
        expect(res.status).toBe(422)
        const body = await json(res)
        expect(body.error).toBe('Location data not accepted')
        expect(body.message).toMatch(/GPS location data.*LOCATION_POLICY=reject/)
        expect((await call(t.url, 'GET', `/api/images/by-md5/${md5Hex(bytes)}`)).status).toBe(404)
      }
      let objects = 0
      for await (const _ of t.deps.storage.list('')) objects++
      expect(objects).toBe(0)
    })

    test('an image without a location is accepted', async () => {
      const bytes = await withExiftool(makeJpeg(30, 30, { seed: 70 }), 'jpg', ['-Make=Sony'])
      expect((await upload(t.url, bytes)).status).toBe(201)
      expect((await json(await call(t.url, 'GET', '/api/limits'))).location_policy).toBe('reject')
    })
  })
})
