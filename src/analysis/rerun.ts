import type { AnalysisStatus } from '../db/schema'
import { type Analyzer, GEMINI_IMAGE_TYPES } from './analyzer'
import type { AnalysisRepository } from './repository'

export type RerunProgress = {
  total: number
  processed: number
  done: number
  failed: number
  /** Not finished within GEMINI_TIMEOUT_MS; the API's background worker continues them. */
  pending: number
}

export type RerunOptions = {
  repo: Pick<AnalysisRepository, 'countByStatus' | 'idsByStatus'>
  analyzer: Pick<Analyzer, 'analyzeNow'>
  status: AnalysisStatus
  /** Analyses in flight at once. */
  concurrency: number
  /** At most this many rows; all of them when absent. */
  limit?: number
  onProgress?: (progress: RerunProgress) => void
}

const PAGE = 200

/**
 * Re-runs the analysis of every image with `status` (e.g. the ones that failed while the model
 * was wrong), `concurrency` at a time, each exactly as `POST /api/images/:id/analyze` would.
 */
export async function rerunAnalyses(options: RerunOptions): Promise<RerunProgress> {
  const { repo, analyzer, status, concurrency } = options
  const types = [...GEMINI_IMAGE_TYPES]
  const available = await repo.countByStatus(status, types)
  const total = Math.min(available, options.limit ?? available)
  const progress: RerunProgress = { total, processed: 0, done: 0, failed: 0, pending: 0 }
  options.onProgress?.({ ...progress })

  // Keyset pages by id: rows leave the status as they are re-run, so offsets would skip some.
  let afterId: string | undefined
  const page: string[] = []
  let exhausted = false
  let taken = 0
  let loading: Promise<void> | undefined
  async function load() {
    const ids = await repo.idsByStatus(status, types, afterId, PAGE)
    afterId = ids.at(-1) ?? afterId
    exhausted = ids.length < PAGE
    page.push(...ids)
  }
  async function next(): Promise<string | undefined> {
    while (taken < total) {
      const id = page.shift()
      if (id) {
        taken++
        return id
      }
      if (exhausted) return undefined
      // One page load at a time, shared by the workers that ran dry together.
      loading ??= load().finally(() => {
        loading = undefined
      })
      await loading
    }
    return undefined
  }

  async function worker() {
    for (let id = await next(); id; id = await next()) {
      const result = await analyzer.analyzeNow(id)
      const now = result?.image.analysisStatus
      if (now === 'done') progress.done++
      else if (now === 'pending') progress.pending++
      else progress.failed++
      progress.processed++
      options.onProgress?.({ ...progress })
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker))
  return progress
}
