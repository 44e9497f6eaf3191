import { parseDuration } from './duration'

export type ReconcileArgs = {
  apply: boolean
  verify: boolean
  json: boolean
  grace: number
  progressEvery: number
}

export const USAGE = `usage: bun run reconcile [--apply] [--verify] [--json] [--grace=1h] [--progress=1000]
  Lists objects without a row (orphans), rows whose object is missing, and size mismatches.
  --apply        delete orphans older than the grace period (rows are never deleted)
  --verify       re-hash every object and compare its MD5 with its row
  --grace=D      leave younger orphans alone: 30m, 2h, 1d, 45s, 90 (seconds) or 0; default 1h
  --json         print one JSON report instead of a summary
  --progress=N   report progress on stderr every N objects (0: never); default 1000
exit: 0 consistent, 1 problems found, 2 usage, configuration or runtime error`

export class UsageError extends Error {}

/** Parses `--flag` and `--name=value` / `--name value` arguments. */
export function parseArgs(argv: string[]): ReconcileArgs {
  const args: ReconcileArgs = {
    apply: false,
    verify: false,
    json: false,
    grace: 3600,
    progressEvery: 1000,
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? ''
    const [name, inline] = arg.split('=', 2) as [string, string | undefined]
    const value = () => {
      const v = inline ?? argv[++i]
      if (v === undefined) throw new UsageError(`${name} needs a value`)
      return v
    }
    if (name === '--apply') args.apply = true
    else if (name === '--verify') args.verify = true
    else if (name === '--json') args.json = true
    else if (name === '--grace') {
      const text = value()
      const seconds = parseDuration(text)
      if (seconds === undefined) throw new UsageError(`--grace: "${text}" is not a duration`)
      args.grace = seconds
    } else if (name === '--progress') {
      const n = Number(value())
      if (!Number.isInteger(n) || n < 0) throw new UsageError('--progress: a whole number >= 0')
      args.progressEvery = n
    } else throw new UsageError(`unknown argument "${arg}"`)
  }
  return args
}
