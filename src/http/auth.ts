import { createMiddleware } from 'hono/factory'
import type { ApiKeyRing } from '../auth/key-ring'
import type { AppEnv } from './env'
import { ApiError } from './errors'

/**
 * Requires a valid `X-API-Key`; read-only keys may only GET/HEAD, or any method of a route that
 * `changesNothing` (a search sent as POST). Bodies match the old service.
 */
export const requireApiKey = (keys: ApiKeyRing, options: { changesNothing?: boolean } = {}) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const presented = c.req.header('x-api-key')
    if (!presented) {
      throw new ApiError(401, 'API key is required', 'Please provide X-API-Key header')
    }
    const principal = keys.verify(presented)
    if (!principal) {
      throw new ApiError(401, 'Invalid API key', 'The provided API key is not valid')
    }
    c.set('principal', principal)
    const reads = c.req.method === 'GET' || c.req.method === 'HEAD' || options.changesNothing
    if (principal.readOnly && !reads) {
      throw new ApiError(403, 'Forbidden', 'This API key is read-only')
    }
    await next()
  })
