import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnApi } from './support/api-process'
import { json, startTestApp, type TestApp, upload, WRITE_KEY } from './support/app'
import { makePng } from './support/images'

const TOKEN = 'metrics-token-0123456789abcdef'

const scrape = (url: string, token = TOKEN) =>
  fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${token}` } })

/** The value of the one sample whose name and labels include all of `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}) {
  const matches = text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
  if (matches.length !== 1)
    throw new Error(`${matches.length} samples of ${name} ${JSON.stringify(labels)}`)
  return Number(matches[0]?.split(' ').at(-1))
}

describe('/metrics with METRICS_TOKEN', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({
      storage: 's3',
      env: { METRICS_TOKEN: TOKEN, MAX_UPLOAD_BYTES: '4000' },
    })
  })
  afterAll(() => t.stop())

  test('needs the bearer token', async () => {
    const none = await fetch(`${t.url}/metrics`)
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toContain('Bearer')
    expect((await json(none)).error).toBe('Unauthorized')
    expect((await scrape(t.url, `${TOKEN}x`)).status).toBe(401)
    // The API key is not the metrics token.
    const apiKey = await fetch(`${t.url}/metrics`, { headers: { 'X-API-Key': WRITE_KEY } })
    expect(apiKey.status).toBe(401)
    const ok = await scrape(t.url)
    expect(ok.status).toBe(200)
    expect(ok.headers.get('content-type')).toContain('text/plain')
  })

  test('counts requests, uploads by outcome, bytes, dependency calls, backlog, process', async () => {
    const png = makePng(6, 6, { seed: 9101 })
    expect((await upload(t.url, png)).status).toBe(201)
    expect((await upload(t.url, png)).status).toBe(409)
    expect((await upload(t.url, new TextEncoder().encode('not an image'))).status).toBe(415)
    expect((await upload(t.url, makePng(40, 40, { seed: 9102 }))).status).toBe(413)
    expect((await upload(t.url, png, { key: 'wrong' })).status).toBe(401)
    expect(
      (await fetch(`${t.url}/api/images`, { headers: { 'X-API-Key': WRITE_KEY } })).status,
    ).toBe(200)

    await t.s3?.pause()
    try {
      expect((await upload(t.url, makePng(5, 5, { seed: 9103 }))).status).toBe(503)
    } finally {
      await t.s3?.resume()
    }

    const text = await (await scrape(t.url)).text()
    const uploads = (labels: Record<string, string>) => sample(text, 'image_uploads_total', labels)
    expect(uploads({ outcome: 'created' })).toBe(1)
    expect(uploads({ outcome: 'duplicate' })).toBe(1)
    expect(uploads({ outcome: 'rejected', reason: 'unsupported_format' })).toBe(1)
    expect(uploads({ outcome: 'rejected', reason: 'too_large' })).toBe(1)
    expect(uploads({ outcome: 'rejected', reason: 'unauthorized' })).toBe(1)
    expect(uploads({ outcome: 'rejected', reason: 'unavailable' })).toBe(1)
    expect(sample(text, 'image_uploaded_bytes_total')).toBe(png.byteLength)

    const requests = (labels: Record<string, string>) =>
      sample(text, 'http_request_duration_seconds_count', labels)
    expect(requests({ method: 'POST', route: '/api/upload', status: '201' })).toBe(1)
    expect(requests({ method: 'POST', route: '/api/upload', status: '409' })).toBe(1)
    expect(requests({ method: 'GET', route: '/api/images', status: '200' })).toBe(1)

    expect(sample(text, 'images_stored', { analysis_status: 'none' })).toBe(1)
    expect(sample(text, 'images_stored', { analysis_status: 'pending' })).toBe(0)
    expect(sample(text, 'images_stored_bytes')).toBe(png.byteLength)

    const db = (labels: Record<string, string>) =>
      sample(text, 'db_call_duration_seconds_count', labels)
    expect(db({ operation: 'findByMd5', outcome: 'ok' })).toBeGreaterThanOrEqual(2)
    expect(db({ operation: 'list', outcome: 'ok' })).toBe(1)
    const storage = (labels: Record<string, string>) =>
      sample(text, 'storage_call_duration_seconds_count', labels)
    expect(storage({ operation: 'put', outcome: 'ok' })).toBe(1)
    expect(storage({ operation: 'put', outcome: 'error' })).toBe(1)

    // Every upload that got past auth waited (0 s or more) for the byte budget; none timed out.
    expect(sample(text, 'upload_buffer_wait_seconds_count', { outcome: 'admitted' })).toBe(5)
    expect(sample(text, 'upload_buffer_rejections_total')).toBe(0)
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(10 * 1024 * 1024)
  })
})

describe('/metrics off by default, or on METRICS_PORT', () => {
  test('without METRICS_TOKEN or METRICS_PORT there is no /metrics', async () => {
    const t = await startTestApp()
    try {
      expect((await scrape(t.url)).status).toBe(404)
    } finally {
      await t.stop()
    }
  })

  test('METRICS_PORT serves it alone on loopback without a token; not on the API port', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'imgapi-metrics-'))
    const probe = Bun.serve({ port: 0, fetch: () => new Response() })
    const port = probe.port
    await probe.stop(true)
    const api = await spawnApi(
      {
        API_KEY: WRITE_KEY,
        METRICS_PORT: String(port),
        DATA_DIR: dataDir,
      },
      // A first start of the embedded PGlite runs initdb: tens of seconds on a busy machine.
      120_000,
    )
    try {
      const listening = JSON.parse(api.lines.find((l) => l.includes('"listening"')) ?? '{}')
      expect(listening.metrics).toBe(`http://127.0.0.1:${port}/metrics`)
      const res = await fetch(`http://127.0.0.1:${port}/metrics`)
      expect(res.status).toBe(200)
      expect(await res.text()).toContain('process_resident_memory_bytes')
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404)
      expect((await scrape(api.url)).status).toBe(404)
    } finally {
      api.proc.kill('SIGTERM')
      await api.proc.exited
      await rm(dataDir, { recursive: true, force: true })
    }
  }, 180_000)
})
