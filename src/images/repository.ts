import { and, asc, desc, eq, gte, lt, type SQL, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import {
  contentExists,
  imageByMd5,
  imageRowFrom,
  insertImage,
  lockContentShared,
  lockVariant,
  type RawRow,
} from '../db/image-statements'
import { type ImageRow, imageColumns, images, type NewImageRow } from '../db/schema'
import { searchColumns } from '../db/search-text'
import {
  type NearQuery,
  nearDuplicatesStatement,
  similarRowFrom,
} from '../similarity/near-statement'
import type { SimilarRow } from '../similarity/repository'
import { type FinishTransaction, type HotStatements, hotStatementsFor } from './hot-statements'
import type { BoundingBox } from './schemas'

export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]
type Executor = Db | Tx

// The advisory-lock key of a content hash: its first 64 bits, so no hash function is needed in SQL.
const lockKey = (md5: string) => BigInt.asIntN(64, BigInt(`0x${md5.slice(0, 16)}`)).toString()

// The search form of a field, or lower() on rows the backfill has not reached (as the index has).
const searchText = {
  title: sql`coalesce(${images.searchTitle}, lower(${images.title}))`,
  description: sql`coalesce(${images.searchDescription}, lower(${images.description}))`,
  analysis: sql`coalesce(${images.searchAnalysis}, lower(${images.geminiAnalysis}), '')`,
}

export type ImageFilter = {
  /** Search text in search form (see search-text.ts) and the n-grams that must all be indexed. */
  search?: { text: string; grams: string[]; exact: boolean }
  tags?: string[]
  mimetype?: string
  uploadedFrom?: Date
  uploadedBefore?: Date
  metadata?: Record<string, unknown>
  takenFrom?: Date
  takenBefore?: Date
  /** Lower-cased; equals the make or the model. */
  camera?: string
  hasGps?: boolean
  bbox?: BoundingBox
}

export type Page = { sort: 'newest' | 'oldest'; limit: number; after?: { at: Date; id: string } }

/** An upload's open transaction (see `withUploadLock`); `insertIfAbsent` ends it. */
export type UploadLock = {
  /** The near-duplicates asked for, read under the lock; undefined when not asked for. */
  readonly nearDuplicates: SimilarRow[] | undefined
  readonly finish: FinishTransaction
}

export type ImageChanges = Partial<Pick<NewImageRow, 'title' | 'description' | 'tags' | 'metadata'>>

