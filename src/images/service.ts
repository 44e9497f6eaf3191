import type { LocationPolicy } from '../config'
import type { ImageRow, NewImageRow } from '../db/schema'
import { type DecodedImage, decodeImage, UndecodableImage } from '../media/decode'
import { readExif } from '../media/exif'
import type { ImageLimits } from '../media/frame-budget'
import { type ImageInfo, inspectImage } from '../media/inspect'
import { stripLocation } from '../media/strip-location'
import {
  isHashable,
  type PerceptualHash,
  perceptualHashFromRendition,
  RENDITION,
} from '../similarity/dhash'
import type { NearDuplicatePolicy } from '../similarity/policy'
import type { SimilarRow } from '../similarity/repository'
import type { NearDuplicateService } from '../similarity/service'
import type { Storage } from '../storage/storage'
import { decodeCursor, encodeCursor } from './cursor'
import { ImageRejected, MetadataTooLarge } from './errors'
import { storedMetadataBytes } from './json-limits'
import { objectKeyFor } from './object-key'
import type { LeftObject } from './object-sweep'
import type { ImageRepository } from './repository'
import type { ImagePatch, ListQuery } from './schemas'
import { searchFor } from './search'
import { deleteVariants } from './variants'

/** What the service bounds: every frame's dimensions, and the stored size of the non-file fields. */
export type UploadLimits = ImageLimits & { maxMetadataBytes: number }

export type UploadInput = {
  bytes: Uint8Array
  /** Display name only, already sanitised. */
  filename: string
  title: string
  description: string
  tags: string[]
  metadata: Record<string, unknown>
  uploadedBy?: string
  /** What to do when similar images are stored (default `warn`: store and name them). */
  nearDuplicatePolicy?: NearDuplicatePolicy
}

export type UploadOutcome =
  /** `nearDuplicates` null: not looked for (policy `allow`, or no hash for this format). */
  | { created: true; image: ImageRow; nearDuplicates: SimilarRow[] | null }
  | { created: false; image: ImageRow }

/** Policy `reject` and similar images are stored: nothing was written. */
export class SimilarImageExists extends Error {
  constructor(readonly similar: SimilarRow[]) {
    super(`${similar.length} similar image(s) are stored already`)
  }
}

export type ImagePage = { images: ImageRow[]; nextCursor: string | null }

export class InvalidCursor extends Error {}

/** Top-level merge: each key given replaces the stored value whole, a null removes the key. */
export function mergeMetadata(stored: Record<string, unknown>, patch: Record<string, unknown>) {
  const merged = { ...stored }
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key]
    else merged[key] = value
  }
  return merged
}

/** The analysis columns a new row starts with, by MIME type (absent: analysis is off, `none`). */
export type InitialAnalysis = (
  mimetype: string,
) => Pick<NewImageRow, 'analysisStatus' | 'analysisNextAttemptAt'>

/** The upload's decode pass (thumbhash, EXIF); absent, uploads store bytes without decoding. */
export type UploadPixels = { maxPixels: number; locationPolicy: LocationPolicy }

const LOCATION_REJECTED =
  'The image carries GPS location data; this server does not accept located images (LOCATION_POLICY=reject). Remove the location (e.g. exiftool -gps:all= file.jpg) and upload again.'

/** The row columns the decode pass fills. */
export function decodedColumns(decoded: DecodedImage) {
  const { exif } = decoded
  return {
    thumbhash: decoded.thumbhash,
    takenAt: exif.takenAt,
    cameraMake: exif.cameraMake,
    cameraModel: exif.cameraModel,
    lens: exif.lens,
    orientation: exif.orientation,
    gpsLatitude: exif.gpsLatitude,
    gpsLongitude: exif.gpsLongitude,
    gpsAltitude: exif.gpsAltitude,
    exif: exif.exif,
  } satisfies Partial<NewImageRow>
}

/** Test-only seams: points where a test may pause an operation to force an interleaving. */
export type UploadHooks = {
  /** Called inside the content lock, after the object is stored and before the row is inserted. */
  afterObjectPut?: (md5: string) => Promise<void>
}

export type ImageServiceOptions = {
  initialAnalysis?: InitialAnalysis
  /** Gets the object of a deleted row whose removal failed (see `delete`). */
  onObjectLeftBehind?: (object: LeftObject, cause: unknown) => void
  hooks?: UploadHooks
  /** Perceptual hashing and the near-duplicate verdict; absent: neither. */
  nearDuplicates?: NearDuplicateService
  /** The upload's decode pass (thumbhash, EXIF, location policy); absent: bytes stored undecoded. */
  pixels?: UploadPixels
}

/** Upload, lookup and removal of images; keeps rows and objects consistent under concurrency. */
export class ImageService {
  constructor(
    private readonly repo: ImageRepository,
    private readonly storage: Storage,
    private readonly limits: UploadLimits,
    private readonly options: ImageServiceOptions = {},
  ) {}

  private get pixels() {
    return this.options.pixels
  }

