import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { json, startTestApp, type TestApp, upload, WRITE_KEY } from './support/app'
import { makePng } from './support/images'
import { s3Env, startS3, type TestS3 } from './support/s3'
import { checkPresignedUrl } from './support/sigv4'

describe('local store: HMAC-signed download URLs', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ env: { DOWNLOAD_URL_TTL_SECONDS: '60' } })
  })
  afterAll(() => t.stop())

  test('a tampered or expired signature is refused with 403; no signature needs the key', async () => {
    const { data } = await json(await upload(t.url, makePng(6, 6, { seed: 1 })))
    const url = new URL(data.download_url)
    expect(url.origin).toBe(t.url)
    expect(Number(url.searchParams.get('expires'))).toBeGreaterThan(Date.now() / 1000 + 50)
    expect((await fetch(url)).status).toBe(200)

    const tampered = new URL(url)
    tampered.searchParams.set('signature', `${url.searchParams.get('signature')?.slice(0, -2)}xx`)
    expect((await fetch(tampered)).status).toBe(403)

    const extended = new URL(url)
    extended.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600))
    expect((await fetch(extended)).status).toBe(403)

    const expired = new URL(url)
    expired.searchParams.set('expires', String(Math.floor(Date.now() / 1000) - 1))
    const res = await fetch(expired)
    expect(res.status).toBe(403)
    expect((await json(res)).error).toBe('Invalid signature')

    // A signature is bound to its image id.
    const { data: other } = await json(await upload(t.url, makePng(6, 7, { seed: 2 })))
    const swapped = new URL(url.toString().replace(data.id, other.id))
    expect((await fetch(swapped)).status).toBe(403)

    const bare = new URL(url)
    bare.search = ''
    const unauthenticated = await fetch(bare)
    expect(unauthenticated.status).toBe(401)
  })

  test('development keeps the convenience: without PUBLIC_BASE_URL the origin is the Host header', async () => {
    const { data } = await json(await upload(t.url, makePng(4, 9, { seed: 5 })))
    const res = await fetch(`${t.url}/api/images/${data.id}`, {
      headers: { 'X-API-Key': WRITE_KEY, Host: 'dev-box.local:8000' },
    })
    expect((await json(res)).data.download_url).toStartWith('http://dev-box.local:8000/api/images/')
  })

  test('production: links are built from PUBLIC_BASE_URL whatever Host the client sends', async () => {
    const production = await startTestApp({
      env: { NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://images.example.com' },
    })
    try {
      const form = new FormData()
      form.append('image_file', new File([makePng(4, 8, { seed: 6 })], 'p.png'))
      form.append('metadata', JSON.stringify({ title: 't', description: 'd' }))
      const headers = { 'X-API-Key': WRITE_KEY, Host: 'evil.example' }
      const created = await fetch(`${production.url}/api/upload`, {
        method: 'POST',
        body: form,
        headers,
      })
      expect(created.status).toBe(201)
      const { data } = await json(created)
      for (const res of [
        { data },
        await json(await fetch(`${production.url}/api/images/${data.id}`, { headers })),
        { data: (await json(await fetch(`${production.url}/api/images`, { headers }))).data[0] },
      ]) {
        expect(res.data.download_url).toStartWith(
          `https://images.example.com/api/images/${data.id}/`,
        )
      }
    } finally {
      await production.stop()
    }
  })

  test('PUBLIC_BASE_URL replaces the request origin behind a proxy', async () => {
    const proxied = await startTestApp({ env: { PUBLIC_BASE_URL: 'https://images.example.com/' } })
    try {
      const { data } = await json(await upload(proxied.url, makePng(3, 9, { seed: 3 })))
      expect(data.download_url).toStartWith(
        `https://images.example.com/api/images/${data.id}/content?`,
      )
    } finally {
      await proxied.stop()
    }
  })
})

