import { parseArgs } from 'node:util'
import { ConfigError, loadConfig } from '../config'
import { openDatabase } from '../db/client'
import { migrate } from '../db/migrate'
import { openStorage } from '../dependencies'
import { backfillHashes } from './backfill'

const USAGE = `usage: bun run backfill:hashes [--dry-run] [--concurrency 4]
  Computes the perceptual hash of every image stored without one (same configuration as the API).
  Resumable: an interrupted run is simply started again. BMP images are skipped (no hash yet).
  --dry-run        hash, write nothing
  --concurrency N  images hashed at once, 1-32; default 4
exit: 0 every image hashed, 1 some could not be, 2 usage or configuration error`

function readArgs(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      'dry-run': { type: 'boolean', default: false },
      concurrency: { type: 'string', default: '4' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  })
  const concurrency = Number(values.concurrency)
  if (!/^\d+$/.test(values.concurrency) || concurrency < 1 || concurrency > 32) {
    throw new Error('--concurrency: a whole number from 1 to 32')
  }
  return { help: values.help, dryRun: values['dry-run'], concurrency }
}

let args: ReturnType<typeof readArgs>
let config: ReturnType<typeof loadConfig>
try {
  args = readArgs(process.argv.slice(2))
  config = loadConfig()
} catch (err) {
  console.error(err instanceof ConfigError || err instanceof Error ? err.message : String(err))
  console.error(USAGE)
  process.exit(2)
}
if (args.help) {
  console.log(USAGE)
  process.exit(0)
}

const database = await openDatabase(config.database)
try {
  await migrate(database.db)
  const storage = await openStorage(config.storage)
  const result = await backfillHashes({
    db: database.db,
    storage,
    limitInputPixels: config.limits.maxPixels,
    concurrency: args.concurrency,
    dryRun: args.dryRun,
    onProgress: (done, total) => {
      if (process.stderr.isTTY) process.stderr.write(`\rhashed ${done}/${total}`)
    },
  })
  if (process.stderr.isTTY) process.stderr.write('\n')
  for (const failure of result.failed) console.log(`not hashed: ${failure.id} (${failure.reason})`)
  console.log(
    `${args.dryRun ? 'dry run: ' : ''}${result.hashed} of ${result.total} hashed, ${result.failed.length} not`,
  )
  process.exitCode = result.failed.length > 0 ? 1 : 0
} finally {
  await database.close()
}
