import { createMiddleware } from 'hono/factory'
import type { Logger } from '../logger'
import type { AppEnv } from './env'

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** Request id (client's `X-Request-Id` when sane, echoed back) and one access-log line per request. */
export const requestContext = (logger: Logger) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now()
    const incoming = c.req.header('x-request-id')
    const requestId = incoming && CLIENT_REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID()
    c.set('requestId', requestId)
    c.set('logger', logger)
    c.header('X-Request-Id', requestId)
    try {
      await next()
    } finally {
      // The path only: query strings may carry download signatures.
      logger.info('request', {
        request_id: requestId,
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        duration_ms: Math.round((performance.now() - started) * 100) / 100,
        key: c.var.principal?.name,
      })
    }
  })
