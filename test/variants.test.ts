import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import sharp from 'sharp'
import { images } from '../src/db/schema'
import type { GarbagePacer } from '../src/http/garbage-pacer'
import { ImageRepository } from '../src/images/repository'
import { VariantService, VariantSourceGone } from '../src/images/variants'
import { renderVariant } from '../src/media/variant-render'
import { reconcile } from '../src/reconcile/reconcile'
import { call } from './support/api'
import { json, startTestApp, type TestApp, upload } from './support/app'
import { createTestDatabase } from './support/database'
import { CAMERA_TAGS, readTags, skipWithoutExiftool, withExiftool } from './support/exiftool'
import { makeBmp, makeJpeg, makePng } from './support/images'
import { replacingCalls } from './support/storage-calls'

const bytesOf = async (res: Response) => new Uint8Array(await res.arrayBuffer())

/** A two-frame animated GIF: red, then blue. */
async function animatedGif() {
  const frame = (colour: string) =>
    sharp({ create: { width: 40, height: 30, channels: 3, background: colour } })
      .png()
      .toBuffer()
  return new Uint8Array(
    await sharp([await frame('#ff0000'), await frame('#0000ff')], { join: { animated: true } })
      .gif()
      .toBuffer(),
  )
}

describe.each(['local', 's3'] as const)(
  'GET /api/images/:id/variants/:preset (%s storage)',
  (storage) => {
    let t: TestApp
    let photo: { id: string; md5_hash: string; variants: Record<string, string> }
    beforeAll(async () => {
      t = await startTestApp({ storage })
      const res = await upload(t.url, makeJpeg(600, 400, { seed: 51 }))
      photo = (await json(res)).data
    })
    afterAll(() => t.stop())

    const get = (id: string, preset: string, query = '', headers: Record<string, string> = {}) =>
      call(t.url, 'GET', `/api/images/${id}/variants/${preset}${query}`, { headers })

    test('thumb: WebP, longest side 256, cached in storage, immutable', async () => {
      const first = await get(photo.id, 'thumb')
      expect(first.status).toBe(200)
      expect(first.headers.get('content-type')).toBe('image/webp')
      expect(first.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
      const etag = first.headers.get('etag')
      expect(etag).toBe(`"${photo.md5_hash}-thumb-256-webp"`)
      const body = await bytesOf(first)
      const meta = await sharp(body).metadata()
      expect([meta.format, meta.width, meta.height]).toEqual(['webp', 256, 171])
      expect(meta.exif).toBeUndefined()
      expect(meta.icc).toBeUndefined()
      const stored = await t.deps.storage.stat(`variants/${photo.md5_hash}/thumb-256.webp`)
      expect(stored?.size).toBe(body.byteLength)
      const second = await get(photo.id, 'thumb')
      expect(second.headers.get('etag')).toBe(etag)
      expect(await bytesOf(second)).toEqual(body)
    })

    test('every preset fits its side and never enlarges', async () => {
      for (const [preset, size] of [
        ['small', [512, 341]],
        ['medium', [600, 400]],
        ['large', [600, 400]],
      ] as const) {
        const meta = await sharp(await bytesOf(await get(photo.id, preset))).metadata()
        expect([meta.width, meta.height], preset).toEqual([...size])
      }
    })

    test('format: avif, jpeg, png; auto follows Accept and says Vary', async () => {
      for (const format of ['avif', 'jpeg', 'png'] as const) {
        const res = await get(photo.id, 'thumb', `?format=${format}`)
        expect(res.headers.get('content-type')).toBe(`image/${format}`)
        const meta = await sharp(await bytesOf(res)).metadata()
        expect(meta.format).toBe(format === 'avif' ? 'heif' : format)
        expect(meta.width).toBe(256)
      }
      for (const [accept, type] of [
        ['image/avif,image/webp,*/*', 'image/avif'],
        ['image/webp,*/*', 'image/webp'],
        ['*/*', 'image/jpeg'],
      ] as const) {
        const res = await get(photo.id, 'thumb', '?format=auto', { accept })
        expect(res.headers.get('content-type')).toBe(type)
        expect(res.headers.get('vary')).toBe('Accept')
        await res.arrayBuffer()
      }
    })

    test('304 on If-None-Match, 206 for a range, 416 past the end', async () => {
      const whole = await bytesOf(await get(photo.id, 'thumb'))
      const etag = `"${photo.md5_hash}-thumb-256-webp"`
      const notModified = await get(photo.id, 'thumb', '', { 'if-none-match': etag })
      expect(notModified.status).toBe(304)
      const partial = await get(photo.id, 'thumb', '', { range: 'bytes=10-19' })
      expect(partial.status).toBe(206)
      expect(partial.headers.get('content-range')).toBe(`bytes 10-19/${whole.byteLength}`)
      expect(await bytesOf(partial)).toEqual(whole.subarray(10, 20))
      const past = await get(photo.id, 'thumb', '', { range: `bytes=${whole.byteLength}-` })
      expect(past.status).toBe(416)
      expect((await json(past)).error).toBe('Range not satisfiable')
    })

    test('bad preset, bad format, bad id, unknown id, no key', async () => {
      const bad = async (res: Response, status: number, message: RegExp) => {
        expect(res.status).toBe(status)
        expect((await json(res)).message).toMatch(message)
      }
      await bad(
        await get(photo.id, 'huge'),
        400,
        /preset: must be one of thumb, small, medium, large/,
      )
      await bad(await get(photo.id, 'thumb', '?format=gif'), 400, /format: must be one of/)
      await bad(await get('nope', 'thumb'), 400, /id: must be a UUID/)
      await bad(await get('019abc12-3456-7def-8901-23456789abcd', 'thumb'), 404, /No image/)
      const anonymous = await call(t.url, 'GET', `/api/images/${photo.id}/variants/thumb`, {
        key: null,
      })
      expect(anonymous.status).toBe(401)
    })

    test('the record carries signed variant URLs that work without a key, per preset only', async () => {
      expect(Object.keys(photo.variants)).toEqual(['thumb', 'small', 'medium', 'large'])
      const signed = await fetch(photo.variants.thumb as string)
      expect(signed.status).toBe(200)
      expect(signed.headers.get('content-type')).toBe('image/webp')
      await signed.arrayBuffer()
      const avif = await fetch(`${photo.variants.thumb}&format=avif`)
      expect(avif.headers.get('content-type')).toBe('image/avif')
      await avif.arrayBuffer()
      // The thumb's signature does not open the large variant, nor does a tampered one open any.
      const other = (photo.variants.thumb as string).replace('/variants/thumb?', '/variants/large?')
      expect((await fetch(other)).status).toBe(403)
      const url = new URL(photo.variants.thumb as string)
      const signature = url.searchParams.get('signature') ?? ''
      // One character changed, never to itself.
      url.searchParams.set(
        'signature',
        `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`,
      )
      const tampered = url.toString()
      expect((await fetch(tampered)).status).toBe(403)
    })

    test('an animated GIF gives its first frame; BMP and PNG render too', async () => {
      const gif = (await json(await upload(t.url, await animatedGif(), { filename: 'a.gif' }))).data
      const { data, info } = await sharp(await bytesOf(await get(gif.id, 'thumb', '?format=png')))
        .raw()
        .toBuffer({ resolveWithObject: true })
      expect([info.width, info.height]).toEqual([40, 30])
      expect([data[0], data[1], data[2]]).toEqual([255, 0, 0])
      for (const [bytes, filename, size] of [
        [makeBmp(300, 150), 'a.bmp', [256, 128]],
        [makePng(100, 300, { seed: 52 }), 'a.png', [85, 256]],
      ] as const) {
        const image = (await json(await upload(t.url, bytes, { filename }))).data
        const meta = await sharp(await bytesOf(await get(image.id, 'thumb'))).metadata()
        expect([meta.width, meta.height], filename).toEqual([...size])
      }
    })

    test('a damaged stored original is a 422 at variant time, not a 500', async () => {
      const image = (await json(await upload(t.url, makeJpeg(50, 50, { seed: 53 })))).data
      await t.deps.storage.put(image.s3_key, new TextEncoder().encode('not an image'), 'image/jpeg')
      const res = await get(image.id, 'thumb')
      expect(res.status).toBe(422)
      expect((await json(res)).message).toMatch(/The stored image is damaged/)
    })

    test('a stored original cut short or with a broken BMP header is a 422, not a 500', async () => {
      const jpeg = (await json(await upload(t.url, makeJpeg(300, 200, { seed: 58 })))).data
      const whole = await new Response(await t.deps.storage.read(jpeg.s3_key)).bytes()
      // libvips finds the cut itself as it decodes: the JPEG is only sniffed beforehand.
      await t.deps.storage.put(jpeg.s3_key, whole.subarray(0, whole.length / 2), 'image/jpeg')
      const cut = await get(jpeg.id, 'thumb')
      expect(cut.status).toBe(422)
      expect((await json(cut)).message).toMatch(/The stored image does not decode/)
      // BMP is decoded here, not by libvips: its header is walked first.
      const bmp = (await json(await upload(t.url, makeBmp(60, 40), { filename: 'a.bmp' }))).data
      const bmpWhole = await new Response(await t.deps.storage.read(bmp.s3_key)).bytes()
      await t.deps.storage.put(bmp.s3_key, bmpWhole.subarray(0, 200), 'image/bmp')
      const broken = await get(bmp.id, 'thumb')
      expect(broken.status).toBe(422)
      expect((await json(broken)).message).toMatch(/The stored image is damaged/)
    })

    test.each([false, true])(
      'a row deleted while its variant renders: not stored, the source is gone (across processes: %p)',
      async (acrossProcesses) => {
        const image = (await json(await upload(t.url, makeJpeg(90, 60, { seed: 59 })))).data
        const repo = new ImageRepository(t.deps.database.db)
        const row = await repo.findById(image.id)
        if (!row) throw new Error('row missing')
        // The row goes, its object stays: only the check for a row can tell (under the content
        // lock across processes; after the put, which it then removes, in one).
        await t.deps.database.db.delete(images).where(eq(images.id, image.id))
        const service = new VariantService(repo, t.deps.storage, {
          presets: { thumb: 256 },
          maxPixels: 1e8,
          concurrency: 2,
          acrossProcesses,
        })
        await expect(service.ensure(row, 'thumb', 'webp')).rejects.toBeInstanceOf(VariantSourceGone)
        expect(await t.deps.storage.stat(`variants/${image.md5_hash}/thumb-256.webp`)).toBeNull()
      },
    )

    test('originals are read into kept buffers where the store can fill one; larger ones are read whole', async () => {
      const repo = new ImageRepository(t.deps.database.db)
      const stored = async (seed: number, width: number) => {
        const bytes = makeJpeg(width, Math.round(width * 0.75), { seed })
        const image = (await json(await upload(t.url, bytes))).data
        const row = await repo.findById(image.id)
        if (!row) throw new Error('row missing')
        return { bytes, row }
      }
      // The larger original first, so the smaller ones are read over its bytes.
      const large = await stored(62, 640)
      const small = await stored(63, 200)
      const medium = await stored(64, 320)
      // Buffers of exactly the medium original's size: it fits, the large one does not.
      const size = medium.bytes.byteLength
      // Both drivers fill a buffer (a local file in place, S3's body chunk by chunk).
      const pooled = Boolean(t.deps.storage.readInto)
      expect(pooled).toBe(true)
      // Exactly one buffer's worth kept, then one byte less: no buffer is used.
      for (const retained of [size, size - 1]) {
        const released: number[] = []
        const garbage = { released: (n: number) => released.push(n) } as unknown as GarbagePacer
        const service = new VariantService(repo, t.deps.storage, {
          presets: { thumb: 256 },
          maxPixels: 1e8,
          concurrency: 1,
          acrossProcesses: t.deps.database.kind === 'postgres',
          garbage,
          readBuffers: { size, retained },
        })
        for (const { bytes, row } of [large, small, medium]) {
          released.length = 0
          await t.deps.storage.delete(`variants/${row.md5Hash}/thumb-256.webp`)
          const made = await service.ensure(row, 'thumb', 'webp')
          const body = await new Response(await t.deps.storage.read(made.key)).bytes()
          // Byte for byte what the same render of the original makes.
          expect(body).toEqual(await renderVariant(bytes, 'jpeg', 256, 'webp', 1e8))
          // Without room to keep one buffer, none is used: every original is read whole.
          const kept = pooled && retained >= size && bytes.byteLength <= size
          expect(released).toEqual([...(kept ? [] : [bytes.byteLength]), made.size])
        }
      }
    })

    test('an original gone before it is read: source gone, nothing stored', async () => {
      const image = (await json(await upload(t.url, makeJpeg(90, 60, { seed: 61 })))).data
      const repo = new ImageRepository(t.deps.database.db)
      const row = await repo.findById(image.id)
      if (!row) throw new Error('row missing')
      await t.deps.storage.delete(row.s3Key)
      const service = new VariantService(repo, t.deps.storage, {
        presets: { thumb: 256 },
        maxPixels: 1e8,
        concurrency: 2,
        acrossProcesses: t.deps.database.kind === 'postgres',
        readBuffers: { size: 1024 * 1024, retained: 1024 * 1024 },
      })
      await expect(service.ensure(row, 'thumb', 'webp')).rejects.toBeInstanceOf(VariantSourceGone)
      expect(await t.deps.storage.stat(`variants/${image.md5_hash}/thumb-256.webp`)).toBeNull()
    })

    test('deleting the image deletes its variants', async () => {
      const image = (await json(await upload(t.url, makeJpeg(80, 60, { seed: 54 })))).data
      for (const preset of ['thumb', 'small']) await (await get(image.id, preset)).arrayBuffer()
      const listed = async () => {
        const keys: string[] = []
        for await (const o of t.deps.storage.list(`variants/${image.md5_hash}/`)) keys.push(o.key)
        return keys
      }
      expect((await listed()).length).toBe(2)
      expect((await call(t.url, 'DELETE', `/api/images/${image.id}`)).status).toBe(204)
      expect(await listed()).toEqual([])
      // The same content uploaded again: its variants are made anew, not served from memory.
      const again = (await json(await upload(t.url, makeJpeg(80, 60, { seed: 54 })))).data
      expect(again.md5_hash).toBe(image.md5_hash)
      const thumb = await get(again.id, 'thumb')
      expect(thumb.status).toBe(200)
      expect((await sharp(await bytesOf(thumb)).metadata()).width).toBe(80)
      expect(await listed()).toEqual([`variants/${image.md5_hash}/thumb-256.webp`])
    })

    test('reconcile keeps live variants and removes orphan ones', async () => {
      await (await get(photo.id, 'thumb')).arrayBuffer()
      const orphan = `variants/${'f'.repeat(32)}/thumb-256.webp`
      await t.deps.storage.put(orphan, new Uint8Array([1, 2, 3]), 'image/webp')
      const options = { db: t.deps.database.db, storage: t.deps.storage, grace: 0, verify: false }
      const dry = await reconcile({ ...options, apply: false })
      expect(dry.variant_objects).toBeGreaterThan(1)
      expect(dry.orphans.items.filter((o) => o.key.startsWith('variants/'))).toMatchObject([
        { key: orphan, action: 'stale' },
      ])
      const applied = await reconcile({ ...options, apply: true })
      expect(applied.orphans.items.filter((o) => o.key.startsWith('variants/'))).toMatchObject([
        { key: orphan, action: 'deleted' },
      ])
      expect(await t.deps.storage.stat(orphan)).toBeNull()
      expect(await t.deps.storage.stat(`variants/${photo.md5_hash}/thumb-256.webp`)).not.toBeNull()
    })

    test('concurrent first requests render once', async () => {
      const image = (await json(await upload(t.url, makeJpeg(400, 300, { seed: 55 })))).data
      const rendered: string[] = []
      const service = new VariantService(
        new ImageRepository(t.deps.database.db),
        t.deps.storage,
        {
          presets: { thumb: 256 },
          maxPixels: 1e8,
          concurrency: 2,
          acrossProcesses: t.deps.database.kind === 'postgres',
        },
        { onRender: (key) => rendered.push(key) },
      )
      const row = await new ImageRepository(t.deps.database.db).findById(image.id)
      if (!row) throw new Error('row missing')
      const results = await Promise.all(
        Array.from({ length: 8 }, () => service.ensure(row, 'thumb', 'webp')),
      )
      expect(rendered).toEqual([`variants/${image.md5_hash}/thumb-256.webp`])
      expect(new Set(results.map((r) => r.size)).size).toBe(1)
      // And through HTTP, many at once all get the same bytes.
      const bodies = await Promise.all(
        Array.from({ length: 6 }, async () => bytesOf(await get(image.id, 'small'))),
      )
      for (const body of bodies) expect(body).toEqual(bodies[0] ?? new Uint8Array())
    })

    test('in one process, an image deleted while its variant is being stored: the variant does not stay', async () => {
      const image = (await json(await upload(t.url, makeJpeg(90, 60, { seed: 68 })))).data
      const repo = new ImageRepository(t.deps.database.db)
      const row = await repo.findById(image.id)
      if (!row) throw new Error('row missing')
      const base = t.deps.storage
      const deletes: number[] = []
      // The whole delete (row, original, the sweep of variants) runs before the variant lands.
      const racing = replacingCalls(base, {
        put: async (key, bytes, type) => {
          if (key.startsWith('variants/'))
            deletes.push((await call(t.url, 'DELETE', `/api/images/${image.id}`)).status)
          return base.put(key, bytes, type)
        },
      })
      const service = new VariantService(repo, racing, {
        presets: { thumb: 256 },
        maxPixels: 1e8,
        concurrency: 1,
        acrossProcesses: false,
      })
      await expect(service.ensure(row, 'thumb', 'webp')).rejects.toBeInstanceOf(VariantSourceGone)
      expect(deletes).toEqual([204])
      expect(await base.stat(`variants/${image.md5_hash}/thumb-256.webp`)).toBeNull()
    })

    test('the next originals are read while others render; renders stay within the concurrency', async () => {
      const repo = new ImageRepository(t.deps.database.db)
      const rows = []
      for (const seed of [65, 66, 67]) {
        const image = (await json(await upload(t.url, makeJpeg(320, 240, { seed })))).data
        const row = await repo.findById(image.id)
        if (!row) throw new Error('row missing')
        rows.push(row)
      }
      // Reads of originals wait at a gate, as a slow store's would, and are counted in flight.
      const base = t.deps.storage
      let open = () => {}
      const gate = new Promise<void>((resolve) => {
        open = resolve
      })
      const reads = { now: 0, most: 0 }
      const gated = async <T>(read: () => Promise<T>) => {
        reads.most = Math.max(reads.most, ++reads.now)
        try {
          await gate
          return await read()
        } finally {
          reads.now--
        }
      }
      const slow = replacingCalls(base, {
        read: (key, range) => gated(() => base.read(key, range)),
        readInto: (key, target) => gated(async () => (await base.readInto?.(key, target)) ?? null),
      })
      const renders = { now: 0, most: 0 }
      const service = new VariantService(
        repo,
        slow,
        {
          presets: { thumb: 256 },
          maxPixels: 1e8,
          concurrency: 1,
          acrossProcesses: t.deps.database.kind === 'postgres',
          readBuffers: { size: 1024 * 1024, retained: 4 * 1024 * 1024 },
        },
        {
          onRender: () => {
            renders.most = Math.max(renders.most, ++renders.now)
          },
          onRendered: () => {
            renders.now--
          },
        },
      )
      const made = Promise.all(rows.map((row) => service.ensure(row, 'thumb', 'webp')))
      // Two variants in the works per render slot: two originals wait at the gate, not three.
      for (let i = 0; i < 200 && reads.now < 2; i++) await Bun.sleep(10)
      await Bun.sleep(50)
      expect(reads).toEqual({ now: 2, most: 2 })
      open()
      expect((await made).map((v) => v.key)).toEqual(
        rows.map((row) => `variants/${row.md5Hash}/thumb-256.webp`),
      )
      expect(renders).toEqual({ now: 0, most: 1 })
    })

    describe.skipIf(skipWithoutExiftool('variant metadata test'))('with real EXIF', () => {
      test('auto-oriented, and no EXIF or GPS survives into any format', async () => {
        const bytes = await withExiftool(makeJpeg(300, 200, { seed: 56 }), 'jpg', CAMERA_TAGS)
        const image = (await json(await upload(t.url, bytes))).data
        for (const format of ['webp', 'jpeg', 'png', 'avif']) {
          const body = await bytesOf(await get(image.id, 'thumb', `?format=${format}`))
          const meta = await sharp(body).metadata()
          // Orientation 6: the 300x200 file is shown as 200x300.
          expect([meta.width, meta.height], format).toEqual([171, 256])
          expect(meta.exif, format).toBeUndefined()
          const ext = format === 'jpeg' ? 'jpg' : format
          const tags = await readTags(body, ext)
          expect(
            Object.keys(tags).filter((k) => /GPS|Make|Orientation/.test(k)),
            format,
          ).toEqual([])
        }
      })
    })
  },
)

describe.skipIf(!process.env.TEST_DATABASE_URL)('variants across replicas (PostgreSQL)', () => {
  test('two processes sharing the database and storage render a variant once', async () => {
    const database = await createTestDatabase()
    const dataDir = `${(await import('node:os')).tmpdir()}/variants-replicas-${Date.now()}`
    const a = await startTestApp({ database, dataDir })
    const b = await startTestApp({ database, dataDir })
    try {
      const image = (await json(await upload(a.url, makeJpeg(500, 300, { seed: 57 })))).data
      const repo = new ImageRepository(a.deps.database.db)
      const row = await repo.findById(image.id)
      if (!row) throw new Error('row missing')
      const rendered: string[] = []
      const replica = (app: TestApp) =>
        new VariantService(
          new ImageRepository(app.deps.database.db),
          app.deps.storage,
          { presets: { medium: 1024 }, maxPixels: 1e8, concurrency: 2, acrossProcesses: true },
          { onRender: (key) => rendered.push(key) },
        )
      await Promise.all([
        replica(a).ensure(row, 'medium', 'avif'),
        replica(b).ensure(row, 'medium', 'avif'),
        replica(a).ensure(row, 'medium', 'avif'),
        replica(b).ensure(row, 'medium', 'avif'),
      ])
      expect(rendered).toEqual([`variants/${image.md5_hash}/medium-1024.avif`])
    } finally {
      await a.stop()
      await b.stop()
      await database.drop()
      await (await import('node:fs/promises')).rm(dataDir, { recursive: true, force: true })
    }
  })
})
