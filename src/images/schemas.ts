import { z } from '@hono/zod-openapi'

export const MAX_TITLE_LENGTH = 500
export const MAX_DESCRIPTION_LENGTH = 10_000
export const MAX_TAGS = 100
export const MAX_TAG_LENGTH = 100

export const tagsSchema = z
  .array(z.string().trim().min(1).max(MAX_TAG_LENGTH))
  .max(MAX_TAGS)
  .transform((tags) => [...new Set(tags)])

/** The upload's `metadata` JSON: title and description required, every other field kept. */
export const uploadMetadataSchema = z
  .object({
    title: z.string().max(MAX_TITLE_LENGTH),
    description: z.string().max(MAX_DESCRIPTION_LENGTH),
    tags: tagsSchema.optional(),
  })
  .catchall(z.unknown())

export type UploadMetadata = z.infer<typeof uploadMetadataSchema>

export const imageSchema = z
  .object({
    id: z.uuid(),
    s3_key: z.string(),
    md5_hash: z.string().regex(/^[0-9a-f]{32}$/),
    original_filename: z.string(),
    mimetype: z.string(),
    filesize: z.number().int(),
    width: z.number().int(),
    height: z.number().int(),
    title: z.string(),
    description: z.string(),
    tags: z.array(z.string()),
    metadata: z.record(z.string(), z.unknown()),
    gemini_analysis: z.string().nullable(),
    analysis_status: z.enum(['none', 'pending', 'done', 'failed', 'skipped']),
    analysis_model: z.string().nullable(),
    analysis_prompt_hash: z.string().nullable(),
    analysis_attempts: z.number().int(),
    analysis_error: z.string().nullable(),
    analyzed_at: z.string().nullable(),
    uploaded_at: z.string(),
    updated_at: z.string(),
    uploaded_by: z.string().nullable(),
    download_url: z.string(),
  })
  .openapi('Image')

export const errorSchema = z
  .object({ error: z.string(), message: z.string(), details: z.unknown().optional() })
  .openapi('Error')
