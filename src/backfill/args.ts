import { UsageError } from '../command-line'
export type BackfillArgs = { dryRun: boolean; concurrency: number; json: boolean }

export const USAGE = `usage: bun run backfill [--dry-run] [--concurrency=4] [--json]
  Fills what older rows lack by reading each object: width, height and sniffed MIME type (rows
  adopted from the old service), then the thumbhash, EXIF and perceptual hash of rows stored
  before the pixel pipeline (one read and one decode each), then the perceptual hash of rows that
  had the rest. Interrupt it (Ctrl-C) at any time: filled rows stay filled, a new run goes on.
  --dry-run        read and inspect, write nothing
  --concurrency=N  objects read at once, 1 to 64; default 4
  --json           print one JSON report instead of a summary
exit: 0 every row filled, 1 some rows could not be filled (listed), 2 usage, configuration or runtime error`

export function parseArgs(argv: string[]): BackfillArgs {
  const args: BackfillArgs = { dryRun: false, concurrency: 4, json: false }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? ''
    const [name, inline] = arg.split('=', 2) as [string, string | undefined]
    if (name === '--dry-run') args.dryRun = true
    else if (name === '--json') args.json = true
    else if (name === '--concurrency') {
      const n = Number(inline ?? argv[++i])
      if (!Number.isInteger(n) || n < 1 || n > 64) {
        throw new UsageError('--concurrency: a whole number from 1 to 64')
      }
      args.concurrency = n
    } else throw new UsageError(`unknown argument "${arg}"`)
  }
  return args
}
