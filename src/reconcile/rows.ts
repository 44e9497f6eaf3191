import { asc, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { images } from '../db/schema'

export type RowRef = { id: string; md5Hash: string; s3Key: string; filesize: number }

// Byte order, as S3 lists keys; the database's own collation may order punctuation differently.
const byteOrder = sql`${images.s3Key} collate "C"`

/** Every row's key, in byte order of `s3_key`, one keyset page at a time. */
export async function* rowsByKey(db: Db, pageSize = 1000): AsyncIterable<RowRef> {
  let after: string | undefined
  for (;;) {
    const page = await db
      .select({
        id: images.id,
        md5Hash: images.md5Hash,
        s3Key: images.s3Key,
        filesize: images.filesize,
      })
      .from(images)
      .where(after === undefined ? undefined : sql`${byteOrder} > ${after}`)
      .orderBy(asc(byteOrder))
      .limit(pageSize)
    yield* page
    const last = page.at(-1)
    if (!last || page.length < pageSize) return
    after = last.s3Key
  }
}
