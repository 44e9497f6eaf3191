import { createRoute, z } from '@hono/zod-openapi'
import type { ApiKeyRing } from '../auth/key-ring'
import { requireApiKey } from '../http/auth'
import { ApiError, notFound } from '../http/errors'
import { errorResponse, errorResponses } from '../http/openapi-responses'
import { apiKeySecurity, createRouter } from '../http/router'
import type { DownloadLinks } from '../images/download-links'
import { presentImage } from '../images/present'
import { imageEnvelopeSchema, imageIdParams, imageSchema } from '../images/schemas'
import type { ImageService } from '../images/service'
import type { Analyzer } from './analyzer'

export const MAX_PROMPT_LENGTH = 2000

export type AnalysisRoutesDeps = {
  images: Pick<ImageService, 'findById'>
  links: DownloadLinks
  keys: ApiKeyRing
  /** Absent when GEMINI_API_KEY is unset: the endpoint answers 409. */
  analyzer?: Analyzer
}

const analyzeBodySchema = z
  .object({
    prompt: z
      .string()
      .trim()
      .min(1)
      .max(MAX_PROMPT_LENGTH)
      .optional()
      .openapi({ description: 'Prompt for this run only; the configured one otherwise' }),
  })
  .strict()
  .openapi('AnalyzeRequest')

const analyzeRoute = createRoute({
  method: 'post',
  path: '/api/images/{id}/analyze',
  tags: ['images'],
  security: apiKeySecurity,
  summary: 'Analyse an image with Gemini now',
  description:
    'Runs a fresh analysis within GEMINI_TIMEOUT_MS. 200 when it concluded (analysis_status done, ' +
    'or failed with analysis_error); 202 when it fell back to the background worker, which ' +
    'retries with the configured prompt.',
  request: {
    params: imageIdParams,
    body: { required: false, content: { 'application/json': { schema: analyzeBodySchema } } },
  },
  responses: {
    200: {
      description: 'Analysis concluded',
      content: { 'application/json': { schema: imageEnvelopeSchema } },
    },
    202: {
      description: 'Not finished in time; continues in the background',
      content: {
        'application/json': { schema: z.object({ message: z.string(), data: imageSchema }) },
      },
    },
    ...errorResponses(400, 401, 403, 404, 503),
    409: errorResponse('Analysis is disabled (GEMINI_API_KEY is not set)'),
    422: errorResponse('Gemini does not take this image format (GIF, BMP)'),
  },
})

/** `POST /api/images/:id/analyze`, documented in the OpenAPI description. */
export function analysisRoutes(deps: AnalysisRoutesDeps) {
  const app = createRouter()

  app.openapi({ ...analyzeRoute, middleware: requireApiKey(deps.keys) }, async (c) => {
    const { id } = c.req.valid('param')
    const { prompt } = c.req.valid('json')
    const { analyzer } = deps
    if (!analyzer) {
      throw new ApiError(409, 'Analysis disabled', 'Set GEMINI_API_KEY to enable image analysis')
    }
    const image = await deps.images.findById(id)
    if (!image) throw notFound('No image with this id')
    if (!analyzer.supports(image.mimetype)) {
      throw new ApiError(
        422,
        'Unsupported for analysis',
        `Gemini does not take ${image.mimetype} images`,
      )
    }
    const result = await analyzer.analyzeNow(id, prompt)
    if (!result) throw notFound('No image with this id')
    const data = presentImage(
      result.image,
      deps.links.forImage(result.image, c.req.url),
      deps.links.forVariants(result.image, c.req.url),
    )
    if (result.settled) return c.json({ data }, 200)
    return c.json(
      { message: 'Analysis did not finish in time; it continues in the background', data },
      202,
    )
  })

  return app
}
