import { z } from '@hono/zod-openapi'
import { ANALYSIS_STATUSES } from '../db/schema'

// PostgreSQL text and jsonb cannot hold U+0000, and jsonb refuses an unpaired surrogate escape
// (SQLSTATE 22P05): refuse both up front rather than fail on insert, after the object is stored.
const NUL_MESSAGE = 'must not contain NUL (U+0000) characters or unpaired surrogates'
const storable = (s: string) => !s.includes('\u0000') && s.isWellFormed()

/** True when a JSON value has U+0000 or an unpaired surrogate in any string, key or value. */
export function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return !storable(value)
  if (typeof value !== 'object' || value === null) return false
  return Object.entries(value).some(([k, v]) => !storable(k) || containsNul(v))
}

const text = () => z.string().refine(storable, NUL_MESSAGE)

/** The text bounds of an image, from the configuration (`MAX_TITLE_LENGTH`, ...). */
export type TextLimits = {
  maxTitleLength: number
  maxDescriptionLength: number
  maxTags: number
  maxTagLength: number
}

/** Length in characters (code points), as PostgreSQL's varchar counts, not UTF-16 units. */
export const characterCount = (s: string) => {
  let n = 0
  for (const _ of s) n++
  return n
}
const maxChars = (max: number) =>
  [
    (s: string) => s.length <= max || characterCount(s) <= max,
    { message: `must be at most ${max} characters` },
  ] as const

const boundedText = (max: number) => text().refine(...maxChars(max))

export const tagsSchema = (limits: TextLimits) =>
  z
    .array(
      text()
        .trim()
        .min(1)
        .refine(...maxChars(limits.maxTagLength)),
    )
    .max(limits.maxTags, `must have at most ${limits.maxTags} tags`)
    .transform((tags) => [...new Set(tags)])

/** The upload's `metadata` JSON: title and description required, every other field kept. */
export const uploadMetadataSchema = (limits: TextLimits) =>
  z
    .object({
      title: boundedText(limits.maxTitleLength),
      description: boundedText(limits.maxDescriptionLength),
      tags: tagsSchema(limits).optional(),
    })
    .catchall(z.unknown().refine((v) => !containsNul(v), NUL_MESSAGE))

export type UploadMetadata = z.infer<ReturnType<typeof uploadMetadataSchema>>

export const imageSchema = z
  .object({
    id: z.uuid(),
    s3_key: z.string(),
    md5_hash: z.string().regex(/^[0-9a-f]{32}$/),
    original_filename: z.string(),
    // null on rows adopted from the old service until `bun run backfill` has read their bytes
    mimetype: z.string().nullable(),
    filesize: z.number().int(),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    title: z.string(),
    description: z.string(),
    tags: z.array(z.string()),
    metadata: z.record(z.string(), z.unknown()),
    gemini_analysis: z.string().nullable(),
    analysis_status: z.enum(ANALYSIS_STATUSES),
    analysis_model: z.string().nullable(),
    analysis_prompt_hash: z.string().nullable(),
    analysis_attempts: z.number().int(),
    analysis_error: z.string().nullable(),
    analyzed_at: z.string().nullable(),
    uploaded_at: z.string(),
    updated_at: z.string(),
    uploaded_by: z.string().nullable(),
    download_url: z.string(),
    variants: z.record(z.string(), z.string()).openapi({
      description:
        'Preset name -> signed URL of that variant (WebP; add &format=avif|jpeg|png|auto), valid as long as download_url',
    }),
    thumbhash: z
      .string()
      .nullable()
      .openapi({ description: 'Base64 ThumbHash placeholder; null until decoded (backfill)' }),
    taken_at: z.string().nullable().openapi({ description: 'EXIF DateTimeOriginal, ISO-8601' }),
    camera_make: z.string().nullable(),
    camera_model: z.string().nullable(),
    lens: z.string().nullable(),
    orientation: z.number().int().min(1).max(8).nullable().openapi({ description: 'EXIF 1-8' }),
    gps_latitude: z.number().nullable(),
    gps_longitude: z.number().nullable(),
    gps_altitude: z.number().nullable().openapi({ description: 'Metres above sea level' }),
    exif: z
      .record(z.string(), z.unknown())
      .nullable()
      .openapi({ description: 'Other EXIF/XMP tags (no GPS), at most 8 KB' }),
  })
  .openapi('Image')

export const MAX_PAGE_SIZE = 200
export const DEFAULT_PAGE_SIZE = 50
export const MAX_QUERY_LENGTH = 200
/** Tags one list query may require (a filter, not stored). */
export const MAX_TAG_FILTERS = 100
/** Longest `camera` filter: EXIF make and model strings are short. */
export const MAX_CAMERA_FILTER_LENGTH = 100

/** Dates the API accepts: years 0001 to 9999 (UTC), well inside PostgreSQL's timestamptz range. */
export const MIN_DATE = new Date('0001-01-01T00:00:00.000Z').getTime()
export const MAX_DATE = new Date('9999-12-31T23:59:59.999Z').getTime()
export const inDateRange = (d: Date) => d.getTime() >= MIN_DATE && d.getTime() <= MAX_DATE

