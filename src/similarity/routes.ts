import { createRoute, z } from '@hono/zod-openapi'
import type { ApiKeyRing } from '../auth/key-ring'
import { requireApiKey } from '../http/auth'
import { ByteBudget } from '../http/byte-budget'
import { ApiError, badRequest, notFound } from '../http/errors'
import { errorResponses } from '../http/openapi-responses'
import { apiKeySecurity, createRouter } from '../http/router'
import type { DownloadLinks } from '../images/download-links'
import { ImageRejected } from '../images/errors'
import { presentImage } from '../images/present'
import {
  DEFAULT_PAGE_SIZE,
  imageIdParams,
  MAX_PAGE_SIZE,
  similarListSchema,
} from '../images/schemas'
import type { ImageService } from '../images/service'
import { parseImageOnlyForm } from '../images/upload-form'
import type { PerceptualHash } from './dhash'
import { MAX_NEAR_DUPLICATE_DISTANCE } from './policy'
import { InvalidSimilarCursor, type NearDuplicateService, type SimilarPage } from './service'

export type SimilarityRoutesDeps = {
  images: ImageService
  nearDuplicates: NearDuplicateService
  links: DownloadLinks
  keys: ApiKeyRing
  limits: { maxUploadBytes: number; uploadBufferBytes: number }
}

const similarQuerySchema = (defaultDistance: number) =>
  z.object({
    max_distance: z.coerce
      .number()
      .int()
      .min(0)
      .max(MAX_NEAR_DUPLICATE_DISTANCE)
      .default(defaultDistance)
      .openapi({
        description: `Largest Hamming distance of the 64-bit perceptual hashes, 0-${MAX_NEAR_DUPLICATE_DISTANCE}; default NEAR_DUPLICATE_DISTANCE (${defaultDistance})`,
      }),
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
  })

const rejectionStatus = { unsupported: 415, corrupt: 422, dimensions: 422 } as const
const rejectionError = {
  unsupported: 'Unsupported media type',
  corrupt: 'Invalid image',
  dimensions: 'Image dimensions too large',
} as const

const BUDGET_WAIT_MS = 10_000

/** Images by perceptual-hash distance: to a stored image, or to an image sent and not stored. */
export function similarityRoutes(deps: SimilarityRoutesDeps) {
  const { images, nearDuplicates, links, keys, limits } = deps
  const app = createRouter()
  const middleware = requireApiKey(keys)
  const query = similarQuerySchema(nearDuplicates.options.distance)
  const listResponse = {
    description: 'Images by distance, nearest first (then by id), one page at a time',
    content: { 'application/json': { schema: similarListSchema } },
  }

  async function page(hash: PerceptualHash, q: z.infer<typeof query>, excludeId?: string) {
    try {
      return await nearDuplicates.near(hash, {
        maxDistance: q.max_distance,
        limit: q.limit,
        cursor: q.cursor,
        excludeId,
      })
    } catch (err) {
      if (err instanceof InvalidSimilarCursor) {
        throw badRequest('cursor: not a cursor of this listing; start again without one')
      }
      throw err
    }
  }
  const present = (result: SimilarPage, url: string) => ({
    data: result.images.map((row) => ({
      ...presentImage(row, links.forImage(row, url)),
      distance: row.distance,
    })),
    next_cursor: result.nextCursor,
  })

  // Search by image: the body is parsed by hand (streaming size limit), so it is only documented.
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/api/images/search-by-image',
    operationId: 'searchByImage',
    tags: ['images'],
    summary: 'Stored images similar to the image sent; nothing is stored',
    security: apiKeySecurity,
    request: {
      query,
      body: {
        required: true,
        content: {
          'multipart/form-data': {
            schema: {
              type: 'object',
              required: ['image_file'],
              properties: { image_file: { type: 'string', format: 'binary' } },
            },
          },
        },
      },
    },
    responses: {
      200: listResponse,
      422: {
        description:
          'Invalid image, or one without a comparable perceptual hash (BMP is not hashed yet)',
        content: {
          'application/json': {
            schema: z.object({ error: z.string(), message: z.string() }),
          },
        },
      },
      ...errorResponses(400, 401, 413, 415, 503),
    },
  })
  const budget = new ByteBudget(limits.uploadBufferBytes)
  // A read-only key may search: nothing is written.
  app.post(
    '/api/images/search-by-image',
    requireApiKey(keys, { changesNothing: true }),
    async (c) => {
      const parsed = query.safeParse(c.req.query())
      if (!parsed.success) {
        throw badRequest(
          parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
        )
      }
      const declared = Number(c.req.header('content-length') ?? limits.maxUploadBytes)
      const release = await budget.acquire(
        Number.isFinite(declared) ? declared : limits.maxUploadBytes,
        BUDGET_WAIT_MS,
      )
      if (!release) {
        c.header('Retry-After', '5')
        throw new ApiError(503, 'Server busy', 'Too many uploads in progress; retry shortly')
      }
      let hash: PerceptualHash | null
      try {
        const file = await parseImageOnlyForm(c.req.raw, limits.maxUploadBytes)
        let mimetype: string
        try {
          mimetype = images.inspect(file.bytes).mimetype
        } catch (err) {
          if (!(err instanceof ImageRejected)) throw err
          throw new ApiError(rejectionStatus[err.kind], rejectionError[err.kind], err.message)
        }
        hash = await nearDuplicates.hash(file.bytes, mimetype)
      } finally {
        release()
      }
      if (!hash) {
        throw new ApiError(
          422,
          'Invalid image',
          'No perceptual hash can be computed for this image (BMP is not hashed yet, or the pixels do not decode)',
        )
      }
      return c.json(present(await page(hash, parsed.data), c.req.url), 200)
    },
  )

  app.openapi(
    createRoute({
      security: apiKeySecurity,
      middleware,
      tags: ['images'],
      method: 'get',
      path: '/api/images/{id}/similar',
      operationId: 'listSimilarImages',
      summary: 'Stored images similar to this one, nearest first',
      description:
        'By Hamming distance of 64-bit perceptual hashes (dHash). An image with a low-information hash (flat, nearly uniform) or none (BMP) has no similar images.',
      request: { params: imageIdParams, query },
      responses: { 200: listResponse, ...errorResponses(400, 401, 404, 503) },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const hash = await nearDuplicates.storedHash(id)
      if (hash === undefined) throw notFound('No image with this id')
      const q = c.req.valid('query')
      const result = hash ? await page(hash, q, id) : { images: [], nextCursor: null }
      return c.json(present(result, c.req.url), 200)
    },
  )

  return app
}
