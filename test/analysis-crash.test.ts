import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { images } from '../src/db/schema'
import { startTestApp, WRITE_KEY } from './support/app'
import { createTestDatabase, type TestDatabase } from './support/database'
import { type FakeGemini, startFakeGemini } from './support/fake-gemini'
import { makePng } from './support/images'
import { waitFor } from './support/wait'

const ENTRY = join(import.meta.dir, '..', 'src', 'index.ts')

const geminiEnv = (fake: FakeGemini) => ({
  GEMINI_API_KEY: 'AIzaFAKE-crash-test-key',
  GEMINI_BASE_URL: fake.baseUrl,
  GEMINI_TIMEOUT_MS: '1000',
  GEMINI_POLL_INTERVAL_MS: '50',
  GEMINI_RETRY_BASE_MS: '20',
  GEMINI_RETRY_MAX_MS: '100',
})

let fake: FakeGemini
let dataDir: string
beforeAll(async () => {
  fake = startFakeGemini()
  dataDir = await mkdtemp(join(tmpdir(), 'imgapi-crash-'))
})
afterAll(async () => {
  await fake.stop()
  await rm(dataDir, { recursive: true, force: true })
})

test('work held by a process killed mid-analysis resumes in another once the lease ends', async () => {
  const shared = await createTestDatabase()
  // Without PostgreSQL both processes use the same on-disk PGlite, one after the other.
  const database: TestDatabase =
    shared.options.kind === 'postgres'
      ? shared
      : { options: { kind: 'pglite', dir: join(dataDir, 'pglite') }, drop: async () => {} }
  const port = await freePort()
  const child = Bun.spawn(['bun', ENTRY], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'test',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      API_KEYS: `tester:${WRITE_KEY}`,
      LOG_LEVEL: 'silent',
      ...(database.options.kind === 'postgres' ? { DATABASE_URL: database.options.url } : {}),
      ...geminiEnv(fake),
    },
    stdout: 'ignore',
    stderr: 'ignore',
  })
  const bytes = makePng(30, 20, { seed: 4242 })
  const data = Buffer.from(bytes).toString('base64')
  fake.setDefault({ kind: 'delay', ms: 60_000 })
  try {
    await waitFor(
      () =>
        fetch(`http://127.0.0.1:${port}/health`).then(
          (r) => r.status,
          () => 0,
        ),
      (s) => s === 200 || child.exitCode !== null,
      { what: 'the child API to be healthy', timeoutMs: 60_000, intervalMs: 50 },
    )
    expect(child.exitCode).toBeNull()
    const form = new FormData()
    form.append('image_file', new File([bytes], 'a.png'))
    form.append('metadata', JSON.stringify({ title: 't', description: 'd' }))
    const pending = fetch(`http://127.0.0.1:${port}/api/upload`, {
      method: 'POST',
      body: form,
      headers: { 'X-API-Key': WRITE_KEY },
    }).catch(() => null)
    // The first attempt is in flight at Gemini: the row is committed and leased. Now crash.
    await waitFor(
      async () => fake.requestsFor(data).length,
      (n) => n === 1,
      { what: 'the upload to reach Gemini' },
    )
    child.kill('SIGKILL')
    await child.exited
    expect((await pending)?.status).toBeUndefined()
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL')
  }

  fake.setDefault({ kind: 'text', text: 'Recovered after a crash' })
  const t = await startTestApp({ database, dataDir, env: geminiEnv(fake) })
  try {
    const row = await waitFor(
      async () => {
        const [r] = await t.deps.database.db
          .select()
          .from(images)
          .where(eq(images.md5Hash, md5(bytes)))
        return r
      },
      (r) => r?.analysisStatus === 'done',
      { what: 'the analysis to resume', timeoutMs: 40_000 },
    )
    expect(row?.geminiAnalysis).toBe('Recovered after a crash')
    // The killed attempt counted: a poison image cannot crash processes forever.
    expect(row?.analysisAttempts).toBe(2)
    expect(fake.requestsFor(data)).toHaveLength(2)
  } finally {
    await t.stop()
    await shared.drop()
  }
}, 150_000)

const md5 = (bytes: Uint8Array) => new Bun.CryptoHasher('md5').update(bytes).digest('hex')

async function freePort() {
  const s = Bun.serve({ port: 0, fetch: () => new Response() })
  const port = s.port
  await s.stop(true)
  return port
}
