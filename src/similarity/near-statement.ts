import {
  imageRowFrom,
  type RawRow,
  SELECT_NEAR_BY_BANDS,
  SELECT_NEAR_BY_SCAN,
  type Statement,
} from '../db/image-statements'
import { bandCandidates } from './bands'
import { SCAN_ABOVE_DISTANCE, type SimilarRow } from './repository'

/** The near-duplicate lookup of an upload: `findWithin` without a cursor or an excluded id. */
export type NearQuery = { hash: bigint; maxDistance: number; limit: number }

/**
 * `SimilarityRepository.findWithin` for `query`, hand-written (src/db/image-statements.ts) so an
 * upload can write it with its BEGIN and lock: the same rows in the same order.
 */
export function nearDuplicatesStatement(query: NearQuery): Statement {
  const hash = query.hash.toString()
  if (query.maxDistance > SCAN_ABOVE_DISTANCE) {
    return { text: SELECT_NEAR_BY_SCAN, params: [hash, query.maxDistance, query.limit] }
  }
  const [b0, b1, b2, b3] = bandCandidates(query.hash, query.maxDistance)
  return {
    text: SELECT_NEAR_BY_BANDS,
    params: [hash, query.maxDistance, b0, b1, b2, b3, query.limit],
  }
}

/** A row of `nearDuplicatesStatement` as `findWithin` returns it. */
export const similarRowFrom = (raw: RawRow): SimilarRow => ({
  ...imageRowFrom(raw),
  distance: raw.distance as number,
})
