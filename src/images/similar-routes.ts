import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { ByteBudget } from '../http/byte-budget'
import type { AppEnv } from '../http/env'
import { ApiError, badRequest, notFound } from '../http/errors'
import { errorResponses, jsonContent } from '../http/openapi-responses'
import { apiKeySecurity, createRouter, type Handler } from '../http/router'
import type { PerceptualHash } from '../similarity/dhash'
import { MAX_NEAR_DUPLICATE_DISTANCE } from '../similarity/policy'
import {
  InvalidSimilarCursor,
  type NearDuplicateService,
  type SimilarPage,
} from '../similarity/service'
import { ImageRejected, imageRejectedError } from './errors'
import type { ImagePresenter } from './present'
import { imageIdParams, pageQueryFields, similarListSchema } from './schemas'
import type { ImageService } from './service'
import { parseImageOnlyForm } from './upload-form'

export type SimilarityRoutesDeps = {
  images: ImageService
  nearDuplicates: NearDuplicateService
  present: ImagePresenter
  limits: { maxUploadBytes: number; uploadBufferBytes: number }
}

const SEARCH_BY_IMAGE_PATH = '/api/images/search-by-image'

/** Search by image writes nothing, so a read-only key may POST it (see requireApiKey). */
export const searchesByImage = (c: Context<AppEnv>) =>
  c.req.method === 'POST' && c.req.path === SEARCH_BY_IMAGE_PATH

// The default distance is configured (NEAR_DUPLICATE_DISTANCE), so the definitions are built per app.
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
    ...pageQueryFields,
  })

const listResponse = jsonContent(
  similarListSchema,
  'Images by distance, nearest first (then by id), one page at a time',
)

const similarRouteFor = (defaultDistance: number) =>
  createRoute({
    method: 'get',
    path: '/api/images/{id}/similar',
    operationId: 'listSimilarImages',
    tags: ['images'],
    summary: 'Stored images similar to this one, nearest first',
    description:
      'By Hamming distance of 64-bit perceptual hashes (dHash). An image with a low-information hash (flat, nearly uniform) or none (stored with UPLOAD_DECODE=off, pixels that do not decode) has no similar images.',
    security: apiKeySecurity,
    request: { params: imageIdParams, query: similarQuerySchema(defaultDistance) },
    responses: { 200: listResponse, ...errorResponses(400, 401, 404, 503) },
  })

// The multipart body is parsed by hand (streaming size limit): its schema is documentation only.
const searchByImageRouteFor = (defaultDistance: number) =>
  createRoute({
    method: 'post',
    path: SEARCH_BY_IMAGE_PATH,
    operationId: 'searchByImage',
    tags: ['images'],
    summary: 'Stored images similar to the image sent; nothing is stored',
    description: 'A read-only key may call it: nothing is written.',
    security: apiKeySecurity,
    request: {
      query: similarQuerySchema(defaultDistance),
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
      422: jsonContent(
        z.object({ error: z.string(), message: z.string() }),
        'Invalid image: pixel data that does not decode, so no perceptual hash (an RLE-compressed BMP, a cut scan)',
      ),
      ...errorResponses(400, 401, 413, 415, 503),
    },
  })

const BUDGET_WAIT_MS = 10_000

type SimilarQuery = z.infer<ReturnType<typeof similarQuerySchema>>

/** One page of images near `hash`, presented with their distance. */
async function similarPage(
  { nearDuplicates, present }: SimilarityRoutesDeps,
  hash: PerceptualHash | null,
  q: SimilarQuery,
  url: string,
  excludeId?: string,
) {
  let result: SimilarPage = { images: [], nextCursor: null }
  try {
    if (hash) {
      result = await nearDuplicates.near(hash, {
        maxDistance: q.max_distance,
        limit: q.limit,
        cursor: q.cursor,
        excludeId,
      })
    }
  } catch (err) {
    if (err instanceof InvalidSimilarCursor) {
      throw badRequest('cursor: not a cursor of this listing; start again without one')
    }
    throw err
  }
  return {
    data: result.images.map((row) => ({ ...present(row, url), distance: row.distance })),
    next_cursor: result.nextCursor,
  }
}

const listSimilar =
  (deps: SimilarityRoutesDeps): Handler<ReturnType<typeof similarRouteFor>> =>
  async (c) => {
    const { id } = c.req.valid('param')
    const hash = await deps.nearDuplicates.storedHash(id)
    if (hash === undefined) throw notFound('No image with this id')
    return c.json(await similarPage(deps, hash, c.req.valid('query'), c.req.url, id), 200)
  }

const searchByImage = (
  deps: SimilarityRoutesDeps,
): Handler<ReturnType<typeof searchByImageRouteFor>> => {
  const { images, nearDuplicates, limits } = deps
  // Bodies held in memory are bounded like uploads' (UPLOAD_BUFFER_BYTES).
  const budget = new ByteBudget(limits.uploadBufferBytes)
  return async (c) => {
    const declared = Number(c.req.header('content-length') ?? limits.maxUploadBytes)
    const release = await budget.acquire(
      Number.isFinite(declared) ? declared : limits.maxUploadBytes,
      BUDGET_WAIT_MS,
    )
    if (!release) {
      throw new ApiError(
        503,
        'Server busy',
        'Too many uploads in progress; retry shortly',
        undefined,
        { 'Retry-After': '5' },
      )
    }
    let hash: PerceptualHash | null
    try {
      const file = await parseImageOnlyForm(c.req.raw, limits.maxUploadBytes)
      let mimetype: string
      try {
        mimetype = images.inspect(file.bytes).mimetype
      } catch (err) {
        if (!(err instanceof ImageRejected)) throw err
        throw imageRejectedError(err)
      }
      hash = await nearDuplicates.hash(file.bytes, mimetype)
    } finally {
      release()
    }
    if (!hash) {
      throw new ApiError(
        422,
        'Invalid image',
        'No perceptual hash can be computed for this image: its pixels do not decode',
      )
    }
    return c.json(await similarPage(deps, hash, c.req.valid('query'), c.req.url), 200)
  }
}

/** Images by perceptual-hash distance: to a stored image, or to an image sent and not stored. */
export function similarityRoutes(deps: SimilarityRoutesDeps) {
  const distance = deps.nearDuplicates.options.distance
  return createRouter()
    .openapi(searchByImageRouteFor(distance), searchByImage(deps))
    .openapi(similarRouteFor(distance), listSimilar(deps))
}
