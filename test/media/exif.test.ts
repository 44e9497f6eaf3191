import { describe, expect, test } from 'bun:test'
import { EXIF_JSON_MAX_BYTES, exifDate, summarise } from '../../src/media/exif'

describe('exifDate', () => {
  test('applies the recorded offset, else reads the wall clock as UTC', () => {
    expect(exifDate('2021:06:01 12:34:56', '+02:00')?.toISOString()).toBe(
      '2021-06-01T10:34:56.000Z',
    )
    expect(exifDate('2021:06:01 12:34:56', '-05:30')?.toISOString()).toBe(
      '2021-06-01T18:04:56.000Z',
    )
    expect(exifDate('2021:06:01 12:34:56', undefined)?.toISOString()).toBe(
      '2021-06-01T12:34:56.000Z',
    )
  })
  test('placeholder and malformed dates are null', () => {
    for (const junk of [
      '0000:00:00 00:00:00',
      '    :  :     :  :  ',
      '2021-06-01',
      'x',
      '2021:13:01 00:00:00',
    ]) {
      expect(exifDate(junk, undefined)).toBeNull()
    }
    expect(exifDate(20210601, undefined)).toBeNull()
  })
})

describe('summarise', () => {
  test('coordinates need both latitude and longitude, in range', () => {
    expect(summarise({ GPSLatitude: [10, 30, 0], GPSLatitudeRef: 'N' }).gpsLatitude).toBeNull()
    expect(summarise({ GPSLatitude: [91, 0, 0], GPSLongitude: [1, 0, 0] }).gpsLatitude).toBeNull()
    const s = summarise({
      GPSLatitude: [10, 30, 0],
      GPSLongitude: [1, 0, 36],
      GPSLongitudeRef: 'W',
    })
    expect([s.gpsLatitude, s.gpsLongitude]).toEqual([10.5, -1.01])
  })
  test('strings lose NUL padding; orientation outside 1-8 is null', () => {
    const s = summarise({ Make: 'Canon\u0000\u0000', Orientation: 9, Software: 'x\u0000y' })
    expect(s.cameraMake).toBe('Canon')
    expect(s.orientation).toBeNull()
    expect(s.exif).toEqual({ Software: 'xy' })
  })
  test(`the exif jsonb stays under ${EXIF_JSON_MAX_BYTES} bytes and drops binary and GPS tags`, () => {
    const tags: Record<string, unknown> = {
      Blob: new Uint8Array(10),
      GPSSpeed: 3,
      Long: 'x'.repeat(300),
    }
    for (let i = 0; i < 500; i++) tags[`Tag${i}`] = 'v'.repeat(200)
    const { exif } = summarise(tags)
    expect(JSON.stringify(exif).length).toBeLessThanOrEqual(EXIF_JSON_MAX_BYTES)
    expect(Object.keys(exif ?? {}).length).toBeGreaterThan(30)
    expect(exif).not.toHaveProperty('Blob')
    expect(exif).not.toHaveProperty('GPSSpeed')
    expect(exif).not.toHaveProperty('Long')
  })
})
