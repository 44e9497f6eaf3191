import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { count, eq } from 'drizzle-orm'
import { images } from '../src/db/schema'
import { call, READ_KEY, WRITE_KEY } from './support/api'
import { json, startTestApp, type TestApp, upload } from './support/app'
import { encodeBmp, rgbOf } from './support/bmp'
import { makeBmp } from './support/images'
import { makeFlat, makeScene, makeVariant } from './support/photos'

const meta = (title: string) => ({ title, description: 'd' })

async function uploadOk(t: TestApp, bytes: Uint8Array, title: string, fields = {}) {
  const res = await upload(t.url, bytes, { metadata: meta(title), fields, filename: 'p.png' })
  expect(res.status).toBe(201)
  return json(res)
}

const rowCount = async (t: TestApp) =>
  (await t.deps.database.db.select({ n: count() }).from(images))[0]?.n

function searchByImage(t: TestApp, bytes: Uint8Array, query = '', key: string | null = READ_KEY) {
  const form = new FormData()
  form.append('image_file', new File([bytes as Uint8Array<ArrayBuffer>], 'q.png'))
  const headers: Record<string, string> = key ? { 'X-API-Key': key } : {}
  return fetch(`${t.url}/api/images/search-by-image${query}`, {
    method: 'POST',
    body: form,
    headers,
  })
}

