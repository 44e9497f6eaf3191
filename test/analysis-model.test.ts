import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { type ImageRow, images } from '../src/db/schema'
import { json, startTestApp, type TestApp, upload, WRITE_KEY } from './support/app'
import { createTestDatabase, type TestDatabase } from './support/database'
import { type FakeGemini, startFakeGemini } from './support/fake-gemini'
import { makePng } from './support/images'
import { waitFor } from './support/wait'

const GEMINI_KEY = 'AIzaFAKE-model-check-key-0123456789'
const GOOD_MODEL = 'gemini-test-flash'
const ENTRY_CLI = join(import.meta.dir, '..', 'src', 'analysis', 'cli.ts')

const geminiEnv = (fake: FakeGemini, model: string, extra: Record<string, string> = {}) => ({
  GEMINI_API_KEY: GEMINI_KEY,
  GEMINI_BASE_URL: fake.baseUrl,
  GEMINI_MODEL: model,
  GEMINI_TIMEOUT_MS: '1500',
  GEMINI_MAX_ATTEMPTS: '3',
  GEMINI_POLL_INTERVAL_MS: '50',
  GEMINI_RETRY_BASE_MS: '20',
  GEMINI_RETRY_MAX_MS: '100',
  ...extra,
})

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')
let seed = 5000
const freshPng = () => makePng(20, 12, { seed: seed++ })

async function row(t: TestApp, id: string): Promise<ImageRow> {
  const [r] = await t.deps.database.db.select().from(images).where(eq(images.id, id))
  if (!r) throw new Error(`no row ${id}`)
  return r
}

async function uploaded(t: TestApp, bytes: Uint8Array) {
  const res = await upload(t.url, bytes, { filename: 'p.png' })
  expect(res.status).toBe(201)
  return (await json(res)).data
}

const health = async (t: TestApp) => {
  const res = await fetch(`${t.url}/health`)
  return { status: res.status, body: await json(res) }
}

const analysisHealth = (t: TestApp, status: string) =>
  waitFor(
    () => health(t),
    (h) => h.body.checks.analysis?.status === status,
    { what: `analysis health to be ${status}` },
  )

/** Lets the worker run a few polls (50 ms apart) so that any retry it would make has happened. */
const letWorkerRun = () => Bun.sleep(600)

describe('GEMINI_MODEL the fake does not know', () => {
  let fake: FakeGemini
  let t: TestApp
  beforeAll(async () => {
    fake = startFakeGemini()
    t = await startTestApp({ env: geminiEnv(fake, 'gemini-2.5-flash') })
  })
  afterAll(async () => {
    await t.stop()
    await fake.stop()
  })

  test('the start-up check reports it: one log line, /health degraded with the reason, still 200', async () => {
    const h = await analysisHealth(t, 'degraded')
    expect(h.status).toBe(200)
    expect(h.body.status).toBe('healthy')
    expect(h.body.checks.analysis.model).toBe('gemini-2.5-flash')
    expect(h.body.checks.analysis.error).toContain('GEMINI_MODEL "gemini-2.5-flash" cannot be used')
    expect(h.body.checks.analysis.error).toContain('HTTP 404')
    expect(h.body.checks.analysis.error).toContain('is not found')
    // Looked up again every GEMINI_RETRY_MAX_MS (100 ms here); the same answer is not logged again.
    await waitFor(
      async () => fake.lookups.length,
      (n) => n >= 3,
      { what: 'periodic look-ups' },
    )
    expect(new Set(fake.lookups)).toEqual(new Set(['gemini-2.5-flash']))
    const lines = t.logs.filter((l) => l.variable === 'GEMINI_MODEL')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ level: 'error', model: 'gemini-2.5-flash' })
    expect(String(lines[0]?.msg)).toContain('GEMINI_MODEL "gemini-2.5-flash" cannot be used')
    expect(String(lines[0]?.answer)).toContain('NOT_FOUND')
    expect(t.rawLogs.join('\n')).not.toContain(GEMINI_KEY)
  })

  test('uploads still work and end failed with the reason after one attempt, never retried', async () => {
    await analysisHealth(t, 'degraded')
    const pngs = [freshPng(), freshPng(), freshPng()]
    const ids: string[] = []
    for (const bytes of pngs) {
      const data = await uploaded(t, bytes)
      expect(data).toMatchObject({ analysis_status: 'failed', analysis_attempts: 1 })
      expect(data.analysis_error).toContain('GEMINI_MODEL "gemini-2.5-flash" cannot be used')
      ids.push(data.id)
    }
    await letWorkerRun()
    for (const id of ids) {
      expect(await row(t, id)).toMatchObject({ analysisStatus: 'failed', analysisAttempts: 1 })
    }
    // Known dead: Gemini was not even asked.
    expect(fake.requests).toHaveLength(0)
  })
})

