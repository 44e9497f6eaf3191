import { eq, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { type ImageRow, images, type NewImageRow } from '../db/schema'

export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]
type Executor = Db | Tx

// The advisory-lock key of a content hash: its first 64 bits, so no hash function is needed in SQL.
const lockKey = (md5: string) => BigInt.asIntN(64, BigInt(`0x${md5.slice(0, 16)}`)).toString()

/** Database access for `images`; no decisions here. */
export class ImageRepository {
  constructor(readonly db: Db) {}

  async findByMd5(md5: string, ex: Executor = this.db): Promise<ImageRow | undefined> {
    const [row] = await ex.select().from(images).where(eq(images.md5Hash, md5)).limit(1)
    return row
  }

  async findById(id: string, ex: Executor = this.db): Promise<ImageRow | undefined> {
    const [row] = await ex.select().from(images).where(eq(images.id, id)).limit(1)
    return row
  }

  /** Inserts unless the content exists already; undefined means another row holds this MD5. */
  async insertIfAbsent(row: NewImageRow, ex: Executor = this.db): Promise<ImageRow | undefined> {
    const [inserted] = await ex
      .insert(images)
      .values(row)
      // No arbiter: the s3_key index (derived from the MD5) can fire first under concurrency.
      .onConflictDoNothing()
      .returning()
    return inserted
  }

  async deleteById(id: string, ex: Executor = this.db): Promise<ImageRow | undefined> {
    const [deleted] = await ex.delete(images).where(eq(images.id, id)).returning()
    return deleted
  }

  /**
   * Runs `fn` in a transaction holding the content lock of `md5`. Uploads take it shared (they
   * may proceed together; the unique index picks the winner), removal of an object takes it
   * exclusive, so an object is never deleted while an upload of the same bytes is in flight.
   */
  withContentLock<T>(md5: string, mode: 'shared' | 'exclusive', fn: (tx: Tx) => Promise<T>) {
    return this.db.transaction(async (tx) => {
      const key = lockKey(md5)
      await tx.execute(
        mode === 'shared'
          ? sql`select pg_advisory_xact_lock_shared(${key}::bigint)`
          : sql`select pg_advisory_xact_lock(${key}::bigint)`,
      )
      return fn(tx)
    })
  }
}