  /** Decodes the pixels once (see `decodeImage`); pixels that do not decode are refused. */
  async decode(bytes: Uint8Array, info: ImageInfo): Promise<DecodedImage | undefined> {
    if (!this.pixels) return undefined
    try {
      return await decodeImage(bytes, info, {
        maxPixels: this.pixels.maxPixels,
        rendition: RENDITION,
      })
    } catch (err) {
      if (err instanceof UndecodableImage) throw new ImageRejected('corrupt', err.message)
      throw err
    }
  }

  /** Judges the bytes by content: format, structure, and every frame against the limits. */
  inspect(bytes: Uint8Array): ImageInfo {
    const result = inspectImage(bytes, this.limits)
    if (!result.ok) throw new ImageRejected(result.reason, result.message)
    return result.info
  }

  /** The row holding these bytes, or (LOCATION_POLICY=strip) the row stored from them. */
  async findExisting(clientMd5: string) {
    const stored = await this.repo.findByMd5(clientMd5)
    if (stored || this.pixels?.locationPolicy !== 'strip') return stored
    return this.repo.findByClientMd5(clientMd5)
  }

  /**
   * keep: the bytes as sent. reject: 422 if they carry a location. strip: the bytes without
   * their location metadata (pixels untouched), and no GPS columns.
   */
  async applyLocationPolicy(bytes: Uint8Array, info: ImageInfo, decoded: DecodedImage) {
    const policy = this.pixels?.locationPolicy ?? 'keep'
    if (policy === 'keep') return bytes
    const stripped = stripLocation(bytes, info.format)
    const located = stripped !== bytes || decoded.exif.gpsLatitude !== null
    if (policy === 'reject') {
      if (located) throw new ImageRejected('location', LOCATION_REJECTED)
      return bytes
    }
    // A location in a form the stripper does not know is refused rather than stored.
    if ((await readExif(stripped, info.format)).gpsLatitude !== null) {
      throw new ImageRejected('location', 'The GPS location in this image could not be removed')
    }
    decoded.exif = { ...decoded.exif, gpsLatitude: null, gpsLongitude: null, gpsAltitude: null }
    return stripped
  }

  findById(id: string) {
    return this.repo.findById(id)
  }

  findByMd5(md5: string) {
    return this.repo.findByMd5(md5)
  }

  async list(query: ListQuery): Promise<ImagePage> {
    let after: { at: Date; id: string } | undefined
    if (query.cursor !== undefined) {
      const position = decodeCursor(query.cursor)
      if (!position || position.sort !== query.sort) throw new InvalidCursor()
      after = position
    }
    // One row more than asked tells whether there is a next page without a count.
    const rows = await this.repo.list(
      {
        search: query.q === undefined ? undefined : searchFor(query.q),
        tags: query.tag,
        mimetype: query.mimetype,
        uploadedFrom: query.uploaded_after,
        uploadedBefore: query.uploaded_before,
        metadata: query.metadata,
        takenFrom: query.taken_after,
        takenBefore: query.taken_before,
        camera: query.camera?.toLowerCase(),
        hasGps: query.has_gps,
        bbox: query.bbox,
      },
      { sort: query.sort, limit: query.limit + 1, after },
    )
    const images = rows.slice(0, query.limit)
    const last = images.at(-1)
    const nextCursor =
      rows.length > query.limit && last
        ? encodeCursor({ sort: query.sort, at: last.uploadedAt, id: last.id })
        : null
    return { images, nextCursor }
  }

  /**
   * Applies a patch; metadata is merged (see `mergeMetadata`). undefined when there is no such
   * image; `MetadataTooLarge` when the result would pass `maxMetadataBytes` stored (a patch that
   * shrinks a row stored before the limit existed is allowed).
   */
  update(id: string, patch: ImagePatch): Promise<ImageRow | undefined> {
    return this.repo.transaction(async (tx) => {
      const current = await this.repo.findByIdForUpdate(id, tx)
      if (!current) return undefined
      const next = {
        title: patch.title ?? current.title,
        description: patch.description ?? current.description,
        tags: patch.tags ?? current.tags,
        metadata: patch.metadata
          ? mergeMetadata(current.metadata, patch.metadata)
          : current.metadata,
      }
      const bytes = storedMetadataBytes(next)
      const { maxMetadataBytes } = this.limits
      if (bytes > maxMetadataBytes && bytes > storedMetadataBytes(current)) {
        throw new MetadataTooLarge(
          `title, description, tags and metadata would take ${bytes} bytes stored; the limit is ${maxMetadataBytes}`,
        )
      }
      return this.repo.update(
        id,
        {
          title: patch.title,
          description: patch.description,
          tags: patch.tags,
          metadata: patch.metadata && next.metadata,
        },
        tx,
      )
    })
  }

