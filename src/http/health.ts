import { createRoute, z } from '@hono/zod-openapi'
import { errorResponse, jsonContent } from './openapi-responses'
import { createRouter, type Handler } from './router'

type Check = () => Promise<void>

const HEALTH_TIMEOUT_MS = 2000

async function probe(check: Check) {
  const started = performance.now()
  let timer: Timer | undefined
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${HEALTH_TIMEOUT_MS} ms`)),
          HEALTH_TIMEOUT_MS,
        )
      }),
    ])
    return { status: 'up' as const, latency_ms: Math.round(performance.now() - started) }
  } catch (err) {
    return { status: 'down' as const, error: err instanceof Error ? err.message : String(err) }
  } finally {
    clearTimeout(timer)
  }
}

const checkSchema = z.object({
  status: z.enum(['up', 'down']),
  latency_ms: z.number().optional(),
  error: z.string().optional(),
})

// Gemini is optional: a model that cannot be used degrades analysis, never the service's health.
const analysisCheckSchema = z
  .object({
    status: z.enum(['checking', 'up', 'degraded']),
    model: z.string(),
    error: z.string().optional(),
  })
  .openapi({ description: 'Present when GEMINI_API_KEY is set; never affects the HTTP status' })

type AnalysisHealth = z.infer<typeof analysisCheckSchema>

const healthSchema = z
  .object({
    status: z.enum(['healthy', 'unhealthy']),
    service: z.literal('image-metadata-api'),
    checks: z.object({
      database: checkSchema,
      storage: checkSchema,
      analysis: analysisCheckSchema.optional(),
    }),
  })
  .openapi('Health')

const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  operationId: 'getHealth',
  tags: ['service'],
  summary: 'Liveness and dependency health (no key needed)',
  // Public: an explicit empty requirement, not an absent one.
  security: [],
  responses: {
    200: jsonContent(healthSchema, 'Healthy'),
    503: jsonContent(healthSchema, 'A dependency is down'),
    // The wrong-key throttle answers any request that carries a key, this one included.
    429: errorResponse('Sent an X-API-Key while over the wrong-key limit (send none here)'),
  },
})

export type HealthDeps = {
  checks: { database: Check; storage: Check }
  /** Present when Gemini analysis is on. */
  analysis?: () => AnalysisHealth
}

const health =
  ({ checks, analysis }: HealthDeps): Handler<typeof healthRoute> =>
  async (c) => {
    const [database, storage] = await Promise.all([probe(checks.database), probe(checks.storage)])
    const healthy = database.status === 'up' && storage.status === 'up'
    return c.json(
      {
        status: healthy ? ('healthy' as const) : ('unhealthy' as const),
        service: 'image-metadata-api' as const,
        checks: { database, storage, ...(analysis ? { analysis: analysis() } : {}) },
      },
      healthy ? 200 : 503,
    )
  }

/** `GET /health`: no auth; 200 when every dependency answers, 503 with the detail otherwise. */
export function healthRoutes(deps: HealthDeps) {
  return createRouter().openapi(healthRoute, health(deps))
}
