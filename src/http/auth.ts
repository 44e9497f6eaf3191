import { createMiddleware } from 'hono/factory'
import type { ApiKeyRing } from '../auth/key-ring'
import type { AppEnv } from './env'
import { ApiError } from './errors'

/** Requires a valid `X-API-Key`; read-only keys may only GET/HEAD. Bodies match the old service. */
export const requireApiKey = (keys: ApiKeyRing) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const presented = c.req.header('x-api-key')
    const principal = presented ? keys.verify(presented) : undefined
    if (!principal) {
      // The client's address, never the key presented: it may be a real key with a typo.
      c.var.logger?.warn('auth failed', {
        request_id: c.var.requestId,
        client_ip: c.var.clientIp,
        reason: presented ? 'invalid' : 'missing',
      })
      if (!presented) {
        throw new ApiError(401, 'API key is required', 'Please provide X-API-Key header')
      }
      throw new ApiError(401, 'Invalid API key', 'The provided API key is not valid')
    }
    c.set('principal', principal)
    if (principal.readOnly && c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      throw new ApiError(403, 'Forbidden', 'This API key is read-only')
    }
    await next()
  })
