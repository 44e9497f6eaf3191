import { parseArgs } from 'node:util'
import { readCommandLine, UsageError } from '../command-line'
import { ConfigError } from '../config'
import { openDatabase } from '../db/client'
import { migrate } from '../db/migrate'
import { ANALYSIS_STATUSES, type AnalysisStatus } from '../db/schema'
import { createLogger } from '../logger'
import { openStorage } from '../storage/open'
import { progressReporter } from './progress'
import { AnalysisRepository } from './repository'
import { rerunAnalyses } from './rerun'
import { buildAnalysis } from './setup'

const USAGE = `usage: bun run analyze [--status failed] [--concurrency 4] [--limit N]
  Re-runs the Gemini analysis of every image with that analysis status (same configuration as
  the API), each as POST /api/images/:id/analyze would. Checks GEMINI_MODEL first.
  --status S       failed (default), pending or done
  --concurrency N  analyses in flight at once, 1-32; default 4
  --limit N        at most N images
exit: 0 every image analysed, 1 some failed or still pending, 2 usage, configuration, model or runtime error`

const RERUNNABLE: AnalysisStatus[] = ['failed', 'pending', 'done']

function readArgs(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      status: { type: 'string', default: 'failed' },
      concurrency: { type: 'string', default: '4' },
      limit: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  })
  const status = values.status as AnalysisStatus
  if (!RERUNNABLE.includes(status) || !ANALYSIS_STATUSES.includes(status)) {
    throw new UsageError(`--status: one of ${RERUNNABLE.join(', ')}`)
  }
  const whole = (name: string, text: string, min: number, max: number) => {
    const n = Number(text)
    if (!/^\d+$/.test(text) || n < min || n > max) {
      throw new UsageError(`--${name}: a whole number from ${min} to ${max}`)
    }
    return n
  }
  return {
    help: values.help,
    status,
    concurrency: whole('concurrency', values.concurrency, 1, 32),
    limit: values.limit === undefined ? undefined : whole('limit', values.limit, 1, 1e9),
  }
}

const { args, config } = readCommandLine(USAGE, readArgs, (config) => {
  if (!config.gemini) throw new ConfigError('GEMINI_API_KEY: required to analyse images')
})

// Warnings and errors only: the progress goes to stderr, the summary to stdout.
const logger = createLogger(config.logLevel === 'debug' ? 'debug' : 'warn', (line) =>
  process.stderr.write(`${line}\n`),
)
const database = await openDatabase(config.database)
try {
  await migrate(database.db)
  const storage = await openStorage(config.storage)
  const analysis = await buildAnalysis(
    config.gemini,
    database.db,
    storage,
    logger,
    config.limits.maxAnalysisLength,
  )
  if (!analysis) throw new Error('analysis is off')
  const { modelCheck } = analysis
  modelCheck.start()
  // The look-up is bounded by GEMINI_TIMEOUT_MS; a few tries, then give up rather than hang.
  let timer: ReturnType<typeof setTimeout> | undefined
  await Promise.race([
    modelCheck.settled(),
    new Promise((resolve) => {
      timer = setTimeout(resolve, (config.gemini?.timeoutMs ?? 8000) * 3)
    }),
  ])
  clearTimeout(timer)
  const health = modelCheck.health()
  await modelCheck.stop()
  if (health.status !== 'up') {
    const reason = health.error ?? 'no answer from Gemini'
    console.error(
      `analyze: ${health.status === 'checking' ? `could not check GEMINI_MODEL "${health.model}": ` : ''}${reason}`,
    )
    process.exitCode = 2
  } else {
    const summary = await rerunAnalyses({
      repo: new AnalysisRepository(database.db),
      analyzer: analysis.analyzer,
      status: args.status,
      concurrency: args.concurrency,
      limit: args.limit,
      onProgress: progressReporter(process.stderr),
    })
    console.log(
      `analyze: ${summary.processed} re-run with ${health.model}: ${summary.done} done, ${summary.failed} failed, ${summary.pending} pending (the API's worker continues those)`,
    )
    process.exitCode = summary.failed + summary.pending === 0 ? 0 : 1
  }
} catch (err) {
  console.error(`analyze failed: ${err instanceof Error ? err.message : String(err)}`)
  process.exitCode = 2
} finally {
  await database.close()
}
