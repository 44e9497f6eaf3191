import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { json, startTestApp, type TestApp, WRITE_KEY } from './support/app'

describe('unknown method on a known route', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp()
  })
  afterAll(() => t.stop())

  test.each([
    ['DELETE', '/api/upload', 'POST'],
    ['GET', '/api/upload', 'POST'],
    ['PUT', '/health', 'GET, HEAD'],
    ['POST', '/api/images/0190f0c4-0000-7000-8000-000000000000/content', 'GET, HEAD'],
  ])('%s %s: 405 JSON with Allow: %s', async (method, path, allow) => {
    const res = await fetch(`${t.url}${path}`, { method, headers: { 'X-API-Key': WRITE_KEY } })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe(allow)
    expect(res.headers.get('content-type')).toContain('application/json')
    const body = await json(res)
    expect(body.error).toBe('Method not allowed')
    expect(body.message).toContain(method)
  })

  test('an unknown path is still 404 JSON, with no Allow header', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(`${t.url}/api/nothing-here`, { method })
      expect(res.status).toBe(404)
      expect(res.headers.get('allow')).toBeNull()
      expect(await json(res)).toMatchObject({ error: 'Not found' })
    }
  })

  test('the allowed method still reaches its handler', async () => {
    expect((await fetch(`${t.url}/health`)).status).toBe(200)
  })
})
