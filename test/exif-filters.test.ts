import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { call } from './support/api'
import { json, startTestApp, type TestApp, upload } from './support/app'
import { skipWithoutExiftool, withExiftool } from './support/exiftool'
import { makeJpeg } from './support/images'

const gps = (lat: number, lon: number) => [
  `-GPSLatitude=${Math.abs(lat)}`,
  `-GPSLatitudeRef=${lat < 0 ? 'S' : 'N'}`,
  `-GPSLongitude=${Math.abs(lon)}`,
  `-GPSLongitudeRef=${lon < 0 ? 'W' : 'E'}`,
]

// title -> exiftool arguments
const PHOTOS: Record<string, string[]> = {
  paris: [
    '-Make=Canon',
    '-Model=EOS R5',
    '-DateTimeOriginal=2020:01:01 10:00:00',
    ...gps(48.8584, 2.2945),
  ],
  sydney: [
    '-Make=NIKON CORPORATION',
    '-Model=Z 6',
    '-DateTimeOriginal=2022:06:01 10:00:00',
    ...gps(-33.8568, 151.2153),
  ],
  studio: ['-Make=Sony', '-Model=ILCE-7M3', '-DateTimeOriginal=2023:03:01 10:00:00'],
  plain: [],
  fijiEast: ['-Make=Apple', '-Model=iPhone 12', ...gps(-17.7, 178)],
  fijiWest: ['-Make=Apple', '-Model=iPhone 12', ...gps(-16.5, -179.5)],
}

describe.skipIf(skipWithoutExiftool('EXIF list filter tests'))('EXIF list filters', () => {
  describe.each(['local', 's3'] as const)('%s storage', (storage) => {
    let t: TestApp
    beforeAll(async () => {
      t = await startTestApp({ storage })
      let seed = 80
      for (const [title, args] of Object.entries(PHOTOS)) {
        const bytes = await withExiftool(makeJpeg(24, 16, { seed: seed++ }), 'jpg', args)
        const res = await upload(t.url, bytes, { metadata: { title, description: '' } })
        expect(res.status).toBe(201)
      }
    })
    afterAll(() => t.stop())

    const titles = async (query: string) => {
      const res = await call(t.url, 'GET', `/api/images?sort=oldest&${query}`)
      expect(res.status, query).toBe(200)
      return (await json(res)).data.map((i: { title: string }) => i.title)
    }

    test('taken_after (inclusive) and taken_before (exclusive)', async () => {
      expect(await titles('taken_after=2021-01-01')).toEqual(['sydney', 'studio'])
      expect(await titles('taken_before=2021-01-01')).toEqual(['paris'])
      expect(
        await titles('taken_after=2020-01-01T10:00:00Z&taken_before=2022-06-01T10:00:00Z'),
      ).toEqual(['paris'])
    })

    test('camera matches make or model, case-insensitive, whole value', async () => {
      expect(await titles('camera=canon')).toEqual(['paris'])
      expect(await titles('camera=z%206')).toEqual(['sydney'])
      expect(await titles('camera=IPHONE%2012')).toEqual(['fijiEast', 'fijiWest'])
      expect(await titles('camera=z')).toEqual([])
    })

    test('has_gps', async () => {
      expect(await titles('has_gps=true')).toEqual(['paris', 'sydney', 'fijiEast', 'fijiWest'])
      expect(await titles('has_gps=false')).toEqual(['studio', 'plain'])
      expect((await call(t.url, 'GET', '/api/images?has_gps=yes')).status).toBe(400)
    })

    test('bbox, including one across the antimeridian and at the edges', async () => {
      expect(await titles('bbox=2.2,48.8,2.4,48.9')).toEqual(['paris'])
      expect(await titles('bbox=170,-20,-170,-10')).toEqual(['fijiEast', 'fijiWest'])
      expect(await titles('bbox=-180,-90,180,90')).toEqual([
        'paris',
        'sydney',
        'fijiEast',
        'fijiWest',
      ])
      // The box is inclusive: a point exactly on its edge is inside.
      expect(await titles('bbox=2.2945,48.8584,3,49')).toEqual(['paris'])
      expect(await titles('bbox=2.2946,48.8584,3,49')).toEqual([])
      expect(await titles('bbox=140,-40,160,-30&camera=z%206&taken_after=2022-01-01')).toEqual([
        'sydney',
      ])
    })

    test('a bad bbox is a 400 saying what is expected', async () => {
      for (const bad of [
        '1,2,3',
        '1,2,3,4,5',
        'a,b,c,d',
        '0,-90.0001,1,1',
        '-180.5,0,1,1',
        '0,10,1,5',
        '0,,1,1',
      ]) {
        const res = await call(t.url, 'GET', `/api/images?bbox=${bad}`)
        expect(res.status, bad).toBe(400)
        expect((await json(res)).message, bad).toMatch(/bbox: must be minLon,minLat,maxLon,maxLat/)
      }
    })
  })
})
