import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { matchedRoutes } from 'hono/route'
import type { ApiKeyRing } from '../auth/key-ring'
import type { AppEnv } from './env'
import { ApiError } from './errors'

/**
 * Authorises a request by something other than an API key: true lets it through, false asks for
 * the key, a thrown ApiError refuses it.
 */
export type KeyAlternative = (c: Context<AppEnv>) => boolean

export type ApiKeyOptions = {
  /** The one kind of request authorised otherwise (a signed download). */
  alternative?: KeyAlternative
  /** Requests that change nothing whatever their method (a search sent as POST): read-only keys may. */
  changesNothing?: (c: Context<AppEnv>) => boolean
}

// Only middleware matched (no route has this path and method): the 404/405 fallback answers.
const routeMatched = (c: Context<AppEnv>) => matchedRoutes(c).some((r) => r.method !== 'ALL')

/**
 * Requires a valid `X-API-Key`, or a gallery session already accepted by `apiSession` (cookie plus
 * CSRF header), on every route it is mounted over; read-only principals may only GET/HEAD, or what
 * `changesNothing`. Bodies match the old service.
 */
export const requireApiKey = (keys: ApiKeyRing, options: ApiKeyOptions = {}) =>
  createMiddleware<AppEnv>(async (c, next) => {
    if (!routeMatched(c) || options.alternative?.(c)) return next()
    const presented = c.req.header('x-api-key')
    // A gallery session set the principal already (apiSession); a key presented always wins.
    const principal = presented ? keys.verify(presented) : c.var.principal
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
    const reads =
      c.req.method === 'GET' || c.req.method === 'HEAD' || options.changesNothing?.(c) === true
    if (principal.readOnly && !reads) {
      throw new ApiError(403, 'Forbidden', 'This API key is read-only')
    }
    await next()
  })
