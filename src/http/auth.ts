import { createMiddleware } from 'hono/factory'
import type { ApiKeyRing } from '../auth/key-ring'
import type { AppEnv } from './env'
import { ApiError } from './errors'

/**
 * Requires a valid `X-API-Key`, or a gallery session already accepted by `apiSession` (cookie plus
 * CSRF header); read-only principals may only GET/HEAD. Bodies match the old service.
 */
export const requireApiKey = (keys: ApiKeyRing) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const presented = c.req.header('x-api-key')
    let principal = presented === undefined ? c.var.principal : undefined
    if (!principal) {
      if (!presented) {
        throw new ApiError(401, 'API key is required', 'Please provide X-API-Key header')
      }
      principal = keys.verify(presented)
      if (!principal) {
        throw new ApiError(401, 'Invalid API key', 'The provided API key is not valid')
      }
    }
    c.set('principal', principal)
    if (principal.readOnly && c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      throw new ApiError(403, 'Forbidden', 'This API key is read-only')
    }
    await next()
  })
