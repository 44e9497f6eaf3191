import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { json, startTestApp, type TestApp, upload } from './support/app'
import { createTestDatabase, type TestDatabase, usingPostgres } from './support/database'
import { makeScene } from './support/photos'
import { startTurnCountingProxy, type TurnCountingProxy } from './support/turn-counting-proxy'

/** Client→server turns the API makes to PostgreSQL while answering one upload, and its answer. */
async function turnsOf(
  t: TestApp,
  proxy: TurnCountingProxy,
  bytes: Uint8Array,
  metadata?: Record<string, unknown>,
) {
  const before = proxy.turns()
  const res = await upload(t.url, bytes, { filename: 'scene.png', type: 'image/png', metadata })
  const body = await json(res)
  return { status: res.status, body, turns: proxy.turns() - before }
}

// PGlite is in-process: there is no round trip to count.
describe.skipIf(!usingPostgres())('database round trips of an upload (PostgreSQL)', () => {
  let t: TestApp
  let proxy: TurnCountingProxy
  let database: TestDatabase
  let seed = 500

  beforeAll(async () => {
    database = await createTestDatabase()
    const direct = new URL(database.options.kind === 'postgres' ? database.options.url : '')
    proxy = startTurnCountingProxy({ hostname: direct.hostname, port: Number(direct.port || 5432) })
    t = await startTestApp({
      database,
      // One connection: every statement is prepared on it by the warm-up, as on a warm pool.
      env: { DB_POOL_MAX: '1' },
      databaseUrl: (url) => {
        const viaProxy = new URL(url)
        viaProxy.hostname = '127.0.0.1'
        viaProxy.port = String(proxy.port)
        return viaProxy.toString()
      },
    })
    // Warm-up: the connection is open and each statement prepared (a first use adds a turn).
    for (let i = 0; i < 3; i++) {
      const scene = await makeScene(seed++)
      expect((await turnsOf(t, proxy, scene)).status).toBe(201)
      expect((await turnsOf(t, proxy, scene)).status).toBe(409)
    }
  })
  afterAll(async () => {
    await t.stop()
    proxy.stop()
    await database.drop()
  })

  test('new content: at most 3 (lookup; BEGIN + lock + near-duplicates; insert + COMMIT)', async () => {
    const connections = proxy.connections()
    const created = await turnsOf(t, proxy, await makeScene(seed++))
    expect(created.status).toBe(201)
    // The near-duplicate lookup ran in this request (an array, not null: looked for).
    expect(Array.isArray(created.body.near_duplicates)).toBe(true)
    console.log(`round trips, new content: ${created.turns}`)
    expect(created.turns).toBeGreaterThan(0)
    expect(created.turns).toBeLessThanOrEqual(3)
    expect(proxy.connections()).toBe(connections)
  })

  test('new content with 8 KB of metadata (the insert leaves in a write of its own): at most 3', async () => {
    const metadata = { title: 'big', description: 'd', notes: 'x'.repeat(8000) }
    const created = await turnsOf(t, proxy, await makeScene(seed++), metadata)
    expect(created.status).toBe(201)
    console.log(`round trips, new content with 8 KB of metadata: ${created.turns}`)
    expect(created.turns).toBeGreaterThan(0)
    expect(created.turns).toBeLessThanOrEqual(3)
  })

  test('a duplicate: exactly 1 (the lookup by MD5)', async () => {
    const scene = await makeScene(seed++)
    expect((await turnsOf(t, proxy, scene)).status).toBe(201)
    const duplicate = await turnsOf(t, proxy, scene)
    expect(duplicate.status).toBe(409)
    console.log(`round trips, duplicate: ${duplicate.turns}`)
    expect(duplicate.turns).toBe(1)
  })
})
