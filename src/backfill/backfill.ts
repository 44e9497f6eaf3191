import { and, asc, eq, gt, isNotNull, isNull, or, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { images } from '../db/schema'
import { inspectImage } from '../media/inspect'
import type { Storage } from '../storage/storage'

export type BackfillOptions = {
  db: Db
  storage: Storage
  /** Objects read at once. */
  concurrency: number
  /** Inspect and report, write nothing. */
  dryRun: boolean
  /** Stops taking new rows when aborted; rows in flight finish, the rest wait for the next run. */
  signal?: AbortSignal
  onProgress?: (progress: BackfillProgress) => void
  pageSize?: number
  /**
   * The pixel pass (`backfillPixels`) runs next and fills the width, height and type of the rows
   * without a thumbhash from its own read of them: this pass leaves those rows to it, so each
   * object is read once. `total` still counts every row missing a field.
   */
  pixelPassFollows?: boolean
}

export type BackfillProgress = { total: number; done: number; filled: number; failed: number }

export type BackfillFailure = { id: string; key: string; error: string }

export type BackfillReport = BackfillProgress & {
  dry_run: boolean
  interrupted: boolean
  failures: BackfillFailure[]
}

type Pending = { id: string; s3Key: string }

// Rows still missing a field the bytes can give; a filled row never matches again, which is
// what makes an interrupted run resumable.
const needsBackfill = or(isNull(images.width), isNull(images.height), isNull(images.mimetype))

/** How many rows still need a backfill. */
export const countPending = (db: Db) => countRows(db, needsBackfill)

async function countRows(db: Db, where: typeof needsBackfill) {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(images).where(where)
  return Number(row?.n ?? 0)
}

/** Reads one row's object and derives the fields the old service never stored. */
async function derive(storage: Storage, row: Pending) {
  const result = inspectImage(await new Response(await storage.read(row.s3Key)).bytes())
  if (!result.ok) throw new Error(result.message)
  const { width, height, mimetype } = result.info
  return { width, height, mimetype }
}

/**
 * Fills width, height and the sniffed MIME type of rows that lack them (rows adopted from the old
 * service) from their objects, `concurrency` objects at a time, in id order. updated_at is left
 * alone: nothing a client wrote changed.
 */
export async function backfill(options: BackfillOptions): Promise<BackfillReport> {
  const { db, storage, concurrency, dryRun, signal } = options
  const pageSize = options.pageSize ?? 200
  const report: BackfillReport = {
    total: await countPending(db),
    done: 0,
    filled: 0,
    failed: 0,
    dry_run: dryRun,
    interrupted: false,
    failures: [],
  }
  const taken = options.pixelPassFollows
    ? and(needsBackfill, isNotNull(images.thumbhash))
    : needsBackfill
  // The bar shows this pass's own rows.
  const ownTotal = options.pixelPassFollows ? await countRows(db, taken) : report.total
  let after: string | undefined
  while (!signal?.aborted) {
    const page: Pending[] = await db
      .select({ id: images.id, s3Key: images.s3Key })
      .from(images)
      .where(after === undefined ? taken : and(taken, gt(images.id, after)))
      .orderBy(asc(images.id))
      .limit(pageSize)
    if (page.length === 0) break
    after = page.at(-1)?.id
    let next = 0
    const work = async () => {
      for (let row = page[next++]; row && !signal?.aborted; row = page[next++]) {
        try {
          const fields = await derive(storage, row)
          if (!dryRun) await db.update(images).set(fields).where(eq(images.id, row.id))
          report.filled++
        } catch (err) {
          report.failed++
          if (report.failures.length < 1000) {
            report.failures.push({ id: row.id, key: row.s3Key, error: (err as Error).message })
          }
        }
        report.done++
        options.onProgress?.({ ...report, total: ownTotal })
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, page.length) }, work))
  }
  report.interrupted = Boolean(signal?.aborted) && report.done < ownTotal
  return report
}
