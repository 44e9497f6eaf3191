import { describe, expect, test } from 'bun:test'
import { progressReporter } from '../src/analysis/progress'
import { type RerunProgress, rerunAnalyses } from '../src/analysis/rerun'
import type { ImageRow } from '../src/db/schema'

/** Rows by id, as the repository pages them (ids in order, status filter). */
function memoryRepo(ids: string[]) {
  const status = new Map(ids.map((id) => [id, 'failed']))
  const pages: number[] = []
  return {
    status,
    pages,
    countByStatus: async (s: string) => [...status.values()].filter((v) => v === s).length,
    idsByStatus: async (
      s: string,
      _types: string[],
      afterId: string | undefined,
      limit: number,
    ) => {
      pages.push(limit)
      return [...status.entries()]
        .filter(([id, v]) => v === s && (afterId === undefined || id > afterId))
        .map(([id]) => id)
        .sort()
        .slice(0, limit)
    },
  }
}

describe('rerunAnalyses', () => {
  test('every row once, never more than `concurrency` in flight, across several pages', async () => {
    const ids = Array.from({ length: 450 }, (_, i) => `id-${String(i).padStart(4, '0')}`)
    const repo = memoryRepo(ids)
    const seen: string[] = []
    let inFlight = 0
    let peak = 0
    const analyzer = {
      analyzeNow: async (id: string) => {
        inFlight++
        peak = Math.max(peak, inFlight)
        seen.push(id)
        await Bun.sleep(1)
        inFlight--
        // Every third one fails again and stays in the status: it must not be picked up twice.
        const now = Number(id.slice(3)) % 3 === 0 ? 'failed' : 'done'
        repo.status.set(id, now)
        return { image: { analysisStatus: now } as ImageRow, settled: true }
      },
    }
    const updates: RerunProgress[] = []
    const result = await rerunAnalyses({
      repo,
      analyzer,
      status: 'failed',
      concurrency: 5,
      onProgress: (p) => updates.push(p),
    })
    expect(seen.sort()).toEqual(ids)
    expect(peak).toBe(5)
    expect(result).toEqual({ total: 450, processed: 450, done: 300, failed: 150, pending: 0 })
    expect(updates[0]).toMatchObject({ total: 450, processed: 0 })
    expect(updates.at(-1)).toEqual(result)
    expect(repo.pages.length).toBe(3)
  })

  test('--limit stops after that many', async () => {
    const repo = memoryRepo(['a', 'b', 'c', 'd'])
    const seen: string[] = []
    const result = await rerunAnalyses({
      repo,
      analyzer: {
        analyzeNow: async (id: string) => {
          seen.push(id)
          return { image: { analysisStatus: 'pending' } as ImageRow, settled: false }
        },
      },
      status: 'failed',
      concurrency: 4,
      limit: 2,
    })
    expect(seen).toHaveLength(2)
    expect(result).toMatchObject({ total: 2, processed: 2, pending: 2 })
  })
})

describe('progressReporter', () => {
  const step = (processed: number, total = 40): RerunProgress => ({
    total,
    processed,
    done: processed,
    failed: 0,
    pending: 0,
  })

  test('a terminal gets one bar redrawn in place', () => {
    const written: string[] = []
    const report = progressReporter({ isTTY: true, columns: 100, write: (t) => written.push(t) })
    for (let i = 0; i <= 40; i++) report(step(i))
    expect(written).toHaveLength(41)
    expect(written.every((w) => w.startsWith('\ranalyze ['))).toBe(true)
    expect(written[20]).toContain('20/40')
    expect(written.at(-1)).toMatch(/\[#+\] 40\/40 \(done 40, failed 0, pending 0\)\n$/)
  })

  test('anything else gets plain lines, about every 5 %, and the last one', () => {
    const written: string[] = []
    const report = progressReporter({ write: (t) => written.push(t) })
    for (let i = 0; i <= 400; i++) report(step(i, 400))
    expect(written.length).toBeGreaterThanOrEqual(20)
    expect(written.length).toBeLessThanOrEqual(22)
    expect(written.some((w) => w.includes('\r'))).toBe(false)
    expect(written.at(-1)).toBe('analyze: 400/400 (done 400, failed 0, pending 0)\n')
  })
})
