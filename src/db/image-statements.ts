/**
 * The upload path's statements, written by hand and run on the driver itself (postgres.js, which
 * prepares them per connection, or PGlite's `query`): Drizzle's query builder cost several times
 * the statement itself per call (0.36 ms for the MD5 lookup, 0.89 ms for the insert, against 0.04
 * and 0.18 ms through postgres.js directly), and PostgreSQL answers statements written together
 * in one round trip (src/images/hot-statements*.ts).
 *
 * Each must match `images` in schema.ts: the columns they return are `imageColumns`, mapped with
 * Drizzle's own column mappers (`imageRowFrom`), and the insert writes every column that is not
 * generated, with the schema's defaults. test/image-statements.test.ts fails when they drift (a
 * column added, renamed or dropped, a default changed): update the text here with the schema.
 */
import { getTableColumns } from 'drizzle-orm'
import { type ImageRow, imageColumns, images, type NewImageRow } from './schema'

/** A statement and its parameters, as the driver takes them. */
export type Statement = { text: string; params: unknown[] }

/** A row as the driver returns it: database column names to driver values. */
export type RawRow = Record<string, unknown>

/** `imageColumns`, in their order: what every statement returns (never the search columns). */
const IMAGE_COLUMNS_SQL = `id, md5_hash, s3_key, original_filename, mimetype, declared_mimetype, filesize,
  width, height, title, description, tags, metadata, gemini_analysis, analysis_status, analysis_model,
  analysis_prompt_hash, analysis_attempts, analysis_error, analysis_next_attempt_at, analyzed_at,
  uploaded_at, updated_at, uploaded_by, perceptual_hash, perceptual_hash_low_information, client_md5,
  thumbhash, taken_at, camera_make, camera_model, lens, orientation, gps_latitude, gps_longitude,
  gps_altitude, exif`

/** The row holding this content (`ImageRepository.findByMd5`); through images_md5_hash_key. */
export const SELECT_IMAGE_BY_MD5 = `select ${IMAGE_COLUMNS_SQL} from images where md5_hash = $1 limit 1`

/** An upload's content lock, shared (see `ImageRepository.withContentLock`); $1 its `lockKey`. */
export const LOCK_CONTENT_SHARED = 'select pg_advisory_xact_lock_shared($1::bigint)'

/** Whether a row still holds this content (one row or none); through images_md5_hash_key. */
export const CONTENT_EXISTS = 'select 1 as live from images where md5_hash = $1 limit 1'

/** One variant's lock, exclusive (`ImageRepository.withVariantLock`); $1 its key's hash. */
export const LOCK_VARIANT = 'select pg_advisory_xact_lock($1::bigint)'

/**
 * `ImageRepository.insertIfAbsent`: every column of `images` but the generated ones (search_grams,
 * hash_band0..3), in this order. A value left out (null) takes the schema's default, as Drizzle's
 * `default` would: tags '{}', metadata {}, analysis_status 'none', analysis_attempts 0,
 * uploaded_at and updated_at now(), perceptual_hash_low_information false. No conflict target:
 * the s3_key index (derived from the MD5) can fire first under concurrency.
 */
export const INSERT_IMAGE = `insert into images (id, md5_hash, s3_key, original_filename, mimetype,
  declared_mimetype, filesize, width, height, title, description, tags, metadata, gemini_analysis,
  analysis_status, analysis_model, analysis_prompt_hash, analysis_attempts, analysis_error,
  analysis_next_attempt_at, analyzed_at, uploaded_at, updated_at, uploaded_by, search_title,
  search_description, search_analysis, perceptual_hash, perceptual_hash_low_information, client_md5,
  thumbhash, taken_at, camera_make, camera_model, lens, orientation, gps_latitude, gps_longitude,
  gps_altitude, exif)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, coalesce($12::text[], '{}'),
  coalesce($13::jsonb, '{}'), $14, coalesce($15::text, 'none'), $16, $17, coalesce($18::integer, 0),
  $19, $20, $21, coalesce($22::timestamptz, now()), coalesce($23::timestamptz, now()), $24, $25, $26,
  $27, $28, coalesce($29::boolean, false), $30, $31, $32, $33, $34, $35, $36, $37, $38, $39, $40)
on conflict do nothing
returning ${IMAGE_COLUMNS_SQL}`

