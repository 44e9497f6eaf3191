import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { makePng } from './support/images'

const ENTRY = join(import.meta.dir, '..', 'src', 'index.ts')

/** Env for a child API process: nothing of ours leaks in but PATH and HOME. */
const cleanEnv = (extra: Record<string, string>) => ({
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '',
  ...extra,
})

async function freePort() {
  const s = Bun.serve({ port: 0, fetch: () => new Response() })
  const port = s.port
  await s.stop(true)
  return port
}

async function waitForHealth(url: string, proc: Subprocess, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`API exited with ${proc.exitCode}`)
    const res = await fetch(`${url}/health`).catch(() => null)
    if (res?.status === 200) return
    await Bun.sleep(50)
  }
  throw new Error('API did not become healthy')
}

describe('the API process', () => {
  const dirs: string[] = []
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  })

  test('starts with no configuration, prints and keeps a dev key, stops cleanly on SIGTERM', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'imgapi-start-'))
    dirs.push(cwd)
    const port = await freePort()
    const proc = Bun.spawn(['bun', ENTRY], {
      cwd,
      env: cleanEnv({ PORT: String(port) }),
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const url = `http://127.0.0.1:${port}`
    await waitForHealth(url, proc)
    const key = (await Bun.file(join(cwd, 'data', 'dev-api-key')).text()).trim()
    expect(key.length).toBeGreaterThan(20)

    const form = new FormData()
    form.append('image_file', new File([makePng(5, 5, { seed: 99 })], 'a.png'))
    form.append('metadata', JSON.stringify({ title: 't', description: 'd' }))
    const res = await fetch(`${url}/api/upload`, {
      method: 'POST',
      body: form,
      headers: { 'X-API-Key': key },
    })
    expect(res.status).toBe(201)

    proc.kill('SIGTERM')
    expect(await proc.exited).toBe(0)
    const stdout = await new Response(proc.stdout).text()
    expect(stdout).toContain(key)
    expect(stdout).toContain('"msg":"stopped"')
    // PGlite's files and the object live under ./data.
    expect(await Bun.file(join(cwd, 'data', 'pglite', 'PG_VERSION')).exists()).toBe(true)
  }, 60_000)

  test.each([
    [{ NODE_ENV: 'production' }, 'API_KEY'],
    [{ NODE_ENV: 'production', API_KEY: 'k' }, 'PUBLIC_BASE_URL'],
    [{ PORT: 'abc' }, 'PORT'],
    [{ MAX_UPLOAD_BYTES: '0' }, 'MAX_UPLOAD_BYTES'],
  ])('refuses to start with %p, one line naming %s', async (env, variable) => {
    const cwd = await mkdtemp(join(tmpdir(), 'imgapi-start-'))
    dirs.push(cwd)
    const proc = Bun.spawn(['bun', ENTRY], {
      cwd,
      env: cleanEnv(env),
      stdout: 'pipe',
      stderr: 'pipe',
    })
    expect(await proc.exited).toBe(1)
    const stderr = (await new Response(proc.stderr).text()).trim()
    expect(stderr.split('\n')).toHaveLength(1)
    expect(stderr).toContain(variable)
  })
})
