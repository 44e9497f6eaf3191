import { readCommandLine } from '../command-line'
import { openDatabase } from '../db/client'
import { migrate } from '../db/migrate'
import { rootCause } from '../error-chain'
import { createLogger } from '../logger'
import { backfillHashes } from '../similarity/backfill'
import { openStorage } from '../storage/open'
import { parseArgs, USAGE } from './args'
import { backfill } from './backfill'
import { backfillPixels } from './pixels'
import { progressReporter } from './progress'

// Exit codes: 0 every row filled, 1 some rows could not be filled, 2 usage, configuration or runtime.
const { args, config } = readCommandLine(USAGE, parseArgs)

const database = await openDatabase(config.database)
const stop = new AbortController()
// The first Ctrl-C lets the rows in flight finish; the second one ends the process.
process.once('SIGINT', () => {
  console.error('\nbackfill: stopping after the rows in flight; run it again to resume')
  stop.abort()
  process.once('SIGINT', () => process.exit(130))
})
process.once('SIGTERM', () => stop.abort())
try {
  // Adopts the old service's table first when the API has never started on this database.
  await migrate(
    database.db,
    createLogger(config.logLevel, (line) => process.stderr.write(`${line}\n`)),
  )
  const storage = await openStorage(config.storage)
  const progress = progressReporter()
  const report = await backfill({
    db: database.db,
    storage,
    concurrency: args.concurrency,
    dryRun: args.dryRun,
    signal: stop.signal,
    onProgress: (p) => progress.update(p),
    pixelPassFollows: true,
  })
  progress.end()
  // Second pass: the upload's decode pass (thumbhash, EXIF, perceptual hash, and the width,
  // height and type the first pass left to it) over rows stored before it, one read a row.
  const pixels = report.interrupted
    ? undefined
    : await backfillPixels({
        db: database.db,
        storage,
        maxPixels: config.limits.maxPixels,
        locationPolicy: config.pixels.locationPolicy,
        concurrency: args.concurrency,
        dryRun: args.dryRun,
        signal: stop.signal,
        onProgress: (p) => progress.update({ ...p, filled: p.done - p.failed }),
      })
  progress.end()
  // Third pass: the perceptual hash of rows that had their pixel columns but no hash.
  const hashes =
    report.interrupted || stop.signal.aborted
      ? undefined
      : await backfillHashes({
          db: database.db,
          storage,
          limitInputPixels: config.limits.maxPixels,
          concurrency: args.concurrency,
          dryRun: args.dryRun,
          onProgress: (done, total) => progress.update({ done, total, filled: done, failed: 0 }),
        })
  progress.end()
  // The first line counts the rows whose width, height and type the pixel pass filled too.
  if (pixels) {
    report.filled += pixels.dimensions.filled
    report.failed += pixels.dimensions.failed
    report.done += pixels.dimensions.filled + pixels.dimensions.failed
    report.interrupted = stop.signal.aborted && report.done < report.total
  }
  if (args.json) console.log(JSON.stringify({ ...report, pixels, hashes }))
  else {
    const verb = args.dryRun ? 'would fill' : 'filled'
    console.log(
      `${verb} ${report.filled} of ${report.total} rows, ${report.failed} failed${report.interrupted ? ', interrupted' : ''}`,
    )
    for (const f of report.failures) console.log(`  ${f.id} ${f.key}: ${f.error}`)
    if (pixels?.dimensions.failed) {
      console.log(`  (${pixels.dimensions.failed} of them listed with the decode pass below)`)
    }
    if (pixels) {
      console.log(
        `thumbhash and EXIF: ${pixels.updated} of ${pixels.pending} rows ${args.dryRun ? 'decodable' : 'updated'} (${pixels.hashed} perceptual hashes with them), ${pixels.failed} failed${pixels.interrupted ? ', interrupted' : ''}`,
      )
      for (const f of pixels.failures) console.log(`  ${f.id} ${f.key}: ${f.error}`)
    }
    if (hashes) {
      console.log(
        `perceptual hashes of rows with a thumbhash: ${hashes.hashed} of ${hashes.total}, ${hashes.failed.length} not`,
      )
      for (const f of hashes.failed) console.log(`  ${f.id}: ${f.reason}`)
    }
  }
  const failed = report.failed + (pixels?.failed ?? 0) + (hashes?.failed.length ?? 0)
  process.exitCode = failed > 0 ? 1 : 0
} catch (err) {
  console.error(`backfill failed: ${rootCause(err)}`)
  process.exitCode = 2
} finally {
  await database.close()
}
