import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { Analyzer } from '../analysis/analyzer'
import { describeError } from '../db/errors'
import { ByteBudget } from '../http/byte-budget'
import type { AppEnv } from '../http/env'
import { ApiError, badRequest } from '../http/errors'
import { GarbagePacer } from '../http/garbage-pacer'
import { errorResponses, jsonContent } from '../http/openapi-responses'
import { apiKeySecurity, createRouter, type Handler } from '../http/router'
import { sanitizeFilename } from '../media/filename'
import type { Metrics } from '../metrics/metrics'
import { NEAR_DUPLICATE_POLICIES, type NearDuplicatePolicy } from '../similarity/policy'
import type { SimilarRow } from '../similarity/repository'
import { ImageRejected, imageRejectedError } from './errors'
import type { ImagePresenter } from './present'
import { duplicateSchema, similarImageExistsSchema, uploadCreatedSchema } from './schemas'
import { type ImageService, SimilarImageExists } from './service'
import {
  NEAR_DUPLICATE_FIELD,
  parseUploadForm,
  type UploadLimits,
  uploadBodyLimit,
} from './upload-form'

export type UploadRouteDeps = {
  images: ImageService
  present: ImagePresenter
  limits: UploadLimits & { uploadBufferBytes: number }
  /** Present when Gemini analysis is on. */
  analyzer?: Analyzer
  metrics?: Metrics
  /** NEAR_DUPLICATE_POLICY: what an upload does about similar images unless it says. */
  nearDuplicatePolicy: NearDuplicatePolicy
}

/** The short form of a similar image, as an upload's answer names it. */
export const presentNearDuplicate = (row: SimilarRow) => ({
  id: row.id,
  distance: row.distance,
  title: row.title,
  s3_key: row.s3Key,
})

const policyMessage = `must be one of ${NEAR_DUPLICATE_POLICIES.join(', ')}`

/** The policy from the form field or the query (both: they must agree), else the default. */
function resolvePolicy(
  field: string | undefined,
  query: string | undefined,
  fallback: NearDuplicatePolicy,
): NearDuplicatePolicy {
  for (const value of [field, query]) {
    if (value !== undefined && !(NEAR_DUPLICATE_POLICIES as readonly string[]).includes(value)) {
      throw badRequest(`${NEAR_DUPLICATE_FIELD}: ${policyMessage}`)
    }
  }
  if (field !== undefined && query !== undefined && field !== query) {
    throw badRequest(`${NEAR_DUPLICATE_FIELD}: the form field and the query parameter disagree`)
  }
  return (field ?? query ?? fallback) as NearDuplicatePolicy
}

// Longest an upload waits for buffer room before a 503; slow senders must not queue others forever.
const BUDGET_WAIT_MS = 10_000

// The multipart body is parsed by hand (streaming size limit): its schema is documentation only,
// a plain JSON schema, which the router does not validate against.
const uploadRouteDefinition = createRoute({
  method: 'post',
  path: '/api/upload',
  operationId: 'uploadImage',
  tags: ['images'],
  summary: 'Upload an image with metadata',
  security: apiKeySecurity,
  request: {
    query: z.object({
      [NEAR_DUPLICATE_FIELD]: z
        .enum(NEAR_DUPLICATE_POLICIES)
        .optional()
        .openapi({ description: 'As the form field of the same name' }),
    }),
    body: {
      required: true,
      content: {
        'multipart/form-data': {
          schema: {
            type: 'object',
            required: ['image_file'],
            properties: {
              image_file: { type: 'string', format: 'binary' },
              metadata: {
                type: 'string',
                description:
                  'JSON object with title and description; other fields are kept, tags (string array) get their own column',
              },
              title: { type: 'string', description: 'Instead of metadata' },
              description: { type: 'string', description: 'Instead of metadata' },
              tags: { type: 'string', description: 'Instead of metadata; comma-separated' },
              [NEAR_DUPLICATE_FIELD]: {
                type: 'string',
                enum: [...NEAR_DUPLICATE_POLICIES],
                description:
                  'allow: store, do not look; warn: store and list near_duplicates; reject: 409 when any is within NEAR_DUPLICATE_DISTANCE. Default NEAR_DUPLICATE_POLICY (warn). Also accepted as a query parameter.',
              },
            },
          },
        },
      },
    },
  },
  responses: {
    201: jsonContent(uploadCreatedSchema, 'Stored'),
    409: jsonContent(
      z.union([duplicateSchema, similarImageExistsSchema]),
      'The same bytes are stored already (Duplicate), or on_near_duplicate=reject and similar images are (SimilarImageExists; nothing was stored)',
    ),
    ...errorResponses(400, 401, 403, 413, 415, 422, 503),
  },
})

