import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { backfillPixels } from '../src/backfill/pixels'
import { call } from './support/api'
import { json, startTestApp, type TestApp, upload } from './support/app'
import { CAMERA_TAGS, skipWithoutExiftool, withExiftool } from './support/exiftool'
import { makeBmp, makeJpeg } from './support/images'

const PIPELINE_COLUMNS = `thumbhash = null, taken_at = null, camera_make = null, camera_model = null,
  lens = null, orientation = null, gps_latitude = null, gps_longitude = null, gps_altitude = null,
  exif = null, width = 0, height = 0`

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
  })
})
