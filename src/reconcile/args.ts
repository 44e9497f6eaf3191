import { parseArgs as parseArgv } from 'node:util'
import { UsageError } from '../command-line'
import { parseDuration } from '../duration'

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

/** Parses `--flag` and `--name=value` / `--name value` arguments. */
export function parseArgs(argv: string[]): ReconcileArgs {
  let values: {
    apply?: boolean
    verify?: boolean
    json?: boolean
    grace?: string
    progress?: string
  }
  try {
    ;({ values } = parseArgv({
      args: argv,
      options: {
        apply: { type: 'boolean' },
        verify: { type: 'boolean' },
        json: { type: 'boolean' },
        grace: { type: 'string' },
        progress: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }))
  } catch (err) {
    // node:util names the offending option; ours say "unknown argument" like the usage does.
    const message = err instanceof Error ? err.message : String(err)
    throw new UsageError(
      (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
        (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL'
        ? `unknown argument: ${message}`
        : message,
    )
  }
  let grace = 3600
  if (values.grace !== undefined) {
    const ms = parseDuration(values.grace, { bareSeconds: true })
    // Whole seconds: the report and the age comparison count in seconds.
    if (ms === undefined || ms % 1000 !== 0) {
      throw new UsageError(`--grace: "${values.grace}" is not a duration`)
    }
    grace = ms / 1000
  }
  let progressEvery = 1000
  if (values.progress !== undefined) {
    const n = Number(values.progress)
    if (!Number.isInteger(n) || n < 0) {
      throw new UsageError('--progress: a whole number >= 0')
    }
    progressEvery = n
  }
  return {
    apply: values.apply ?? false,
    verify: values.verify ?? false,
    json: values.json ?? false,
    grace,
    progressEvery,
  }
}
