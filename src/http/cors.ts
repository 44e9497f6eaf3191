import { cors } from 'hono/cors'

/** `*` (any origin), a list of exact origins, or off. */
export type CorsOrigins = '*' | string[] | 'off'

/**
 * CORS as the old service had it (`Access-Control-Allow-Origin: *` by default): the API key is a
 * header a script must set, not an ambient cookie, so a wildcard lends a page no credentials.
 * Preflights answer 204; the headers clients need for caching, ranges and back-off are exposed.
 */
export function corsMiddleware(origins: Exclude<CorsOrigins, 'off'>) {
  return cors({
    origin: origins,
    allowMethods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
    allowHeaders: ['X-API-Key', 'Content-Type', 'Range', 'If-None-Match', 'X-Request-Id'],
    exposeHeaders: ['ETag', 'Content-Range', 'Retry-After', 'Content-Length', 'X-Request-Id'],
    maxAge: 600,
  })
}
