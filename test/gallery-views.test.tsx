/** @jsxImportSource hono/jsx */
import { describe, expect, test } from 'bun:test'
import type { ApiImage } from '../src/gallery/api-client'
import { MESSAGES } from '../src/gallery/i18n'
import { DetailPage } from '../src/gallery/views/detail'
import { GridItems } from '../src/gallery/views/grid'

// What the gallery shows when the API carries the fields of the variants and near-duplicate
// features (thumb/large variants, thumbhash, EXIF, similar images), and when it does not.
const base: ApiImage = {
  id: '019abc12-3456-7def-8901-23456789abcd',
  s3_key: 'images/x.jpg',
  original_filename: 'x.jpg',
  mimetype: 'image/jpeg',
  filesize: 1234,
  width: 640,
  height: 480,
  title: '湖の朝',
  description: '',
  tags: [],
  metadata: {},
  gemini_analysis: null,
  analysis_status: 'none',
  analysis_error: null,
  uploaded_at: '2026-11-30T09:00:00.000Z',
  uploaded_by: 'tester',
  download_url: 'http://host/original',
}
const rich: ApiImage = {
  ...base,
  variants: { thumb: 'http://host/thumb', large: 'http://host/large' },
  thumbhash: 'YJqGPQw7sFlslqhFafSE+Q6oJ1h2iHB2Rw==',
  taken_at: '2026-05-01T06:30:00Z',
  camera_make: 'FUJIFILM',
  camera_model: 'X-T5',
  gps_latitude: 35.3606,
  gps_longitude: 138.7274,
}
const en = MESSAGES.en
const html = (node: unknown) => String(node)

describe('gallery views', () => {
  test('grid cells use the thumb variant and its thumbhash when present, else the original', () => {
    const withVariants = html(<GridItems images={[rich]} t={en} />)
    expect(withVariants).toContain('src="http://host/thumb"')
    expect(withVariants).toContain(`data-thumbhash="${rich.thumbhash}"`)
    expect(withVariants).toContain('alt="湖の朝"')
    const plain = html(<GridItems images={[base]} t={en} />)
    expect(plain).toContain('src="http://host/original"')
    expect(plain).not.toContain('data-thumbhash')
  })

  test('the detail view shows the large variant, EXIF and a map link only with GPS', () => {
    const page = html(<DetailPage image={rich} writable={false} t={en} lang="en" />)
    expect(page).toContain('src="http://host/large"')
    expect(page).toContain('FUJIFILM X-T5')
    expect(page).toContain('datetime="2026-05-01T06:30:00Z"')
    expect(page).toContain('https://www.openstreetmap.org/?mlat=35.3606&amp;mlon=138.7274')
    const noGps = { ...rich, gps_latitude: null, gps_longitude: null }
    const withoutGps = html(<DetailPage image={noGps} writable={false} t={en} lang="en" />)
    expect(withoutGps).toContain('FUJIFILM X-T5')
    expect(withoutGps).not.toContain('openstreetmap')
    const plain = html(<DetailPage image={base} writable={false} t={en} lang="en" />)
    expect(plain).toContain('src="http://host/original"')
    expect(plain).not.toContain('id="exif-h"')
    expect(plain).toContain('30 Nov 2026, 09:00 UTC')
    expect(html(<DetailPage image={base} writable={false} t={MESSAGES.ja} lang="ja" />)).toContain(
      '2026/11/30 9:00 UTC',
    )
  })

  test('similar images are listed only when there are some', () => {
    const similar = [{ id: rich.id, title: '似た画像', variants: { thumb: 'http://host/t2' } }]
    const page = html(
      <DetailPage image={base} similar={similar} writable={false} t={en} lang="en" />,
    )
    expect(page).toContain('Similar images')
    expect(page).toContain('src="http://host/t2"')
    expect(
      html(<DetailPage image={base} similar={[]} writable={false} t={en} lang="en" />),
    ).not.toContain('Similar images')
  })
})
