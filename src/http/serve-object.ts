import type { Context } from 'hono'
import type { Storage } from '../storage/storage'
import type { AppEnv } from './env'
import { errorBody, notFound } from './errors'
import { parseRange } from './range'

export type ServedObject = {
  key: string
  size: number
  contentType: string
  etag: string
  cacheControl: string
  headers?: Record<string, string>
  /** Answers instead of a 404 when the object is gone from storage (e.g. re-creates it). */
  onMissing?: () => Promise<Response>
}

/** True when `If-None-Match` names `etag` (or `*`). */
export function etagMatches(c: Context<AppEnv>, etag: string) {
  const ifNoneMatch = c.req.header('if-none-match')
  return !!ifNoneMatch?.split(',').some((t) => t.trim() === etag || t.trim() === '*')
}

/**
 * Answers GET/HEAD for a stored object: ETag and 304, a single byte range (206/416), streamed
 * from storage without buffering. Shared by the original's content route and the variants.
 */
export async function serveObject(c: Context<AppEnv>, storage: Storage, object: ServedObject) {
  const headers: Record<string, string> = {
    'Content-Type': object.contentType,
    ETag: object.etag,
    'Cache-Control': object.cacheControl,
    'X-Content-Type-Options': 'nosniff',
    'Accept-Ranges': 'bytes',
    ...object.headers,
  }
  if (etagMatches(c, object.etag)) return c.body(null, 304, headers)
  const { size } = object
  const range = parseRange(c.req.header('range'), size)
  if (range === 'unsatisfiable') {
    return c.json(errorBody('Range not satisfiable', `The object is ${size} bytes long`), 416, {
      'Content-Range': `bytes */${size}`,
    })
  }
  const status = range ? 206 : 200
  headers['Content-Length'] = String(range ? range.end - range.start + 1 : size)
  if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`
  if (c.req.method === 'HEAD') return c.body(null, status, headers)

  const stream = await storage.read(object.key, range)
  if (!stream && object.onMissing) return object.onMissing()
  if (!stream) {
    c.var.logger.error('object missing', { request_id: c.var.requestId, key: object.key })
    throw notFound('The image content is missing from storage')
  }
  return c.body(stream, status, headers)
}
