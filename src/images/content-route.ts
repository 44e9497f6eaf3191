import { z } from '@hono/zod-openapi'
import { createMiddleware } from 'hono/factory'
import type { ApiKeyRing } from '../auth/key-ring'
import { requireApiKey } from '../http/auth'
import type { AppEnv } from '../http/env'
import { ApiError, badRequest, notFound } from '../http/errors'
import { errorResponses } from '../http/openapi-responses'
import { apiKeySecurity, createRouter } from '../http/router'
import { serveObject } from '../http/serve-object'
import { contentDisposition } from '../media/filename'
import type { Storage } from '../storage/storage'
import type { DownloadLinks } from './download-links'
import { imageIdParams } from './schemas'
import type { ImageService } from './service'

export type ContentRouteDeps = {
  images: ImageService
  storage: Storage
  links: DownloadLinks
  keys: ApiKeyRing
}

const PATH = '/api/images/{id}/content'

/** `GET|HEAD /api/images/:id/content`: the stored bytes, streamed, with HTTP caching and ranges. */
export function contentRoute(deps: ContentRouteDeps) {
  const { images, storage, links, keys } = deps
  const app = createRouter()
  const auth = requireApiKey(keys)

  const binary = {
    description: 'The image bytes (206: the requested range)',
    content: { 'image/*': { schema: { type: 'string' as const, format: 'binary' } } },
  }
  for (const method of ['get', 'head'] as const) {
    app.openAPIRegistry.registerPath({
      method,
      path: PATH,
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
  }

  // A valid download signature stands in for the API key on this route only.
  const keyOrSignature = createMiddleware<AppEnv>(async (c, next) => {
    const signature = c.req.query('signature')
    if (signature === undefined) return auth(c, next)
    if (!links.verify(c.req.param('id') ?? '', c.req.query('expires'), signature)) {
      throw new ApiError(403, 'Invalid signature', 'The download link is invalid or has expired')
    }
    await next()
  })

  app.on(['GET', 'HEAD'], '/api/images/:id/content', keyOrSignature, async (c) => {
    const id = imageIdParams.safeParse({ id: c.req.param('id') })
    if (!id.success) throw badRequest('id: must be a UUID')
    const image = await images.findById(id.data.id)
    if (!image) throw notFound('No image with this id')
    return serveObject(c, storage, {
      key: image.s3Key,
      size: image.filesize,
      contentType: image.mimetype,
      etag: `"${image.md5Hash}"`,
      cacheControl: 'private, max-age=31536000, immutable',
      headers: { 'Content-Disposition': contentDisposition(image.originalFilename) },
    })
  })

  return app
}
