import { getTableColumns, sql } from 'drizzle-orm'
import {
  bigint,
  boolean,
  char,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  smallint,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core'

export const ANALYSIS_STATUSES = ['none', 'pending', 'done', 'failed', 'skipped'] as const
export type AnalysisStatus = (typeof ANALYSIS_STATUSES)[number]

const SMALL_PENDING_LIST = { fastupdate: true, gin_pending_list_limit: 64 }

// Millisecond precision, as JavaScript dates have: a timestamp round-trips exactly, so keyset
// cursors built from it never skip or repeat rows.
const utc = (name: string) => timestamp(name, { withTimezone: true, mode: 'date', precision: 3 })

// Bits `shift`..`shift + 15` of the perceptual hash, 0-65535 (the same as `hashBands` in similarity/).
const hashBand = (shift: number) => sql.raw(`((perceptual_hash >> ${shift}) & 65535)::integer`)

// One row per unique content; the object lives at `s3_key` in storage. The upload path's
// hand-written statements (image-statements.ts) name these columns: change them together.
export const images = pgTable(
  'images',
  {
    id: uuid('id').primaryKey(),
    md5Hash: char('md5_hash', { length: 32 }).notNull().unique('images_md5_hash_key'),
    s3Key: text('s3_key').notNull().unique('images_s3_key_key'),
    originalFilename: text('original_filename').notNull(),
    // Sniffed from the bytes; null (like width and height) on rows adopted from the old service
    // until `bun run backfill` has read their objects.
    mimetype: text('mimetype'),
    /** What the old service's client declared; kept for adopted rows only. */
    declaredMimetype: text('declared_mimetype'),
    filesize: bigint('filesize', { mode: 'number' }).notNull(),
    width: integer('width'),
    height: integer('height'),
    title: text('title').notNull(),
    description: text('description').notNull(),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    geminiAnalysis: text('gemini_analysis'),
    analysisStatus: text('analysis_status', { enum: ANALYSIS_STATUSES }).notNull().default('none'),
    analysisModel: text('analysis_model'),
    analysisPromptHash: text('analysis_prompt_hash'),
    analysisAttempts: integer('analysis_attempts').notNull().default(0),
    analysisError: text('analysis_error'),
    analysisNextAttemptAt: utc('analysis_next_attempt_at'),
    analyzedAt: utc('analyzed_at'),
    uploadedAt: utc('uploaded_at').notNull().defaultNow(),
    updatedAt: utc('updated_at').notNull().defaultNow(),
    uploadedBy: text('uploaded_by'),
    // The searchable text in search form (NFKC + case folding, see search-text.ts), written by
    // the application with its source column; null only on rows not yet backfilled (0003).
    searchTitle: text('search_title'),
    searchDescription: text('search_description'),
    searchAnalysis: text('search_analysis'),
    // Every run of one to three characters of the search text: an n-gram index that finds
    // substrings of any language (Japanese included), down to one character. Rows written before
    // the search columns existed fall back to lower() until the backfill reaches them.
    searchGrams: text('search_grams')
      .array()
      .notNull()
      .generatedAlwaysAs(
        sql`image_search_grams(coalesce(search_title, lower(title)), coalesce(search_description, lower(description)), coalesce(search_analysis, lower(gemini_analysis)))`,
      ),
    // 64-bit dHash of the pixels (null: not computed yet, see `bun run backfill`) and whether it
    // is too flat to compare. The four 16-bit bands make multi-index lookups by Hamming distance
    // (similarity/).
    perceptualHash: bigint('perceptual_hash', { mode: 'bigint' }),
    perceptualHashLowInformation: boolean('perceptual_hash_low_information')
      .notNull()
      .default(false),
    hashBand0: integer('hash_band0').generatedAlwaysAs(hashBand(48)),
    hashBand1: integer('hash_band1').generatedAlwaysAs(hashBand(32)),
    hashBand2: integer('hash_band2').generatedAlwaysAs(hashBand(16)),
    hashBand3: integer('hash_band3').generatedAlwaysAs(hashBand(0)),
    // Pixel pipeline (decode pass at upload; null for rows from before it, until the backfill).
    // MD5 of the bytes the client sent, when the stored bytes differ (LOCATION_POLICY=strip).
    clientMd5: char('client_md5', { length: 32 }),
    thumbhash: text('thumbhash'),
    takenAt: utc('taken_at'),
    cameraMake: text('camera_make'),
    cameraModel: text('camera_model'),
    lens: text('lens'),
    orientation: smallint('orientation'),
    gpsLatitude: doublePrecision('gps_latitude'),
    gpsLongitude: doublePrecision('gps_longitude'),
    gpsAltitude: doublePrecision('gps_altitude'),
    exif: jsonb('exif').$type<Record<string, unknown>>(),
  },
  (t) => [
    index('images_uploaded_at_id_idx').on(t.uploadedAt, t.id),
    index('images_mimetype_uploaded_at_id_idx').on(t.mimetype, t.uploadedAt, t.id),
    // GIN with a small pending list: inserts append cheaply (updating the tree per row halves the
    // insert rate) while a search never scans more than 64 kB of unmerged entries (4 MB by default).
    index('images_tags_idx').using('gin', t.tags).with(SMALL_PENDING_LIST),
    index('images_metadata_idx')
      .using('gin', sql`${t.metadata} jsonb_path_ops`)
      .with(SMALL_PENDING_LIST),
    index('images_search_grams_idx').using('gin', t.searchGrams).with(SMALL_PENDING_LIST),
    index('images_analysis_due_idx')
      .on(t.analysisNextAttemptAt)
      .where(sql`${t.analysisStatus} = 'pending'`),
    ...(['hashBand0', 'hashBand1', 'hashBand2', 'hashBand3'] as const).map((band, i) =>
      // Low-information hashes are never compared, so they are left out of the band indexes.
      // The hash and id ride along: candidates are rechecked by index-only scans, no heap reads.
      index(`images_hash_band${i}_idx`)
        .on(t[band], t.perceptualHash, t.id)
        .where(sql`not ${t.perceptualHashLowInformation}`),
    ),
    // Rows still without their search form (backfillSearchText runs at every start): empty once
    // filled, so a start finds none without scanning the table.
    index('images_search_pending_idx').on(t.id).where(sql`${t.searchTitle} is null`),
    index('images_client_md5_idx').on(t.clientMd5).where(sql`${t.clientMd5} is not null`),
    index('images_taken_at_idx').on(t.takenAt).where(sql`${t.takenAt} is not null`),
    index('images_camera_make_lower_idx').on(sql`lower(${t.cameraMake})`),
    index('images_camera_model_lower_idx').on(sql`lower(${t.cameraModel})`),
    // has_gps pages in upload order; bbox narrows on latitude, then checks longitude in the index.
    index('images_gps_uploaded_at_id_idx')
      .on(t.uploadedAt, t.id)
      .where(sql`${t.gpsLatitude} is not null`),
    index('images_gps_lat_lon_idx')
      .on(t.gpsLatitude, t.gpsLongitude)
      .where(sql`${t.gpsLatitude} is not null`),
    // The decode pass keeps exif under 8 KB of JSON text; the database holds it to twice that.
    check('images_exif_size_check', sql`octet_length(${t.exif}::text) <= 16384`),
    check('images_orientation_check', sql`${t.orientation} between 1 and 8`),
    check(
      'images_analysis_status_check',
      sql`${t.analysisStatus} in (${sql.raw(ANALYSIS_STATUSES.map((v) => `'${v}'`).join(', '))})`,
    ),
  ],
)

// Every column but those only the database needs (search columns, hash bands): what every query
// returns.
const {
  searchGrams: _searchGrams,
  searchTitle: _searchTitle,
  searchDescription: _searchDescription,
  searchAnalysis: _searchAnalysis,
  hashBand0: _hashBand0,
  hashBand1: _hashBand1,
  hashBand2: _hashBand2,
  hashBand3: _hashBand3,
  ...imageRowColumns
} = getTableColumns(images)
export const imageColumns = imageRowColumns

/** The columns only the database needs: search text and n-grams, and the hash bands. */
export type DatabaseOnlyColumns =
  | 'searchGrams'
  | 'searchTitle'
  | 'searchDescription'
  | 'searchAnalysis'
  | 'hashBand0'
  | 'hashBand1'
  | 'hashBand2'
  | 'hashBand3'
export type ImageRow = Omit<typeof images.$inferSelect, DatabaseOnlyColumns>
export type NewImageRow = typeof images.$inferInsert
