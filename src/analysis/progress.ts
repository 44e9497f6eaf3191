import type { RerunProgress } from './rerun'

type Out = { write(text: string): unknown; isTTY?: boolean; columns?: number }

/**
 * Progress of a bulk re-run on `out`: a bar redrawn in place on a terminal, otherwise plain lines
 * (about every 5 %, and the last one), so logs of a non-interactive run stay readable.
 */
export function progressReporter(out: Out) {
  let nextLineAt = 0
  return (p: RerunProgress) => {
    const counts = `${p.processed}/${p.total} (done ${p.done}, failed ${p.failed}, pending ${p.pending})`
    if (out.isTTY) {
      const width = Math.max(10, Math.min(40, (out.columns ?? 80) - counts.length - 12))
      const filled = p.total ? Math.round((p.processed / p.total) * width) : width
      const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`
      out.write(`\ranalyze [${bar}] ${counts}${p.processed === p.total ? '\n' : ''}`)
      return
    }
    if (p.processed < nextLineAt && p.processed !== p.total) return
    nextLineAt = p.processed + Math.max(1, Math.ceil(p.total / 20))
    out.write(`analyze: ${counts}\n`)
  }
}
