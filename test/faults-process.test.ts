import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runReconcile, spawnApi } from './support/api-process'
import { upload, WRITE_KEY } from './support/app'
import { createTestDatabase } from './support/database'
import { makePng } from './support/images'

const SHUTDOWN_TIMEOUT_MS = 5000

/** A data directory (PGlite on disk, local objects) or PostgreSQL when TEST_DATABASE_URL is set. */
async function apiEnv(cleanups: (() => Promise<void>)[]) {
  const dataDir = await mkdtemp(join(tmpdir(), 'imgapi-faults-'))
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }))
  const database = await createTestDatabase()
  cleanups.push(database.drop)
  return {
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    API_KEYS: `tester:${WRITE_KEY}`,
    SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    ...(database.options.kind === 'postgres' ? { DATABASE_URL: database.options.url } : {}),
  } as Record<string, string>
}

/** A multipart upload whose file arrives in two parts; the second only once `release` is called. */
function heldUpload(base: string, bytes: Uint8Array) {
  const boundary = `----held${crypto.randomUUID()}`
  const enc = new TextEncoder()
  const head = enc.encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n` +
      `{"title":"t","description":"d"}\r\n--${boundary}\r\n` +
      'Content-Disposition: form-data; name="image_file"; filename="h.png"\r\n' +
      'Content-Type: image/png\r\n\r\n',
  )
  const tail = enc.encode(`\r\n--${boundary}--\r\n`)
  const half = Math.floor(bytes.byteLength / 2)
  let release: () => void = () => {}
  const released = new Promise<void>((resolve) => {
    release = resolve
  })
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(head)
      controller.enqueue(bytes.subarray(0, half))
      await released
      controller.enqueue(bytes.subarray(half))
      controller.enqueue(tail)
      controller.close()
    },
  })
  const response = fetch(`${base}/api/upload`, {
    method: 'POST',
    body,
    headers: {
      'X-API-Key': WRITE_KEY,
      'Content-Type': `multipart/form-data; boundary=${boundary}`,
    },
  })
  return { response, release }
}

describe('the API process under faults', () => {
  const cleanups: (() => Promise<void>)[] = []
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c()
  })

  test('kill -9 under concurrent uploads, restart: no row without its object', async () => {
    const env = await apiEnv(cleanups)
    const api = await spawnApi(env)
    cleanups.push(async () => void api.proc.kill('SIGKILL'))
    const uploads = Array.from({ length: 24 }, (_, i) =>
      upload(api.url, makePng(64, 64, { seed: 9000 + i }), { type: 'image/png' }).then(
        (r) => r.status,
        () => 0,
      ),
    )
    // Kill once the first upload is acknowledged, so the others are at every stage.
    await Promise.race(uploads)
    api.proc.kill('SIGKILL')
    const statuses = await Promise.all(uploads)
    expect(await api.proc.exited).not.toBe(0)
    const acknowledged = statuses.filter((s) => s === 201).length
    expect(acknowledged).toBeGreaterThan(0)

    // The restarted API recovers its database and serves again.
    const again = await spawnApi(env)
    cleanups.push(async () => void again.proc.kill('SIGKILL'))
    const res = await upload(again.url, makePng(64, 64, { seed: 9999 }), { type: 'image/png' })
    expect(res.status).toBe(201)
    again.proc.kill('SIGTERM')
    expect(await again.proc.exited).toBe(0)

    const { report } = await runReconcile(env, '--verify', '--grace=0')
    expect(report.missing.count).toBe(0)
    expect(report.mismatches.count).toBe(0)
    // Every acknowledged upload survived the crash; orphans are allowed and listed.
    expect(report.rows).toBeGreaterThanOrEqual(acknowledged + 1)
    expect(report.orphans.count).toBe(report.orphans.items.length)
  }, 120_000)

  test('SIGTERM under load: in-flight uploads complete, new connections refused, exit 0', async () => {
    const env = await apiEnv(cleanups)
    const api = await spawnApi(env)
    cleanups.push(async () => void api.proc.kill('SIGKILL'))
    const held = Array.from({ length: 6 }, (_, i) =>
      heldUpload(api.url, makePng(64, 64, { seed: 9500 + i })),
    )
    // Give the requests time to be accepted before the signal; not an assertion.
    await Bun.sleep(500)
    const signalled = performance.now()
    api.proc.kill('SIGTERM')
    await Bun.sleep(200)
    const refused = await fetch(`${api.url}/health`).then(
      () => false,
      () => true,
    )
    for (const h of held) h.release()
    const statuses = await Promise.all(held.map((h) => h.response.then((r) => r.status)))
    expect(statuses).toEqual(Array(6).fill(201))
    expect(refused).toBe(true)
    expect(await api.proc.exited).toBe(0)
    expect(performance.now() - signalled).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 10_000)
    expect(api.lines.some((l) => l.includes('"msg":"stopped"'))).toBe(true)

    const { report } = await runReconcile(env, '--grace=0')
    expect(report.missing.count).toBe(0)
    expect(report.rows).toBe(6)
  }, 120_000)
})
