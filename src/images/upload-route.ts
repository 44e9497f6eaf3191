import type { Context } from 'hono'
import type { Analyzer } from '../analysis/analyzer'
import type { ApiKeyRing } from '../auth/key-ring'
import { requireApiKey } from '../http/auth'
import { ByteBudget } from '../http/byte-budget'
import type { AppEnv } from '../http/env'
import { ApiError } from '../http/errors'
import { GarbagePacer } from '../http/garbage-pacer'
import { errorResponses } from '../http/openapi-responses'
import { apiKeySecurity, createRouter } from '../http/router'
import { sanitizeFilename } from '../media/filename'
import type { DownloadLinks } from './download-links'
import { ImageRejected } from './errors'
import { presentImage } from './present'
import { duplicateSchema, uploadCreatedSchema } from './schemas'
import type { ImageService } from './service'
import { parseUploadForm, type UploadLimits, uploadBodyLimit } from './upload-form'

export type UploadRouteDeps = {
  images: ImageService
  links: DownloadLinks
  keys: ApiKeyRing
  limits: UploadLimits & { uploadBufferBytes: number }
  /** Present when Gemini analysis is on. */
  analyzer?: Analyzer
}

const rejectionStatus = { unsupported: 415, corrupt: 422, dimensions: 422, location: 422 } as const
const rejectionError = {
  unsupported: 'Unsupported media type',
  corrupt: 'Invalid image',
  dimensions: 'Image dimensions too large',
  location: 'Location data not accepted',
} as const

// Longest an upload waits for buffer room before a 503; slow senders must not queue others forever.
const BUDGET_WAIT_MS = 10_000

/** `POST /api/upload`, exactly as the old service's clients expect it. */
export function uploadRoute(deps: UploadRouteDeps) {
  const { images, links, keys, limits, analyzer } = deps
  const app = createRouter()

  // The multipart body is parsed by hand (streaming size limit), so the route is only documented.
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/api/upload',
    summary: 'Upload an image with metadata',
    security: apiKeySecurity,
    request: {
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
              },
            },
          },
        },
      },
    },
    responses: {
      201: {
        description: 'Stored',
        content: { 'application/json': { schema: uploadCreatedSchema } },
      },
      409: {
        description: 'The same bytes are stored already',
        content: { 'application/json': { schema: duplicateSchema } },
      },
      ...errorResponses(400, 401, 403, 413, 415, 422, 503),
    },
  })

  // Each upload is held in memory a few times over (body, parsed part, bytes); bounding the bytes
  // in flight bounds the process's memory under many concurrent large uploads.
  const budget = new ByteBudget(limits.uploadBufferBytes)
  const pacer = new GarbagePacer(limits.uploadBufferBytes)
  const maxBody = uploadBodyLimit(limits)

  app.post('/api/upload', requireApiKey(keys), async (c) => {
    const declared = Number(c.req.header('content-length') ?? maxBody)
    const bodyBytes = Number.isFinite(declared) ? declared : maxBody
    const release = await budget.acquire(bodyBytes, BUDGET_WAIT_MS)
    if (!release) {
      c.header('Retry-After', '5')
      throw new ApiError(503, 'Server busy', 'Too many uploads in progress; retry shortly')
    }
    let stored: Awaited<ReturnType<typeof store>>
    try {
      stored = await store(c)
    } finally {
      // Released before the analysis: a slow Gemini must not hold up other uploads.
      release()
      pacer.released(bodyBytes)
    }
    const { outcome, bytes } = stored
    let { image } = outcome
    if (!outcome.created) {
      return c.json(
        {
          error: 'Image already exists',
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
          err: String(err),
        })
      }
    }
    return c.json(
      {
        message: 'Image uploaded successfully',
        data: presentImage(
          image,
          links.forImage(image, c.req.url),
          links.forVariants(image, c.req.url),
        ),
      },
      201,
    )
  })

  async function store(c: Context<AppEnv>) {
    const form = await parseUploadForm(c.req.raw, limits)
    const { bytes } = form.file
    try {
      const outcome = await images.upload({
        bytes,
        filename: sanitizeFilename(form.file.name),
        title: form.title,
        description: form.description,
        tags: form.tags,
        metadata: form.extra,
        uploadedBy: c.var.principal?.name,
      })
      return { outcome, bytes }
    } catch (err) {
      if (!(err instanceof ImageRejected)) throw err
      throw new ApiError(rejectionStatus[err.kind], rejectionError[err.kind], err.message)
    }
  }

  return app
}