describe('S3: presigned download URLs', () => {
  let s3: TestS3
  let t: TestApp
  beforeAll(async () => {
    s3 = await startS3()
    // The API reaches S3 by one name, clients by another: the URL must be signed for the latter.
    const publicEndpoint = s3.endpoint.replace('127.0.0.1', 'localhost')
    t = await startTestApp({
      env: {
        ...s3Env(s3),
        S3_PUBLIC_ENDPOINT: publicEndpoint,
      },
    })
  })
  afterAll(async () => {
    await t.stop()
    await s3.stop()
  })

  test('is signed for S3_PUBLIC_ENDPOINT and serves the bytes with the sniffed type', async () => {
    const bytes = makePng(5, 5, { seed: 4 })
    const { data } = await json(await upload(t.url, bytes, { filename: 'shot.jpg' }))
    const url = new URL(data.download_url)
    expect(url.host).toBe(new URL(s3.endpoint.replace('127.0.0.1', 'localhost')).host)
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/)
    // s3rver does not verify signatures; checkPresignedUrl (below) does. The fetch proves the URL
    // addresses the right object and serves the sniffed type.
    const direct = new URL(url)
    direct.hostname = '127.0.0.1'
    const res = await fetch(direct, { headers: { Host: url.host } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('image/png')
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true)
  })

  test('the signature verifies under SigV4 recomputed independently, from upload, get and list', async () => {
    const { data } = await json(
      await upload(t.url, makePng(5, 6, { seed: 7 }), { filename: '青 "x".png' }),
    )
    const headers = { 'X-API-Key': WRITE_KEY }
    const got = await json(await fetch(`${t.url}/api/images/${data.id}`, { headers }))
    const listed = await json(await fetch(`${t.url}/api/images`, { headers }))
    const urls = [data.download_url, got.data.download_url, listed.data[0].download_url]
    for (const url of urls) expect(await checkPresignedUrl(url, s3)).toEqual({ valid: true })
    // The filename and type travel in signed response-* parameters.
    const url = new URL(data.download_url)
    expect(url.searchParams.get('response-content-type')).toBe('image/png')
    expect(url.searchParams.get('response-content-disposition')).toContain('filename')
  })

  test('the check fails for every tampered, re-hosted, expired or foreign-key URL', async () => {
    const { data } = await json(await upload(t.url, makePng(6, 5, { seed: 8 })))
    const original = data.download_url as string
    expect(await checkPresignedUrl(original, s3)).toEqual({ valid: true })
    const edit = (change: (u: URL) => void) => {
      const u = new URL(original)
      change(u)
      return u.toString()
    }
    const tampered: [string, string][] = [
      ['bogus signature', edit((u) => u.searchParams.set('X-Amz-Signature', 'bogus'))],
      [
        'other object',
        edit((u) => {
          u.pathname = u.pathname.replace(/\.png$/, '.jpg')
        }),
      ],
      [
        'other host',
        edit((u) => {
          u.hostname = '127.0.0.1'
        }),
      ],
      ['longer life', edit((u) => u.searchParams.set('X-Amz-Expires', '604800'))],
      ['other type', edit((u) => u.searchParams.set('response-content-type', 'text/html'))],
      ['added parameter', edit((u) => u.searchParams.set('response-cache-control', 'no-store'))],
      ['dropped parameter', edit((u) => u.searchParams.delete('response-content-disposition'))],
      [
        'other region',
        edit((u) =>
          u.searchParams.set(
            'X-Amz-Credential',
            u.searchParams.get('X-Amz-Credential')?.replace('us-east-1', 'eu-west-1') ?? '',
          ),
        ),
      ],
      [
        'earlier date',
        edit((u) =>
          u.searchParams.set(
            'X-Amz-Date',
            (u.searchParams.get('X-Amz-Date') ?? '').replace(/T\d\d/, 'T00'),
          ),
        ),
      ],
    ]
    for (const [what, url] of tampered) {
      const check = await checkPresignedUrl(url, s3)
      expect({ what, valid: check.valid }).toEqual({ what, valid: false })
    }
    expect(await checkPresignedUrl(original, { ...s3, secretAccessKey: 'another-secret' })).toEqual(
      {
        valid: false,
        reason: 'signature',
      },
    )
    const later = new Date(Date.now() + 2 * 3600 * 1000)
    expect(await checkPresignedUrl(original, s3, later)).toEqual({
      valid: false,
      reason: 'expired',
    })
  })
})

describe('S3: presigned URLs honour S3_REGION', () => {
  test('signed for the configured region, and the signature verifies', async () => {
    const t = await startTestApp({ storage: 's3', env: { S3_REGION: 'eu-west-1' } })
    try {
      const { data } = await json(await upload(t.url, makePng(7, 5, { seed: 9 })))
      const url = new URL(data.download_url)
      expect(url.searchParams.get('X-Amz-Credential')).toContain('/eu-west-1/s3/aws4_request')
      expect(await checkPresignedUrl(url.toString(), t.s3 as TestS3)).toEqual({ valid: true })
    } finally {
      await t.stop()
    }
  })
})
