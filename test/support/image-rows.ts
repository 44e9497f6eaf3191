import { asc, inArray } from 'drizzle-orm'
import type { Db } from '../../src/db/client'
import { images, type NewImageRow } from '../../src/db/schema'

export const md5Of = (text: string) => new Bun.CryptoHasher('md5').update(text).digest('hex')

/** A row with the required columns only, its content hash derived from `name`. */
export function minimalRow(name: string): NewImageRow {
  const md5 = md5Of(name)
  return {
    id: Bun.randomUUIDv7(),
    md5Hash: md5,
    s3Key: `images/${md5}.jpg`,
    originalFilename: `${name}.jpg`,
    filesize: 1,
    title: name,
    description: 'required columns only',
  }
}

/** The perceptual hash columns of rows `ids`, by id. */
export const storedHashes = (db: Db, ids: string[]) =>
  db
    .select({
      id: images.id,
      hash: images.perceptualHash,
      low: images.perceptualHashLowInformation,
    })
    .from(images)
    .where(inArray(images.id, ids))
    .orderBy(asc(images.id))
