import { and, asc, type SQL, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { type ImageRow, imageColumns, images } from '../db/schema'
import { bandCandidates } from './bands'

export type SimilarRow = ImageRow & { distance: number }

export type SimilarQuery = {
  hash: bigint
  maxDistance: number
  limit: number
  /** Keyset position: rows after (distance, id). */
  after?: { distance: number; id: string }
  excludeId?: string
  /** Skip the band indexes whatever the distance (the bench compares both ways). */
  scan?: boolean
}

/**
 * Above this distance the band lookup enumerates too many keys (⌊d/4⌋ = 3: 697 per band) and
 * reads a large share of the table: a sequential scan is faster (measured, see the README).
 */
export const SCAN_ABOVE_DISTANCE = 11

/** Hamming distance to `hash` in SQL; `bit_count(bit)` exists in PostgreSQL 14+ and PGlite. */
const distanceTo = (hash: bigint) =>
  sql<number>`bit_count((${images.perceptualHash} # ${hash.toString()}::bigint)::bit(64))::int`

const BAND_COLUMNS = ['hash_band0', 'hash_band1', 'hash_band2', 'hash_band3'] as const

/**
 * The ids within `maxDistance`, found through the band indexes alone: each band's candidates come
 * from an index-only scan of (band, hash, id) and are rechecked there, so only the matches are
 * read from the table (a bitmap scan read ~1,100 heap pages per lookup at 1M rows).
 */
function bandLookup(hash: bigint, maxDistance: number): SQL {
  const q = hash.toString()
  const arms = bandCandidates(hash, maxDistance).map(
    (values, i) =>
      sql`select id, perceptual_hash from images where not perceptual_hash_low_information and ${sql.raw(BAND_COLUMNS[i] as string)} = any(${sql.param(values)}::int[])`,
  )
  return sql`select c.id from (${sql.join(arms, sql` union all `)}) c where bit_count((c.perceptual_hash # ${q}::bigint)::bit(64)) <= ${maxDistance}`
}

/** Database access for lookups by perceptual hash; no decisions here. */
export class SimilarityRepository {
  constructor(private readonly db: Db) {}

  /** Comparable rows within `maxDistance` of `hash`, nearest first, then by id. */
  findWithin(query: SimilarQuery): Promise<SimilarRow[]> {
    return this.findWithinQuery(query)
  }

  /** The query of `findWithin`, unexecuted (the bench EXPLAINs it). */
  findWithinQuery(query: SimilarQuery) {
    const distance = distanceTo(query.hash)
    const where: SQL[] = [
      sql`not ${images.perceptualHashLowInformation}`,
      sql`${images.perceptualHash} is not null`,
      sql`${distance} <= ${query.maxDistance}`,
    ]
    if (query.maxDistance <= SCAN_ABOVE_DISTANCE && !query.scan) {
      where.push(sql`${images.id} in (${bandLookup(query.hash, query.maxDistance)})`)
    }
    if (query.excludeId) where.push(sql`${images.id} <> ${query.excludeId}::uuid`)
    if (query.after) {
      where.push(
        sql`(${distance}, ${images.id}) > (${query.after.distance}::int, ${query.after.id}::uuid)`,
      )
    }
    return this.db
      .select({ ...imageColumns, distance })
      .from(images)
      .where(and(...where))
      .orderBy(asc(distance), asc(images.id))
      .limit(query.limit)
  }

  /** The stored hash of an image: undefined when there is no such image. */
  async hashOf(id: string): Promise<{ hash: bigint | null; lowInformation: boolean } | undefined> {
    const [row] = await this.db
      .select({
        hash: images.perceptualHash,
        lowInformation: images.perceptualHashLowInformation,
      })
      .from(images)
      .where(sql`${images.id} = ${id}::uuid`)
      .limit(1)
    return row
  }
}
