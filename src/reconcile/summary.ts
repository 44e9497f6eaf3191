import type { ReconcileReport } from './reconcile'

/** The report for a person: counts first, then each problem on its own line. */
export function formatSummary(r: ReconcileReport): string {
  const lines = [
    `${r.apply ? 'apply' : 'dry run'}: ${r.objects} objects under ${r.storage}:${r.prefix}, ${r.variant_objects} variants, ${r.rows} rows`,
    `orphans: ${r.orphans.count} (removed ${r.orphans.removed}, within ${r.grace_seconds}s grace ${r.orphans.recent}, remaining ${r.orphans.remaining})`,
    `rows with missing object: ${r.missing.count}`,
    `mismatches: ${r.mismatches.count}${r.verify ? '' : ' (sizes only; --verify re-hashes)'}`,
  ]
  for (const o of r.orphans.items) {
    lines.push(
      `  orphan ${o.action} ${o.key} ${o.size} bytes, ${o.age_seconds}s old${o.error ? `: ${o.error}` : ''}`,
    )
  }
  for (const m of r.missing.items) lines.push(`  missing object ${m.key} for row ${m.id}`)
  for (const m of r.mismatches.items) {
    lines.push(
      `  ${m.kind} mismatch ${m.key} (row ${m.id}): expected ${m.expected}, found ${m.actual}`,
    )
  }
  lines.push(r.ok ? 'consistent' : 'problems found')
  return lines.join('\n')
}
