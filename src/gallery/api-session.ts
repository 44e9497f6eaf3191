import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../http/env'
import { CSRF_HEADER, type Sessions } from './session'

/**
 * Lets the gallery's own page scripts call the JSON API with the session cookie instead of a key.
 * Only when there is no `X-API-Key`, the request echoes the session's CSRF token in a header (which
 * a cross-site form cannot send), and, unless it only reads, `Origin` is this server. Otherwise
 * the cookie is ignored and `requireApiKey` answers as it always has.
 */
export const apiSession = (sessions: Sessions) =>
  createMiddleware<AppEnv>(async (c, next) => {
    if (c.req.header('x-api-key') === undefined) {
      const session = sessions.read(c)
      const reads = c.req.method === 'GET' || c.req.method === 'HEAD'
      if (
        session &&
        sessions.csrfMatches(session, c.req.header(CSRF_HEADER)) &&
        (reads || sessions.sameOrigin(c))
      ) {
        c.set('principal', session.principal)
      }
    }
    await next()
  })
