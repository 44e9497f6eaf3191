import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { promptHash } from '../src/analysis/analyzer'
import { type ImageRow, images } from '../src/db/schema'
import { json, READ_KEY, startTestApp, type TestApp, upload, WRITE_KEY } from './support/app'
import { createTestDatabase, usingPostgres } from './support/database'
import { type FakeGemini, startFakeGemini } from './support/fake-gemini'
import { makeBmp, makeGif, makeJpeg, makePng, makeWebp } from './support/images'
import { waitFor } from './support/wait'

const GEMINI_KEY = 'AIzaFAKE-test-gemini-key-0123456789'
const PROMPT = 'Describe this picture in one sentence'
const MODEL = 'gemini-test-flash'

const geminiEnv = (fake: FakeGemini, extra: Record<string, string> = {}) => ({
  GEMINI_API_KEY: GEMINI_KEY,
  GEMINI_BASE_URL: fake.baseUrl,
  GEMINI_MODEL: MODEL,
  GEMINI_PROMPT: PROMPT,
  GEMINI_TIMEOUT_MS: '1500',
  GEMINI_MAX_ATTEMPTS: '3',
  GEMINI_POLL_INTERVAL_MS: '50',
  GEMINI_RETRY_BASE_MS: '20',
  GEMINI_RETRY_MAX_MS: '100',
  ...extra,
})

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')

let seed = 1000
/** A PNG no other test uploads, so fake requests can be attributed to it by content. */
const freshPng = () => makePng(24, 16, { seed: seed++ })

async function row(t: TestApp, id: string): Promise<ImageRow> {
  const [r] = await t.deps.database.db.select().from(images).where(eq(images.id, id))
  if (!r) throw new Error(`no row ${id}`)
  return r
}

const settled = (t: TestApp, id: string, status: ImageRow['analysisStatus'] = 'done') =>
  waitFor(
    () => row(t, id),
    (r) => r.analysisStatus === status,
    { what: `analysis of ${id} to be ${status}` },
  )

async function uploaded(t: TestApp, bytes: Uint8Array, filename = 'photo.png') {
  const res = await upload(t.url, bytes, { filename })
  expect(res.status).toBe(201)
  return (await json(res)).data
}