describe('a model that generateContent answers 404 for', () => {
  let fake: FakeGemini
  let t: TestApp
  beforeAll(async () => {
    fake = startFakeGemini()
    // Long recheck: the test watches the calls while the model is known to be gone.
    t = await startTestApp({
      env: geminiEnv(fake, GOOD_MODEL, { GEMINI_RETRY_MAX_MS: '60000' }),
    })
    await analysisHealth(t, 'up')
  })
  afterAll(async () => {
    await t.stop()
    await fake.stop()
  })

  test('fails at once and stops calling: no retry storm', async () => {
    fake.setDefault({
      kind: 'error',
      status: 404,
      message: `models/${GOOD_MODEL} is not found for API version v1beta, or is not supported for generateContent.`,
    })
    const first = await uploaded(t, freshPng())
    expect(first).toMatchObject({ analysis_status: 'failed', analysis_attempts: 1 })
    expect(first.analysis_error).toContain(`GEMINI_MODEL "${GOOD_MODEL}" cannot be used`)
    expect(first.analysis_error).toContain('HTTP 404')
    const more = []
    for (let i = 0; i < 5; i++) more.push(await uploaded(t, freshPng()))
    for (const data of more) expect(data.analysis_status).toBe('failed')
    await letWorkerRun()
    // One call found the model gone; the other five uploads and the worker never asked again.
    expect(fake.requests).toHaveLength(1)
    const h = await health(t)
    expect(h.status).toBe(200)
    expect(h.body.checks.analysis.status).toBe('degraded')
  })
})

describe('a model that comes back', () => {
  test('is looked up again every GEMINI_RETRY_MAX_MS and used again without a manual step', async () => {
    const fake = startFakeGemini()
    const t = await startTestApp({ env: geminiEnv(fake, 'gemini-later-flash') })
    try {
      await analysisHealth(t, 'degraded')
      const before = await uploaded(t, freshPng())
      expect(before.analysis_status).toBe('failed')
      fake.addModel('gemini-later-flash')
      await analysisHealth(t, 'up')
      const after = await uploaded(t, freshPng())
      expect(after).toMatchObject({
        analysis_status: 'done',
        gemini_analysis: 'A fake description',
      })
    } finally {
      await t.stop()
      await fake.stop()
    }
  })
})

describe('models that exist but cannot describe images', () => {
  test('no generateContent, or a speech model: degraded with what is wrong', async () => {
    const fake = startFakeGemini()
    fake.addModel('text-embedding-9', ['embedContent'])
    fake.addModel('gemini-3.8-flash-tts')
    const embedding = await startTestApp({ env: geminiEnv(fake, 'text-embedding-9') })
    const tts = await startTestApp({ env: geminiEnv(fake, 'gemini-3.8-flash-tts') })
    try {
      const a = await analysisHealth(embedding, 'degraded')
      expect(a.body.checks.analysis.error).toContain('does not support generateContent')
      const b = await analysisHealth(tts, 'degraded')
      expect(b.body.checks.analysis.error).toContain('does not take image input')
      expect((await uploaded(tts, freshPng())).analysis_status).toBe('failed')
      expect(fake.requests).toHaveLength(0)
    } finally {
      await embedding.stop()
      await tts.stop()
      await fake.stop()
    }
  })
})

