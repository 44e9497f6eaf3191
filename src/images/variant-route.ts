import { z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { ApiKeyRing } from '../auth/key-ring'
import { requireApiKey } from '../http/auth'
import type { AppEnv } from '../http/env'
import { ApiError, badRequest, notFound } from '../http/errors'
import { errorResponses } from '../http/openapi-responses'
import { apiKeySecurity, createRouter } from '../http/router'
import { etagMatches, serveObject } from '../http/serve-object'
import {
  VARIANT_CONTENT_TYPES,
  VARIANT_FORMATS,
  type VariantFormat,
  VariantRenderError,
} from '../media/variant-render'
import type { DownloadLinks } from './download-links'
import { imageIdParams } from './schemas'
import type { ImageService } from './service'
import { type VariantService, VariantSourceGone } from './variants'

export type VariantRouteDeps = {
  images: ImageService
  variants: VariantService
  links: DownloadLinks
  keys: ApiKeyRing
}

const FORMAT_CHOICES = [...VARIANT_FORMATS, 'auto'] as const
const CACHE_CONTROL = 'public, max-age=31536000, immutable'

/** `format=auto`: the best the client says it accepts; JPEG is what every client takes. */
export function negotiateFormat(accept: string | undefined): VariantFormat {
  const types = (accept ?? '').toLowerCase()
  if (types.includes('image/avif')) return 'avif'
  if (types.includes('image/webp')) return 'webp'
  return 'jpeg'
}

/** `GET|HEAD /api/images/:id/variants/:preset`: a resized rendition, made once, then cached. */
export function variantRoute(deps: VariantRouteDeps) {
  const { images, variants, links, keys } = deps
  const app = createRouter()
  const auth = requireApiKey(keys)
  const presets = Object.entries(variants.presets)

  const binary = {
    description: 'The variant (206: the requested range)',
    content: { 'image/*': { schema: { type: 'string' as const, format: 'binary' } } },
  }
  for (const method of ['get', 'head'] as const) {
    app.openAPIRegistry.registerPath({
      method,
      path: '/api/images/{id}/variants/{preset}',
      summary: method === 'get' ? 'A resized variant of the image' : 'Headers of a variant',
      description: `Fit inside the preset's longest side (${presets.map(([n, s]) => `${n} ${s}`).join(', ')}), never enlarged, auto-oriented, sRGB, no metadata; the first frame of an animation. Made on first request, then served from storage. Authorised by X-API-Key, or by the expires + signature of a \`variants\` URL.`,
      security: [...apiKeySecurity, {}],
      request: {
        params: imageIdParams.extend({
          preset: z
            .string()
            .openapi({ param: { name: 'preset', in: 'path' }, example: presets[0]?.[0] }),
        }),
        headers: z.object({
          accept: z.string().optional().openapi({ description: 'Used by format=auto' }),
          range: z.string().optional().openapi({ example: 'bytes=0-1023' }),
          'if-none-match': z.string().optional(),
        }),
        query: z.object({
          format: z.enum(FORMAT_CHOICES).optional().openapi({ description: 'Default webp' }),
          expires: z.string().optional().openapi({ description: 'From variants' }),
          signature: z.string().optional().openapi({ description: 'From variants' }),
        }),
      },
      responses: {
        200: binary,
        206: binary,
        304: { description: 'Not modified (ETag matched)' },
        ...errorResponses(400, 401, 403, 404, 416, 422, 503),
      },
    })
  }

  // A valid variant signature stands in for the API key, for that image and preset only.
  const keyOrSignature = createMiddleware<AppEnv>(async (c, next) => {
    const signature = c.req.query('signature')
    if (signature === undefined) return auth(c, next)
    const id = c.req.param('id') ?? ''
    const preset = c.req.param('preset') ?? ''
    if (!links.verifyVariant(id, preset, c.req.query('expires'), signature)) {
      throw new ApiError(403, 'Invalid signature', 'The variant link is invalid or has expired')
    }
    await next()
  })

  app.on(['GET', 'HEAD'], '/api/images/:id/variants/:preset', keyOrSignature, async (c) => {
    const { id, preset, format, auto } = parseRequest(c, variants.presets)
    const image = await images.findById(id)
    if (!image) throw notFound('No image with this id')
    const vary = auto ? { Vary: 'Accept' } : undefined
    const etag = variants.etag(image.md5Hash, preset, format)
    // The ETag follows from the content hash alone: a revalidation needs no render.
    if (etagMatches(c, etag)) {
      return c.body(null, 304, { ETag: etag, 'Cache-Control': CACHE_CONTROL, ...vary })
    }
    const serve = async (retry: boolean): Promise<Response> => {
      let stored: Awaited<ReturnType<VariantService['ensure']>>
      try {
        stored = await variants.ensure(image, preset, format)
      } catch (err) {
        if (err instanceof VariantSourceGone) throw notFound('No image with this id')
        if (err instanceof VariantRenderError) throw new ApiError(422, 'Invalid image', err.message)
        throw err
      }
      return serveObject(c, variants.storage, {
        key: stored.key,
        size: stored.size,
        contentType: VARIANT_CONTENT_TYPES[format],
        etag,
        cacheControl: CACHE_CONTROL,
        headers: vary,
        // Remembered as stored but gone (deleted with an earlier row of the same content): redo.
        onMissing: retry
          ? () => {
              variants.forget(stored.key)
              return serve(false)
            }
          : undefined,
      })
    }
    return serve(true)
  })

  return app
}

function parseRequest(c: Context<AppEnv>, presets: Record<string, number>) {
  const id = imageIdParams.safeParse({ id: c.req.param('id') })
  if (!id.success) throw badRequest('id: must be a UUID')
  const preset = c.req.param('preset') ?? ''
  if (!Object.hasOwn(presets, preset)) {
    throw badRequest(`preset: must be one of ${Object.keys(presets).join(', ')}`)
  }
  const requested = c.req.query('format') ?? 'webp'
  if (!(FORMAT_CHOICES as readonly string[]).includes(requested)) {
    throw badRequest(`format: must be one of ${FORMAT_CHOICES.join(', ')}`)
  }
  const auto = requested === 'auto'
  const format = auto ? negotiateFormat(c.req.header('accept')) : (requested as VariantFormat)
  return { id: id.data.id, preset, format, auto }
}
