import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { json, startTestApp, type TestApp, upload } from './support/app'
import { makeGif, makePng } from './support/images'

describe('GET /health', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ storage: 's3' })
  })
  afterAll(() => t.stop())

  test('200 healthy when database and storage answer', async () => {
    const res = await fetch(`${t.url}/health`)
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body).toMatchObject({
      status: 'healthy',
      service: 'image-metadata-api',
      checks: { database: { status: 'up' }, storage: { status: 'up' } },
    })
  })

  test('503 unhealthy with detail when storage is down, healthy again when it returns', async () => {
    await t.s3?.pause()
    try {
      const res = await fetch(`${t.url}/health`)
      expect(res.status).toBe(503)
      const body = await json(res)
      expect(body).toMatchObject({
        status: 'unhealthy',
        service: 'image-metadata-api',
        checks: { database: { status: 'up' }, storage: { status: 'down' } },
      })
      expect(typeof body.checks.storage.error).toBe('string')
    } finally {
      await t.s3?.resume()
    }
    expect((await fetch(`${t.url}/health`)).status).toBe(200)
  })

  test('stays healthy with objects in the bucket', async () => {
    for (const bytes of [makePng(2, 2), makePng(3, 3), makeGif(2, 2)]) {
      expect((await upload(t.url, bytes)).status).toBe(201)
    }
    expect((await fetch(`${t.url}/health`)).status).toBe(200)
  })
})

describe('GET /health with a missing bucket', () => {
  test('503 with storage down (creation at start turned off)', async () => {
    const t = await startTestApp({
      storage: 's3',
      env: { S3_BUCKET: 'no-such-bucket', S3_CREATE_BUCKET: 'false' },
    })
    try {
      const res = await fetch(`${t.url}/health`)
      expect(res.status).toBe(503)
      expect((await json(res)).checks.storage.status).toBe('down')
    } finally {
      await t.stop()
    }
  })
})
