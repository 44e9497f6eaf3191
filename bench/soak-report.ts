import type { InvariantReport } from './soak-check'
import { OPS } from './soak-tally'

type OpSummary = {
  count: number
  statuses: Record<string, number>
  per_s: number
  p50_ms: number | null
  p99_ms: number | null
}

/** A short fixed-width table: one line per operation, then the invariants. */
export function soakTable(ops: Record<string, unknown>, invariants: InvariantReport): string {
  const lines = ['op         count    /s   p50 ms   p99 ms  statuses']
  for (const op of OPS) {
    const s = ops[op] as OpSummary
    const statuses = Object.entries(s.statuses)
      .map(([status, n]) => `${status}:${n}`)
      .join(' ')
    lines.push(
      `${op.padEnd(9)} ${String(s.count).padStart(6)} ${String(s.per_s).padStart(5)} ${String(
        s.p50_ms ?? '-',
      ).padStart(8)} ${String(s.p99_ms ?? '-').padStart(8)}  ${statuses}`,
    )
  }
  const i = invariants
  lines.push(
    `invariants ${i.ok ? 'OK' : 'VIOLATED'}: rows ${i.rows}, objects ${i.objects}, ` +
      `rows without object ${i.rows_without_object}, objects without row ${i.objects_without_row}, ` +
      `md5 mismatches ${i.md5_mismatches}, key mismatches ${i.key_mismatches}`,
  )
  return lines.join('\n')
}
