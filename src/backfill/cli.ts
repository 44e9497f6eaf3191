import { ConfigError, loadConfig } from '../config'
import { openDatabase } from '../db/client'
import { migrate } from '../db/migrate'
import { openStorage } from '../dependencies'
import { configureSharp } from '../media/pixels'
import { backfill, progressBar } from './backfill'

const USAGE = `usage: bun run backfill [--dry-run] [--concurrency=N] [--json]
  Decodes rows stored before the pixel pipeline (no thumbhash): width, height, MIME type,
  thumbhash and EXIF. Resumable: rerun to continue; done rows are skipped.
  --dry-run        decode and report, write nothing
  --concurrency=N  rows decoded at once (1-32); default 2
  --json           print one JSON report instead of a summary
exit: 0 all done, 1 some rows failed, 2 usage, configuration or runtime error`

const argv = process.argv.slice(2)
let dryRun = false
let json = false
let concurrency = 2
for (const arg of argv) {
  const [name, value] = arg.split('=', 2)
  if (name === '--dry-run') dryRun = true
  else if (name === '--json') json = true
  else if (
    name === '--concurrency' &&
    /^\d+$/.test(value ?? '') &&
    Number(value) >= 1 &&
    Number(value) <= 32
  ) {
    concurrency = Number(value)
  } else {
    console.error(arg === '--help' ? '' : `usage error: unknown or invalid argument "${arg}"`)
    console.error(USAGE)
    process.exit(arg === '--help' ? 0 : 2)
  }
}

let config: ReturnType<typeof loadConfig>
try {
  config = loadConfig()
} catch (err) {
  if (!(err instanceof ConfigError)) throw err
  console.error(`configuration error: ${err.message}`)
  process.exit(2)
}

configureSharp()
const database = await openDatabase(config.database)
const interactive = process.stderr.isTTY
try {
  await migrate(database.db)
  const report = await backfill({
    db: database.db,
    storage: await openStorage(config.storage),
    maxPixels: config.limits.maxPixels,
    locationPolicy: config.pixels.locationPolicy,
    concurrency,
    dryRun,
    onProgress: (p) => {
      // A redrawn bar on a terminal; a line every 100 rows (and the last) in a log.
      if (interactive) process.stderr.write(`\r${progressBar(p)}`)
      else if (p.done % 100 === 0 || p.done === p.total) console.error(progressBar(p))
    },
  })
  if (interactive) process.stderr.write('\n')
  if (json) console.log(JSON.stringify(report))
  else {
    console.log(
      `${dryRun ? 'dry run: ' : ''}${report.pending} rows without a thumbhash, ${report.updated} ${dryRun ? 'decodable' : 'updated'}, ${report.failed} failed`,
    )
    for (const f of report.failures) console.log(`  failed ${f.id} ${f.key}: ${f.error}`)
  }
  process.exitCode = report.failed === 0 ? 0 : 1
} catch (err) {
  console.error(`backfill failed: ${err instanceof Error ? err.message : String(err)}`)
  process.exitCode = 2
} finally {
  await database.close()
}
