import { loadConfig } from '../src/config'
import { type ApiProcess, startApi } from './api-process'
import { openBackend } from './backend'
import { runLoad } from './load'
import { checkInvariants } from './soak-check'
import { randomOperation, type SoakContext } from './soak-ops'
import { parseSoakOptions } from './soak-options'
import { baseSizes, Pool } from './soak-pool'
import { soakTable } from './soak-report'
import { Tally } from './soak-tally'
import { round } from './stats'

const started = performance.now()
const log = (msg: string) =>
  process.stderr.write(`[soak ${((performance.now() - started) / 1000).toFixed(1)} s] ${msg}\n`)

const options = parseSoakOptions(Bun.argv.slice(2))
log(`images: ${JSON.stringify(baseSizes())} B`)
const backend = await openBackend(options.backend)
const apiKey = `soak-${crypto.randomUUID()}`
const apiEnv = { ...backend.apiEnv, API_KEY: apiKey }
let api: ApiProcess | undefined
let cleaned = false
async function cleanup() {
  if (cleaned) return
  cleaned = true
  await api?.stop().catch(() => {})
  await backend.teardown().catch((err) => log(`teardown failed: ${err}`))
}
// An interrupted run still drops its database and stops its children.
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)))

let failed = true
try {
  api = await startApi(apiEnv)
  log(`API healthy after ${api.startupMs.toFixed(0)} ms at ${api.url}; ${options.durationS} s load`)
  const tally = new Tally()
  const ctx: SoakContext = { url: api.url, apiKey, pool: new Pool(), tally }
  const load = await runLoad({
    concurrency: options.concurrency,
    requests: Number.POSITIVE_INFINITY,
    timeCapMs: options.durationS * 1000,
    task: async () => {
      await randomOperation(ctx)
      return { status: 0, bytes: 0 }
    },
  })
  log(`load done: ${tally.total} requests; stopping the API with SIGTERM`)
  const exitCode = await api.stop()
  api = undefined
  // The checker opens the database and storage exactly as the API did, from the same environment.
  const invariants = await checkInvariants(loadConfig({ ...process.env, ...apiEnv }))
  const elapsedS = load.elapsedMs / 1000
  const summary = {
    kind: 'soak',
    backend: backend.kind,
    duration_s: round(elapsedS),
    concurrency: options.concurrency,
    ...tally.summary(elapsedS),
    api_exit_code: exitCode,
    invariants,
    failures: tally.failures,
  }
  console.log(JSON.stringify(summary))
  console.log(`\n${soakTable(summary.ops, invariants)}\napi exit code ${exitCode}`)
  for (const f of tally.failures) console.log(`failure ${f.op} ${f.status}: ${f.detail}`)
  failed = tally.serverErrors > 0 || tally.errors > 0 || !invariants.ok || exitCode !== 0
} finally {
  await cleanup()
}
process.exit(failed ? 1 : 0)
