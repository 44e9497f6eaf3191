import { readCommandLine } from '../command-line'
import { openDatabase } from '../db/client'
import { migrate } from '../db/migrate'
import { createLogger } from '../logger'
import { openStorage } from '../storage/open'
import { parseArgs, USAGE } from './args'
import { reconcile } from './reconcile'
import { formatSummary } from './summary'

// Exit codes: 0 consistent, 1 problems found, 2 usage, configuration or runtime error.
const { args, config } = readCommandLine(USAGE, parseArgs)

const database = await openDatabase(config.database)
try {
  // Idempotent; only matters on a database the API has never started against.
  // Logged on stderr: stdout carries the report.
  await migrate(
    database.db,
    createLogger(config.logLevel, (line) => process.stderr.write(`${line}\n`)),
  )
  const storage = await openStorage(config.storage)
  const report = await reconcile({
    db: database.db,
    storage,
    grace: args.grace,
    apply: args.apply,
    verify: args.verify,
    progressEvery: args.progressEvery || Number.POSITIVE_INFINITY,
    onProgress: args.progressEvery
      ? (p) => console.error(`reconcile: ${p.objects} objects, ${p.rows} rows`)
      : undefined,
  })
  console.log(args.json ? JSON.stringify(report) : formatSummary(report))
  process.exitCode = report.ok ? 0 : 1
} catch (err) {
  // Could not finish (a store down, a listing out of order): no verdict, so not exit 1.
  console.error(`reconcile failed: ${err instanceof Error ? err.message : String(err)}`)
  process.exitCode = 2
} finally {
  await database.close()
}
