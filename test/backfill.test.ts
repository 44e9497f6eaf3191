import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { inArray, sql } from 'drizzle-orm'
import { backfill } from '../src/backfill/backfill'
import { backfillPixels } from '../src/backfill/pixels'
import { images } from '../src/db/schema'
import { backfillHashes } from '../src/similarity/backfill'
import { perceptualHash } from '../src/similarity/dhash'
import type { Storage } from '../src/storage/storage'
import { call } from './support/api'
import { json, startTestApp, type TestApp, upload } from './support/app'
import { CAMERA_TAGS, skipWithoutExiftool, withExiftool } from './support/exiftool'
import { storedHashes } from './support/image-rows'
import { concat, makeBmp, makeJpeg } from './support/images'
import { replacingCalls } from './support/storage-calls'

const EXIF_COLUMNS = `thumbhash = null, taken_at = null, camera_make = null, camera_model = null,
  lens = null, orientation = null, gps_latitude = null, gps_longitude = null, gps_altitude = null,
  exif = null`
const PIPELINE_COLUMNS = `${EXIF_COLUMNS}, width = 0, height = 0`

/** The same storage, counting reads by key. */
function countingReads(storage: Storage) {
  const reads = new Map<string, number>()
  const counted = replacingCalls(storage, {
    read: (key, range) => {
      reads.set(key, (reads.get(key) ?? 0) + 1)
      return storage.read(key, range)
    },
  })
  return { storage: counted, reads }
}

/** A JPEG whose scan is cut: the strict decode fails, the lenient one (hashing) does not. */
function truncatedScanJpeg() {
  const whole = makeJpeg(200, 200, { seed: 7 })
  return concat([whole.subarray(0, Math.floor(whole.byteLength / 2)), new Uint8Array([0xff, 0xd9])])
}

