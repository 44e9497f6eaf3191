import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApp } from '../src/app'
import { loadConfig } from '../src/config'
import { buildDependencies } from '../src/dependencies'
import { createLogger } from '../src/logger'

const KEY = 'openapi-document-key'

/**
 * The document the app serves at /openapi.json, asked of the real app built on an in-memory
 * PGlite and a throwaway data directory: no server, database or storage to set up.
 */
export async function servedOpenApiDocument(): Promise<unknown> {
  const dataDir = await mkdtemp(join(tmpdir(), 'imgapi-openapi-'))
  const config = loadConfig({ DATA_DIR: dataDir, API_KEYS: `openapi:${KEY}`, LOG_LEVEL: 'silent' })
  config.database = { kind: 'pglite', dir: 'memory://' }
  const deps = await buildDependencies(config, createLogger('silent'))
  try {
    const res = await createApp(deps).request('/openapi.json', { headers: { 'X-API-Key': KEY } })
    if (res.status !== 200) throw new Error(`/openapi.json answered ${res.status}`)
    return await res.json()
  } finally {
    await deps.database.close()
    await rm(dataDir, { recursive: true, force: true })
  }
}

// `bun scripts/openapi-document.ts > openapi.json`
if (import.meta.main) console.log(JSON.stringify(await servedOpenApiDocument(), null, 2))
