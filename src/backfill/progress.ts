import type { BackfillProgress } from './backfill'

const WIDTH = 30

/** One progress line: a bar, the counts, and the rate. */
export function formatProgress(p: BackfillProgress, elapsedMs: number): string {
  const share = p.total === 0 ? 1 : Math.min(1, p.done / p.total)
  const filled = Math.round(share * WIDTH)
  const rate = elapsedMs > 0 ? (p.done / elapsedMs) * 1000 : 0
  return `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${p.done}/${p.total} rows, ${p.failed} failed, ${rate.toFixed(1)}/s`
}

/**
 * Progress on stderr: redrawn in place on a terminal, else one line at most every `everyMs`
 * (logs, CI) so the output stays readable.
 */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr, everyMs = 1000) {
  const started = performance.now()
  let lastLine = 0
  return {
    update(p: BackfillProgress) {
      const now = performance.now()
      if (stream.isTTY) {
        stream.write(`\r${formatProgress(p, now - started)}`)
      } else if (now - lastLine >= everyMs || p.done === p.total) {
        lastLine = now
        stream.write(`${formatProgress(p, now - started)}\n`)
      }
    },
    end() {
      if (stream.isTTY) stream.write('\n')
    },
  }
}
