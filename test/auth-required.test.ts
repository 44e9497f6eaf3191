import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { type App, createApp } from '../src/app'
import { startServer } from '../src/server'
import { json, startTestApp, type TestApp, upload, WRITE_KEY } from './support/app'
import { makePng } from './support/images'

// The only routes that answer without a key. The other exception, a content download carrying a
// download_url's signature, is checked below and in download-url.test.ts.
const PUBLIC = new Set(['GET /health', 'HEAD /health'])

const SAMPLE_PARAMS: Record<string, string> = {
  id: '0190f0c4-0000-7000-8000-000000000000',
  md5: '9e107d9d372bb6826bd81d3542a419d6',
  preset: 'thumb',
}

/** Every route of `app` (middleware left out) that answers anything but 401 without a key. */
async function routesWithoutKey(app: App) {
  const server = startServer(app, { hostname: '127.0.0.1', port: 0 })
  try {
    const open: string[] = []
    for (const { method, path } of app.routes) {
      if (method === 'ALL' || PUBLIC.has(`${method} ${path}`)) continue
      const concrete = path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, (_, name: string) => {
        const value = SAMPLE_PARAMS[name]
        if (!value) throw new Error(`no sample value for :${name} in ${path}`)
        return value
      })
      const res = await fetch(`${server.url.origin}${concrete}`, { method })
      if (res.status !== 401) open.push(`${method} ${path} → ${res.status}`)
      await res.body?.cancel()
    }
    return open
  } finally {
    server.stop(true)
  }
}

describe('a key on every route by default', () => {
  let t: TestApp
  beforeAll(async () => {
    // The gallery's pages have their own sign-in (gallery.test.ts); this walk is the JSON API's.
    t = await startTestApp({ env: { GALLERY: 'off' } })
  })
  afterAll(() => t.stop())

  test('every route but /health answers 401 without a key', async () => {
    const routes = t.app.routes.filter((r) => r.method !== 'ALL')
    // The walk covers the whole API, not a handful of routes.
    expect(routes.length).toBeGreaterThanOrEqual(10)
    expect(await routesWithoutKey(t.app)).toEqual([])
  })

  test('a route added later under /api/ is protected without asking', async () => {
    const app = createApp(t.deps)
    app.get('/api/new-feature', (c) => c.json({ secret: true }))
    expect(await routesWithoutKey(app)).toEqual([])
  })

  test('the walk catches a route that opts out (mounted outside the keyed paths)', async () => {
    const app = createApp(t.deps)
    app.get('/new-feature', (c) => c.json({ secret: true }))
    expect(await routesWithoutKey(app)).toEqual(['GET /new-feature → 200'])
  })

  test('signed downloads: content with a valid signature needs no key, a bad one is 403', async () => {
    const res = await upload(t.url, makePng(3, 3, { seed: 77 }))
    const { data } = await json(res)
    const signed = new URL(data.download_url)
    expect(signed.searchParams.get('signature')).toBeTruthy()
    const ok = await fetch(signed)
    expect(ok.status).toBe(200)
    await ok.body?.cancel()
    // The signature opens the content route only, not the record it belongs to.
    const record = new URL(`/api/images/${data.id}`, signed)
    record.search = signed.search
    expect((await fetch(record)).status).toBe(401)
    signed.searchParams.set('signature', 'x')
    expect((await fetch(signed)).status).toBe(403)
    expect((await fetch(signed, { headers: { 'X-API-Key': WRITE_KEY } })).status).toBe(403)
  })
})
