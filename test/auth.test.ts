import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { json, READ_KEY, startTestApp, type TestApp, upload } from './support/app'
import { makePng } from './support/images'

describe('authentication', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ env: { API_KEY: 'legacy-single-key' } })
  })
  afterAll(() => t.stop())

  test('no key → 401 with the old body', async () => {
    const res = await upload(t.url, makePng(2, 2), { key: null })
    expect(res.status).toBe(401)
    expect(await json(res)).toEqual({
      error: 'API key is required',
      message: 'Please provide X-API-Key header',
    })
  })

  test('wrong key → 401 with the old body', async () => {
    const res = await upload(t.url, makePng(2, 2), { key: 'not-a-key' })
    expect(res.status).toBe(401)
    expect(await json(res)).toEqual({
      error: 'Invalid API key',
      message: 'The provided API key is not valid',
    })
  })

  test('a key that is a prefix of a valid key is rejected', async () => {
    const res = await upload(t.url, makePng(2, 2), { key: 'legacy-single' })
    expect(res.status).toBe(401)
  })

  test('the legacy API_KEY works beside API_KEYS and is logged by name only', async () => {
    const res = await upload(t.url, makePng(2, 3, { seed: 1 }), { key: 'legacy-single-key' })
    expect(res.status).toBe(201)
    expect((await json(res)).data.uploaded_by).toBe('default')
  })

  test('a read-only key gets 403 on upload and nothing is stored', async () => {
    const res = await upload(t.url, makePng(2, 4, { seed: 2 }), { key: READ_KEY })
    expect(res.status).toBe(403)
    expect(await json(res)).toEqual({ error: 'Forbidden', message: 'This API key is read-only' })
  })

  test('health needs no key', async () => {
    const res = await fetch(`${t.url}/health`)
    expect(res.status).toBe(200)
  })

  test('X-Request-Id is echoed, or generated when absent', async () => {
    const echoed = await fetch(`${t.url}/health`, { headers: { 'X-Request-Id': 'abc-123' } })
    expect(echoed.headers.get('x-request-id')).toBe('abc-123')
    const generated = await fetch(`${t.url}/health`)
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    const injected = await fetch(`${t.url}/health`, { headers: { 'X-Request-Id': 'a b"c' } })
    expect(injected.headers.get('x-request-id')).not.toBe('a b"c')
  })

  test('unknown routes answer 404 JSON', async () => {
    const res = await fetch(`${t.url}/nope`, { headers: { 'X-API-Key': 'legacy-single-key' } })
    expect(res.status).toBe(404)
    expect((await json(res)).error).toBe('Not found')
  })
})
