import { afterAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { childEnv } from './support/api-process'
import { json, startTestApp, type TestApp, upload } from './support/app'
import { createTestDatabase, usingPostgres } from './support/database'
import { makePng } from './support/images'
import { s3Env, startS3, type TestS3 } from './support/s3'
import { startTcpProxy } from './support/tcp-proxy'

const ENTRY = join(import.meta.dir, '..', 'src', 'index.ts')

type Line = Record<string, unknown> & { msg: string; level: string }

/** Runs the API until it exits or logs `listening`; its log lines, and the exit code if it exited. */
async function runApi(env: Record<string, string>, options: { onLine?: (l: Line) => void } = {}) {
  const proc = Bun.spawn(['bun', ENTRY], {
    env: childEnv({ HOST: '127.0.0.1', PORT: '0', API_KEY: 'k'.repeat(32), ...env }),
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const lines: Line[] = []
  let buffered = ''
  for await (const chunk of proc.stdout.pipeThrough(new TextDecoderStream())) {
    buffered += chunk
    const parts = buffered.split('\n')
    buffered = parts.pop() ?? ''
    for (const text of parts) {
      const line = JSON.parse(text) as Line
      lines.push(line)
      options.onLine?.(line)
      if (line.msg === 'listening') return { proc, lines, code: undefined, url: String(line.url) }
    }
  }
  return { proc, lines, code: await proc.exited, url: undefined }
}

describe('start-up against an unreachable PostgreSQL', () => {
  test('retries with backoff for DB_CONNECT_TIMEOUT_SECONDS, logging each attempt, then exits 1', async () => {
    // A port nothing listens on: a proxy cut in refuse mode.
    const proxy = startTcpProxy({ hostname: '127.0.0.1', port: 1 })
    proxy.cut('refuse')
    const started = performance.now()
    const run = await runApi({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${proxy.port}/x`,
      DB_CONNECT_TIMEOUT_SECONDS: '2',
    })
    const seconds = (performance.now() - started) / 1000
    proxy.stop()
    expect(run.code).toBe(1)
    expect(seconds).toBeGreaterThanOrEqual(2)
    expect(seconds).toBeLessThan(20)
    const retries = run.lines.filter((l) => l.msg === 'database unreachable, retrying')
    expect(retries.length).toBeGreaterThanOrEqual(3)
    expect(retries.map((l) => l.attempt)).toEqual(retries.map((_, i) => i + 1))
    // Backoff: each wait at least as long as the one before.
    const waits = retries.map((l) => Number(l.retry_in_ms))
    expect(waits.slice(0, 2)).toEqual([250, 500])
    const errors = run.lines.filter((l) => l.level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]?.msg).toBe('start-up failed')
    expect(String(errors[0]?.error)).toMatch(/^database unreachable after \d+ attempts in 2 s: /)
  })

  test.skipIf(!usingPostgres())(
    'starts once PostgreSQL comes up within the timeout (compose ordering)',
    async () => {
      const database = await createTestDatabase()
      if (database.options.kind !== 'postgres') throw new Error('needs PostgreSQL')
      const target = new URL(database.options.url)
      const proxy = startTcpProxy({ hostname: target.hostname, port: Number(target.port) })
      proxy.cut('refuse')
      target.port = String(proxy.port)
      let retried = 0
      const run = await runApi(
        { DATABASE_URL: target.toString(), DB_CONNECT_TIMEOUT_SECONDS: '30' },
        {
          onLine: (l) => {
            if (l.msg === 'database unreachable, retrying' && ++retried === 2) proxy.restore()
          },
        },
      )
      try {
        expect(run.url).toBeDefined()
        expect(run.lines.some((l) => l.msg === 'database reachable')).toBe(true)
        expect((await fetch(`${run.url}/health`)).status).toBe(200)
      } finally {
        run.proc.kill('SIGTERM')
        expect(await run.proc.exited).toBe(0)
        proxy.stop()
        await database.drop()
      }
    },
  )
})

describe('the bucket', () => {
  const apps: TestApp[] = []
  const stores: TestS3[] = []
  afterAll(async () => {
    for (const a of apps) await a.stop()
    for (const s of stores) await s.stop()
  })
  const start = async (env: Record<string, string>) => {
    const app = await startTestApp({ env })
    apps.push(app)
    return app
  }
  const s3 = async () => {
    const store = await startS3()
    stores.push(store)
    return store
  }

  test('is created at start when missing, as the old service did', async () => {
    const store = await s3()
    const app = await start({ ...s3Env(store), S3_BUCKET: 'created-at-start' })
    expect(app.logs.filter((l) => l.msg === 'created the missing bucket')).toEqual([
      expect.objectContaining({ bucket: 'created-at-start' }),
    ])
    expect((await fetch(`${app.url}/health`)).status).toBe(200)
    expect((await upload(app.url, makePng(4, 4, { seed: 8001 }))).status).toBe(201)
  })

  test('S3_CREATE_BUCKET=false: health 503, uploads 503 with a clear message', async () => {
    const store = await s3()
    const app = await start({ ...s3Env(store), S3_BUCKET: 'never-made', S3_CREATE_BUCKET: 'false' })
    expect(app.logs.some((l) => l.msg === 'created the missing bucket')).toBe(false)
    const health = await fetch(`${app.url}/health`)
    expect(health.status).toBe(503)
    expect((await json(health)).checks.storage.status).toBe('down')
    const res = await upload(app.url, makePng(4, 4, { seed: 8002 }))
    expect(res.status).toBe(503)
    expect(await json(res)).toEqual({
      error: 'Service unavailable',
      message: 'The storage bucket does not exist; retry later',
    })
  })

  test('refused credentials: said once at start, health 503, requests 503, never 500', async () => {
    const store = await s3()
    const app = await start({ ...s3Env(store), S3_ACCESS_KEY_ID: 'WRONG' })
    const said = app.logs.filter(
      (l) => l.msg === 'storage refused the credentials; /health answers 503',
    )
    expect(said).toHaveLength(1)
    expect((await fetch(`${app.url}/health`)).status).toBe(503)
    const res = await upload(app.url, makePng(4, 4, { seed: 8003 }))
    expect(res.status).toBe(503)
    expect((await json(res)).message).toBe('The storage refused the credentials; retry later')
  })

  test('creation refused: said once, health stays 503', async () => {
    // An S3 endpoint that has no bucket and refuses to make one.
    const fake = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch: (req) =>
        req.method === 'PUT'
          ? new Response(
              '<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>',
              { status: 403, headers: { 'Content-Type': 'application/xml' } },
            )
          : new Response(
              '<?xml version="1.0"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>',
              { status: 404, headers: { 'Content-Type': 'application/xml' } },
            ),
    })
    try {
      const app = await start({
        S3_ENDPOINT: `http://127.0.0.1:${fake.port}`,
        S3_BUCKET: 'not-allowed',
        S3_ACCESS_KEY_ID: 'a',
        S3_SECRET_ACCESS_KEY: 'b',
      })
      const said = app.logs.filter((l) => String(l.msg).startsWith('the bucket is missing'))
      expect(said).toEqual([
        expect.objectContaining({ bucket: 'not-allowed', error: 'AccessDenied: Access Denied' }),
      ])
      expect((await fetch(`${app.url}/health`)).status).toBe(503)
      expect((await upload(app.url, makePng(4, 4, { seed: 8004 }))).status).toBe(503)
    } finally {
      await fake.stop(true)
    }
  })
})