/** The properties of `NewImageRow` that fill INSERT_IMAGE's $1..$40, in order. */
export const INSERTED_KEYS = [
  'id',
  'md5Hash',
  's3Key',
  'originalFilename',
  'mimetype',
  'declaredMimetype',
  'filesize',
  'width',
  'height',
  'title',
  'description',
  'tags',
  'metadata',
  'geminiAnalysis',
  'analysisStatus',
  'analysisModel',
  'analysisPromptHash',
  'analysisAttempts',
  'analysisError',
  'analysisNextAttemptAt',
  'analyzedAt',
  'uploadedAt',
  'updatedAt',
  'uploadedBy',
  'searchTitle',
  'searchDescription',
  'searchAnalysis',
  'perceptualHash',
  'perceptualHashLowInformation',
  'clientMd5',
  'thumbhash',
  'takenAt',
  'cameraMake',
  'cameraModel',
  'lens',
  'orientation',
  'gpsLatitude',
  'gpsLongitude',
  'gpsAltitude',
  'exif',
] as const satisfies readonly (keyof NewImageRow)[]

// The Hamming distance to $1 (the query hash, as text), as `distanceTo` in similarity/repository.ts.
const DISTANCE = 'bit_count((perceptual_hash # $1::bigint)::bit(64))::int'
const BAND_ARM = (band: number, param: number) =>
  `select id, perceptual_hash from images where not perceptual_hash_low_information and hash_band${band} = any($${param}::int[])`

/**
 * `SimilarityRepository.findWithin` as an upload asks it (no cursor, nothing excluded), through
 * the band indexes: $1 the hash, $2 the distance, $3..$6 each band's candidate values
 * (`bandCandidates`), $7 the limit. Nearest first, then by id.
 */
export const SELECT_NEAR_BY_BANDS = `select ${IMAGE_COLUMNS_SQL}, ${DISTANCE} as distance
from images
where not perceptual_hash_low_information and perceptual_hash is not null and ${DISTANCE} <= $2::int
  and id in (select c.id from (${[0, 1, 2, 3].map((band) => BAND_ARM(band, band + 3)).join(' union all ')}) c
    where bit_count((c.perceptual_hash # $1::bigint)::bit(64)) <= $2::int)
order by distance, id
limit $7`

/** The same above `SCAN_ABOVE_DISTANCE`, by a scan: $1 the hash, $2 the distance, $3 the limit. */
export const SELECT_NEAR_BY_SCAN = `select ${IMAGE_COLUMNS_SQL}, ${DISTANCE} as distance
from images
where not perceptual_hash_low_information and perceptual_hash is not null and ${DISTANCE} <= $2::int
order by distance, id
limit $3`

const tableColumns = getTableColumns(images)
const returned = Object.entries(imageColumns).map(
  ([key, column]) => [key, column.name, column] as const,
)
const inserted = INSERTED_KEYS.map((key) => tableColumns[key])

/** A returned row as Drizzle's select gives it: each column through its own `mapFromDriverValue`. */
export function imageRowFrom(raw: RawRow): ImageRow {
  const row: Record<string, unknown> = {}
  for (const [key, name, column] of returned) {
    const value = raw[name]
    // A column the statement does not return is drift, not a null.
    if (value === undefined) throw new Error(`the statement returned no column ${name}`)
    row[key] = value === null ? null : column.mapFromDriverValue(value)
  }
  return row as ImageRow
}

export const imageByMd5 = (md5: string): Statement => ({ text: SELECT_IMAGE_BY_MD5, params: [md5] })

export const lockContentShared = (key: string): Statement => ({
  text: LOCK_CONTENT_SHARED,
  params: [key],
})

export const contentExists = (md5: string): Statement => ({ text: CONTENT_EXISTS, params: [md5] })

export const lockVariant = (key: string): Statement => ({ text: LOCK_VARIANT, params: [key] })

/** INSERT_IMAGE for `row` (search columns included): each value as Drizzle sends it. */
export function insertImage(row: NewImageRow): Statement {
  const params = INSERTED_KEYS.map((key, i) => {
    const value = row[key]
    return value === undefined || value === null
      ? null
      : (inserted[i] as (typeof inserted)[number]).mapToDriverValue(value as never)
  })
  return { text: INSERT_IMAGE, params }
}
