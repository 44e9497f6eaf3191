import { createRoute, z } from '@hono/zod-openapi'
import type { KeyAlternative } from '../http/auth'
import { ApiError, notFound } from '../http/errors'
import { errorResponses } from '../http/openapi-responses'
import { apiKeySecurity, createRouter, type Handler } from '../http/router'
import { serveObject } from '../http/serve-object'
import { contentDisposition } from '../media/filename'
import { UNKNOWN_TYPE } from '../media/inspect'
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
const VARIANT_PATH = /^\/api\/images\/([^/]+)\/variants\/([^/]+)$/

const decodedSegment = (segment: string) => {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

/** Whether a signed link verifies for this path: an image's content, or one of its variants. */
function verifiesFor(links: DownloadLinks, path: string, expires?: string, signature?: string) {
  const content = CONTENT_PATH.exec(path)
  if (content) return links.verify(decodedSegment(content[1] ?? ''), expires, signature)
  const variant = VARIANT_PATH.exec(path)
  if (variant) {
    const [, id = '', preset = ''] = variant
    return links.verifyVariant(decodedSegment(id), decodedSegment(preset), expires, signature)
  }
  return undefined
}

/**
 * The one exception to the API key: GET/HEAD of an image's content, or of one of its variants,
 * carrying the signature of a download_url or a `variants` URL (DownloadLinks). A signature that
 * does not verify is refused, never ignored.
 */
export const signedDownload =
  (links: DownloadLinks): KeyAlternative =>
  (c) => {
    const signature = c.req.query('signature')
    if (signature === undefined) return false
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return false
    const verified = verifiesFor(links, c.req.path, c.req.query('expires'), signature)
    if (verified === undefined) return false
    if (!verified) {
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
    return serveObject(c, storage, {
      key: image.s3Key,
      size: image.filesize,
      contentType: image.mimetype ?? UNKNOWN_TYPE,
      etag: `"${image.md5Hash}"`,
      cacheControl: 'private, max-age=31536000, immutable',
      headers: { 'Content-Disposition': contentDisposition(image.originalFilename) },
      owner: { id: image.id },
    })
  }

/** `GET|HEAD /api/images/:id/content`. */
export function contentRoute(deps: ContentRouteDeps) {
  return createRouter()
    .openapi(getContentRoute, download(deps))
    .openapi(headContentRoute, download(deps))
}
