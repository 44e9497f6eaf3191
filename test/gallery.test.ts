import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Hono } from 'hono'
import { ApiKeyRing } from '../src/auth/key-ring'
import { Sessions } from '../src/gallery/session'
import { call, READ_KEY, WRITE_KEY } from './support/api'
import { json, startTestApp, type TestApp, upload } from './support/app'
import { type GallerySession, sessionCall, signIn } from './support/gallery'
import { makeJpeg, makePng } from './support/images'

const form = (fields: Record<string, string>) => new URLSearchParams(fields)

function login(base: string, key: string, headers: Record<string, string> = { Origin: base }) {
  return fetch(`${base}/gallery/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: form({ key, next: '/' }),
    redirect: 'manual',
  })
}

const page = async (base: string, path: string, s: GallerySession, headers = {}) =>
  fetch(`${base}${path}`, { headers: { cookie: s.cookie, ...headers }, redirect: 'manual' })

describe('gallery: sign-in and sessions', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp()
  })
  afterAll(() => t?.stop())

  test('/ without a session redirects to the sign-in form, which is in the browser language', async () => {
    const res = await fetch(`${t.url}/`, { redirect: 'manual' })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/gallery/login?next=%2F')
    const en = await (await fetch(`${t.url}/gallery/login`)).text()
    expect(en).toContain('<html lang="en">')
    expect(en).toContain('API key')
    const jaRes = await fetch(`${t.url}/gallery/login`, {
      headers: { 'Accept-Language': 'fr;q=1, ja;q=0.8, en;q=0.5' },
    })
    expect(jaRes.headers.get('content-security-policy')).toContain("script-src 'self'")
    const ja = await jaRes.text()
    expect(ja).toContain('<html lang="ja">')
    expect(ja).toContain('サインイン')
  })

  test('the language switch sets a preference cookie and returns to a local path only', async () => {
    const res = await fetch(`${t.url}/gallery/lang?to=ja&next=${encodeURIComponent('/?q=x')}`, {
      redirect: 'manual',
    })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/?q=x')
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
    expect(cookie).toBe('gallery_lang=ja')
    const page = await fetch(`${t.url}/gallery/login`, {
      headers: { cookie, 'Accept-Language': 'en' },
    })
    expect(await page.text()).toContain('<html lang="ja">')
    for (const next of ['//evil.example/', 'https://evil.example/', '/\\evil.example']) {
      const away = await fetch(`${t.url}/gallery/lang?to=en&next=${encodeURIComponent(next)}`, {
        redirect: 'manual',
      })
      expect(away.headers.get('location')).toBe('/')
    }
  })

  test('a right key gets an HttpOnly, SameSite=Strict, expiring cookie that does not hold the key', async () => {
    const res = await login(t.url, WRITE_KEY)
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/')
    const setCookie = res.headers.get('set-cookie') ?? ''
    expect(setCookie).toMatch(/^gallery_session=[^;]+\.[^;]+;/)
    expect(setCookie).toContain('HttpOnly')
    expect(setCookie).toContain('SameSite=Strict')
    expect(setCookie).toContain('Path=/')
    expect(setCookie).toContain(`Max-Age=${8 * 3600}`)
    expect(setCookie).not.toContain('Secure') // plain http on loopback
    const value = setCookie.split(';')[0]?.split('=')[1] ?? ''
    const payload = Buffer.from(value.split('.')[0] ?? '', 'base64url').toString()
    expect(value).not.toContain(WRITE_KEY)
    expect(payload).not.toContain(WRITE_KEY)
    expect(JSON.parse(payload).e).toBeGreaterThan(Date.now() / 1000)
  })

  test('the sign-in form sends a signed-in browser on to where it was going', async () => {
    const { cookie } = await signIn(t.url, READ_KEY)
    const res = await fetch(`${t.url}/gallery/login?next=%2F%3Fq%3Dx`, {
      headers: { cookie },
      redirect: 'manual',
    })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/?q=x')
  })

  test('over HTTPS (per X-Forwarded-Proto) the cookie is Secure', async () => {
    const res = await login(t.url, WRITE_KEY, { Origin: t.url, 'X-Forwarded-Proto': 'https' })
    expect(res.headers.get('set-cookie')).toContain('Secure')
  })

  test('a wrong key is refused with the form again and no cookie', async () => {
    const res = await login(t.url, 'not-a-key')
    expect(res.status).toBe(401)
    expect(res.headers.get('set-cookie')).toBeNull()
    expect(await res.text()).toContain('That API key is not valid.')
  })

  test('sign-in posted without Origin or from another origin is refused', async () => {
    for (const headers of [{}, { Origin: 'https://evil.example' }, { Origin: 'null' }] as Record<
      string,
      string
    >[]) {
      const res = await login(t.url, WRITE_KEY, headers)
      expect(res.status).toBe(403)
      expect(res.headers.get('set-cookie')).toBeNull()
    }
  })

  test('a tampered or forged cookie counts as signed out', async () => {
    const { cookie } = await signIn(t.url, READ_KEY)
    const [name, value = ''] = cookie.split('=')
    const [body = '', signature = ''] = value.split('.')
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString())
    // Swap in the write key's fingerprint, keep the read key's signature.
    claims.f = ApiKeyRing.fingerprint(WRITE_KEY)
    const forged = `${name}=${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`
    for (const bad of [forged, `${cookie}x`, `${name}=${body}`, `${name}=garbage`]) {
      const res = await fetch(`${t.url}/`, { headers: { cookie: bad }, redirect: 'manual' })
      expect(res.status).toBe(303)
    }
  })

  test('sign-out needs the CSRF token and same origin, then clears the cookie', async () => {
    const s = await signIn(t.url, WRITE_KEY)
    const post = (body: Record<string, string>, origin = t.url) =>
      fetch(`${t.url}/gallery/logout`, {
        method: 'POST',
        headers: {
          cookie: s.cookie,
          Origin: origin,
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: form(body),
        redirect: 'manual',
      })
    expect((await post({})).status).toBe(403)
    expect((await post({ _csrf: 'wrong' })).status).toBe(403)
    expect((await post({ _csrf: s.csrf }, 'https://evil.example')).status).toBe(403)
    const res = await post({ _csrf: s.csrf })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/gallery/login')
    expect(res.headers.get('set-cookie')).toMatch(/^gallery_session=;.*Max-Age=0/)
  })
})

describe('gallery: sign-in throttle', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_FAILURE_LIMIT: '2' } })
  })
  afterAll(() => t?.stop())

  test('wrong keys at sign-in count per IP like wrong X-API-Keys; a right key still signs in', async () => {
    expect((await login(t.url, 'wrong-1')).status).toBe(401)
    expect((await login(t.url, 'wrong-2')).status).toBe(401)
    const blocked = await login(t.url, 'wrong-3')
    expect(blocked.status).toBe(429)
    expect(blocked.headers.get('set-cookie')).toBeNull()
    expect(await blocked.text()).toContain('Too many failed attempts')
    // The same counter guards the JSON API's wrong keys.
    expect((await call(t.url, 'GET', '/api/images', { key: 'wrong-4' })).status).toBe(429)
    // Nobody sharing the address is locked out by someone else's failures.
    const signedIn = await login(t.url, WRITE_KEY)
    expect(signedIn.status).toBe(303)
    expect(signedIn.headers.get('set-cookie')).toContain('HttpOnly')
  })
})

describe('Sessions', () => {
  const secret = 'a'.repeat(43)
  function harness(keys: ApiKeyRing, now: () => number) {
    const sessions = new Sessions({ secret, ttlSeconds: 60, keys, now })
    const app = new Hono()
    app.post('/in', (c) => c.text(sessions.signIn(c, c.req.header('x-key') ?? '') ? 'in' : 'no'))
    app.get('/me', (c) => c.text(sessions.read(c)?.principal.name ?? 'nobody'))
    return app
  }
  const keys = new ApiKeyRing([{ name: 'writer', key: WRITE_KEY, readOnly: false }])

  test('a session ends at its expiry, not a second before', async () => {
    let now = 1_000_000_000_000
    const app = harness(keys, () => now)
    const res = await app.request('/in', { method: 'POST', headers: { 'x-key': WRITE_KEY } })
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
    const me = async () => (await app.request('/me', { headers: { cookie } })).text()
    now += 59_999
    expect(await me()).toBe('writer')
    now += 1
    expect(await me()).toBe('nobody')
  })

  test('removing the key from the configuration ends its sessions', async () => {
    const now = () => 1_000_000_000_000
    const app = harness(keys, now)
    const res = await app.request('/in', { method: 'POST', headers: { 'x-key': WRITE_KEY } })
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
    expect(await (await app.request('/me', { headers: { cookie } })).text()).toBe('writer')
    const other = new ApiKeyRing([{ name: 'writer', key: 'another-key-entirely', readOnly: false }])
    const me = await harness(other, now).request('/me', { headers: { cookie } })
    expect(await me.text()).toBe('nobody')
  })
})

describe('gallery: the JSON API with a session', () => {
  let t: TestApp
  let writer: GallerySession
  let reader: GallerySession
  let id: string
  beforeAll(async () => {
    t = await startTestApp()
    writer = await signIn(t.url, WRITE_KEY)
    reader = await signIn(t.url, READ_KEY)
    const res = await upload(t.url, makeJpeg(32, 24, { seed: 3 }), {
      metadata: { title: '富士山の朝焼け', description: '静岡から', tags: ['山', 'sunrise'] },
    })
    id = (await json(res)).data.id
  })
  afterAll(() => t?.stop())

  test('the cookie alone is not enough: without the CSRF header /api answers 401 as before', async () => {
    const res = await fetch(`${t.url}/api/images/${id}`, { headers: { cookie: writer.cookie } })
    expect(res.status).toBe(401)
    expect(await json(res)).toEqual({
      error: 'API key is required',
      message: 'Please provide X-API-Key header',
    })
    const wrong = await sessionCall(t.url, writer, 'GET', `/api/images/${id}`, {
      headers: { 'X-CSRF-Token': reader.csrf },
    })
    expect(wrong.status).toBe(401)
  })

  test('with the CSRF header a session reads, and writes only from the same origin', async () => {
    expect((await sessionCall(t.url, writer, 'GET', `/api/images/${id}`)).status).toBe(200)
    const patch = (origin?: string) =>
      sessionCall(t.url, writer, 'PATCH', `/api/images/${id}`, {
        body: JSON.stringify({ title: '富士山の朝焼け（編集）' }),
        headers: { 'Content-Type': 'application/json', ...(origin ? { Origin: origin } : {}) },
      })
    expect((await patch('https://evil.example')).status).toBe(401)
    const ok = await patch()
    expect(ok.status).toBe(200)
    expect((await json(ok)).data.title).toBe('富士山の朝焼け（編集）')
  })

  test('an API key still wins over a session cookie, and a wrong key is still 401', async () => {
    const res = await fetch(`${t.url}/api/images/${id}`, {
      method: 'DELETE',
      headers: { cookie: writer.cookie, 'X-CSRF-Token': writer.csrf, 'X-API-Key': READ_KEY },
    })
    expect(res.status).toBe(403)
    const wrong = await fetch(`${t.url}/api/images/${id}`, {
      headers: { cookie: writer.cookie, 'X-CSRF-Token': writer.csrf, 'X-API-Key': 'nope' },
    })
    expect(wrong.status).toBe(401)
  })

  test('a read-only session is refused upload, edit and delete, and sees no such controls', async () => {
    const body = new FormData()
    body.append('image_file', new File([makePng(4, 4, { seed: 9 })], 'x.png'))
    body.append('title', 'x')
    body.append('description', 'y')
    const refused = [
      await sessionCall(t.url, reader, 'POST', '/api/upload', { body }),
      await sessionCall(t.url, reader, 'PATCH', `/api/images/${id}`, {
        body: JSON.stringify({ title: 'no' }),
        headers: { 'Content-Type': 'application/json' },
      }),
      await sessionCall(t.url, reader, 'DELETE', `/api/images/${id}`),
    ]
    for (const res of refused) {
      expect(res.status).toBe(403)
      expect(await json(res)).toEqual({ error: 'Forbidden', message: 'This API key is read-only' })
    }
    expect((await call(t.url, 'GET', `/api/images/${id}`)).status).toBe(200)

    const grid = await (await page(t.url, '/', reader)).text()
    expect(grid).not.toContain('/gallery/upload')
    const detail = await (await page(t.url, `/gallery/images/${id}`, reader)).text()
    expect(detail).toContain('富士山の朝焼け')
    expect(detail).not.toContain('edit-open')
    expect(detail).not.toContain('delete-open')
    expect((await page(t.url, '/gallery/upload', reader)).status).toBe(403)

    const writable = await (await page(t.url, `/gallery/images/${id}`, writer)).text()
    expect(writable).toContain('edit-open')
    expect(writable).toContain('delete-open')
    expect((await page(t.url, '/gallery/upload', writer)).status).toBe(200)
  })
})

describe('gallery: pages', () => {
  let t: TestApp
  let s: GallerySession
  const ids: string[] = []
  beforeAll(async () => {
    t = await startTestApp()
    s = await signIn(t.url, WRITE_KEY)
    const fixtures = [
      { bytes: makeJpeg(20, 20, { seed: 1 }), title: '京都の紅葉', tags: ['秋'] },
      { bytes: makePng(20, 20, { seed: 2 }), title: 'Harbour at night', tags: ['night'] },
      { bytes: makeJpeg(20, 20, { seed: 4 }), title: '富士山と湖', tags: ['山', '秋'] },
    ]
    for (const f of fixtures) {
      const res = await upload(t.url, f.bytes, {
        metadata: { title: f.title, description: '', tags: f.tags },
      })
      ids.push((await json(res)).data.id)
    }
  })
  afterAll(() => t?.stop())

  const titlesOn = async (path: string) => {
    const html = await (await page(t.url, path, s)).text()
    return [...html.matchAll(/<img src="[^"]+" alt="([^"]*)"/g)].map((m) => m[1])
  }

  test('the grid lists images newest first with their titles as alt text', async () => {
    expect(await titlesOn('/')).toEqual(['富士山と湖', 'Harbour at night', '京都の紅葉'])
  })

  test('filters come from the URL: Japanese search, tags, format, dates, location', async () => {
    expect(await titlesOn(`/?q=${encodeURIComponent('富士山')}`)).toEqual(['富士山と湖'])
    expect(await titlesOn(`/?tag=${encodeURIComponent('秋')}`)).toEqual([
      '富士山と湖',
      '京都の紅葉',
    ])
    expect(await titlesOn('/?format=image/png')).toEqual(['Harbour at night'])
    const today = new Date().toISOString().slice(0, 10)
    expect(await titlesOn(`/?from=${today}&to=${today}`)).toHaveLength(3)
    expect(await titlesOn('/?to=2000-01-01')).toEqual([])
    // No image carries GPS coordinates here.
    expect(await titlesOn('/?has_location=1')).toEqual([])
    // A cursor the API refuses is the API's 400, as a page.
    expect((await page(t.url, '/?cursor=nonsense', s)).status).toBe(400)
    const html = await (await page(t.url, `/?q=${encodeURIComponent('富士山')}&tag=秋`, s)).text()
    expect(html).toContain('value="富士山"')
    expect(html).toContain('aria-label="Remove tag: 秋"')
  })

  test('"load more" pages by cursor, on the page and as a fragment for infinite scroll', async () => {
    const more = await startTestApp()
    try {
      const session = await signIn(more.url, WRITE_KEY)
      for (let i = 0; i < 50; i++) {
        await upload(more.url, makePng(2, 2, { seed: 100 + i }), {
          metadata: { title: `img ${i}`, description: '' },
        })
      }
      const first = await (await page(more.url, '/', session)).text()
      expect(first.match(/class="cell"/g)).toHaveLength(48)
      const fragment = /data-fragment="([^"]+)"/.exec(first)?.[1]?.replaceAll('&amp;', '&')
      expect(fragment).toStartWith('/gallery/grid?cursor=')
      const rest = await page(more.url, fragment ?? '', session)
      expect(rest.status).toBe(200)
      expect(rest.headers.get('x-next-fragment')).toBeNull()
      const html = await rest.text()
      expect(html.match(/class="cell"/g)).toHaveLength(2)
      expect(html).toContain('alt="img 0"')
    } finally {
      await more.stop()
    }
  })

  test('the detail view shows fields, analysis status and the download link; unknown ids are 404', async () => {
    const res = await page(t.url, `/gallery/images/${ids[2]}`, s)
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('<h1 id="image-title">富士山と湖</h1>')
    expect(html).toContain('/api/images/')
    expect(html).toContain('download="photo.jpg"')
    expect(html).toContain('<span class="badge">none</span>')
    // No EXIF on these fixtures: no camera section, no map link.
    expect(html).not.toContain('openstreetmap')
    const missing = await page(t.url, '/gallery/images/019abc12-3456-7def-8901-23456789abcd', s)
    expect(missing.status).toBe(404)
    expect((await page(t.url, '/gallery/images/not-a-uuid', s)).status).toBe(404)
  })

  test('assets are served from the process with long caching; thumbhash comes from npm', async () => {
    const html = await (await page(t.url, '/', s)).text()
    const script = /<script type="module" src="([^"]+)"/.exec(html)?.[1] ?? ''
    const res = await fetch(`${t.url}${script}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toStartWith('text/javascript')
    expect(res.headers.get('cache-control')).toContain('immutable')
    expect(await res.text()).toContain("from './thumbhash.js'")
    const decoder = await fetch(`${t.url}${script.replace('gallery.js', 'thumbhash.js')}`)
    expect(await decoder.text()).toContain('export function thumbHashToDataURL')
    expect((await fetch(`${t.url}${script.replace('gallery.js', 'nope.js')}`)).status).toBe(404)
  })
})

describe('GALLERY=off', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ env: { GALLERY: 'off' } })
  })
  afterAll(() => t?.stop())

  test('no pages and no sign-in; the JSON API works as before', async () => {
    const home = await fetch(`${t.url}/`)
    expect(home.status).toBe(404)
    expect((await json(home)).error).toBe('Not found')
    expect((await login(t.url, WRITE_KEY)).status).toBe(404)
    expect((await call(t.url, 'GET', '/api/images')).status).toBe(200)
  })
})
