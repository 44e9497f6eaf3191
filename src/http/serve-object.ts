import type { Context } from 'hono'
import { ObjectNotFound } from '../storage/errors'
import type { Storage } from '../storage/storage'
import type { AppEnv } from './env'
import { ApiError, notFound } from './errors'
import { ifNoneMatchHits } from './etag'
import { parseRange } from './range'

export type ServedObject = {
  key: string
  size: number
  contentType: string
  etag: string
  cacheControl: string
  headers?: Record<string, string>
  /** Logged with a missing object, to say whose it was (e.g. the row's id). */
  owner?: Record<string, string>
  /** Answers instead of a 404 when the object is gone from storage (e.g. re-creates it). */
  onMissing?: () => Promise<Response>
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
  if (ifNoneMatchHits(c.req.header('if-none-match'), object.etag)) {
    return c.body(null, 304, headers)
  }
  const { size } = object
  const range = parseRange(c.req.header('range'), size)
  if (range === 'unsatisfiable') {
    throw new ApiError(416, 'Range not satisfiable', `The image is ${size} bytes long`, undefined, {
      'Content-Range': `bytes */${size}`,
    })
  }
  const status = range ? 206 : 200
  headers['Content-Length'] = String(range ? range.end - range.start + 1 : size)
  if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`
  if (c.req.method === 'HEAD') return c.body(null, status, headers)

  try {
    return c.body(await storage.read(object.key, range), status, headers)
  } catch (err) {
    if (!(err instanceof ObjectNotFound)) throw err
    if (object.onMissing) return object.onMissing()
    c.var.logger.error('object missing for row', {
      request_id: c.var.requestId,
      key: object.key,
      ...object.owner,
    })
    throw notFound('The image content is missing from storage')
  }
}