describe.skipIf(skipWithoutExiftool('backfill tests'))('bun run backfill', () => {
  describe.each(['local', 's3'] as const)('%s storage', (storage) => {
    let t: TestApp
    const uploaded: Record<string, { id: string; s3_key: string } & Record<string, unknown>> = {}
    beforeAll(async () => {
      t = await startTestApp({ storage })
      const photo = await withExiftool(makeJpeg(90, 60, { seed: 91 }), 'jpg', CAMERA_TAGS)
      for (const [name, bytes, filename] of [
        ['photo', photo, 'a.jpg'],
        ['bmp', makeBmp(30, 20), 'a.bmp'],
        ['broken', makeJpeg(20, 20, { seed: 92 }), 'b.jpg'],
      ] as const) {
        uploaded[name] = (await json(await upload(t.url, bytes, { filename }))).data
      }
      // Rows as the service stored them before the pipeline, and one whose object is damaged.
      await t.deps.database.db.execute(sql.raw(`update images set ${PIPELINE_COLUMNS}`))
      await t.deps.storage.put(
        uploaded.broken?.s3_key ?? '',
        new Uint8Array([1, 2, 3]),
        'image/jpeg',
      )
    })
    afterAll(() => t.stop())

    const read = async (name: string) =>
      (await json(await call(t.url, 'GET', `/api/images/${uploaded[name]?.id}`))).data
    const run = (dryRun: boolean, locationPolicy: 'keep' | 'strip' = 'keep') =>
      backfillPixels({
        db: t.deps.database.db,
        storage: t.deps.storage,
        maxPixels: 1e8,
        locationPolicy,
        concurrency: 2,
        dryRun,
        batchSize: 2,
      })

    test('--dry-run decodes and reports, writes nothing', async () => {
      const report = await run(true)
      expect(report).toMatchObject({ dry_run: true, pending: 3, updated: 2, failed: 1 })
      expect(report.failures).toMatchObject([{ id: uploaded.broken?.id }])
      expect((await read('photo')).thumbhash).toBeNull()
    })

    test('fills the columns as the upload would have, then resumes with only what is left', async () => {
      const progress: number[] = []
      const report = await backfillPixels({
        db: t.deps.database.db,
        storage: t.deps.storage,
        maxPixels: 1e8,
        locationPolicy: 'keep',
        concurrency: 2,
        dryRun: false,
        batchSize: 2,
        onProgress: (p) => progress.push(p.done),
      })
      expect(report).toMatchObject({ dry_run: false, pending: 3, updated: 2, failed: 1 })
      expect(progress).toEqual([1, 2, 3])
      const { download_url: _a, variants: _b, updated_at: _c, ...photo } = await read('photo')
      const {
        download_url: _d,
        variants: _e,
        updated_at: _f,
        ...original
      } = uploaded.photo as Record<string, unknown>
      expect(photo).toEqual(original)
      expect(await read('bmp')).toMatchObject({ width: 30, height: 20, mimetype: 'image/bmp' })
      expect((await read('bmp')).thumbhash).toBe(uploaded.bmp?.thumbhash)
      // Resumable: the next run only sees the row that keeps failing.
      expect(await run(false)).toMatchObject({ pending: 1, updated: 0, failed: 1 })
    })

    test('with LOCATION_POLICY other than keep, GPS columns stay empty', async () => {
      await t.deps.database.db.execute(
        sql.raw(`update images set ${PIPELINE_COLUMNS} where id = '${uploaded.photo?.id}'`),
      )
      await run(false, 'strip')
      expect(await read('photo')).toMatchObject({ gps_latitude: null, camera_make: 'Canon' })
    })

    test('a row lacking pixel columns and hash: one read each, the hash the upload stored', async () => {
      const db = t.deps.database.db
      // The truncated scan can't be uploaded (422): it replaces another upload's object.
      uploaded.cut = (
        await json(await upload(t.url, makeJpeg(24, 24, { seed: 93 }), { filename: 'c.jpg' }))
      ).data
      const cutKey = uploaded.cut?.s3_key ?? ''
      await t.deps.storage.put(cutKey, truncatedScanJpeg(), 'image/jpeg')
      const ids = ['photo', 'bmp', 'broken', 'cut'].map((name) => uploaded[name]?.id ?? '')
      const hashes = () => storedHashes(db, ids)
      const atUpload = await hashes()
      expect(atUpload.filter((r) => r.hash !== null)).toHaveLength(4)
      // As rows from before both features: no pixel columns, no hash.
      await db.execute(
        sql.raw(
          `update images set ${PIPELINE_COLUMNS}, perceptual_hash = null, perceptual_hash_low_information = false`,
        ),
      )
      const passes = async (dryRun: boolean) => {
        const counted = countingReads(t.deps.storage)
        const options = { db, storage: counted.storage, concurrency: 2, dryRun }
        const pixels = await backfillPixels({
          ...options,
          maxPixels: 1e8,
          locationPolicy: 'keep',
          batchSize: 2,
        })
        const hashed = await backfillHashes({ ...options, limitInputPixels: 1e8 })
        return { pixels, hashed, reads: Object.fromEntries(counted.reads) }
      }
      const oneEach = Object.fromEntries(
        ['photo', 'bmp', 'broken', 'cut'].map((name) => [uploaded[name]?.s3_key, 1]),
      )

      // Dry run: the pixel pass would hash photo, bmp and (leniently) cut; the broken object has
      // no pixels at all. The hash pass has nothing: rows without a thumbhash are not its own.
      const dry = await passes(true)
      expect(dry.reads).toEqual(oneEach)
      expect(dry.pixels).toMatchObject({ pending: 4, updated: 2, hashed: 3, failed: 2 })
      expect(dry.hashed).toEqual({ total: 0, hashed: 0, failed: [] })
      expect((await hashes()).every((r) => r.hash === null)).toBe(true)

      const real = await passes(false)
      expect(real.reads).toEqual(oneEach)
      expect(real.pixels).toMatchObject({ pending: 4, updated: 2, hashed: 3, failed: 2 })
      expect(real.pixels.failures.map((f) => f.id).sort()).toEqual(
        [String(uploaded.broken?.id), String(uploaded.cut?.id)].sort(),
      )
      expect(real.hashed).toEqual({ total: 0, hashed: 0, failed: [] })
      // The hashes the upload stored, and what perceptualHash() computes from the stored bytes.
      const after = await hashes()
      const byId = new Map(after.map((r) => [r.id, r]))
      for (const name of ['photo', 'bmp']) {
        const row = uploaded[name]
        expect(byId.get(row?.id ?? '')).toEqual(atUpload.find((r) => r.id === row?.id))
        const bytes = await new Response(await t.deps.storage.read(row?.s3_key ?? '')).bytes()
        const fromBytes = await perceptualHash(bytes, String(row?.mimetype), {
          limitInputPixels: 1e8,
        })
        expect(byId.get(row?.id ?? '')?.hash).toBe(fromBytes?.hash ?? null)
      }
      // The cut scan has the lenient hash and still no thumbhash; the broken one neither.
      const cut = await perceptualHash(truncatedScanJpeg(), 'image/jpeg', { limitInputPixels: 1e8 })
      expect(cut).not.toBeNull()
      expect(byId.get(uploaded.cut?.id ?? '')?.hash).toBe(cut?.hash ?? null)
      expect(byId.get(uploaded.broken?.id ?? '')?.hash).toBeNull()

      // Resumed: only the failing rows are read again, and the cut one is not hashed twice.
      const again = await passes(false)
      expect(again.pixels).toMatchObject({ pending: 2, updated: 0, hashed: 0, failed: 2 })
      expect(again.reads).toEqual({ [uploaded.broken?.s3_key ?? '']: 1, [cutKey]: 1 })

      // A row that has its pixel columns but lost its hash is the hash pass's, read once.
      await db
        .update(images)
        .set({ perceptualHash: null })
        .where(inArray(images.id, [uploaded.photo?.id ?? '']))
      const last = await passes(false)
      expect(last.hashed).toEqual({ total: 1, hashed: 1, failed: [] })
      expect(last.reads).toEqual({
        [uploaded.broken?.s3_key ?? '']: 1,
        [cutKey]: 1,
        [uploaded.photo?.s3_key ?? '']: 1,
      })
      expect((await hashes()).find((r) => r.id === uploaded.photo?.id)?.hash).toBe(
        atUpload.find((r) => r.id === uploaded.photo?.id)?.hash ?? null,
      )
    })

    test('adopted rows (no size, type or pixel columns): the first pass leaves them to the pixel pass, one read each', async () => {
      const db = t.deps.database.db
      const names = ['photo', 'bmp', 'broken', 'cut']
      const ids = names.map((name) => uploaded[name]?.id ?? '')
      // As the old service left them; the photo also keeps its thumbhash: it is the first pass's.
      await db.execute(
        sql.raw(`update images set ${EXIF_COLUMNS}, width = null, height = null, mimetype = null`),
      )
      await db.execute(
        sql.raw(`update images set thumbhash = 'kept' where id = '${uploaded.photo?.id}'`),
      )
      const counted = countingReads(t.deps.storage)
      const options = { db, storage: counted.storage, concurrency: 2, dryRun: false }
      const first = await backfill({ ...options, pixelPassFollows: true })
      // `total` counts every row missing a field; only the one with a thumbhash was this pass's.
      expect(first).toMatchObject({ total: 4, done: 1, filled: 1, failed: 0 })
      const pixels = await backfillPixels({
        ...options,
        maxPixels: 1e8,
        locationPolicy: 'keep',
        batchSize: 2,
      })
      // bmp decodes; cut does not, but its header gives the size; broken is no image at all.
      expect(pixels).toMatchObject({ pending: 3, updated: 1, failed: 2 })
      expect(pixels.dimensions).toEqual({ pending: 3, filled: 2, failed: 1 })
      expect(Object.fromEntries(counted.reads)).toEqual(
        Object.fromEntries(names.map((name) => [uploaded[name]?.s3_key, 1])),
      )
      const sizes = await db
        .select({ id: images.id, w: images.width, h: images.height, type: images.mimetype })
        .from(images)
        .where(inArray(images.id, ids))
      const byName = Object.fromEntries(
        names.map((name) => [name, sizes.find((r) => r.id === uploaded[name]?.id)]),
      )
      expect(byName.photo).toMatchObject({ w: 90, h: 60, type: 'image/jpeg' })
      expect(byName.bmp).toMatchObject({ w: 30, h: 20, type: 'image/bmp' })
      expect(byName.cut).toMatchObject({ w: 200, h: 200, type: 'image/jpeg' })
      expect(byName.broken).toMatchObject({ w: null, h: null, type: null })

      // Without the pixel pass to follow, the first pass reads every such row itself.
      await db.execute(sql.raw('update images set width = null, height = null, mimetype = null'))
      const alone = countingReads(t.deps.storage)
      const report = await backfill({ ...options, storage: alone.storage })
      expect(report).toMatchObject({ total: 4, done: 4, filled: 3, failed: 1 })
      expect(alone.reads.size).toBe(4)

      // Stopped before its rows (cut and broken are still pending): said, not silent.
      const stop = new AbortController()
      stop.abort()
      const stopped = await backfillPixels({
        ...options,
        maxPixels: 1e8,
        locationPolicy: 'keep',
        signal: stop.signal,
      })
      expect(stopped).toMatchObject({ pending: 2, updated: 0, failed: 0, interrupted: true })
      expect((await run(false)).interrupted).toBe(false)
    })
  })
})
