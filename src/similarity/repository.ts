import { and, asc, type SQL, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { type ImageRow, images } from '../db/schema'
import { imageColumns } from '../images/repository'
import { bandCandidates } from './bands'

export type SimilarRow = ImageRow & { distance: number }

export type SimilarQuery = {
  hash: bigint
  maxDistance: number
  limit: number
  /** Keyset position: rows after (distance, id). */
  after?: { distance: number; id: string }
  excludeId?: string
}

/**
 * Above this distance the band lookup enumerates too many keys (⌊d/4⌋ = 3: 697 per band) and
 * reads a large share of the table: a sequential scan is faster (measured, see the README).
 */
export const SCAN_ABOVE_DISTANCE = 11

/** Hamming distance to `hash` in SQL; `bit_count(bit)` exists in PostgreSQL 14+ and PGlite. */
const distanceTo = (hash: bigint) =>
  sql<number>`bit_count((${images.perceptualHash} # ${hash.toString()}::bigint)::bit(64))::int`

/** Database access for lookups by perceptual hash; no decisions here. */
export class SimilarityRepository {
  constructor(private readonly db: Db) {}

  /** Comparable rows within `maxDistance` of `hash`, nearest first, then by id. */
  findWithin(query: SimilarQuery): Promise<SimilarRow[]> {
    const distance = distanceTo(query.hash)
    const where: SQL[] = [
      sql`not ${images.perceptualHashLowInformation}`,
      sql`${images.perceptualHash} is not null`,
      sql`${distance} <= ${query.maxDistance}`,
    ]
    if (query.maxDistance <= SCAN_ABOVE_DISTANCE) {
      const [b0, b1, b2, b3] = bandCandidates(query.hash, query.maxDistance)
      where.push(
        sql`(${images.hashBand0} = any(${sql.param(b0)}::int[]) or ${images.hashBand1} = any(${sql.param(b1)}::int[]) or ${images.hashBand2} = any(${sql.param(b2)}::int[]) or ${images.hashBand3} = any(${sql.param(b3)}::int[]))`,
      )
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
