import { and, asc, count, eq, gt, inArray, lte, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import {
  type AnalysisStatus,
  type ImageRow,
  imageColumns,
  images,
  type NewImageRow,
} from '../db/schema'
import { searchColumns } from '../db/search-text'

export type AnalysisPatch = Pick<
  NewImageRow,
  | 'analysisStatus'
  | 'geminiAnalysis'
  | 'analysisModel'
  | 'analysisPromptHash'
  | 'analysisError'
  | 'analysisNextAttemptAt'
  | 'analyzedAt'
>

// Millisecond precision, so the lease read back into a JS Date compares equal in the fence.
const leaseUntil = (leaseMs: number) =>
  sql`date_trunc('milliseconds', clock_timestamp()) + ${leaseMs}::int * interval '1 millisecond'`

/**
 * Database access for the analysis columns of `images`; no decisions here. A claim counts one
 * attempt and leases the row until `analysis_next_attempt_at`; results are written only by the
 * holder of that exact claim (same attempt count and lease), so a late writer changes nothing.
 */
export class AnalysisRepository {
  constructor(private readonly db: Db) {}

  /** Claims up to `limit` due rows; SKIP LOCKED lets replicas claim disjoint rows at once. */
  async claimDue(limit: number, leaseMs: number): Promise<ImageRow[]> {
    const due = this.db
      .select({ id: images.id })
      .from(images)
      .where(
        and(eq(images.analysisStatus, 'pending'), lte(images.analysisNextAttemptAt, sql`now()`)),
      )
      .orderBy(asc(images.analysisNextAttemptAt))
      .limit(limit)
      .for('update', { skipLocked: true })
    return this.db
      .update(images)
      .set({
        analysisNextAttemptAt: leaseUntil(leaseMs),
        analysisAttempts: sql`${images.analysisAttempts} + 1`,
      })
      .where(
        and(
          inArray(images.id, due),
          // Re-checked after the lock: a row finished meanwhile is not claimed again.
          eq(images.analysisStatus, 'pending'),
          lte(images.analysisNextAttemptAt, sql`now()`),
        ),
      )
      .returning(imageColumns)
  }

  /** Claims one pending row whatever its due time (the upload that just created it). */
  async claimPending(id: string, leaseMs: number): Promise<ImageRow | undefined> {
    const [row] = await this.db
      .update(images)
      .set({
        analysisNextAttemptAt: leaseUntil(leaseMs),
        analysisAttempts: sql`${images.analysisAttempts} + 1`,
      })
      .where(and(eq(images.id, id), eq(images.analysisStatus, 'pending')))
      .returning(imageColumns)
    return row
  }

  /** Starts a fresh run on any row (an explicit request): pending, first attempt, leased. */
  async claimRestart(id: string, leaseMs: number): Promise<ImageRow | undefined> {
    const [row] = await this.db
      .update(images)
      .set({
        analysisStatus: 'pending',
        analysisAttempts: 1,
        analysisError: null,
        analysisNextAttemptAt: leaseUntil(leaseMs),
      })
      .where(eq(images.id, id))
      .returning(imageColumns)
    return row
  }

  /** Writes the result of the claim `claimed`; undefined when that claim is no longer current. */
  async finish(claimed: ImageRow, patch: AnalysisPatch): Promise<ImageRow | undefined> {
    const lease = claimed.analysisNextAttemptAt
    if (!lease) return undefined
    const [row] = await this.db
      .update(images)
      .set({ ...patch, ...searchColumns(patch) })
      .where(
        and(
          eq(images.id, claimed.id),
          eq(images.analysisStatus, 'pending'),
          eq(images.analysisAttempts, claimed.analysisAttempts),
          eq(images.analysisNextAttemptAt, lease),
        ),
      )
      .returning(imageColumns)
    return row
  }

  /** How many rows of these types have this analysis status (the bulk re-run's total). */
  async countByStatus(status: AnalysisStatus, mimetypes: string[]): Promise<number> {
    const [row] = await this.db
      .select({ n: count() })
      .from(images)
      .where(and(eq(images.analysisStatus, status), inArray(images.mimetype, mimetypes)))
    return row?.n ?? 0
  }

  /** Ids with this status after `afterId`, in id order: keyset pages for the bulk re-run. */
  async idsByStatus(
    status: AnalysisStatus,
    mimetypes: string[],
    afterId: string | undefined,
    limit: number,
  ): Promise<string[]> {
    const rows = await this.db
      .select({ id: images.id })
      .from(images)
      .where(
        and(
          eq(images.analysisStatus, status),
          inArray(images.mimetype, mimetypes),
          afterId ? gt(images.id, afterId) : undefined,
        ),
      )
      .orderBy(asc(images.id))
      .limit(limit)
    return rows.map((r) => r.id)
  }

  async findById(id: string): Promise<ImageRow | undefined> {
    const [row] = await this.db.select(imageColumns).from(images).where(eq(images.id, id)).limit(1)
    return row
  }
}
