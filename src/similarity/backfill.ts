import { and, asc, count, eq, gt, isNotNull, isNull, notInArray, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { images } from '../db/schema'
import { SUPPORTED_FORMATS } from '../media/inspect'
import { ObjectNotFound } from '../storage/errors'
import type { Storage } from '../storage/storage'
import { isHashable, perceptualHash } from './dhash'

/** The object's bytes, or null when it is missing. */
async function readObject(storage: Storage, key: string) {
  try {
    return await new Response(await storage.read(key)).bytes()
  } catch (err) {
    if (err instanceof ObjectNotFound) return null
    throw err
  }
}

export type BackfillOptions = {
  db: Db
  storage: Storage
  limitInputPixels: number
  /** Images hashed at once. */
  concurrency: number
  /** Count and hash, write nothing. */
  dryRun: boolean
  onProgress?: (done: number, total: number) => void
}

export type BackfillResult = {
  total: number
  hashed: number
  /** The stored object is gone, or its pixels do not decode: left without a hash. */
  failed: { id: string; reason: string }[]
}

const BATCH = 100
// Types `perceptualHash` does not hash (none at present): their rows are not pending, only left out.
const UNHASHED_TYPES = SUPPORTED_FORMATS.filter((f) => !isHashable(f.format)).map((f) => f.mimetype)

/**
 * Computes the perceptual hash of rows stored before it existed that already have their pixel
 * columns (a thumbhash): rows without one are the pixel pass's (`backfillPixels`), which hashes
 * them from its own decode, so no object is read twice. Resumable: it only ever looks at rows
 * still without a hash, in id order, and writes each row only if it still has none.
 */
export async function backfillHashes(options: BackfillOptions): Promise<BackfillResult> {
  const { db, storage } = options
  const pending = and(
    isNull(images.perceptualHash),
    isNotNull(images.thumbhash),
    notInArray(images.mimetype, UNHASHED_TYPES),
  )
  const [{ total } = { total: 0 }] = await db.select({ total: count() }).from(images).where(pending)
  const result: BackfillResult = { total, hashed: 0, failed: [] }
  let done = 0
  let after: string | undefined
  for (;;) {
    const rows = await db
      .select({ id: images.id, s3Key: images.s3Key, mimetype: images.mimetype })
      .from(images)
      .where(and(pending, after ? gt(images.id, after) : undefined))
      .orderBy(asc(images.id))
      .limit(BATCH)
    if (rows.length === 0) break
    after = rows.at(-1)?.id
    let next = 0
    const worker = async () => {
      for (let row = rows[next++]; row; row = rows[next++]) {
        const bytes = await readObject(storage, row.s3Key)
        const hash =
          bytes && row.mimetype ? await perceptualHash(bytes, row.mimetype, options) : null
        if (!hash) {
          result.failed.push({ id: row.id, reason: bytes ? 'pixels do not decode' : 'no object' })
        } else {
          result.hashed++
          if (!options.dryRun) {
            await db
              .update(images)
              .set({
                perceptualHash: hash.hash,
                perceptualHashLowInformation: hash.lowInformation,
              })
              .where(and(eq(images.id, row.id), sql`${images.perceptualHash} is null`))
          }
        }
        options.onProgress?.(++done, total)
      }
    }
    await Promise.all(Array.from({ length: options.concurrency }, worker))
  }
  return result
}
