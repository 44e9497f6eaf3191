import { createRoute, z } from '@hono/zod-openapi'
import type { KeyAlternative } from '../http/auth'
import { ApiError, notFound } from '../http/errors'
import { ifNoneMatchHits } from '../http/etag'
import { errorResponses } from '../http/openapi-responses'
import { parseRange } from '../http/range'
import { apiKeySecurity, createRouter, type Handler } from '../http/router'
import { contentDisposition } from '../media/filename'
import { UNKNOWN_TYPE } from '../media/inspect'
import { ObjectNotFound } from '../storage/errors'
import type { Storage } from '../storage/storage'
import type { DownloadLinks } from './download-links'
import { imageIdParams } from './schemas'
import type { ImageService } from './service'

export type ContentRouteDeps = { images: ImageService; storage: Storage }

const binary = {
  description: 'The image bytes (206: the requested range)',
  content: { 'image/*': { schema: { type: 'string' as const, format: 'binary' } } },
}

const contentRouteFor = (method: 'get' | 'head') =>
  createRoute({
    method,
    path: '/api/images/{id}/content',
    operationId: method === 'get' ? 'getImageContent' : 'headImageContent',
    tags: ['content'],
    summary: method === 'get' ? 'Download the image bytes' : 'Headers of the image bytes',
    description:
      'Authorised by X-API-Key, or without one by the expires + signature of a download_url.',
    security: [...apiKeySecurity, {}],
    request: {
      params: imageIdParams,
      headers: z.object({
        range: z.string().optional().openapi({ example: 'bytes=0-1023' }),
        'if-none-match': z.string().optional(),
      }),
      query: z.object({
        expires: z.string().optional().openapi({ description: 'From download_url' }),
        signature: z.string().optional().openapi({ description: 'From download_url' }),
      }),
    },
    responses: {
      200: binary,
      206: binary,
      304: { description: 'Not modified (ETag matched)' },
      ...errorResponses(400, 401, 403, 404, 416, 503),
    },
  })
const getContentRoute = contentRouteFor('get')
const headContentRoute = contentRouteFor('head')

const CONTENT_PATH = /^\/api\/images\/([^/]+)\/content$/

const decodedSegment = (segment: string) => {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

/**
 * The one exception to the API key: GET/HEAD of an image's content carrying the signature of a
 * download_url (DownloadLinks). A signature that does not verify is refused, never ignored.
 */
export const signedDownload =
  (links: DownloadLinks): KeyAlternative =>
  (c) => {
    const signature = c.req.query('signature')
    const id = CONTENT_PATH.exec(c.req.path)?.[1]
    if (signature === undefined || id === undefined) return false
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return false
    if (!links.verify(decodedSegment(id), c.req.query('expires'), signature)) {
      throw new ApiError(403, 'Invalid signature', 'The download link is invalid or has expired')
    }
    return true
  }

/** The stored bytes, streamed, with HTTP caching and ranges; HEAD answers the same headers. */
const download =
  ({ images, storage }: ContentRouteDeps): Handler<typeof getContentRoute> =>
  async (c) => {
    const image = await images.findById(c.req.valid('param').id)
    if (!image) throw notFound('No image with this id')
    const etag = `"${image.md5Hash}"`
    const headers: Record<string, string> = {
      'Content-Type': image.mimetype ?? UNKNOWN_TYPE,
      ETag: etag,
      'Cache-Control': 'private, max-age=31536000, immutable',
      'X-Content-Type-Options': 'nosniff',
      'Content-Disposition': contentDisposition(image.originalFilename),
      'Accept-Ranges': 'bytes',
    }
    if (ifNoneMatchHits(c.req.header('if-none-match'), etag)) {
      return c.body(null, 304, headers)
    }
    const size = image.filesize
    const range = parseRange(c.req.header('range'), size)
    if (range === 'unsatisfiable') {
      throw new ApiError(
        416,
        'Range not satisfiable',
        `The image is ${size} bytes long`,
        undefined,
        {
          'Content-Range': `bytes */${size}`,
        },
      )
    }
    const status = range ? 206 : 200
    headers['Content-Length'] = String(range ? range.end - range.start + 1 : size)
    if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`
    if (c.req.method === 'HEAD') return c.body(null, status, headers)

    try {
      return c.body(await storage.read(image.s3Key, range), status, headers)
    } catch (err) {
      if (!(err instanceof ObjectNotFound)) throw err
      c.var.logger.error('object missing for row', { request_id: c.var.requestId, id: image.id })
      throw notFound('The image content is missing from storage')
    }
  }

/** `GET|HEAD /api/images/:id/content`. */
export function contentRoute(deps: ContentRouteDeps) {
  return createRouter()
    .openapi(getContentRoute, download(deps))
    .openapi(headContentRoute, download(deps))
}
