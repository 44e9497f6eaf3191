import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq, sql } from 'drizzle-orm'
import { cleanModelText } from '../src/analysis/clean-text'
import { type ImageRow, images } from '../src/db/schema'
import { json, startTestApp, type TestApp, upload, WRITE_KEY } from './support/app'
import { type FakeGemini, startFakeGemini } from './support/fake-gemini'
import { makePng } from './support/images'
import { waitFor } from './support/wait'

const MAX_CHARS = 120

const geminiEnv = (fake: FakeGemini) => ({
  GEMINI_API_KEY: 'AIzaFAKE-output-key-0123456789',
  GEMINI_BASE_URL: fake.baseUrl,
  GEMINI_MODEL: 'gemini-test-flash',
  GEMINI_TIMEOUT_MS: '1500',
  GEMINI_MAX_ATTEMPTS: '3',
  GEMINI_POLL_INTERVAL_MS: '50',
  GEMINI_RETRY_BASE_MS: '20',
  GEMINI_RETRY_MAX_MS: '100',
  GEMINI_MAX_OUTPUT_CHARS: String(MAX_CHARS),
})

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')
let seed = 8000
const freshPng = () => makePng(18, 14, { seed: seed++ })

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

const codePoints = (s: string) => Array.from(s).length

describe('cleanModelText', () => {
  test('removes what cannot or should not be stored, keeps text, tabs and newlines', () => {
    expect(cleanModelText('a\u0000b\u0007c\u001Bd\u007Fe\u0085f', 100)).toBe('abcdef')
    expect(cleanModelText(' 青い海\tと\n空\r\n ', 100)).toBe('青い海\tと\n空')
    // A lone surrogate cannot be encoded as UTF-8: replaced, not dropped silently.
    expect(cleanModelText('x\uD800y', 100)).toBe('x\uFFFDy')
    expect(cleanModelText('\u0000\u0000', 100)).toBe('')
  })

  test('at most maxLength code points, exactly at the limit kept, one over cut with an ellipsis', () => {
    expect(cleanModelText('a'.repeat(10), 10)).toBe('a'.repeat(10))
    expect(cleanModelText('a'.repeat(11), 10)).toBe(`${'a'.repeat(9)}…`)
    // Code points, not UTF-16 units: an emoji is one character and is never split.
    const emoji = '😀'.repeat(10)
    expect(cleanModelText(emoji, 10)).toBe(emoji)
    expect(cleanModelText(`${emoji}😀`, 10)).toBe(`${'😀'.repeat(9)}…`)
    expect(cleanModelText('x'.repeat(60_000), 2000)).toHaveLength(2000)
  })
})

