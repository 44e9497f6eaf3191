import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { parseCorsOrigins } from '../src/config'
import { startTestApp, type TestApp, upload, WRITE_KEY } from './support/app'
import { makePng } from './support/images'

const ORIGIN = 'https://gallery.example.com'

const preflight = (url: string, origin = ORIGIN, method = 'POST') =>
  fetch(url, {
    method: 'OPTIONS',
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': method,
      'Access-Control-Request-Headers': 'x-api-key,content-type',
    },
  })

describe('CORS (default: any origin, like the old service)', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp()
  })
  afterAll(() => t.stop())

  test('a preflight answers 204 allowing X-API-Key and Content-Type, without a key', async () => {
    for (const path of ['/api/upload', '/api/images/0190a5a6-0000-7000-8000-000000000000']) {
      const res = await preflight(
        `${t.url}${path}`,
        ORIGIN,
        path === '/api/upload' ? 'POST' : 'PATCH',
      )
      expect(res.status).toBe(204)
      expect(res.headers.get('access-control-allow-origin')).toBe('*')
      const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase()
      expect(allowed.split(',')).toEqual(expect.arrayContaining(['x-api-key', 'content-type']))
      expect(res.headers.get('access-control-allow-methods')).toContain(
        path === '/api/upload' ? 'POST' : 'PATCH',
      )
      expect(await res.text()).toBe('')
    }
  })

  test('every response carries the origin and exposes ETag, Content-Range, Retry-After', async () => {
    const created = await upload(t.url, makePng(4, 4, { seed: 9001 }))
    const { data } = (await created.json()) as { data: { id: string } }
    const responses = [
      await fetch(`${t.url}/health`, { headers: { Origin: ORIGIN } }),
      await fetch(`${t.url}/api/images`, { headers: { Origin: ORIGIN } }), // 401
      await fetch(`${t.url}/api/images/${data.id}/content`, {
        headers: { Origin: ORIGIN, 'X-API-Key': WRITE_KEY, Range: 'bytes=0-3' },
      }),
    ]
    expect(responses.map((r) => r.status)).toEqual([200, 401, 206])
    for (const res of responses) {
      expect(res.headers.get('access-control-allow-origin')).toBe('*')
      const exposed = (res.headers.get('access-control-expose-headers') ?? '').split(',')
      expect(exposed).toEqual(expect.arrayContaining(['ETag', 'Content-Range', 'Retry-After']))
    }
    expect(responses[2]?.headers.get('content-range')).toMatch(/^bytes 0-3\//)
  })
})

describe('CORS_ORIGINS as a list, and off', () => {
  let listed: TestApp
  let off: TestApp
  beforeAll(async () => {
    listed = await startTestApp({ env: { CORS_ORIGINS: `${ORIGIN}, http://localhost:5173` } })
    off = await startTestApp({ env: { CORS_ORIGINS: 'off' } })
  })
  afterAll(async () => {
    await listed.stop()
    await off.stop()
  })

  test('a listed origin is echoed (with Vary: Origin); any other gets no CORS headers', async () => {
    const ok = await preflight(`${listed.url}/api/upload`)
    expect(ok.status).toBe(204)
    expect(ok.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    expect(ok.headers.get('vary')).toContain('Origin')
    const local = await fetch(`${listed.url}/health`, {
      headers: { Origin: 'http://localhost:5173' },
    })
    expect(local.headers.get('access-control-allow-origin')).toBe('http://localhost:5173')
    const other = await fetch(`${listed.url}/health`, {
      headers: { Origin: 'https://evil.example' },
    })
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
  })

  test('off: no CORS headers, and OPTIONS is not a method the API has', async () => {
    const res = await fetch(`${off.url}/health`, { headers: { Origin: ORIGIN } })
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
    const pre = await preflight(`${off.url}/api/upload`)
    expect(pre.status).toBe(405)
    expect(pre.headers.get('access-control-allow-origin')).toBeNull()
  })

  test('configuration: *, off, origins; anything else names the variable', () => {
    expect(parseCorsOrigins('*')).toBe('*')
    expect(parseCorsOrigins('OFF')).toBe('off')
    expect(parseCorsOrigins('https://a.example, http://localhost:3000/')).toEqual([
      'https://a.example',
      'http://localhost:3000',
    ])
    expect(() => parseCorsOrigins('a.example')).toThrow('CORS_ORIGINS')
    expect(() => parseCorsOrigins('https://a.example/path')).toThrow('CORS_ORIGINS')
  })
})