const isoDate = z.iso
  .datetime({ offset: true })
  .or(z.iso.date())
  .transform((v, ctx) => {
    const date = new Date(v)
    if (inDateRange(date)) return date
    ctx.addIssue({ code: 'custom', message: 'must be a date from 0001-01-01 to 9999-12-31 (UTC)' })
    return z.NEVER
  })

const jsonObject = z.string().transform((raw, ctx) => {
  try {
    const value = JSON.parse(raw)
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      if (!containsNul(value)) return value as Record<string, unknown>
      ctx.addIssue({ code: 'custom', message: NUL_MESSAGE })
      return z.NEVER
    }
  } catch {}
  ctx.addIssue({ code: 'custom', message: 'must be a JSON object, e.g. {"category":"travel"}' })
  return z.NEVER
})

export type BoundingBox = { minLon: number; minLat: number; maxLon: number; maxLat: number }

const bboxSchema = z.string().transform((raw, ctx): BoundingBox => {
  const parts = raw.split(',').map((p) => (p.trim() === '' ? Number.NaN : Number(p)))
  const [minLon = Number.NaN, minLat = Number.NaN, maxLon = Number.NaN, maxLat = Number.NaN] = parts
  const lonOk = (v: number) => v >= -180 && v <= 180
  const latOk = (v: number) => v >= -90 && v <= 90
  if (
    parts.length !== 4 ||
    !lonOk(minLon) ||
    !lonOk(maxLon) ||
    !latOk(minLat) ||
    !latOk(maxLat) ||
    minLat > maxLat
  ) {
    ctx.addIssue({
      code: 'custom',
      message:
        'must be minLon,minLat,maxLon,maxLat (longitudes -180..180, latitudes -90..90, minLat <= maxLat)',
    })
    return z.NEVER
  }
  return { minLon, minLat, maxLon, maxLat }
})

// No regex flags: the OpenAPI document carries a regex's source as its `pattern`, and a flag would
// leak into it (`…$/i`), where it matches nothing. Either case is spelled out instead.
const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/
const MD5_PATTERN = /^[0-9a-fA-F]{32}$/

export const imageIdParams = z.object({
  id: z
    .string()
    .regex(UUID_PATTERN, 'must be a UUID')
    .transform((v) => v.toLowerCase())
    .openapi({
      param: { name: 'id', in: 'path' },
      description:
        'The image id, a UUID (either case). `by-md5` is never an id: /api/images/by-md5/{md5} is another operation.',
      example: '019abc12-3456-7def-8901-23456789abcd',
    }),
})

export const md5Params = z.object({
  md5: z
    .string()
    .regex(MD5_PATTERN, 'must be 32 hexadecimal digits')
    .transform((v) => v.toLowerCase())
    .openapi({
      param: { name: 'md5', in: 'path' },
      description: 'MD5 of the image bytes, 32 hexadecimal digits (either case)',
      example: '9e107d9d372bb6826bd81d3542a419d6',
    }),
})

/** Page size and cursor: every paginated listing takes these two. */
export const pageQueryFields = {
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(DEFAULT_PAGE_SIZE)
    .openapi({ description: `Page size, 1-${MAX_PAGE_SIZE}` }),
  cursor: z
    .string()
    .max(200)
    .optional()
    .openapi({ description: 'The `next_cursor` of the previous page' }),
}

export const listQuerySchema = z.object({
  ...pageQueryFields,
  q: text()
    .trim()
    .min(1)
    .max(MAX_QUERY_LENGTH)
    .optional()
    .openapi({ description: 'Substring of title, description or analysis (any language)' }),
  tag: z
    .union([text().trim().min(1), z.array(text().trim().min(1)).max(MAX_TAG_FILTERS)])
    .optional()
    .transform((v) => (v === undefined ? undefined : [v].flat()))
    .openapi({ description: 'Repeatable; every given tag must be present' }),
  mimetype: text().optional().openapi({ description: 'Exact sniffed MIME type, e.g. image/png' }),
  uploaded_after: isoDate.optional().openapi({ description: 'Inclusive, ISO-8601' }),
  uploaded_before: isoDate.optional().openapi({ description: 'Exclusive, ISO-8601' }),
  metadata: jsonObject
    .optional()
    .openapi({ description: 'JSON object the metadata must contain, e.g. {"category":"travel"}' }),
  sort: z.enum(['newest', 'oldest']).default('newest'),
  // Pixel pipeline filters (EXIF columns).
  taken_after: isoDate.optional().openapi({ description: 'EXIF capture time, inclusive' }),
  taken_before: isoDate.optional().openapi({ description: 'EXIF capture time, exclusive' }),
  camera: text()
    .trim()
    .min(1)
    .max(MAX_CAMERA_FILTER_LENGTH)
    .optional()
    .openapi({ description: 'Camera make or model, whole value, case-insensitive' }),
  has_gps: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true'))
    .openapi({ description: 'Only images with (true) or without (false) a GPS position' }),
  bbox: bboxSchema.optional().openapi({
    description: 'minLon,minLat,maxLon,maxLat in degrees; minLon > maxLon crosses the antimeridian',
    example: '2.2,48.8,2.4,48.9',
  }),
})

