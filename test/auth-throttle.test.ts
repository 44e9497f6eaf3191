import { afterAll, beforeAll, describe, expect, spyOn, test } from 'bun:test'
import * as crypto from 'node:crypto'
import { ApiKeyRing } from '../src/auth/key-ring'
import { AuthFailures } from '../src/http/auth-throttle'
import { clientIpFrom } from '../src/http/client-ip'
import { json, READ_KEY, startTestApp, type TestApp, WRITE_KEY } from './support/app'

const LIMIT = 5

describe('failed API keys per client', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({
      env: { AUTH_FAILURE_LIMIT: String(LIMIT), AUTH_FAILURE_WINDOW_SECONDS: '3600' },
    })
  })
  afterAll(() => t.stop())

  const get = (key?: string) =>
    fetch(`${t.url}/api/images/0190f0c4-0000-7000-8000-000000000000/content`, {
      headers: key ? { 'X-API-Key': key } : {},
    })

  test('exactly LIMIT wrong keys are answered 401; then wrong keys get 429 with Retry-After', async () => {
    // A missing key is not a guess and does not count.
    for (let i = 0; i < LIMIT + 2; i++) expect((await get()).status).toBe(401)
    for (let i = 0; i < LIMIT; i++) {
      const res = await get(`wrong-${i}`)
      expect(res.status).toBe(401)
      expect(await json(res)).toMatchObject({ error: 'Invalid API key' })
    }
    const blocked = await get('wrong-last')
    expect(blocked.status).toBe(429)
    expect(await json(blocked)).toMatchObject({ error: 'Too many failed attempts' })
    const retryAfter = Number(blocked.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(3600)
    // Requests without a key (health, signed links) are not throttled.
    expect((await fetch(`${t.url}/health`)).status).toBe(200)
  })

  test('a valid key from the blocked address still passes: failures of others never lock it out', async () => {
    for (let i = 0; i < LIMIT + 1; i++) await get(`wrong-again-${i}`)
    expect((await get('wrong-once-more')).status).toBe(429)
    // 404: authenticated, the id just does not exist.
    expect((await get(READ_KEY)).status).toBe(404)
    expect((await get(WRITE_KEY)).status).toBe(404)
    expect((await get('wrong-after-valid')).status).toBe(429)
  })

  test('auth failures are logged with the client IP and the reason, never the key presented', async () => {
    const before = t.logs.length
    await get('a-wrong-key-to-log')
    await get()
    const failures = t.logs.slice(before).filter((l) => l.msg === 'auth failed')
    expect(failures.map((l) => l.client_ip)).toEqual(['127.0.0.1', '127.0.0.1'])
    expect(failures.map((l) => l.reason).sort()).toEqual(['missing', 'throttled'])
    expect(t.rawLogs.join('\n')).not.toContain('a-wrong-key-to-log')
  })
})

describe('TRUST_PROXY', () => {
  let direct: TestApp
  let proxied: TestApp
  beforeAll(async () => {
    const env = { AUTH_FAILURE_LIMIT: '2', AUTH_FAILURE_WINDOW_SECONDS: '3600' }
    direct = await startTestApp({ env })
    proxied = await startTestApp({ env: { ...env, TRUST_PROXY: '1' } })
  })
  afterAll(async () => {
    await direct.stop()
    await proxied.stop()
  })

  const get = (t: TestApp, key: string, forwardedFor: string) =>
    fetch(`${t.url}/api/limits`, { headers: { 'X-API-Key': key, 'X-Forwarded-For': forwardedFor } })

  test('off by default: X-Forwarded-For is ignored, so forging it does not escape the throttle', async () => {
    for (let i = 0; i < 2; i++)
      expect((await get(direct, 'wrong', `198.51.100.${i}`)).status).toBe(401)
    expect((await get(direct, 'wrong', '198.51.100.99')).status).toBe(429)
    const logged = direct.logs.filter((l) => l.msg === 'auth failed').map((l) => l.client_ip)
    expect(new Set(logged)).toEqual(new Set(['127.0.0.1']))
  })

  test('1: the right-most X-Forwarded-For hop is the client; what the client wrote left of it is ignored', async () => {
    // Two clients behind the proxy; the first forges a left-most entry, which changes nothing.
    for (let i = 0; i < 2; i++) {
      expect((await get(proxied, 'wrong', `203.0.113.${i}, 192.0.2.1`)).status).toBe(401)
    }
    expect((await get(proxied, 'wrong', '192.0.2.1')).status).toBe(429)
    expect((await get(proxied, 'wrong', '192.0.2.2')).status).toBe(401)
    expect((await get(proxied, READ_KEY, '192.0.2.1')).status).toBe(200)
    const logged = proxied.logs.filter((l) => l.msg === 'auth failed').map((l) => l.client_ip)
    expect(logged).toEqual(['192.0.2.1', '192.0.2.1', '192.0.2.1', '192.0.2.2'])
  })
})

