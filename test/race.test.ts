import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { images } from '../src/db/schema'
import { ImageRepository } from '../src/images/repository'
import { ImageService } from '../src/images/service'
import { json, startTestApp, type TestApp, upload } from './support/app'
import { makeJpeg, md5Hex, withJpegComment } from './support/images'

async function objectKeys(t: TestApp) {
  const keys: string[] = []
  for await (const o of t.deps.storage.list('images/')) keys.push(o.key)
  return keys
}

describe.each(['local', 's3'] as const)('concurrency (%s storage)', (storage) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ storage })
  })
  afterAll(() => t.stop())

  test('20 concurrent uploads of the same bytes: one 201, nineteen 409, one row, one object', async () => {
    const bytes = withJpegComment(makeJpeg(120, 80, { seed: 42 }), 'race')
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => upload(t.url, bytes, { filename: `copy-${i}.jpg` })),
    )
    const statuses = responses.map((r) => r.status).sort()
    expect(statuses.filter((s) => s === 201)).toHaveLength(1)
    expect(statuses.filter((s) => s === 409)).toHaveLength(19)
    const bodies = await Promise.all(responses.map(json))
    const created = bodies.find((b) => b.data)
    for (const b of bodies.filter((b) => b.existing_image)) {
      expect(b.existing_image.id).toBe(created.data.id)
    }
    const rows = await t.deps.database.db.select().from(images)
    expect(rows.filter((r) => r.md5Hash === md5Hex(bytes))).toHaveLength(1)
    expect((await objectKeys(t)).filter((k) => k.includes(md5Hex(bytes)))).toEqual([
      `images/${md5Hex(bytes)}.jpg`,
    ])
  })

  test('concurrent delete and re-upload of the same content never leave a row without its object', async () => {
    const service = new ImageService(
      new ImageRepository(t.deps.database.db),
      t.deps.storage,
      t.config.limits,
    )
    const bytes = withJpegComment(makeJpeg(16, 16, { seed: 7 }), 'delete-race')
    const meta = { filename: 'x.jpg', title: 't', description: 'd', tags: [], metadata: {} }
    for (let round = 0; round < 15; round++) {
      const first = await service.upload({ bytes, ...meta })
      await Promise.all([
        service.delete(first.image.id),
        service.upload({ bytes, ...meta }),
        service.upload({ bytes, ...meta }),
      ])
      const row = await service.findByMd5(md5Hex(bytes))
      if (row) {
        // Whatever the interleaving, a surviving row has its object.
        expect(await t.deps.storage.stat(row.s3Key)).not.toBeNull()
        await service.delete(row.id)
      }
      expect(await service.findByMd5(md5Hex(bytes))).toBeUndefined()
      expect(await t.deps.storage.stat(`images/${md5Hex(bytes)}.jpg`)).toBeNull()
    }
  })
})