describe('a key Google refuses', () => {
  test('degraded, naming GEMINI_API_KEY rather than the model', async () => {
    const fake = startFakeGemini()
    fake.scriptLookup({
      kind: 'error',
      status: 400,
      message: 'API key not valid. Please pass a valid API key.',
    })
    const t = await startTestApp({ env: geminiEnv(fake, GOOD_MODEL) })
    try {
      const h = await analysisHealth(t, 'degraded')
      expect(h.status).toBe(200)
      expect(h.body.checks.analysis.error).toContain('GEMINI_API_KEY was refused')
      expect(h.body.checks.analysis.error).toContain('API key not valid')
      expect(t.logs.filter((l) => l.variable === 'GEMINI_API_KEY')).toHaveLength(1)
    } finally {
      await t.stop()
      await fake.stop()
    }
  })
})

describe('network trouble at start-up', () => {
  test('the API starts at once; the check retries in the background until Google answers', async () => {
    const fake = startFakeGemini()
    fake.scriptLookup(
      { kind: 'error', status: 503, message: 'The service is currently unavailable.' },
      { kind: 'error', status: 503, message: 'The service is currently unavailable.' },
    )
    // Slow backoff: the test sees the "checking" state before the third look-up.
    const t = await startTestApp({
      env: geminiEnv(fake, GOOD_MODEL, { GEMINI_RETRY_BASE_MS: '300', GEMINI_RETRY_MAX_MS: '300' }),
    })
    try {
      const checking = await analysisHealth(t, 'checking')
      expect(checking.status).toBe(200)
      // Meanwhile uploads are analysed as usual.
      expect((await uploaded(t, freshPng())).analysis_status).toBe('done')
      await waitFor(
        async () => (await health(t)).body.checks.analysis,
        (a) => a.status === 'up' || a.error !== undefined,
        { what: 'the first failed look-up to be shown' },
      ).then((a) => {
        if (a.status !== 'up') expect(a.error).toContain('HTTP 503')
      })
      await analysisHealth(t, 'up')
      expect(fake.lookups).toEqual([GOOD_MODEL, GOOD_MODEL, GOOD_MODEL])
      expect(t.logs.filter((l) => l.variable === 'GEMINI_MODEL')).toHaveLength(0)
    } finally {
      await t.stop()
      await fake.stop()
    }
  })

  test('Gemini unreachable: healthy, analysis checking with the network error', async () => {
    const closed = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() })
    const deadUrl = `http://127.0.0.1:${closed.port}`
    await closed.stop(true)
    const fake = startFakeGemini()
    const t = await startTestApp({
      env: { ...geminiEnv(fake, GOOD_MODEL), GEMINI_BASE_URL: deadUrl },
    })
    try {
      const h = await waitFor(
        () => health(t),
        (x) => x.body.checks.analysis?.error !== undefined,
        { what: 'the failed look-up to be shown' },
      )
      expect(h.status).toBe(200)
      expect(h.body.checks.analysis.status).toBe('checking')
      expect(h.body.checks.analysis.error).toContain('lookup failed')
    } finally {
      await t.stop()
      await fake.stop()
    }
  })
})

