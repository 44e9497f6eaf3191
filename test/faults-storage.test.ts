import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { images } from '../src/db/schema'
import { json, startTestApp, type TestApp, upload } from './support/app'
import { makePng } from './support/images'

// Generous bound for "answered, not hung" on 2 shared cores; not a latency target.
const ANSWER_WITHIN_MS = 10_000

describe('storage down (s3rver stopped)', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ storage: 's3' })
  })
  afterAll(() => t.stop())

  test('upload: 503 JSON, quickly and without a row; health 503; both recover after resume', async () => {
    await t.s3?.pause()
    try {
      const started = performance.now()
      const res = await upload(t.url, makePng(16, 16, { seed: 501 }), {
        filename: 'down.png',
        type: 'image/png',
      })
      expect(performance.now() - started).toBeLessThan(ANSWER_WITHIN_MS)
      expect(res.status).toBe(503)
      expect(await json(res)).toEqual({
        error: 'Service unavailable',
        message: expect.any(String),
      })
      expect(await t.deps.database.db.select().from(images)).toHaveLength(0)
      expect((await fetch(`${t.url}/health`)).status).toBe(503)
    } finally {
      await t.s3?.resume()
    }
    expect((await fetch(`${t.url}/health`)).status).toBe(200)
    const again = await upload(t.url, makePng(16, 16, { seed: 501 }), {
      filename: 'up.png',
      type: 'image/png',
    })
    expect(again.status).toBe(201)
    expect(await t.deps.database.db.select().from(images)).toHaveLength(1)
  })
})
