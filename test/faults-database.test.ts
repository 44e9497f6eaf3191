import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { reconcile } from '../src/reconcile/reconcile'
import { json, startTestApp, type TestApp, upload } from './support/app'
import { usingPostgres } from './support/database'
import { makePng } from './support/images'
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy'

const ANSWER_WITHIN_MS = 10_000

// PGlite runs in-process and cannot be cut off; this needs TEST_DATABASE_URL (PostgreSQL).
describe.skipIf(!usingPostgres())('database down or cut mid-request (PostgreSQL)', () => {
  let t: TestApp
  let proxy: TcpProxy
  let seed = 7000
  const send = () =>
    upload(t.url, makePng(24, 24, { seed: seed++ }), { filename: 'p.png', type: 'image/png' })

  beforeAll(async () => {
    const target = new URL(process.env.TEST_DATABASE_URL ?? '')
    proxy = startTcpProxy({ hostname: target.hostname, port: Number(target.port || 5432) })
    t = await startTestApp({
      databaseUrl: (url) => {
        const viaProxy = new URL(url)
        viaProxy.hostname = '127.0.0.1'
        viaProxy.port = String(proxy.port)
        return viaProxy.toString()
      },
    })
  })
  afterAll(async () => {
    proxy.restore()
    await t.stop()
    proxy.stop()
  })

  test('cut during uploads: each answers 201 or 503 JSON, none hangs; all recover after restore', async () => {
    const started = performance.now()
    const inFlight = Array.from({ length: 16 }, send)
    // Let some uploads reach the database before the cut; the rest meet a refused connection.
    await Bun.sleep(50)
    proxy.cut()
    const responses = await Promise.all(inFlight)
    expect(performance.now() - started).toBeLessThan(ANSWER_WITHIN_MS)
    for (const res of responses) {
      expect([201, 503]).toContain(res.status)
      if (res.status === 503)
        expect(await json(res)).toMatchObject({ error: 'Service unavailable' })
    }

    const whileDown = await send()
    expect(whileDown.status).toBe(503)
    expect((await fetch(`${t.url}/health`)).status).toBe(503)

    proxy.restore()
    const after = await send()
    expect(after.status).toBe(201)
    expect((await fetch(`${t.url}/health`)).status).toBe(200)

    // Every committed row has its object: the cut can leave orphans, never the reverse.
    const report = await reconcile({
      db: t.deps.database.db,
      storage: t.deps.storage,
      grace: 0,
      apply: false,
      verify: true,
    })
    expect(report.missing.count).toBe(0)
    expect(report.mismatches.count).toBe(0)
    expect(report.rows).toBe(responses.filter((r) => r.status === 201).length + 1)
  })

  // KNOWN FAILURE: postgres.js keeps reconnecting to a server that accepts and drops connections,
  // with no bound (connect_timeout only covers the TCP connect), so the request hangs. Remove
  // `.failing` once requests to the database are bounded (a query or request deadline).
  test.failing('database accepting then dropping connections: upload answers within 10 s', async () => {
    proxy.cut('drop')
    try {
      // Several in a row: the first may meet a pooled connection that fails fast.
      for (let i = 0; i < 3; i++) {
        const answered = await Promise.race([
          // The losing, still-pending request fails at teardown; not an error of this test.
          send().then(
            (r) => r.status,
            () => 'reset',
          ),
          Bun.sleep(ANSWER_WITHIN_MS).then(() => 'hung'),
        ])
        expect(answered).toBe(503)
      }
    } finally {
      proxy.restore()
    }
  }, 30_000)
})
