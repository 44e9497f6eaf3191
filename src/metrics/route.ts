import { timingSafeEqual } from 'node:crypto'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../http/env'
import { ApiError } from '../http/errors'
import { createRouter } from '../http/router'
import type { Metrics } from './metrics'

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** The exposition text of every series, with Prometheus's content type. */
export async function exposition(metrics: Metrics) {
  return new Response(await metrics.registry.metrics(), {
    headers: { 'Content-Type': metrics.registry.contentType },
  })
}

/** `GET /metrics` on the API's port, for a scraper presenting `Authorization: Bearer <token>`. */
export function metricsRoute(metrics: Metrics, token: string) {
  const app = createRouter()
  const bearer = createMiddleware<AppEnv>(async (c, next) => {
    const given = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1]?.trim()
    if (!given || !sameSecret(given, token)) {
      c.header('WWW-Authenticate', 'Bearer realm="metrics"')
      throw new ApiError(401, 'Unauthorized', 'Send Authorization: Bearer <METRICS_TOKEN>')
    }
    await next()
  })
  app.get('/metrics', bearer, () => exposition(metrics))
  return app
}

/** Counts each upload by its answer: created, duplicate, or rejected with a reason. */
export function countUploads(metrics: Metrics) {
  const REASONS: Record<number, string> = {
    400: 'invalid_request',
    401: 'unauthorized',
    403: 'forbidden',
    413: 'too_large',
    415: 'unsupported_format',
    422: 'invalid_image',
    429: 'throttled',
    503: 'unavailable',
  }
  return createMiddleware<AppEnv>(async (c, next) => {
    await next()
    const status = c.res.status
    if (status === 201) metrics.uploads.inc({ outcome: 'created' })
    else if (status === 409) metrics.uploads.inc({ outcome: 'duplicate' })
    else metrics.uploads.inc({ outcome: 'rejected', reason: REASONS[status] ?? `http_${status}` })
  })
}
