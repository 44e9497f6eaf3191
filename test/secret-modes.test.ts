import { afterAll, describe, expect, test } from 'bun:test'
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestApp } from './support/app'

const modeOf = async (path: string) => ((await stat(path)).mode & 0o777).toString(8)

// No API key and no URL_SIGNING_SECRET: the app generates both under DATA_DIR.
const generated = { API_KEYS: '', URL_SIGNING_SECRET: '' }

describe('secrets under DATA_DIR', () => {
  const dirs: string[] = []
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  })

  test('a fresh start creates the data directory 0700 and both generated secrets 0600', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'imgapi-modes-'))
    dirs.push(parent)
    const dataDir = join(parent, 'data')
    const t = await startTestApp({ dataDir, env: generated })
    try {
      expect(await modeOf(dataDir)).toBe('700')
      expect(await modeOf(join(dataDir, 'dev-api-key'))).toBe('600')
      expect(await modeOf(join(dataDir, 'url-signing-secret'))).toBe('600')
    } finally {
      await t.stop()
    }
  })

  test('files and directory left world-readable by an older version are tightened at start, secrets kept', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'imgapi-modes-'))
    dirs.push(dataDir)
    await mkdir(dataDir, { recursive: true })
    await chmod(dataDir, 0o755)
    for (const [name, value] of [
      ['dev-api-key', 'old-dev-key-0123456789abcdef'],
      ['url-signing-secret', 'old-signing-secret-0123456789'],
    ] as const) {
      await writeFile(join(dataDir, name), `${value}\n`)
      await chmod(join(dataDir, name), 0o644)
    }
    const t = await startTestApp({ dataDir, env: generated })
    try {
      expect(await modeOf(dataDir)).toBe('700')
      expect(await modeOf(join(dataDir, 'dev-api-key'))).toBe('600')
      expect(await modeOf(join(dataDir, 'url-signing-secret'))).toBe('600')
      // The existing key still works: tightening does not regenerate.
      const res = await fetch(`${t.url}/api/limits`, {
        headers: { 'X-API-Key': 'old-dev-key-0123456789abcdef' },
      })
      expect(res.status).toBe(200)
    } finally {
      await t.stop()
    }
  })
})
