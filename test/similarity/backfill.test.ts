import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { inArray } from 'drizzle-orm'
import { images } from '../../src/db/schema'
import { backfillHashes } from '../../src/similarity/backfill'
import { call } from '../support/api'
import { json, startTestApp, type TestApp, upload } from '../support/app'
import { storedHashes } from '../support/image-rows'
import { makeBmp } from '../support/images'
import { makeFlat, makeScene, makeVariant } from '../support/photos'

describe('backfill of perceptual hashes', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp()
  })
  afterAll(() => t?.stop())

  test('rows without a hash get the one an upload computes; dry run writes nothing', async () => {
    const scene = await makeScene(808)
    const ids: string[] = []
    for (const bytes of [scene, await makeVariant(scene, 'jpeg60'), await makeFlat(30)]) {
      const res = await upload(t.url, bytes, { filename: 'x.png' })
      ids.push((await json(res)).data.id)
    }
    // Old BMP rows are hashed too.
    ids.push((await json(await upload(t.url, makeBmp(40, 30), { filename: 'b.bmp' }))).data.id)
    const db = t.deps.database.db
    const stored = () => storedHashes(db, ids)
    const original = await stored()
    expect(original.every((r) => r.hash !== null)).toBe(true)
    // As rows from before the feature: no hash.
    await db
      .update(images)
      .set({ perceptualHash: null, perceptualHashLowInformation: false })
      .where(inArray(images.id, ids))
    const similar = () => call(t.url, 'GET', `/api/images/${ids[0]}/similar`).then(json)
    expect((await similar()).data).toEqual([])

    const options = { db, storage: t.deps.storage, limitInputPixels: 1e8, concurrency: 2 }
    const dry = await backfillHashes({ ...options, dryRun: true })
    expect(dry).toEqual({ total: 4, hashed: 4, failed: [] })
    expect((await stored()).every((r) => r.hash === null)).toBe(true)

    const progress: number[] = []
    const real = await backfillHashes({
      ...options,
      dryRun: false,
      onProgress: (done) => progress.push(done),
    })
    expect(real).toEqual({ total: 4, hashed: 4, failed: [] })
    expect(progress).toEqual([1, 2, 3, 4])
    expect(await stored()).toEqual(original)
    expect((await similar()).data.map((i: { id: string }) => i.id)).toEqual([ids[1]])
    // Nothing left: a second run finds no work.
    expect(await backfillHashes({ ...options, dryRun: false })).toEqual({
      total: 0,
      hashed: 0,
      failed: [],
    })
  })
})