const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`

function filterConditions(filter: ImageFilter): SQL[] {
  const where: SQL[] = []
  if (filter.search) {
    const { text, grams, exact } = filter.search
    where.push(sql`${images.searchGrams} @> ${sql.param(grams)}::text[]`)
    // Triples can match apart from each other in longer queries: the index narrows, LIKE decides.
    if (!exact) {
      const pattern = likePattern(text)
      where.push(
        sql`(${searchText.title} like ${pattern} or ${searchText.description} like ${pattern} or ${searchText.analysis} like ${pattern})`,
      )
    }
  }
  if (filter.tags?.length) where.push(sql`${images.tags} @> ${sql.param(filter.tags)}::text[]`)
  if (filter.mimetype) where.push(eq(images.mimetype, filter.mimetype))
  if (filter.uploadedFrom) where.push(gte(images.uploadedAt, filter.uploadedFrom))
  if (filter.uploadedBefore) where.push(lt(images.uploadedAt, filter.uploadedBefore))
  if (filter.metadata) {
    where.push(sql`${images.metadata} @> ${JSON.stringify(filter.metadata)}::jsonb`)
  }
  where.push(...exifConditions(filter))
  return where
}

/** Each matches an index of 0003_pixel_pipeline (the GPS ones are partial, hence the guard). */
function exifConditions(filter: ImageFilter): SQL[] {
  const where: SQL[] = []
  if (filter.takenFrom) where.push(gte(images.takenAt, filter.takenFrom))
  if (filter.takenBefore) where.push(lt(images.takenAt, filter.takenBefore))
  if (filter.camera !== undefined) {
    where.push(
      sql`(lower(${images.cameraMake}) = ${filter.camera} or lower(${images.cameraModel}) = ${filter.camera})`,
    )
  }
  if (filter.hasGps !== undefined) {
    where.push(
      filter.hasGps ? sql`${images.gpsLatitude} is not null` : sql`${images.gpsLatitude} is null`,
    )
  }
  if (filter.bbox) {
    const { minLon, minLat, maxLon, maxLat } = filter.bbox
    where.push(sql`${images.gpsLatitude} is not null`)
    where.push(sql`${images.gpsLatitude} between ${minLat} and ${maxLat}`)
    where.push(
      minLon <= maxLon
        ? sql`${images.gpsLongitude} between ${minLon} and ${maxLon}`
        : sql`(${images.gpsLongitude} >= ${minLon} or ${images.gpsLongitude} <= ${maxLon})`,
    )
  }
  return where
}

const firstImage = (rows: RawRow[]) => (rows[0] ? imageRowFrom(rows[0]) : undefined)

/** Database access for `images`; no decisions here. */
export class ImageRepository {
  // The upload path's statements, hand-written on the driver itself (src/db/image-statements.ts).
  readonly #hot: HotStatements
  // Built once: drizzle's query builder costs several times the round trip.
  readonly #byId

  constructor(readonly db: Db) {
    this.#hot = hotStatementsFor(db)
    this.#byId = db
      .select(imageColumns)
      .from(images)
      .where(eq(images.id, sql.placeholder('id')))
      .limit(1)
      .prepare('image_by_id')
  }

  /** Outside a transaction (`ex` omitted) this runs the hot statement: one round trip. */
  async findByMd5(md5: string, ex?: Executor): Promise<ImageRow | undefined> {
    if (!ex) return firstImage(await this.#hot.run(imageByMd5(md5)))
    const [row] = await ex.select(imageColumns).from(images).where(eq(images.md5Hash, md5)).limit(1)
    return row
  }

  /** The row stored from bytes with this MD5 before their location was stripped. */
  async findByClientMd5(md5: string): Promise<ImageRow | undefined> {
    const [row] = await this.db
      .select(imageColumns)
      .from(images)
      .where(eq(images.clientMd5, md5))
      .limit(1)
    return row
  }

  async findById(id: string, ex?: Executor): Promise<ImageRow | undefined> {
    if (!ex) return (await this.#byId.execute({ id }))[0]
    const [row] = await ex.select(imageColumns).from(images).where(eq(images.id, id)).limit(1)
    return row
  }

  /** One page in (uploaded_at, id) order, starting after the page's keyset position. */
  list(filter: ImageFilter, page: Page): Promise<ImageRow[]> {
    const where = filterConditions(filter)
    const newest = page.sort === 'newest'
    if (page.after) {
      const { at, id } = page.after
      where.push(
        newest
          ? sql`(${images.uploadedAt}, ${images.id}) < (${at.toISOString()}::timestamptz, ${id}::uuid)`
          : sql`(${images.uploadedAt}, ${images.id}) > (${at.toISOString()}::timestamptz, ${id}::uuid)`,
      )
    }
    const order = newest ? desc : asc
    return this.db
      .select(imageColumns)
      .from(images)
      .where(and(...where))
      .orderBy(order(images.uploadedAt), order(images.id))
      .limit(page.limit)
  }

  /**
   * Inserts unless the content exists already; undefined means another row holds this MD5. Given
   * the upload's lock, the insert is written together with the COMMIT that ends it (one round
   * trip); without, it commits alone.
   */
  async insertIfAbsent(row: NewImageRow, lock?: UploadLock): Promise<ImageRow | undefined> {
    const insert = insertImage({ ...row, ...searchColumns(row) })
    return firstImage(await (lock ? lock.finish(insert) : this.#hot.run(insert)))
  }

  /** Locks the row for a read-modify-write within `tx`. */
  async findByIdForUpdate(id: string, tx: Tx): Promise<ImageRow | undefined> {
    const [row] = await tx
      .select(imageColumns)
      .from(images)
      .where(eq(images.id, id))
      .for('update')
      .limit(1)
    return row
  }

  async update(id: string, changes: ImageChanges, ex: Executor = this.db) {
    const [row] = await ex
      .update(images)
      .set({ ...changes, ...searchColumns(changes), updatedAt: sql`now()` })
      .where(eq(images.id, id))
      .returning(imageColumns)
    return row
  }

  async deleteById(id: string, ex: Executor = this.db): Promise<ImageRow | undefined> {
    const [deleted] = await ex.delete(images).where(eq(images.id, id)).returning(imageColumns)
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

  /**
   * An upload's transaction: BEGIN, the content lock of `md5` shared (as `withContentLock`) and,
   * when asked, the near-duplicate lookup, written together (one round trip on PostgreSQL). `fn`
   * stores the object and ends it with `insertIfAbsent(row, lock)`; rolled back if `fn` throws.
   */
  withUploadLock<T>(
    md5: string,
    near: NearQuery | undefined,
    fn: (lock: UploadLock) => Promise<T>,
  ): Promise<T> {
    const opening = [lockContentShared(lockKey(md5))]
    if (near) opening.push(nearDuplicatesStatement(near))
    return this.#hot.transaction(opening, ([, nearRows], finish) =>
      fn({ nearDuplicates: nearRows?.map(similarRowFrom), finish }),
    )
  }

  /** Whether a row holds content `md5`, as committed now (one statement, no lock). */
  async hasContent(md5: string): Promise<boolean> {
    return (await this.#hot.run(contentExists(md5))).length > 0
  }

  /**
   * A transaction holding the lock of one variant exclusive (one replica renders it; the others
   * wait, then find it stored) and the content lock of `md5` shared (a delete waits until it
   * ends), `fn` told whether a row still holds that content. BEGIN, locks and lookup are written
   * together: one round trip on PostgreSQL.
   */
  withVariantLock<T>(md5: string, variantKey: string, fn: (live: boolean) => Promise<T>) {
    const key = BigInt.asIntN(64, BigInt(Bun.hash.wyhash(`variant:${variantKey}`))).toString()
    const opening = [lockVariant(key), lockContentShared(lockKey(md5)), contentExists(md5)]
    return this.#hot.transaction(opening, ([, , rows]) => fn((rows?.length ?? 0) > 0))
  }

  transaction<T>(fn: (tx: Tx) => Promise<T>) {
    return this.db.transaction(fn)
  }
}