  /**
   * Object first, row second, both under the shared content lock: a row is only ever committed
   * after its object is in storage, and a concurrent delete cannot remove the object in between.
   * A crash after the put leaves at most an orphan object, which `reconcile` lists and removes.
   * On PostgreSQL new content takes three round trips (lookup; BEGIN + lock + near-duplicates;
   * insert + COMMIT) and a duplicate one (see `withUploadLock`).
   */
  async upload(input: UploadInput): Promise<UploadOutcome> {
    const image = this.inspect(input.bytes)
    const clientMd5 = new Bun.CryptoHasher('md5').update(input.bytes).digest('hex')
    const existing = await this.findExisting(clientMd5)
    if (existing) return { created: false, image: existing }
    const decoded = await this.decode(input.bytes, image)
    const bytes = decoded
      ? await this.applyLocationPolicy(input.bytes, image, decoded)
      : input.bytes
    const md5 =
      bytes === input.bytes ? clientMd5 : new Bun.CryptoHasher('md5').update(bytes).digest('hex')
    if (md5 !== clientMd5) {
      // Another original that differs only in its location may have stored these bytes.
      const same = await this.repo.findByMd5(md5)
      if (same) return { created: false, image: same }
    }

    const perceptual = await this.perceptualHash(bytes, image, decoded)
    const policy = input.nearDuplicatePolicy ?? 'warn'
    const nearQuery = this.nearDuplicateQuery(perceptual, policy)

    const s3Key = objectKeyFor(md5, image.extension)
    const row: NewImageRow = {
      id: Bun.randomUUIDv7(),
      md5Hash: md5,
      clientMd5: md5 === clientMd5 ? null : clientMd5,
      s3Key,
      originalFilename: input.filename,
      mimetype: image.mimetype,
      filesize: bytes.byteLength,
      width: image.width,
      height: image.height,
      title: input.title,
      description: input.description,
      tags: input.tags,
      metadata: input.metadata,
      uploadedBy: input.uploadedBy,
      perceptualHash: perceptual?.hash,
      perceptualHashLowInformation: perceptual?.lowInformation ?? false,
      ...this.options.initialAnalysis?.(image.mimetype),
      ...(decoded && decodedColumns(decoded)),
    }
    const { created, near } = await this.repo.withUploadLock(
      md5,
      nearQuery ?? undefined,
      async (lock) => {
        // The verdict comes before anything is written; `reject` rolls the transaction back.
        const near = nearQuery === undefined ? null : (lock.nearDuplicates ?? [])
        if (policy === 'reject' && near && near.length > 0) throw new SimilarImageExists(near)
        await this.storage.put(s3Key, bytes, image.mimetype)
        await this.options.hooks?.afterObjectPut?.(md5)
        return { created: await this.repo.insertIfAbsent(row, lock), near }
      },
    )
    if (created) return { created: true, image: created, nearDuplicates: near }
    // Lost the race to a concurrent upload of the same bytes: that row is committed by now,
    // unless it was deleted in the meantime, in which case this upload simply tries again.
    const winner = await this.repo.findByMd5(md5)
    return winner ? { created: false, image: winner } : this.upload(input)
  }

  /** The upload's perceptual hash: from the decode pass's rendition, or a decode of its own. */
  private async perceptualHash(
    bytes: Uint8Array,
    image: ImageInfo,
    decoded: DecodedImage | undefined,
  ): Promise<PerceptualHash | null> {
    const { nearDuplicates } = this.options
    if (!nearDuplicates || !isHashable(image.format)) return null
    if (decoded) return perceptualHashFromRendition(decoded.grey)
    return nearDuplicates.hash(bytes, image.mimetype)
  }

  /**
   * The near-duplicate lookup the upload runs under its lock: undefined when not looked for
   * (policy `allow`, no hash), null when there is nothing to look up (a low-information hash).
   */
  private nearDuplicateQuery(hash: PerceptualHash | null, policy: NearDuplicatePolicy) {
    const { nearDuplicates } = this.options
    if (!hash || !nearDuplicates || policy === 'allow') return undefined
    return nearDuplicates.uploadQuery(hash)
  }

  /**
   * Deleting is done once the row is gone: the answer is then 204 whatever happens to the object.
   * The object is removed next, under the exclusive content lock and only if no row took the same
   * content meanwhile; if that fails (storage or database down), `leftBehind` gets it to retry in
   * the background, and `reconcile --apply` removes whatever a stopped process never retried.
   * If the row delete itself fails, nothing was done (503) and a retry starts again. Either way
   * there is never a row without its object.
   */
  async delete(id: string): Promise<ImageRow | undefined> {
    const deleted = await this.repo.deleteById(id)
    if (!deleted) return undefined
    try {
      await this.removeObjectIfUnreferenced(deleted)
    } catch (err) {
      this.options.onObjectLeftBehind?.(deleted, err)
    }
    return deleted
  }

  /** Removes the object and its variants unless a row (a re-upload of the same bytes) uses it again. */
  removeObjectIfUnreferenced(object: LeftObject): Promise<'removed' | 'in use'> {
    return this.repo.withContentLock(object.md5Hash, 'exclusive', async (tx) => {
      if (await this.repo.findByMd5(object.md5Hash, tx)) return 'in use'
      await this.storage.delete(object.s3Key)
      await deleteVariants(this.storage, object.md5Hash)
      return 'removed'
    })
  }
}