describe('near-duplicates', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp()
  })
  afterAll(() => t?.stop())

  test('every 201 carries near_duplicates: empty for a new picture, the original for a copy', async () => {
    const scene = await makeScene(101)
    const first = await uploadOk(t, scene, 'original')
    expect(first.near_duplicates).toEqual([])

    const copy = await uploadOk(t, await makeVariant(scene, 'jpeg60'), 'recompressed')
    expect(copy.near_duplicates).toHaveLength(1)
    const [near] = copy.near_duplicates
    expect(near).toEqual({
      id: first.data.id,
      distance: near.distance,
      title: 'original',
      s3_key: first.data.s3_key,
    })
    expect(near.distance).toBeGreaterThanOrEqual(0)
    expect(near.distance).toBeLessThanOrEqual(t.config.nearDuplicates.distance)

    // Nearest first: a third copy lists both, sorted by distance.
    const third = await uploadOk(t, await makeVariant(scene, 'half'), 'resized')
    const distances = third.near_duplicates.map((n: { distance: number }) => n.distance)
    expect(third.near_duplicates.map((n: { id: string }) => n.id).sort()).toEqual(
      [first.data.id, copy.data.id].sort(),
    )
    expect(distances).toEqual([...distances].sort((a, b) => a - b))

    const unrelated = await uploadOk(t, await makeScene(202), 'unrelated')
    expect(unrelated.near_duplicates).toEqual([])
  })

  test('reject: 409 naming the similar images, nothing stored; warn and allow store', async () => {
    const scene = await makeScene(303)
    const original = await uploadOk(t, scene, 'kept')
    const copy = await makeVariant(scene, 'brighter')
    const before = await rowCount(t)

    const rejected = await upload(t.url, copy, {
      metadata: meta('copy'),
      fields: { on_near_duplicate: 'reject' },
    })
    expect(rejected.status).toBe(409)
    const body = await json(rejected)
    expect(Object.keys(body).sort()).toEqual(['error', 'message', 'similar_images'])
    expect(body.error).toBe('Similar image exists')
    expect(body.message).toContain('nothing was stored')
    expect(body.similar_images).toEqual([
      {
        id: original.data.id,
        distance: expect.any(Number),
        title: 'kept',
        s3_key: original.data.s3_key,
      },
    ])
    expect(await rowCount(t)).toBe(before)

    // The query parameter works the same; the form field and the query must agree.
    const byQuery = await fetch(`${t.url}/api/upload?on_near_duplicate=reject`, {
      method: 'POST',
      headers: { 'X-API-Key': WRITE_KEY },
      body: (() => {
        const form = new FormData()
        form.append('image_file', new File([copy as Uint8Array<ArrayBuffer>], 'c.png'))
        form.append('metadata', JSON.stringify(meta('copy')))
        return form
      })(),
    })
    expect(byQuery.status).toBe(409)
    const disagree = await fetch(`${t.url}/api/upload?on_near_duplicate=allow`, {
      method: 'POST',
      headers: { 'X-API-Key': WRITE_KEY },
      body: (() => {
        const form = new FormData()
        form.append('image_file', new File([copy as Uint8Array<ArrayBuffer>], 'c.png'))
        form.append('metadata', JSON.stringify(meta('copy')))
        form.append('on_near_duplicate', 'reject')
        return form
      })(),
    })
    expect(disagree.status).toBe(400)
    const bad = await upload(t.url, copy, {
      metadata: meta('c'),
      fields: { on_near_duplicate: 'maybe' },
    })
    expect(bad.status).toBe(400)
    expect(await json(bad)).toEqual({
      error: 'Bad request',
      message: 'on_near_duplicate: must be one of allow, warn, reject',
    })
    expect(await rowCount(t)).toBe(before)

    // allow: stored, not looked for (null); warn: stored, both listed.
    const allowed = await uploadOk(t, copy, 'allowed', { on_near_duplicate: 'allow' })
    expect(allowed.near_duplicates).toBeNull()
    const warned = await uploadOk(t, await makeVariant(scene, 'jpeg60'), 'warned', {
      on_near_duplicate: 'warn',
    })
    expect(warned.near_duplicates.map((n: { id: string }) => n.id).sort()).toEqual(
      [original.data.id, allowed.data.id].sort(),
    )
  })

  test('an exact duplicate keeps its 409 body exactly, whatever the policy', async () => {
    const scene = await makeScene(404)
    const original = await uploadOk(t, scene, 'exact')
    for (const policy of ['reject', 'warn', 'allow']) {
      const res = await upload(t.url, scene, { fields: { on_near_duplicate: policy } })
      expect(res.status).toBe(409)
      expect(await json(res)).toEqual({
        error: 'Image already exists',
        message: 'An image with the same content already exists',
        existing_image: {
          id: original.data.id,
          s3_key: original.data.s3_key,
          title: 'exact',
          description: 'd',
        },
      })
    }
  })

  test('low-information hashes are stored but never near-duplicates of each other', async () => {
    const black = await uploadOk(t, await makeFlat(0), 'black')
    const grey = await uploadOk(t, await makeFlat(128), 'grey', { on_near_duplicate: 'reject' })
    const white = await uploadOk(t, await makeFlat(255, 90, 60), 'white', {
      on_near_duplicate: 'reject',
    })
    expect([black, grey, white].map((b) => b.near_duplicates)).toEqual([[], [], []])
    const [row] = await t.deps.database.db
      .select({ hash: images.perceptualHash, low: images.perceptualHashLowInformation })
      .from(images)
      .where(eq(images.id, grey.data.id))
    expect(row).toEqual({ hash: 0n, low: true })
    const similar = await call(t.url, 'GET', `/api/images/${grey.data.id}/similar?max_distance=24`)
    expect((await json(similar)).data).toEqual([])
    const search = await searchByImage(t, await makeFlat(60), '?max_distance=24')
    expect((await json(search)).data).toEqual([])
  })

  test('GET /api/images/:id/similar: by distance, paginated, itself excluded', async () => {
    const scene = await makeScene(505)
    const base = await uploadOk(t, scene, 'base')
    const ids: string[] = []
    for (const kind of ['jpeg60', 'half', 'brighter', 'webp'] as const) {
      ids.push((await uploadOk(t, await makeVariant(scene, kind), kind)).data.id)
    }
    const seen: { id: string; distance: number }[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const query: string = `?limit=3&max_distance=12${cursor ? `&cursor=${cursor}` : ''}`
      const res = await call(t.url, 'GET', `/api/images/${base.data.id}/similar${query}`, {
        key: READ_KEY,
      })
      expect(res.status).toBe(200)
      const page = await json(res)
      expect(page.data.length).toBeLessThanOrEqual(3)
      for (const image of page.data) {
        expect(image.download_url).toContain(image.id)
        seen.push({ id: image.id, distance: image.distance })
      }
      cursor = page.next_cursor
      pages++
    } while (cursor)
    expect(pages).toBe(2)
    expect(seen.map((s) => s.id).sort()).toEqual([...ids].sort())
    const order = [...seen].sort((a, b) => a.distance - b.distance || (a.id < b.id ? -1 : 1))
    expect(seen).toEqual(order)

    const exact = await json(
      await call(t.url, 'GET', `/api/images/${base.data.id}/similar?max_distance=0`),
    )
    expect(exact.data.every((i: { distance: number }) => i.distance === 0)).toBe(true)
    expect(exact.data.length).toBe(seen.filter((s) => s.distance === 0).length)

    const edge = await call(t.url, 'GET', `/api/images/${base.data.id}/similar?max_distance=24`)
    expect(edge.status).toBe(200)
    const over = await call(t.url, 'GET', `/api/images/${base.data.id}/similar?max_distance=25`)
    expect(over.status).toBe(400)
    const badCursor = await call(t.url, 'GET', `/api/images/${base.data.id}/similar?cursor=abc`)
    expect(badCursor.status).toBe(400)
    expect((await json(badCursor)).message).toContain('cursor')
    const missing = await call(
      t.url,
      'GET',
      '/api/images/00000000-0000-4000-8000-000000000000/similar',
    )
    expect(missing.status).toBe(404)
  })

  test('POST /api/images/search-by-image lists similar images and stores nothing', async () => {
    const scene = await makeScene(606)
    const stored = await uploadOk(t, scene, 'searchable')
    const before = await rowCount(t)
    const probe = await makeVariant(scene, 'half')
    const res = await searchByImage(t, probe)
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body.data.map((i: { id: string }) => i.id)).toEqual([stored.data.id])
    expect(body.data[0].distance).toBeLessThanOrEqual(t.config.nearDuplicates.distance)
    expect(body.next_cursor).toBeNull()
    expect(await rowCount(t)).toBe(before)
    // The probe itself was not stored: uploading it is not an exact duplicate.
    const byMd5 = await call(
      t.url,
      'GET',
      `/api/images/by-md5/${new Bun.CryptoHasher('md5').update(probe).digest('hex')}`,
    )
    expect(byMd5.status).toBe(404)

    expect((await searchByImage(t, probe, '', null)).status).toBe(401)
    const notImage = await searchByImage(t, new TextEncoder().encode('hello, not an image'))
    expect(notImage.status).toBe(415)
    // The same picture as BMP finds it too; a BMP whose pixels do not decode (RLE) is a 422.
    const bmp = await searchByImage(t, encodeBmp(await rgbOf(scene), { bits: 24 }))
    expect(bmp.status).toBe(200)
    expect((await json(bmp)).data).toMatchObject([{ id: stored.data.id, distance: 0 }])
    const rle = makeBmp(8, 8)
    new DataView(rle.buffer).setUint32(30, 1, true) // BI_RLE8
    const undecodable = await searchByImage(t, rle)
    expect(undecodable.status).toBe(422)
    expect((await json(undecodable)).message).toContain('pixels do not decode')
    const badQuery = await searchByImage(t, probe, '?max_distance=-1')
    expect(badQuery.status).toBe(400)
    expect(await rowCount(t)).toBe(before)
  })

  test('BMP uploads are hashed: the same picture as PNG and as BMP are near-duplicates', async () => {
    const scene = await makeScene(909)
    const png = await uploadOk(t, scene, 'as png')
    const bitmap = encodeBmp(await rgbOf(scene), { bits: 32, topDown: true })
    const refused = await upload(t.url, bitmap, {
      metadata: meta('as bmp'),
      fields: { on_near_duplicate: 'reject' },
      filename: 'p.bmp',
    })
    expect(refused.status).toBe(409)
    expect((await json(refused)).error).toBe('Similar image exists')
    const res = await uploadOk(t, bitmap, 'as bmp')
    expect(res.data.mimetype).toBe('image/bmp')
    expect(res.near_duplicates).toMatchObject([{ id: png.data.id, distance: 0 }])
    const similar = await json(await call(t.url, 'GET', `/api/images/${res.data.id}/similar`))
    expect(similar.data.map((i: { id: string }) => i.id)).toEqual([png.data.id])
  })
})

describe('NEAR_DUPLICATE_POLICY=reject as the default', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({
      env: { NEAR_DUPLICATE_POLICY: 'reject', NEAR_DUPLICATE_DISTANCE: '7' },
    })
  })
  afterAll(() => t?.stop())

  test('refuses a copy without the field; the field overrides the default', async () => {
    const scene = await makeScene(707)
    await uploadOk(t, scene, 'first')
    const copy = await makeVariant(scene, 'jpeg60')
    const refused = await upload(t.url, copy, { metadata: meta('copy') })
    expect(refused.status).toBe(409)
    expect((await json(refused)).error).toBe('Similar image exists')
    const stored = await uploadOk(t, copy, 'copy', { on_near_duplicate: 'warn' })
    expect(stored.near_duplicates).toHaveLength(1)
  })
})
