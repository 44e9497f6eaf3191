/**
 * Run as its own process: builds the app from the environment as `bun src/index.ts` does, asks
 * /health once, and prints the status and every module loaded by then as one JSON line.
 */
import { createApp } from '../../src/app'
import { loadConfig } from '../../src/config'
import { buildDependencies } from '../../src/dependencies'
import { createLogger } from '../../src/logger'

const deps = await buildDependencies(loadConfig(), createLogger('silent'))
const res = await createApp(deps).fetch(new Request('http://localhost/health'))
console.log(JSON.stringify({ status: res.status, modules: Object.keys(require.cache) }))
await deps.database.close()