describe('Gemini output as stored', () => {
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

  test('an answer containing U+0000 is stored cleaned at once; /analyze answers 200', async () => {
    const bytes = freshPng()
    fake.scriptFor(b64(bytes), { kind: 'text', text: 'A red\u0000 square\u0000' })
    const data = await uploaded(t, bytes)
    expect(data).toMatchObject({
      analysis_status: 'done',
      gemini_analysis: 'A red square',
      analysis_attempts: 1,
    })
    fake.scriptFor(b64(bytes), { kind: 'text', text: '\u0000Blue\u0000' })
    const res = await fetch(`${t.url}/api/images/${data.id}/analyze`, {
      method: 'POST',
      headers: { 'X-API-Key': WRITE_KEY },
    })
    expect(res.status).toBe(200)
    expect((await json(res)).data).toMatchObject({
      analysis_status: 'done',
      gemini_analysis: 'Blue',
    })
    expect(fake.requestsFor(b64(bytes))).toHaveLength(2)
  })

  test('an answer that is only control characters is "no text": failed, not retried', async () => {
    const bytes = freshPng()
    fake.scriptFor(b64(bytes), { kind: 'text', text: '\u0000\u0001' })
    const data = await uploaded(t, bytes)
    expect(data).toMatchObject({
      analysis_status: 'failed',
      analysis_error: 'Gemini returned no text',
    })
  })

  test('GEMINI_MAX_OUTPUT_CHARS: exactly at the limit stored whole, longer cut to it', async () => {
    const exact = freshPng()
    const over = freshPng()
    const huge = freshPng()
    const atLimit = `${'猫'.repeat(MAX_CHARS - 1)}!`
    fake.scriptFor(b64(exact), { kind: 'text', text: atLimit })
    fake.scriptFor(b64(over), { kind: 'text', text: `${atLimit}?` })
    fake.scriptFor(b64(huge), { kind: 'text', text: 'word '.repeat(12_000) })
    expect((await uploaded(t, exact)).gemini_analysis).toBe(atLimit)
    const cut = (await uploaded(t, over)).gemini_analysis
    expect(codePoints(cut)).toBe(MAX_CHARS)
    expect(cut).toBe(`${'猫'.repeat(MAX_CHARS - 1)}…`)
    const big = await uploaded(t, huge)
    expect(big.analysis_status).toBe('done')
    expect(codePoints(big.gemini_analysis)).toBeLessThanOrEqual(MAX_CHARS)
    expect(codePoints((await row(t, big.id)).geminiAnalysis ?? '')).toBeLessThanOrEqual(MAX_CHARS)
  })

  test('/api/limits shows the stored analysis length', async () => {
    const res = await fetch(`${t.url}/api/limits`, { headers: { 'X-API-Key': WRITE_KEY } })
    expect(res.status).toBe(200)
    expect((await json(res)).max_analysis_length).toBe(MAX_CHARS)
  })

  test('a result the database refuses counts as an attempt: failed after GEMINI_MAX_ATTEMPTS', async () => {
    // A real refusal by the database, whatever the backend: this one value may not be stored.
    await t.deps.database.db.execute(
      sql.raw(
        `alter table images add constraint test_refuse_poison check (gemini_analysis is distinct from 'poison')`,
      ),
    )
    try {
      const bytes = freshPng()
      fake.scriptFor(
        b64(bytes),
        { kind: 'text', text: 'poison' },
        { kind: 'text', text: 'poison' },
        { kind: 'text', text: 'poison' },
        { kind: 'text', text: 'poison' },
      )
      const data = await uploaded(t, bytes)
      expect(data).toMatchObject({ analysis_status: 'pending', analysis_attempts: 1 })
      expect(data.analysis_error).toContain('Could not record the analysis result: SQLSTATE 23514')
      const failed = await waitFor(
        () => row(t, data.id),
        (r) => r.analysisStatus !== 'pending',
        { what: 'the analysis to give up' },
      )
      expect(failed).toMatchObject({ analysisStatus: 'failed', analysisAttempts: 3 })
      expect(failed.analysisError).toContain('SQLSTATE 23514')
      await Bun.sleep(400)
      expect(fake.requestsFor(b64(bytes))).toHaveLength(3)
      expect((await row(t, data.id)).analysisAttempts).toBe(3)
      // The values themselves never reach the log.
      expect(t.rawLogs.join('\n')).not.toContain('poison')
    } finally {
      await t.deps.database.db.execute(
        sql.raw('alter table images drop constraint test_refuse_poison'),
      )
    }
  })

  test('a claim beyond GEMINI_MAX_ATTEMPTS (never recorded: a crash) gives up without calling', async () => {
    const bytes = freshPng()
    // Rate-limited for ten minutes: nothing retries it until the test makes it due.
    fake.scriptFor(b64(bytes), { kind: 'rate-limited', retryDelay: '600s' })
    const data = await uploaded(t, bytes)
    expect(data.analysis_status).toBe('pending')
    // As if two processes had died holding claims on it: the count is already past the limit.
    await t.deps.database.db
      .update(images)
      .set({ analysisAttempts: 3, analysisNextAttemptAt: new Date(Date.now() - 1000) })
      .where(eq(images.id, data.id))
    const failed = await waitFor(
      () => row(t, data.id),
      (r) => r.analysisStatus !== 'pending',
      { what: 'the analysis to give up' },
    )
    expect(failed).toMatchObject({ analysisStatus: 'failed', analysisAttempts: 4 })
    expect(failed.analysisError).toContain('Gave up after 3 attempts')
    expect(failed.analysisError).toContain('HTTP 429')
    expect(fake.requestsFor(b64(bytes))).toHaveLength(1)
  })
})
