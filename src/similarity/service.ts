import { type PerceptualHash, perceptualHash } from './dhash'
import type { NearQuery } from './near-statement'
import { MAX_NEAR_DUPLICATES_LISTED } from './policy'
import type { SimilarityRepository, SimilarRow } from './repository'

export type NearDuplicateOptions = {
  /** Default Hamming distance within which an upload's near-duplicates are named. */
  distance: number
  /** sharp's decompression-bomb guard, the same bound as the header check (MAX_IMAGE_PIXELS). */
  limitInputPixels: number
}

export type SimilarPage = { images: SimilarRow[]; nextCursor: string | null }

export class InvalidSimilarCursor extends Error {}

/** An opaque cursor of a by-distance listing: the (distance, id) of the last row shown. */
export const encodeSimilarCursor = (distance: number, id: string) =>
  Buffer.from(`d.${distance}.${id}`).toString('base64url')

export function decodeSimilarCursor(cursor: string): { distance: number; id: string } | null {
  const m = /^d\.(\d{1,2})\.([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString())
  if (!m?.[1] || !m[2]) return null
  return { distance: Number(m[1]), id: m[2] }
}

/** Perceptual hashing and lookups by Hamming distance. */
export class NearDuplicateService {
  constructor(
    private readonly repo: SimilarityRepository,
    readonly options: NearDuplicateOptions,
  ) {}

  /** The hash of an upload's pixels, null when it cannot be computed (see `perceptualHash`). */
  hash(bytes: Uint8Array, mimetype: string): Promise<PerceptualHash | null> {
    return perceptualHash(bytes, mimetype, { limitInputPixels: this.options.limitInputPixels })
  }

  /** Stored images near `hash`; a low-information hash is near nothing. */
  async near(
    hash: PerceptualHash,
    query: { maxDistance: number; limit: number; cursor?: string; excludeId?: string },
  ): Promise<SimilarPage> {
    let after: { distance: number; id: string } | undefined
    if (query.cursor !== undefined) {
      after = decodeSimilarCursor(query.cursor) ?? undefined
      if (!after) throw new InvalidSimilarCursor()
    }
    if (hash.lowInformation) return { images: [], nextCursor: null }
    // One row more than asked tells whether there is a next page without a count.
    const rows = await this.repo.findWithin({
      hash: hash.hash,
      maxDistance: query.maxDistance,
      limit: query.limit + 1,
      after,
      excludeId: query.excludeId,
    })
    const images = rows.slice(0, query.limit)
    const last = images.at(-1)
    const nextCursor =
      rows.length > query.limit && last ? encodeSimilarCursor(last.distance, last.id) : null
    return { images, nextCursor }
  }

  /**
   * The lookup naming an upload's near-duplicates (the upload runs it under its content lock):
   * within the default distance, at most `MAX_NEAR_DUPLICATES_LISTED`; null when the hash is
   * low-information, near nothing.
   */
  uploadQuery(hash: PerceptualHash): NearQuery | null {
    if (hash.lowInformation) return null
    return {
      hash: hash.hash,
      maxDistance: this.options.distance,
      limit: MAX_NEAR_DUPLICATES_LISTED,
    }
  }

  /** The stored hash of an image; undefined: no such image, null: it has no comparable hash. */
  async storedHash(id: string): Promise<PerceptualHash | null | undefined> {
    const row = await this.repo.hashOf(id)
    if (!row) return undefined
    return row.hash === null ? null : { hash: row.hash, lowInformation: row.lowInformation }
  }
}