const analyze = (t: TestApp, id: string, body?: unknown, key = WRITE_KEY) =>
  fetch(`${t.url}/api/images/${id}/analyze`, {
    method: 'POST',
    headers: {
      'X-API-Key': key,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })

describe('Gemini analysis', () => {
  let fake: FakeGemini
  let t: TestApp
  beforeAll(async () => {
    fake = startFakeGemini()
    t = await startTestApp({ env: geminiEnv(fake) })
  })
  afterAll(async () => {
    await t.stop()
    await fake.stop()
  })

  test('the description is in the 201 response and the row; the real MIME type and prompt are sent', async () => {
    const bytes = freshPng()
    fake.scriptFor(b64(bytes), { kind: 'text', text: 'A gradient of red and green' })
    const data = await uploaded(t, bytes, 'looks-like.jpg')
    expect(data).toMatchObject({
      gemini_analysis: 'A gradient of red and green',
      analysis_status: 'done',
      analysis_model: MODEL,
      analysis_prompt_hash: promptHash(PROMPT),
      analysis_attempts: 1,
      analysis_error: null,
    })
    expect(data.analyzed_at).toMatch(/Z$/)
    expect(promptHash(PROMPT)).toMatch(/^[0-9a-f]{16}$/)

    const [request, ...more] = fake.requestsFor(b64(bytes))
    expect(more).toHaveLength(0)
    expect(request).toMatchObject({
      mimeType: 'image/png',
      prompt: PROMPT,
      model: MODEL,
      apiKey: GEMINI_KEY,
    })
    const stored = await row(t, data.id)
    expect(stored.geminiAnalysis).toBe('A gradient of red and green')
    expect(stored.analysisNextAttemptAt).toBeNull()

    // The description is searchable (q matches title, description and analysis).
    const search = await fetch(`${t.url}/api/images?q=${encodeURIComponent('gradient of red')}`, {
      headers: { 'X-API-Key': WRITE_KEY },
    })
    expect(search.status).toBe(200)
    expect((await json(search)).data.map((i: { id: string }) => i.id)).toEqual([data.id])
  })

  test('JPEG and WebP are sent with their own MIME types', async () => {
    const jpeg = makeJpeg(20, 20, { seed: 77 })
    const webp = makeWebp(9, 7)
    expect((await uploaded(t, jpeg, 'a.png')).analysis_status).toBe('done')
    expect((await uploaded(t, webp, 'b.png')).analysis_status).toBe('done')
    expect(fake.requestsFor(b64(jpeg))[0]?.mimeType).toBe('image/jpeg')
    expect(fake.requestsFor(b64(webp))[0]?.mimeType).toBe('image/webp')
  })

  test('slower than the timeout: 201 with pending, then the worker completes it', async () => {
    const bytes = freshPng()
    fake.scriptFor(b64(bytes), { kind: 'delay', ms: 20_000 })
    const data = await uploaded(t, bytes)
    expect(data.analysis_status).toBe('pending')
    expect(data.gemini_analysis).toBeNull()
    expect(data.analysis_error).toContain('timeout')
    const done = await settled(t, data.id)
    expect(done.geminiAnalysis).toBe('A fake description')
    expect(done.analysisAttempts).toBe(2)
    expect(done.analysisError).toBeNull()
    expect(fake.requestsFor(b64(bytes))).toHaveLength(2)
  })

  test('a 500 is retried in the background and the attempts are counted', async () => {
    const bytes = freshPng()
    fake.scriptFor(b64(bytes), { kind: 'error', status: 500 }, { kind: 'error', status: 503 })
    const data = await uploaded(t, bytes)
    expect(data).toMatchObject({ analysis_status: 'pending', analysis_attempts: 1 })
    expect(data.analysis_error).toContain('HTTP 500')
    const done = await settled(t, data.id)
    expect(done.analysisAttempts).toBe(3)
    expect(fake.requestsFor(b64(bytes))).toHaveLength(3)
  })

  test('malformed JSON from Gemini is retried', async () => {
    const bytes = freshPng()
    fake.scriptFor(b64(bytes), { kind: 'malformed' })
    const data = await uploaded(t, bytes)
    expect(data.analysis_status).toBe('pending')
    expect(data.analysis_error).toContain('Malformed')
    expect((await settled(t, data.id)).analysisAttempts).toBe(2)
  })

  test('a 429 waits for RetryInfo.retryDelay, or for Retry-After', async () => {
    const viaDetails = freshPng()
    const viaHeader = freshPng()
    fake.scriptFor(b64(viaDetails), { kind: 'rate-limited', retryDelay: '30s' })
    fake.scriptFor(b64(viaHeader), { kind: 'rate-limited', retryAfter: '45' })
    const before = Date.now()
    const a = await uploaded(t, viaDetails)
    const b = await uploaded(t, viaHeader)
    for (const [data, seconds] of [
      [a, 30],
      [b, 45],
    ] as const) {
      expect(data.analysis_status).toBe('pending')
      expect(data.analysis_error).toContain('HTTP 429')
      const r = await row(t, data.id)
      expect(r.analysisNextAttemptAt?.getTime()).toBeGreaterThanOrEqual(before + seconds * 1000)
    }
    // Far beyond the ordinary backoff (at most 100 ms here): only the 429's own delay explains it.
    expect(fake.requestsFor(b64(viaDetails))).toHaveLength(1)
  })

  test('blocked, empty or refused answers fail at once and are never retried', async () => {
    const cases = [
      [{ kind: 'blocked' }, 'Blocked by Gemini: SAFETY'],
      [{ kind: 'safety' }, 'No text from Gemini: SAFETY'],
      [{ kind: 'no-candidates' }, 'no candidates'],
      [{ kind: 'empty-text' }, 'no text'],
      [{ kind: 'error', status: 400, message: 'Unsupported image' }, 'HTTP 400'],
    ] as const
    const ids: [Uint8Array, string][] = []
    for (const [reply, reason] of cases) {
      const bytes = freshPng()
      fake.scriptFor(b64(bytes), reply)
      const data = await uploaded(t, bytes)
      expect(data.analysis_status).toBe('failed')
      expect(data.gemini_analysis).toBeNull()
      expect(data.analysis_error).toContain(reason)
      ids.push([bytes, data.id])
    }
    // Let the worker run a retry of something else to the end: it has had its chance meanwhile.
    const probe = freshPng()
    fake.scriptFor(b64(probe), { kind: 'error', status: 500 })
    await settled(t, (await uploaded(t, probe)).id)
    for (const [bytes, id] of ids) {
      expect(fake.requestsFor(b64(bytes))).toHaveLength(1)
      expect((await row(t, id)).analysisStatus).toBe('failed')
    }
  })

  test('after GEMINI_MAX_ATTEMPTS failures: failed with the last error, without the API key', async () => {
    const bytes = freshPng()
    const leak = { kind: 'error', status: 500, message: `upstream saw key=${GEMINI_KEY}` } as const
    fake.scriptFor(b64(bytes), leak, leak, { kind: 'error', status: 503, message: 'last one' })
    const data = await uploaded(t, bytes)
    expect(data.analysis_error).not.toContain(GEMINI_KEY)
    const failed = await settled(t, data.id, 'failed')
    expect(failed.analysisAttempts).toBe(3)
    expect(failed.analysisError).toContain('HTTP 503')
    expect(failed.analysisError).toContain('last one')
    expect(failed.analysisNextAttemptAt).toBeNull()
    expect(fake.requestsFor(b64(bytes))).toHaveLength(3)
    const logs = t.rawLogs.join('\n')
    expect(logs).not.toContain(GEMINI_KEY)
  })

  test('the API key is redacted from stored errors', async () => {
    const bytes = freshPng()
    fake.scriptFor(b64(bytes), { kind: 'error', status: 403, message: `API key ${GEMINI_KEY} bad` })
    const data = await uploaded(t, bytes)
    expect(data.analysis_status).toBe('failed')
    expect(data.analysis_error).toContain('[redacted]')
    expect(data.analysis_error).not.toContain(GEMINI_KEY)
  })

  test('BMP and GIF are skipped and never sent', async () => {
    const before = fake.requests.length
    const bmp = await uploaded(t, makeBmp(5, 4), 'a.bmp')
    const gif = await uploaded(t, makeGif(6, 3), 'b.gif')
    for (const data of [bmp, gif]) {
      expect(data).toMatchObject({ analysis_status: 'skipped', gemini_analysis: null })
      expect((await row(t, data.id)).analysisNextAttemptAt).toBeNull()
    }
    expect(fake.requests.length).toBe(before)
    expect(
      fake.requests.some((r) => r.mimeType === 'image/bmp' || r.mimeType === 'image/gif'),
    ).toBe(false)
  })

  describe('POST /api/images/:id/analyze', () => {
    test('200 with a custom prompt, which reaches Gemini and is recorded by hash', async () => {
      const bytes = freshPng()
      const data = await uploaded(t, bytes)
      fake.scriptFor(b64(bytes), { kind: 'text', text: 'Re-described' })
      const res = await analyze(t, data.id, { prompt: 'List the colours' })
      expect(res.status).toBe(200)
      const body = await json(res)
      expect(body.data).toMatchObject({
        id: data.id,
        gemini_analysis: 'Re-described',
        analysis_status: 'done',
        analysis_prompt_hash: promptHash('List the colours'),
        analysis_attempts: 1,
      })
      const requests = fake.requestsFor(b64(bytes))
      expect(requests).toHaveLength(2)
      expect(requests[1]?.prompt).toBe('List the colours')
    })

    test('200 without a body uses the configured prompt', async () => {
      const bytes = freshPng()
      const data = await uploaded(t, bytes)
      const res = await analyze(t, data.id)
      expect(res.status).toBe(200)
      expect((await json(res)).data.analysis_prompt_hash).toBe(promptHash(PROMPT))
      expect(fake.requestsFor(b64(bytes))[1]?.prompt).toBe(PROMPT)
    })

    test('202 when it does not finish in time; the worker completes it', async () => {
      const bytes = freshPng()
      const data = await uploaded(t, bytes)
      fake.scriptFor(b64(bytes), { kind: 'delay', ms: 20_000 })
      const res = await analyze(t, data.id)
      expect(res.status).toBe(202)
      const body = await json(res)
      expect(body.message).toContain('background')
      expect(body.data.analysis_status).toBe('pending')
      await settled(t, data.id)
    })

    test('a failed image can be analysed again', async () => {
      const bytes = freshPng()
      fake.scriptFor(b64(bytes), { kind: 'blocked' })
      const data = await uploaded(t, bytes)
      expect(data.analysis_status).toBe('failed')
      const res = await analyze(t, data.id)
      expect(res.status).toBe(200)
      expect((await json(res)).data).toMatchObject({
        analysis_status: 'done',
        analysis_error: null,
      })
    })

    test('401, 403 read-only, 404, 400 id and body, 422 unsupported format', async () => {
      const data = await uploaded(t, freshPng())
      const before = fake.requests.length
      const noKey = await fetch(`${t.url}/api/images/${data.id}/analyze`, { method: 'POST' })
      expect(noKey.status).toBe(401)
      const readOnly = await analyze(t, data.id, undefined, READ_KEY)
      expect(readOnly.status).toBe(403)
      expect(await json(readOnly)).toEqual({
        error: 'Forbidden',
        message: 'This API key is read-only',
      })
      const missing = await analyze(t, '01890000-0000-7000-8000-000000000000')
      expect(missing.status).toBe(404)
      expect((await json(missing)).error).toBe('Not found')
      const badId = await analyze(t, 'not-a-uuid')
      expect(badId.status).toBe(400)
      expect((await json(badId)).error).toBe('Bad request')
      for (const body of [
        { prompt: 'x'.repeat(5000) },
        { prompt: 42 },
        { prompt: '   ' },
        { other: 1 },
        '{"prompt": ',
      ]) {
        const res = await analyze(t, data.id, body)
        expect(res.status).toBe(400)
        const err = await json(res)
        expect(typeof err.error).toBe('string')
        expect(typeof err.message).toBe('string')
      }
      const gif = await uploaded(t, makeGif(7, 7), 'c.gif')
      const unsupported = await analyze(t, gif.id)
      expect(unsupported.status).toBe(422)
      expect((await json(unsupported)).message).toContain('image/gif')
      expect(fake.requests.length).toBe(before)
    })

    test('is in the OpenAPI description of the app', () => {
      const doc = t.app.getOpenAPI31Document({
        openapi: '3.1.0',
        info: { title: 't', version: '1' },
      })
      expect(doc.paths?.['/api/images/{id}/analyze']?.post).toBeDefined()
    })
  })
})

describe('Gemini analysis off (no GEMINI_API_KEY)', () => {
  let fake: FakeGemini
  let t: TestApp
  beforeAll(async () => {
    fake = startFakeGemini()
    t = await startTestApp({ env: { GEMINI_BASE_URL: fake.baseUrl } })
  })
  afterAll(async () => {
    await t.stop()
    await fake.stop()
  })

  test('status none, Gemini never called, analyze answers 409', async () => {
    const png = await uploaded(t, freshPng())
    const gif = await uploaded(t, makeGif(4, 4), 'x.gif')
    for (const data of [png, gif]) {
      expect(data).toMatchObject({ analysis_status: 'none', gemini_analysis: null })
    }
    const res = await analyze(t, png.id)
    expect(res.status).toBe(409)
    expect(await json(res)).toEqual({
      error: 'Analysis disabled',
      message: 'Set GEMINI_API_KEY to enable image analysis',
    })
    expect(fake.requests).toHaveLength(0)
  })
})

describe('durability', () => {
  let fake: FakeGemini
  beforeAll(() => {
    fake = startFakeGemini()
  })
  afterAll(() => fake.stop())

  test('pending work survives a restart and is finished by the next process', async () => {
    const database = await createTestDatabase({ onDisk: true })
    const dataDir = await mkdtemp(join(tmpdir(), 'imgapi-restart-'))
    const env = geminiEnv(fake, { GEMINI_MAX_ATTEMPTS: '5' })
    const first = await startTestApp({ database, dataDir, env })
    const bytes = freshPng()
    // Always too slow while the first process runs.
    fake.setDefault({ kind: 'delay', ms: 20_000 })
    let second: TestApp | undefined
    try {
      const data = await uploaded(first, bytes)
      expect(data.analysis_status).toBe('pending')
      // Stop while the worker's retry is in flight: stop() waits for it to end (at the timeout).
      await waitFor(
        async () => fake.requestsFor(b64(bytes)).length,
        (n) => n >= 2,
        { what: 'the background retry to start' },
      )
      await first.stop()
      expect(fake.requestsFor(b64(bytes))).toHaveLength(2)
      fake.setDefault({ kind: 'text', text: 'Finished after restart' })

      second = await startTestApp({ database, dataDir, env })
      const done = await settled(second, data.id)
      expect(done.geminiAnalysis).toBe('Finished after restart')
      expect(done.analysisAttempts).toBe(3)
      expect(fake.requestsFor(b64(bytes))).toHaveLength(3)
    } finally {
      await second?.stop()
      await database.drop()
      await import('node:fs/promises').then((fs) =>
        fs.rm(dataDir, { recursive: true, force: true }),
      )
    }
  })

  test.skipIf(!usingPostgres())(
    'two instances on one PostgreSQL analyse each pending image exactly once',
    async () => {
      const database = await createTestDatabase()
      const dataDir = await mkdtemp(join(tmpdir(), 'imgapi-replicas-'))
      // Every image fails once at upload, then succeeds slowly: both workers compete for them.
      fake.setDefault((request) =>
        fake.requestsFor(request.data ?? '').length === 1
          ? { kind: 'error', status: 500 }
          : { kind: 'text', text: `described ${request.data?.length}`, delayMs: 100 },
      )
      const a = await startTestApp({ database, dataDir, env: geminiEnv(fake) })
      const b = await startTestApp({ database, dataDir, env: geminiEnv(fake) })
      try {
        const pngs = Array.from({ length: 16 }, () => freshPng())
        const ids: string[] = []
        for (const [i, bytes] of pngs.entries()) {
          ids.push((await uploaded(i % 2 ? a : b, bytes)).id)
        }
        for (const id of ids) await settled(a, id)
        for (const bytes of pngs) expect(fake.requestsFor(b64(bytes))).toHaveLength(2)
        const attempts = [...a.logs, ...b.logs].filter((l) => l.msg === 'image analysis attempt')
        expect(attempts.filter((l) => l.outcome === 'text')).toHaveLength(pngs.length)
        expect(attempts.filter((l) => l.status === 'superseded')).toHaveLength(0)
      } finally {
        await a.stop()
        await b.stop()
        await database.drop()
        await rm(dataDir, { recursive: true, force: true })
      }
    },
  )
})

describe('Gemini unreachable', () => {
  let t: TestApp
  let fake: FakeGemini
  beforeAll(async () => {
    // A port that was free a moment ago: nothing listens there, connections are refused.
    const closed = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() })
    const deadUrl = `http://127.0.0.1:${closed.port}`
    await closed.stop(true)
    fake = startFakeGemini()
    t = await startTestApp({
      env: { ...geminiEnv(fake), GEMINI_BASE_URL: deadUrl, GEMINI_RETRY_BASE_MS: '60000' },
    })
  })
  afterAll(async () => {
    await t.stop()
    await fake.stop()
  })

  test('the upload still succeeds, pending with the network error recorded', async () => {
    const data = await uploaded(t, freshPng())
    expect(data).toMatchObject({ analysis_status: 'pending', analysis_attempts: 1 })
    expect(data.analysis_error).toContain('Gemini request failed')
    expect(data.analysis_error).not.toContain(GEMINI_KEY)
    const r = await row(t, data.id)
    expect(r.analysisNextAttemptAt?.getTime()).toBeGreaterThan(Date.now())
  })
})
