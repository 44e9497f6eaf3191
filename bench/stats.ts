/** Nearest-rank percentile of an ascending-sorted array; NaN when empty. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN
}

export type LatencySummary = { p50: number; p90: number; p99: number; max: number }

export function summarize(values: number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b)
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
  }
}

/** Rounds for display and JSON: keeps two significant decimals under 10, one under 100. */
export function round(n: number): number {
  if (!Number.isFinite(n)) return n
  const digits = Math.abs(n) < 10 ? 2 : Math.abs(n) < 100 ? 1 : 0
  return Number(n.toFixed(digits))
}