const uploadImage = (deps: UploadRouteDeps): Handler<typeof uploadRouteDefinition> => {
  const { images, present, limits, analyzer, metrics, nearDuplicatePolicy } = deps
  // Each upload is held in memory a few times over (body, parsed part, bytes); bounding the bytes
  // in flight bounds the process's memory under many concurrent large uploads.
  const budget = new ByteBudget(limits.uploadBufferBytes)
  const pacer = new GarbagePacer(limits.uploadBufferBytes)
  const maxBody = uploadBodyLimit(limits)

  async function store(c: Context<AppEnv>) {
    const form = await parseUploadForm(c.req.raw, limits)
    const { bytes } = form.file
    const policy = resolvePolicy(
      form.onNearDuplicate,
      c.req.query(NEAR_DUPLICATE_FIELD),
      nearDuplicatePolicy,
    )
    try {
      const outcome = await images.upload({
        bytes,
        filename: sanitizeFilename(form.file.name),
        title: form.title,
        description: form.description,
        tags: form.tags,
        metadata: form.extra,
        uploadedBy: c.var.principal?.name,
        nearDuplicatePolicy: policy,
      })
      return { kind: 'stored' as const, outcome, bytes }
    } catch (err) {
      if (err instanceof SimilarImageExists)
        return { kind: 'similar' as const, similar: err.similar }
      if (!(err instanceof ImageRejected)) throw err
      throw imageRejectedError(err)
    }
  }

  return async (c) => {
    const declared = Number(c.req.header('content-length') ?? maxBody)
    const bodyBytes = Number.isFinite(declared) ? declared : maxBody
    const waitEnd = metrics?.budgetWait.startTimer()
    const release = await budget.acquire(bodyBytes, BUDGET_WAIT_MS)
    waitEnd?.({ outcome: release ? 'admitted' : 'timed_out' })
    if (!release) {
      metrics?.budgetRejected.inc()
      throw new ApiError(
        503,
        'Server busy',
        'Too many uploads in progress; retry shortly',
        undefined,
        { 'Retry-After': '5' },
      )
    }
    let stored: Awaited<ReturnType<typeof store>>
    try {
      stored = await store(c)
    } finally {
      // Released before the analysis: a slow Gemini must not hold up other uploads.
      release()
      pacer.released(bodyBytes)
    }
    if (stored.kind === 'similar') {
      const nearest = stored.similar[0]?.distance
      return c.json(
        {
          error: 'Similar image exists' as const,
          message: `${stored.similar.length === 1 ? 'A similar image is' : `${stored.similar.length} similar images are`} stored already (nearest at perceptual-hash distance ${nearest}); nothing was stored. Send on_near_duplicate=warn or allow to store it anyway`,
          similar_images: stored.similar.map(presentNearDuplicate),
        },
        409,
      )
    }
    const { outcome, bytes } = stored
    if (outcome.created) metrics?.uploadedBytes.inc(bytes.byteLength)
    let { image } = outcome
    if (!outcome.created) {
      return c.json(
        {
          error: 'Image already exists' as const,
          message: 'An image with the same content already exists',
          existing_image: {
            id: image.id,
            s3_key: image.s3Key,
            title: image.title,
            description: image.description,
          },
        },
        409,
      )
    }
    if (analyzer) {
      try {
        image = await analyzer.analyzeOnUpload(image, bytes)
      } catch (err) {
        // The upload has succeeded; the row stays pending and the background worker takes over.
        c.var.logger.warn('analysis at upload failed', {
          request_id: c.var.requestId,
          id: image.id,
          err: describeError(err),
        })
      }
    }
    return c.json(
      {
        message: 'Image uploaded successfully',
        data: present(image, c.req.url),
        near_duplicates: outcome.nearDuplicates?.map(presentNearDuplicate) ?? null,
      },
      201,
    )
  }
}

/** `POST /api/upload`, exactly as the old service's clients expect it. */
export function uploadRoute(deps: UploadRouteDeps) {
  return createRouter().openapi(uploadRouteDefinition, uploadImage(deps))
}
