import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import type { ApiKeyRing } from '../auth/key-ring'
import { requireApiKey } from '../http/auth'
import type { AppEnv } from '../http/env'
import { ApiError, badRequest, notFound } from '../http/errors'
import type { DownloadLinks } from '../images/download-links'
import { presentImage } from '../images/present'
import { parseImageId } from '../images/routes'
import { errorSchema, imageSchema } from '../images/schemas'
import type { Analyzer } from './analyzer'

export const MAX_PROMPT_LENGTH = 2000

export type AnalysisRoutesDeps = {
  keys: ApiKeyRing
  links: DownloadLinks
  findImage: (id: string) => Promise<{ mimetype: string } | undefined>
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

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: errorSchema } },
})

const analyzeRoute = createRoute({
  method: 'post',
  path: '/api/images/{id}/analyze',
  summary: 'Analyse an image with Gemini now',
  description:
    'Runs a fresh analysis within GEMINI_TIMEOUT_MS. 200 when it concluded (analysis_status done, ' +
    'or failed with analysis_error); 202 when it fell back to the background worker, which ' +
    'retries with the configured prompt.',
  request: {
    params: z.object({
      id: z.string().openapi({ param: { name: 'id', in: 'path' }, format: 'uuid' }),
    }),
    body: { required: false, content: { 'application/json': { schema: analyzeBodySchema } } },
  },
  responses: {
    200: {
      description: 'Analysis concluded',
      content: { 'application/json': { schema: z.object({ data: imageSchema }) } },
    },
    202: {
      description: 'Not finished in time; continues in the background',
      content: {
        'application/json': { schema: z.object({ message: z.string(), data: imageSchema }) },
      },
    },
    400: error('Malformed id or body'),
    401: error('Missing or invalid API key'),
    403: error('Read-only API key'),
    404: error('No image with this id'),
    409: error('Analysis is disabled (GEMINI_API_KEY is not set)'),
    422: error('Gemini does not take this image format'),
  },
})

/** `POST /api/images/:id/analyze`, documented in the OpenAPI description. */
export function analysisRoutes(deps: AnalysisRoutesDeps) {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const issue = result.error.issues[0]
        const where = issue?.path.join('.') || 'body'
        throw badRequest(`${where}: ${issue?.message ?? 'invalid value'}`)
      }
    },
  })

  app.openapi({ ...analyzeRoute, middleware: [requireApiKey(deps.keys)] }, async (c) => {
    const id = parseImageId(c.req.valid('param').id)
    const { prompt } = c.req.valid('json')
    const { analyzer } = deps
    if (!analyzer) {
      throw new ApiError(409, 'Analysis disabled', 'Set GEMINI_API_KEY to enable image analysis')
    }
    const image = await deps.findImage(id)
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
      deps.links.forImage(result.image, new URL(c.req.url).origin),
    )
    if (result.settled) return c.json({ data }, 200)
    return c.json(
      { message: 'Analysis did not finish in time; it continues in the background', data },
      202,
    )
  })

  return app
}