describe('after the model is fixed and the process restarted', () => {
  let fake: FakeGemini
  let database: TestDatabase
  let dataDir: string
  const failedIds: string[] = []
  const pngs: Uint8Array[] = []

  beforeAll(async () => {
    fake = startFakeGemini()
    dataDir = await mkdtemp(join(tmpdir(), 'imgapi-rerun-'))
    const shared = await createTestDatabase()
    // PGlite on disk under DATA_DIR, where the CLI (another process) finds it too.
    database =
      shared.options.kind === 'postgres'
        ? shared
        : { options: { kind: 'pglite', dir: join(dataDir, 'pglite') }, drop: async () => {} }
    const broken = await startTestApp({
      database,
      dataDir,
      env: geminiEnv(fake, 'gemini-2.5-flash'),
    })
    try {
      await analysisHealth(broken, 'degraded')
      for (let i = 0; i < 7; i++) {
        const bytes = freshPng()
        pngs.push(bytes)
        const data = await uploaded(broken, bytes)
        expect(data.analysis_status).toBe('failed')
        failedIds.push(data.id)
      }
    } finally {
      await broken.stop()
    }
  })
  afterAll(async () => {
    await fake.stop()
    await database.drop()
    await rm(dataDir, { recursive: true, force: true })
  })

  test('POST /api/images/:id/analyze re-runs one failed row', async () => {
    const fixed = await startTestApp({ database, dataDir, env: geminiEnv(fake, GOOD_MODEL) })
    try {
      const id = failedIds.shift() ?? ''
      const res = await fetch(`${fixed.url}/api/images/${id}/analyze`, {
        method: 'POST',
        headers: { 'X-API-Key': WRITE_KEY },
      })
      expect(res.status).toBe(200)
      expect((await json(res)).data).toMatchObject({
        analysis_status: 'done',
        analysis_model: GOOD_MODEL,
        analysis_error: null,
      })
    } finally {
      await fixed.stop()
    }
  })

  test('bun run analyze --status failed re-runs the rest, with plain progress lines', async () => {
    const before = fake.requests.length
    const child = Bun.spawn(['bun', ENTRY_CLI, '--status', 'failed', '--concurrency', '3'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        NODE_ENV: 'test',
        DATA_DIR: dataDir,
        ...(database.options.kind === 'postgres' ? { DATABASE_URL: database.options.url } : {}),
        ...geminiEnv(fake, GOOD_MODEL),
      },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const [code, stdout, stderr] = await Promise.all([
      child.exited,
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ])
    expect({ code, stderr }).toMatchObject({ code: 0 })
    expect(stdout).toContain(`6 re-run with ${GOOD_MODEL}: 6 done, 0 failed, 0 pending`)
    // Not a terminal: plain lines, no carriage returns; the last one says all six are through.
    expect(stderr).not.toContain('\r')
    expect(stderr.trim().split('\n').at(-1)).toBe('analyze: 6/6 (done 6, failed 0, pending 0)')
    // Each failed row analysed exactly once.
    expect(fake.requests.length - before).toBe(6)
    for (const bytes of pngs.slice(1)) expect(fake.requestsFor(b64(bytes))).toHaveLength(1)

    const check = await startTestApp({ database, dataDir, env: geminiEnv(fake, GOOD_MODEL) })
    try {
      for (const id of failedIds) {
        expect(await row(check, id)).toMatchObject({ analysisStatus: 'done', analysisError: null })
      }
    } finally {
      await check.stop()
    }
  })

  test('the CLI refuses to run with a model that cannot be used, touching nothing', async () => {
    const before = fake.requests.length
    const child = Bun.spawn(['bun', ENTRY_CLI], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        NODE_ENV: 'test',
        DATA_DIR: dataDir,
        ...(database.options.kind === 'postgres' ? { DATABASE_URL: database.options.url } : {}),
        ...geminiEnv(fake, 'gemini-2.5-flash'),
      },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()])
    expect(code).toBe(2)
    expect(stderr).toContain('GEMINI_MODEL "gemini-2.5-flash" cannot be used')
    expect(fake.requests.length).toBe(before)
  })

  test('usage errors exit 2 with the usage', async () => {
    const child = Bun.spawn(['bun', ENTRY_CLI, '--status', 'skipped'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()])
    expect(code).toBe(2)
    expect(stderr).toContain('--status: one of failed, pending, done')
    expect(stderr).toContain('usage: bun run analyze')
  })
})
