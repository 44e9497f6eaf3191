import { OpenAPIHono } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { Analyzer } from '../analysis/analyzer'
import type { ApiKeyRing } from '../auth/key-ring'
import { requireApiKey } from '../http/auth'
import type { AppEnv } from '../http/env'
import { ApiError, badRequest, notFound } from '../http/errors'
import { parseRange } from '../http/range'
import { contentDisposition, sanitizeFilename } from '../media/filename'
import type { Storage } from '../storage/storage'
import type { DownloadLinks } from './download-links'
import { ImageRejected } from './errors'
import { presentImage } from './present'
import type { ImageService } from './service'
import { parseUploadForm, type UploadLimits } from './upload-form'

export type ImageRoutesDeps = {
  images: ImageService
  storage: Storage
  links: DownloadLinks
  keys: ApiKeyRing
  limits: UploadLimits
  /** Present when Gemini analysis is on. */
  analyzer?: Analyzer
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function parseImageId(id: string) {
  if (!UUID.test(id)) throw badRequest(`"${id.slice(0, 64)}" is not a valid image id (a UUID)`)
  return id.toLowerCase()
}

const rejectionStatus = { unsupported: 415, corrupt: 422, dimensions: 422 } as const
const rejectionError = {
  unsupported: 'Unsupported media type',
  corrupt: 'Invalid image',
  dimensions: 'Image dimensions too large',
} as const

const origin = (c: Context) => new URL(c.req.url).origin

export function imageRoutes(deps: ImageRoutesDeps) {
  const { images, storage, links, keys, limits, analyzer } = deps
  const app = new OpenAPIHono<AppEnv>()
  const auth = requireApiKey(keys)

  app.post('/api/upload', auth, async (c) => {
    const form = await parseUploadForm(c.req.raw, limits)
    const bytes = await form.file.bytes()
    let outcome: Awaited<ReturnType<ImageService['upload']>>
    try {
      outcome = await images.upload({
        bytes,
        filename: sanitizeFilename(form.file.name),
        title: form.title,
        description: form.description,
        tags: form.tags,
        metadata: form.extra,
        uploadedBy: c.var.principal?.name,
      })
    } catch (err) {
      if (!(err instanceof ImageRejected)) throw err
      throw new ApiError(rejectionStatus[err.kind], rejectionError[err.kind], err.message)
    }
    let { image } = outcome
    if (!outcome.created) {
      return c.json(
        {
          error: 'Image already exists',
          message: 'An image with the same content already exists',
          existing_image: {
            id: image.id,
            s3_key: image.s3Key,
            title: image.title,
            description: image.description,
          },
        },
        409,
      )
    }
    if (analyzer) {
      try {
        image = await analyzer.analyzeOnUpload(image, bytes)
      } catch (err) {
        // The upload has succeeded; the row stays pending and the background worker takes over.
        c.var.logger.warn('analysis at upload failed', {
          request_id: c.var.requestId,
          id: image.id,
          err: String(err),
        })
      }
    }
    return c.json(
      {
        message: 'Image uploaded successfully',
        data: presentImage(image, links.forImage(image, origin(c))),
      },
      201,
    )
  })

  // A valid download signature stands in for the API key on the content route only.
  const keyOrSignature = createMiddleware<AppEnv>(async (c, next) => {
    const signature = c.req.query('signature')
    if (signature === undefined) return auth(c, next)
    if (!links.verify(c.req.param('id') ?? '', c.req.query('expires'), signature)) {
      throw new ApiError(403, 'Invalid signature', 'The download link is invalid or has expired')
    }
    await next()
  })

  app.on(['GET', 'HEAD'], '/api/images/:id/content', keyOrSignature, async (c) => {
    const image = await images.findById(parseImageId(c.req.param('id')))
    if (!image) throw notFound('No image with this id')
    const etag = `"${image.md5Hash}"`
    const headers: Record<string, string> = {
      'Content-Type': image.mimetype,
      ETag: etag,
      'Cache-Control': 'private, max-age=31536000, immutable',
      'X-Content-Type-Options': 'nosniff',
      'Content-Disposition': contentDisposition(image.originalFilename),
      'Accept-Ranges': 'bytes',
    }
    const ifNoneMatch = c.req.header('if-none-match')
    if (ifNoneMatch?.split(',').some((t) => t.trim() === etag || t.trim() === '*')) {
      return c.body(null, 304, headers)
    }
    const size = image.filesize
    const range = parseRange(c.req.header('range'), size)
    if (range === 'unsatisfiable') {
      return c.json(
        { error: 'Range not satisfiable', message: `The image is ${size} bytes long` },
        416,
        { 'Content-Range': `bytes */${size}` },
      )
    }
    const status = range ? 206 : 200
    headers['Content-Length'] = String(range ? range.end - range.start + 1 : size)
    if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`
    if (c.req.method === 'HEAD') return c.body(null, status, headers)

    const stream = await storage.read(image.s3Key, range)
    if (!stream) {
      c.var.logger.error('object missing for row', { request_id: c.var.requestId, id: image.id })
      throw notFound('The image content is missing from storage')
    }
    return c.body(stream, status, headers)
  })

  return app
}
