import { mkdir, writeFile } from 'node:fs/promises'
import { type ApiProcess, startApi } from './api-process'
import { openBackend } from './backend'
import { Floor } from './floor'
import { makeBaseImages } from './images'
import { measureListSearch, seedRows } from './list-search'
import { measureMd5 } from './md5'
import { parseOptions } from './options'
import { type PixelResults, runPixelSteps } from './pixel-steps'
import { markdownReport, type RunSummary } from './report'
import { runScenario, type ScenarioResult } from './scenario-run'
import { budgetFor } from './scenarios'
import { round } from './stats'

const runStarted = performance.now()
const elapsed = () => ((performance.now() - runStarted) / 1000).toFixed(1)
const log = (msg: string) => process.stderr.write(`[bench ${elapsed()} s] ${msg}\n`)

const options = parseOptions(Bun.argv.slice(2))
const images = makeBaseImages()
log(
  `images: ${Object.entries(images)
    .map(([k, v]) => `${k} ${v.byteLength} B`)
    .join(', ')}`,
)

const backend = await openBackend(options.backend)
const apiKey = `bench-${crypto.randomUUID()}`
const apiEnv = { ...backend.apiEnv, API_KEY: apiKey }
let api: ApiProcess | undefined
let floor: Floor | undefined
let cleaned = false
async function cleanup() {
  if (cleaned) return
  cleaned = true
  await api?.stop().catch(() => {})
  await floor?.close().catch(() => {})
  await backend.teardown().catch((err) => log(`teardown failed: ${err}`))
}
// An interrupted run still drops its database and stops its children.
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)))

try {
  api = await startApi(apiEnv)
  const startupMs = api.startupMs
  log(`API healthy after ${startupMs.toFixed(1)} ms at ${api.url}`)
  floor = await Floor.open(backend)

  const results: ScenarioResult[] = []
  let runningEnv = apiEnv
  for (const scenario of options.scenarios) {
    const env = { ...apiEnv, ...scenario.apiEnv }
    if (JSON.stringify(env) !== JSON.stringify(runningEnv)) {
      await api.stop()
      api = await startApi(env)
      runningEnv = env
    }
    log(`scenario ${scenario.name}`)
    const result = await runScenario(
      scenario,
      { backend: backend.kind, api, apiKey, floor, images, dbPort: backend.dbPort },
      budgetFor(scenario, options.quick),
      options.quick,
    )
    results.push(result)
    console.log(JSON.stringify(result))
  }

  // PGlite lives inside the API process, so the embedded API is stopped while rows are seeded.
  const rows = options.quick ? 10_000 : 100_000
  log(`seeding ${rows} rows`)
  let restartMs: number | null = null
  if (backend.apiDatabase.kind === 'pglite' || runningEnv !== apiEnv) {
    await api.stop()
    await seedRows(backend.apiDatabase, rows)
    // The restart on the now populated database is the start-up a redeploy sees, without initdb.
    api = await startApi(apiEnv)
    restartMs = api.startupMs
  } else {
    // Straight into the running API's database: PostgreSQL takes a second client.
    await seedRows(backend.apiDatabase, rows)
  }
  const listSearch = await measureListSearch(api.url, apiKey, options.quick ? 20 : 50)
  await api.stop()
  api = undefined

  log('md5 throughput')
  const md5 = await measureMd5(1, options.quick ? 1 : 3)
  let pixels: PixelResults | null = null
  if (options.pixels) {
    log('pixel pipeline steps (bench/pixels.ts)')
    pixels = await runPixelSteps(backend.kind, options.quick)
  }
  const summary: RunSummary = {
    kind: 'summary',
    backend: backend.kind,
    quick: options.quick,
    startup_ms: round(startupMs),
    restart_ms: restartMs === null ? null : round(restartMs),
    seeded_rows: rows,
    md5: {
      bunMBps: round(md5.bunMBps),
      opensslMBps: md5.opensslMBps === null ? null : round(md5.opensslMBps),
      ratio: md5.ratio === null ? null : round(md5.ratio),
    },
    list_search: listSearch,
    pixels,
  }
  console.log(JSON.stringify(summary))
  if (!options.jsonOnly) console.log(`\n${markdownReport(results, summary)}`)

  const dir = new URL('./results/', import.meta.url).pathname
  await mkdir(dir, { recursive: true })
  await writeFile(`${dir}latest.json`, `${JSON.stringify({ results, summary }, null, 2)}\n`)
  log(`written to ${dir}latest.json`)
} finally {
  await cleanup()
}
