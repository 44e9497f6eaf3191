import { and, asc, count, eq, gt, isNull, sql } from 'drizzle-orm'
import type { LocationPolicy } from '../config'
import type { Db } from '../db/client'
import { images } from '../db/schema'
import { decodedColumns } from '../images/service'
import { type DecodedImage, decodeImage, UndecodableImage } from '../media/decode'
import { type ImageInfo, inspectImage } from '../media/inspect'
import {
  isHashable,
  type PerceptualHash,
  perceptualHash,
  perceptualHashFromRendition,
  RENDITION,
} from '../similarity/dhash'
import type { Storage } from '../storage/storage'
import type { BackfillFailure } from './backfill'

export type PixelBackfillOptions = {
  db: Db
  storage: Storage
  maxPixels: number
  /** strip/reject: stored originals are not rewritten, but their GPS columns stay empty. */
  locationPolicy: LocationPolicy
  /** Rows decoded at once. */
  concurrency: number
  dryRun: boolean
  /** Stops taking new rows when aborted; rows in flight finish, the rest wait for the next run. */
  signal?: AbortSignal
  batchSize?: number
  onProgress?: (progress: { done: number; total: number; failed: number }) => void
}

export type PixelBackfillReport = {
  dry_run: boolean
  /** Rows without a thumbhash when the run started. */
  pending: number
  updated: number
  /** Rows given their perceptual hash by this pass, from the same decode (dry run: would be). */
  hashed: number
  failed: number
  failures: BackfillFailure[]
  /**
   * Rows of this pass also missing width, height or type (adopted ones): `filled` from the bytes
   * this pass read, even when the pixels then fail to decode; `failed` when the bytes are no image.
   */
  dimensions: { pending: number; filled: number; failed: number }
  /** Stopped by the signal before every pending row was taken. */
  interrupted: boolean
}

const MAX_LISTED_FAILURES = 1000

type PixelRow = { id: string; s3Key: string; hashed: boolean; sized: boolean }

const missingDimensions = sql<boolean>`(${images.width} is null or ${images.height} is null or ${images.mimetype} is null)`

/**
 * The second pass of `bun run backfill`: the upload's decode pass over rows that predate it (no
 * thumbhash): width, height and MIME type from the bytes (also when the pixels do not decode, so
 * the first pass can leave these rows to this one), thumbhash and EXIF, and the perceptual hash
 * of a row without one, all from one read and one decode and written in one update.
 * Resumable: a row is done once its thumbhash is set, so a rerun continues with what is left;
 * rows that fail keep failing visibly, by id.
 */
export async function backfillPixels(options: PixelBackfillOptions): Promise<PixelBackfillReport> {
  const { db, storage, dryRun } = options
  const batchSize = options.batchSize ?? 200
  const [{ pending, unsized } = { pending: 0, unsized: 0 }] = await db
    .select({
      pending: count(),
      unsized: sql<number>`(count(*) filter (where ${missingDimensions}))::int`,
    })
    .from(images)
    .where(isNull(images.thumbhash))
  const report: PixelBackfillReport = {
    dry_run: dryRun,
    pending,
    updated: 0,
    hashed: 0,
    failed: 0,
    failures: [],
    dimensions: { pending: Number(unsized), filled: 0, failed: 0 },
    interrupted: false,
  }
  let done = 0

  const processRow = async (row: PixelRow) => {
    let sized = row.sized
    try {
      const bytes = await new Response(await storage.read(row.s3Key)).bytes()
      const inspected = inspectImage(bytes)
      if (!inspected.ok) throw new Error(inspected.message)
      const { width, height, mimetype } = inspected.info
      const wantsHash = !row.hashed && isHashable(inspected.info.format)
      let decoded: DecodedImage
      try {
        decoded = await decodeImage(bytes, inspected.info, {
          maxPixels: options.maxPixels,
          rendition: RENDITION,
        })
      } catch (err) {
        // The hash pass leaves rows without a thumbhash to this pass, so a row whose pixels fail
        // the strict decode is hashed here as leniently as the hash pass would (a cut scan still
        // hashes), from the bytes already read; its thumbhash stays pending, as before.
        if (wantsHash && err instanceof UndecodableImage) {
          await writeLenientHash(row, bytes, inspected.info)
        }
        // The header gave them, as the first pass would have: they need no decode.
        if (!sized) {
          if (!dryRun)
            await db.update(images).set({ width, height, mimetype }).where(eq(images.id, row.id))
          sized = true
          report.dimensions.filled++
        }
        throw err
      }
      const columns = decodedColumns(decoded)
      if (options.locationPolicy !== 'keep') {
        Object.assign(columns, { gpsLatitude: null, gpsLongitude: null, gpsAltitude: null })
      }
      const hash = wantsHash ? perceptualHashFromRendition(decoded.grey) : undefined
      if (!dryRun) {
        await db
          .update(images)
          .set({
            ...columns,
            ...(hash && hashColumns(hash)),
            width,
            height,
            mimetype,
          })
          .where(and(eq(images.id, row.id), isNull(images.thumbhash)))
      }
      report.updated++
      if (hash) report.hashed++
      if (!sized) report.dimensions.filled++
    } catch (err) {
      report.failed++
      if (!sized) report.dimensions.failed++
      if (report.failures.length < MAX_LISTED_FAILURES) {
        const error = err instanceof Error ? err.message : String(err)
        report.failures.push({ id: row.id, key: row.s3Key, error })
      }
    } finally {
      done++
      options.onProgress?.({ done, total: pending, failed: report.failed })
    }
  }

  const writeLenientHash = async (row: PixelRow, bytes: Uint8Array, info: ImageInfo) => {
    const hash = await perceptualHash(bytes, info.mimetype, { limitInputPixels: options.maxPixels })
    if (!hash) return
    if (!dryRun) {
      await db
        .update(images)
        .set(hashColumns(hash))
        .where(and(eq(images.id, row.id), isNull(images.perceptualHash)))
    }
    report.hashed++
  }

  // Keyset over the id: failed (and, in a dry run, all) rows are passed, never revisited.
  let after: string | undefined
  while (!options.signal?.aborted) {
    const rows = await db
      .select({
        id: images.id,
        s3Key: images.s3Key,
        hashed: sql<boolean>`${images.perceptualHash} is not null`,
        sized: sql<boolean>`not ${missingDimensions}`,
      })
      .from(images)
      .where(and(isNull(images.thumbhash), after ? gt(images.id, after) : undefined))
      .orderBy(asc(images.id))
      .limit(batchSize)
    if (rows.length === 0) break
    after = rows.at(-1)?.id
    let next = 0
    const worker = async () => {
      while (next < rows.length && !options.signal?.aborted) {
        const row = rows[next++]
        if (row) await processRow(row)
      }
    }
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker))
  }
  report.interrupted = Boolean(options.signal?.aborted) && done < pending
  return report
}

const hashColumns = (hash: PerceptualHash) => ({
  perceptualHash: hash.hash,
  perceptualHashLowInformation: hash.lowInformation,
})
