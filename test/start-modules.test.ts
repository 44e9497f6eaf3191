import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const SCRIPT = join(import.meta.dir, 'support', 'loaded-modules.ts')
const dirs: string[] = []

/** The packages a started, healthy API has loaded, with only DATA_DIR (and `env`) set. */
async function packagesAtStart(env: Record<string, string> = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'imgapi-modules-'))
  dirs.push(dataDir)
  const child = Bun.spawn(['bun', SCRIPT], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: dataDir, ...env },
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const [out, code] = await Promise.all([new Response(child.stdout).text(), child.exited])
  expect(code).toBe(0)
  const { status, modules } = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as {
    status: number
    modules: string[]
  }
  expect(status).toBe(200)
  return new Set(modules.map((m) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(m)?.[1]))
}

describe('start-up', () => {
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  })

  test('loads no image decoder, EXIF reader or metrics library before they are needed', async () => {
    const loaded = await packagesAtStart()
    expect(loaded.has('@electric-sql/pglite')).toBe(true)
    for (const lazy of ['sharp', 'exifr', 'thumbhash', 'prom-client', '@google/genai']) {
      expect({ lazy, loaded: loaded.has(lazy) }).toEqual({ lazy, loaded: false })
    }
  })

  test('loads prom-client when /metrics can be read, to count from the first request', async () => {
    const loaded = await packagesAtStart({ METRICS_TOKEN: 'metrics-token-0123456789abcdef' })
    expect(loaded.has('prom-client')).toBe(true)
  })
})