describe('clientIpFrom', () => {
  test.each([
    [0, '198.51.100.7', '10.0.0.1'],
    [1, undefined, '10.0.0.1'],
    [1, '', '10.0.0.1'],
    [1, '198.51.100.7', '198.51.100.7'],
    [1, '6.6.6.6, 198.51.100.7', '198.51.100.7'],
    [2, '6.6.6.6, 198.51.100.7, 172.16.0.2', '198.51.100.7'],
    [3, '198.51.100.7, 172.16.0.2', '198.51.100.7'],
    [1, '2001:db8::1', '2001:db8::1'],
    [1, 'not-an-ip', '10.0.0.1'],
    [1, '6.6.6.6, ', '6.6.6.6'],
  ])('TRUST_PROXY=%p, X-Forwarded-For %p → %p', (hops, header, expected) => {
    expect(clientIpFrom('10.0.0.1', header, hops)).toBe(expected)
  })
})

describe('AuthFailures', () => {
  test('the window ends, then the client may try again', () => {
    let now = 0
    const f = new AuthFailures({ limit: 2, windowSeconds: 10, now: () => now })
    f.recordFailure('a')
    expect(f.retryAfter('a')).toBe(0)
    f.recordFailure('a')
    expect(f.retryAfter('a')).toBe(10)
    expect(f.retryAfter('b')).toBe(0)
    now = 9_500
    expect(f.retryAfter('a')).toBe(1)
    now = 10_000
    expect(f.retryAfter('a')).toBe(0)
  })

  test('memory stays bounded however many clients fail', () => {
    const f = new AuthFailures({ limit: 1, windowSeconds: 60, maxClients: 100 })
    for (let i = 0; i < 10_000; i++) f.recordFailure(`10.0.${i >> 8}.${i & 255}`)
    expect(f.size).toBeLessThanOrEqual(100)
    // The most recent offenders are the ones kept.
    expect(f.retryAfter('10.0.39.15')).toBeGreaterThan(0)
  })
})

describe('ApiKeyRing comparison', () => {
  // Timing is not measured (too noisy on shared CI); the structure that makes it constant is:
  // every presented key, whatever its length, becomes a 32-byte SHA-256 digest, and every stored
  // key is compared with timingSafeEqual, which throws on unequal lengths, so a mismatch there
  // would surface here as an exception rather than as a timing difference.
  test('keys of any length, including empty and very long, verify without error', () => {
    const ring = new ApiKeyRing([
      { name: 'w', key: WRITE_KEY, readOnly: false },
      { name: 'r', key: READ_KEY, readOnly: true },
    ])
    for (const wrong of ['', 'x', WRITE_KEY.slice(0, -1), `${WRITE_KEY}x`, 'k'.repeat(100_000)]) {
      expect(ring.verify(wrong)).toBeUndefined()
    }
    expect(ring.verify(WRITE_KEY)).toEqual({ name: 'w', readOnly: false })
    expect(ring.verify(READ_KEY)).toEqual({ name: 'r', readOnly: true })
  })

  test('the comparison is over fixed-length digests, against every key with no early exit', () => {
    const compare = spyOn(crypto, 'timingSafeEqual')
    try {
      const ring = new ApiKeyRing([
        { name: 'first', key: WRITE_KEY, readOnly: false },
        { name: 'other', key: READ_KEY, readOnly: true },
        { name: 'last', key: WRITE_KEY, readOnly: true },
      ])
      for (const presented of [WRITE_KEY, READ_KEY, 'x', 'k'.repeat(1000)]) {
        compare.mockClear()
        ring.verify(presented)
        // One comparison per key whether or not (and wherever) a key matched.
        expect(compare).toHaveBeenCalledTimes(3)
        for (const [a, b] of compare.mock.calls) {
          expect([(a as Buffer).byteLength, (b as Buffer).byteLength]).toEqual([32, 32])
        }
      }
      // The loop ran past the first match: the last matching key is the one found.
      expect(ring.verify(WRITE_KEY)).toEqual({ name: 'last', readOnly: true })
    } finally {
      compare.mockRestore()
    }
  })
})