export type ListQuery = z.infer<typeof listQuerySchema>

const reservedMetadataKeys = (value: Record<string, unknown>) =>
  !('title' in value || 'description' in value || 'tags' in value)

export const imagePatchSchema = (limits: TextLimits) =>
  z
    .strictObject({
      title: boundedText(limits.maxTitleLength).optional(),
      description: boundedText(limits.maxDescriptionLength).optional(),
      tags: tagsSchema(limits).optional(),
      metadata: z
        .record(z.string(), z.unknown())
        .refine(reservedMetadataKeys, 'title, description and tags are fields of their own')
        .refine((v) => !containsNul(v), NUL_MESSAGE)
        .optional()
        .openapi({
          description:
            'Merged into the stored metadata at the top level: keys given replace, null removes',
        }),
    })
    .refine(
      (v) => Object.keys(v).length > 0,
      'Send at least one of title, description, tags, metadata',
    )
    .openapi('ImagePatch')

export type ImagePatch = z.infer<ReturnType<typeof imagePatchSchema>>

export const imageEnvelopeSchema = z.object({ data: imageSchema }).openapi('ImageEnvelope')

export const imageListSchema = z
  .object({
    data: z.array(imageSchema),
    next_cursor: z.string().nullable().openapi({ description: 'null on the last page' }),
  })
  .openapi('ImageList')

export const limitsSchema = z
  .object({
    max_upload_bytes: z.number().int(),
    max_metadata_bytes: z.number().int(),
    max_image_side: z.number().int(),
    max_image_pixels: z.number().int(),
    max_image_frames: z.number().int(),
    max_total_frame_pixels: z
      .number()
      .int()
      .openapi({ description: 'Frames × canvas width × height, summed over an animation' }),
    max_title_length: z.number().int(),
    max_description_length: z.number().int(),
    max_tags: z.number().int(),
    max_tag_length: z.number().int(),
    max_analysis_length: z
      .number()
      .int()
      .openapi({ description: 'Longest stored Gemini description (GEMINI_MAX_OUTPUT_CHARS)' }),
    max_json_body_bytes: z.number().int(),
    max_metadata_depth: z.number().int(),
    accepted_formats: z.array(z.object({ mimetype: z.string(), extension: z.string() })),
    location_policy: z.enum(['keep', 'strip', 'reject']).openapi({
      description: 'LOCATION_POLICY: GPS kept, stripped from the stored original, or refused',
    }),
    upload_decode: z.boolean().openapi({
      description:
        'UPLOAD_DECODE: uploads are decoded (thumbhash, EXIF columns, perceptual hash); false: stored as sent, filled in later by the backfill',
    }),
    variant_presets: z
      .record(z.string(), z.number().int())
      .openapi({ description: 'Variant preset -> longest side in pixels' }),
  })
  .openapi('Limits')

// Near-duplicates (issue 14).
export const nearDuplicateSchema = z
  .object({
    id: z.uuid(),
    distance: z
      .number()
      .int()
      .openapi({ description: 'Hamming distance of the 64-bit perceptual hashes (0-64)' }),
    title: z.string(),
    s3_key: z.string(),
  })
  .openapi('NearDuplicate')

export const similarImageSchema = imageSchema
  .extend({
    distance: z
      .number()
      .int()
      .openapi({ description: 'Hamming distance of the 64-bit perceptual hashes (0-64)' }),
  })
  .openapi('SimilarImage')

export const similarListSchema = z
  .object({
    data: z.array(similarImageSchema),
    next_cursor: z.string().nullable().openapi({ description: 'null on the last page' }),
  })
  .openapi('SimilarImageList')

export const similarImageExistsSchema = z
  .object({
    error: z.literal('Similar image exists'),
    message: z.string(),
    similar_images: z.array(nearDuplicateSchema),
  })
  .openapi('SimilarImageExists')

export const uploadCreatedSchema = z
  .object({
    message: z.string(),
    data: imageSchema,
    near_duplicates: z
      .array(z.lazy(() => nearDuplicateSchema))
      .nullable()
      .openapi({
        description:
          'Stored images within NEAR_DUPLICATE_DISTANCE, nearest first, at most 10; null when not looked for (on_near_duplicate=allow, or no perceptual hash: with UPLOAD_DECODE=off, pixel data that does not decode)',
      }),
  })
  .openapi('UploadCreated')

export const duplicateSchema = z
  .object({
    error: z.literal('Image already exists'),
    message: z.string(),
    existing_image: z.object({
      id: z.uuid(),
      s3_key: z.string(),
      title: z.string(),
      description: z.string(),
    }),
  })
  .openapi('Duplicate')
